"""The guarantee, over random bodies and edits: a published note never contains a finding
that was neither fixed nor accepted with a reason.

Pure: the notes domain with the real identifier check (``Checker``), driven as the service
drives it (the check re-run on the body at every save and at approval), through random
sequences of edits, one-click fixes, submissions, returns, acceptances and approvals.
"""

import uuid
from datetime import UTC, datetime
from types import MappingProxyType

import pytest
from huddle_notes.check import Checker, Knowledge, apply_suggestions
from huddle_notes.notes.domain import Note, Standing
from huddle_shared.contracts.networks import Role
from huddle_shared.contracts.notes import NoteState
from huddle_shared.errors import HuddleError
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

pytestmark = pytest.mark.unit

NOW = datetime(2027, 3, 5, 12, 0, tzinfo=UTC)
KNOWLEDGE = Knowledge(
    members=("Rae Okafor", "Fola Adeyemi", "Tom Second"),
    organisations=("Leeds Teaching Hospitals NHS Trust",),
    speakers=("Priya Raman",),
    glossary=MappingProxyType({"PSIRF": "Patient Safety Incident Response Framework"}),
)
CHECKER = Checker(KNOWLEDGE)  # compiled once for the module

PIECES = [
    "The falls review helped.",
    "We discussed the learning response.",
    "Rae Okafor",
    "said the huddle worked.",
    "Fola Adeyemi",
    "Priya Raman",
    "k.smith@nhs.net",
    "NHS number 943 476 5919.",
    "Leeds Teaching Hospitals NHS Trust",
    "PSIRF",
    "a ward manager",
    "in March",
    "Tom Second",
]
bodies = st.lists(st.sampled_from(PIECES), max_size=8).map(" ".join)
steps = st.lists(
    st.one_of(
        st.tuples(st.just("edit"), bodies),
        st.tuples(st.just("fix"), st.integers(0, 10)),
        st.tuples(st.just("fix_all"), st.none()),
        st.tuples(st.just("accept"), st.integers(0, 10)),
        st.tuples(st.just("submit"), st.none()),
        st.tuples(st.just("return"), st.none()),
        st.tuples(st.just("approve"), st.none()),
    ),
    max_size=14,
)
# Every script ends by submitting, accepting some findings and approving: most examples
# reach the decision the guarantee is about.
endings = st.lists(st.tuples(st.just("accept"), st.integers(0, 10)), max_size=6).map(
    lambda accepts: [("submit", None), *accepts, ("approve", None)]
)


def published_is_clean(note: Note, reasons: dict[str, str]) -> bool:
    """Every finding the check raises on the published body was accepted with a reason."""
    return all(reasons.get(finding.id) for finding in CHECKER.check(note.body).findings)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(first=bodies, middle=steps, ending=endings)
def test_a_published_note_holds_no_finding_neither_fixed_nor_accepted(
    first: str, middle: list[tuple[str, object]], ending: list[tuple[str, object]]
) -> None:
    author = Standing(uuid.uuid4(), Role.NOTE_TAKER, False, reader=True)
    reviewer = Standing(uuid.uuid4(), Role.FACILITATOR, False, reader=True)
    note = Note.draft(
        note_id=uuid.uuid4(),
        slug="psmn",
        title="Huddle",
        body=first,
        session_id=None,
        occurrence_start=None,
        held_on=None,
        themes=[],
        tags=[],
        resource_ids=[],
        author=author,
        findings=CHECKER.check(first).findings,
        now=NOW,
    )
    reasons: dict[str, str] = {}  # the audit log: finding id -> why it was kept

    def save(body: str) -> None:
        note.edit(
            author,
            title=None,
            body=body,
            themes=None,
            tags=None,
            resource_ids=None,
            findings=CHECKER.check(body).findings,
            now=NOW,
        )

    for action, argument in [*middle, *ending]:
        findings = CHECKER.check(note.body).findings
        try:
            if action == "edit":
                save(str(argument))
            elif action == "fix" and findings:
                save(apply_suggestions(note.body, [findings[int(str(argument)) % len(findings)]]))
            elif action == "fix_all" and findings:
                save(apply_suggestions(note.body, findings))
            elif action == "accept" and findings:
                finding = findings[int(str(argument)) % len(findings)]
                kept = note.check_acceptable(reviewer, finding.id, findings)
                reasons[kept.id] = "A public figure, named on purpose."
            elif action == "submit":
                note.submit(author, NOW)
            elif action == "return":
                note.return_to_author(reviewer, "Please look again.", NOW)
            elif action == "approve":
                note.approve(reviewer, findings=findings, accepted=set(reasons), now=NOW)
        except HuddleError:
            pass  # refused moves change nothing; the script goes on
        if note.state is NoteState.PUBLISHED:
            event("published" if reasons else "published with nothing to accept")
            assert published_is_clean(note, reasons), (note.body, reasons)
            break
