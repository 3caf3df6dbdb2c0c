import pytest
from huddle_membership.members.names import ReservedName, require_unreserved, reserved_word_in
from huddle_shared.contracts.text import readable_name

pytestmark = pytest.mark.unit

CYRILLIC_I, CYRILLIC_A = "\u0406", "\u0430"


@pytest.mark.parametrize(
    ("name", "reserved"),
    [
        (f"{CYRILLIC_I}nstance administrator", "administrator"),
        ("ADMIN", "admin"),
        (f"{CYRILLIC_A}dmin", "admin"),
        ("\uff48\uff55\uff44\uff44\uff4c\uff45 team", "huddle team"),  # full-width letters
        ("Hudd1e support", "huddle support"),  # a digit one for an l
        ("Sarah Huddle", None),  # a surname, not the platform's voice
        ("ADMlN", "admin"),  # a small l for a capital I
        ("lNSTANCE ADMlNlSTRATOR", "administrator"),
        ("HUDDIE SUPPORT", "huddle support"),  # a capital I for an l
        ("Mod\u00e9rator", "moderator"),
        ("Jo Admington", None),  # inside another word: an ordinary name
        ("Manchester University NHS Foundation Trust", None),
        ("Systems Safety Lead", None),
        ("NHS England North West", None),  # real organisations, not the instance's voice
        ("Cheshire and Merseyside Integrated Care System", None),
        ("Jess Hughes", None),
    ],
)
def test_reserved_words_are_found_in_any_look_alike_spelling(
    name: str, reserved: str | None
) -> None:
    assert reserved_word_in(name) == reserved


def test_a_reserved_name_names_the_field() -> None:
    with pytest.raises(ReservedName) as refused:
        require_unreserved(f"{CYRILLIC_I}nstance administrator", "display_name")
    assert [error.field for error in refused.value.errors] == ["display_name"]


def test_names_are_nfc_and_trimmed() -> None:
    assert readable_name("  Zoe\u0308 ") == "Zo\u00eb"


@pytest.mark.parametrize(
    "name", ["a\x00b", "\x1b[31mred", "\u202eabc", "\u200b", "\u2066x", " \u0301 ", "\u3164"]
)
def test_control_format_and_invisible_names_are_refused(name: str) -> None:
    with pytest.raises(ValueError, match="must"):
        readable_name(name)
