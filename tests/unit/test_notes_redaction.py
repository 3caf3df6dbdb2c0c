import re

import pytest
from huddle_notes.domain import REDACTED, redact, redaction_terms
from hypothesis import given
from hypothesis import strategies as st

pytestmark = pytest.mark.unit


def test_terms_are_the_full_name_then_identifying_parts_longest_first() -> None:
    assert redaction_terms("  Aisha   Okafor ") == ["Aisha Okafor", "Okafor", "Aisha"]


def test_short_name_parts_are_not_terms_on_their_own() -> None:
    assert redaction_terms("Jo Li") == ["Jo Li"]


def test_redact_removes_whole_words_in_any_case() -> None:
    text = "aisha said the OKAFOR review helped; Aishatown is a place."
    assert redact(text, redaction_terms("Aisha Okafor")) == (
        f"{REDACTED} said the {REDACTED} review helped; Aishatown is a place."
    )


def test_full_name_is_replaced_once_not_part_by_part() -> None:
    assert (
        redact("Thanks, Aisha Okafor.", redaction_terms("Aisha Okafor")) == f"Thanks, {REDACTED}."
    )


def test_no_terms_leaves_text_alone() -> None:
    assert redact("nothing to do", []) == "nothing to do"


names = st.from_regex(r"[A-Z][a-z]{2,8} [A-Z][a-z]{2,10}", fullmatch=True)


@given(name=names, before=st.text(alphabet=" .,;!?abc", max_size=20))
def test_a_redacted_text_never_contains_the_name(name: str, before: str) -> None:
    text = f"{before}{name} shared an idea. {name.split()[1]} agreed.{before}"
    cleaned = redact(text, redaction_terms(name))
    for term in redaction_terms(name):
        assert not re.search(rf"(?<!\w){re.escape(term)}(?!\w)", cleaned, re.IGNORECASE)
