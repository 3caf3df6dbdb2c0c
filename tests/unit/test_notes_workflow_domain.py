"""The notes workflow, pure: the state machine, the second-reader rule, approval refused
while findings are open, the events each move records, and sessions' occurrences."""

import uuid
from datetime import UTC, date, datetime, timedelta

import pytest
from huddle_notes.notes.domain import (
    Note,
    SessionFacts,
    Standing,
    UnresolvedFindings,
    WrongState,
    occurrence_starts,
)
from huddle_shared.contracts.networks import Role
from huddle_shared.contracts.notes import (
    Finding,
    FindingCategory,
    NotePublishedV1,
    NoteRetractedV1,
    NoteState,
    NoteStateChangedV1,
)
from huddle_shared.errors import Forbidden, Invalid, NotFound

pytestmark = pytest.mark.unit

NOW = datetime(2027, 3, 5, 12, 0, tzinfo=UTC)


def person(role: Role | None, *, admin: bool = False) -> Standing:
    return Standing(uuid.uuid4(), role, admin, reader=True)


def finding(text: str, fid: str | None = None) -> Finding:
    return Finding(
        id=fid or f"f-{text}",
        start=0,
        end=len(text),
        category=FindingCategory.PERSON,
        text=text,
        suggestion="a member",
    )


def drafted(author: Standing, findings: list[Finding] | None = None) -> Note:
    return Note.draft(
        note_id=uuid.uuid4(),
        slug="psmn",
        title="Falls huddle",
        body="Anna said the falls review helped.",
        session_id=None,
        occurrence_start=None,
        held_on=NOW.date(),
        themes=["falls"],
        tags=[],
        resource_ids=[],
        author=author,
        findings=findings or [],
        now=NOW,
    )


def test_the_whole_workflow_records_an_event_for_every_move() -> None:
    author, reviewer = person(Role.NOTE_TAKER), person(Role.FACILITATOR)
    note = drafted(author, [finding("Anna")])
    note.submit(author, NOW)
    note.return_to_author(reviewer, "Take the name out, please.", NOW)
    assert note.state is NoteState.RETURNED and note.return_comments
    note.edit(
        author,
        title=None,
        body="A member said the falls review helped.",
        themes=None,
        tags=None,
        resource_ids=None,
        findings=[],
        now=NOW,
    )
    note.submit(author, NOW)
    note.approve(reviewer, findings=[], accepted=set(), now=NOW)
    note.retract(reviewer, "Published in error.", NOW)
    states = [e.state for e in note.pending_events if isinstance(e, NoteStateChangedV1)]
    assert states == [
        NoteState.DRAFT,
        NoteState.SUBMITTED,
        NoteState.RETURNED,
        NoteState.SUBMITTED,
        NoteState.PUBLISHED,
        NoteState.RETRACTED,
    ]
    published = next(e for e in note.pending_events if isinstance(e, NotePublishedV1))
    assert published.findings_fixed == 1 and published.findings_accepted == 0
    assert "body" not in published.model_dump() and "title" not in published.model_dump()
    assert any(isinstance(e, NoteRetractedV1) for e in note.pending_events)


def test_the_author_and_note_takers_cannot_approve_and_editors_are_not_second_readers() -> None:
    author = person(Role.FACILITATOR)
    note = drafted(author)
    note.submit(author, NOW)
    with pytest.raises(Forbidden, match="second reader"):
        note.approve(author, findings=[], accepted=set(), now=NOW)
    with pytest.raises(Forbidden, match="chairs and facilitators"):
        note.approve(person(Role.NOTE_TAKER), findings=[], accepted=set(), now=NOW)
    # A chair who edited it while returned wrote some of it: not a second reader either.
    chair = person(Role.CHAIR)
    note.return_to_author(chair, "Shorter?", NOW)
    note.edit(
        chair,
        title="Falls",
        body=None,
        themes=None,
        tags=None,
        resource_ids=None,
        findings=None,
        now=NOW,
    )
    note.submit(author, NOW)
    with pytest.raises(Forbidden, match="second reader"):
        note.approve(chair, findings=[], accepted=set(), now=NOW)
    note.approve(person(None, admin=True), findings=[], accepted=set(), now=NOW)
    assert note.state is NoteState.PUBLISHED


def test_approval_is_refused_while_a_finding_is_neither_fixed_nor_accepted() -> None:
    author, reviewer = person(Role.NOTE_TAKER), person(Role.CHAIR)
    note = drafted(author)
    note.submit(author, NOW)
    open_ones = [finding("Anna"), finding("Ward 36")]
    with pytest.raises(UnresolvedFindings) as refused:
        note.approve(reviewer, findings=open_ones, accepted={"f-Anna"}, now=NOW)
    assert [e.field for e in refused.value.errors] == ["findings.f-Ward 36"]
    assert note.state is NoteState.SUBMITTED and len(note.pending_events) == 2
    note.approve(reviewer, findings=open_ones, accepted={"f-Anna", "f-Ward 36"}, now=NOW)
    assert note.state is NoteState.PUBLISHED


def test_moves_from_the_wrong_state_are_refused_and_change_nothing() -> None:
    author, reviewer = person(Role.NOTE_TAKER), person(Role.CHAIR)
    note = drafted(author)
    with pytest.raises(WrongState, match="only a submitted note can be approved"):
        note.approve(reviewer, findings=[], accepted=set(), now=NOW)
    with pytest.raises(WrongState):
        note.retract(reviewer, "no", NOW)
    note.submit(author, NOW)
    with pytest.raises(WrongState, match="can be edited"):
        note.edit(
            author,
            title="x",
            body=None,
            themes=None,
            tags=None,
            resource_ids=None,
            findings=None,
            now=NOW,
        )
    assert note.title == "Falls huddle" and note.state is NoteState.SUBMITTED


def test_members_and_observers_do_not_write() -> None:
    with pytest.raises(Forbidden):
        drafted(person(Role.MEMBER))
    with pytest.raises(Forbidden):
        drafted(person(Role.OBSERVER))


def test_erasure_leaves_the_note_by_a_former_member() -> None:
    author, reviewer = person(Role.NOTE_TAKER), person(Role.CHAIR)
    note = drafted(author)
    note.submit(author, NOW)
    assert note.forget_member(author.member_id)
    assert note.author_id is None and all(m.by is None for m in note.history)
    assert not note.forget_member(author.member_id)  # again: nothing left to change
    note.approve(reviewer, findings=[], accepted=set(), now=NOW)


def test_a_series_gives_its_occurrences_in_utc_across_the_clock_change() -> None:
    first = datetime(2027, 3, 19, 10, 0, tzinfo=UTC)  # 10:00 GMT
    starts = occurrence_starts(first, "Europe/London", "FREQ=WEEKLY;COUNT=3")
    assert starts == [first, first + timedelta(days=7), first + timedelta(days=14, hours=-1)]


def test_a_note_names_an_occurrence_that_exists_in_its_own_network() -> None:
    start = datetime(2027, 3, 19, 10, 0, tzinfo=UTC)
    session = SessionFacts(
        uuid.uuid4(), "psmn", ("Dr Rae Okafor",), {start: date(2027, 3, 19)}, series=True
    )
    assert session.occurrence("psmn", start) == (start, date(2027, 3, 19))
    with pytest.raises(Invalid, match="another network"):
        session.occurrence("sibling", start)
    with pytest.raises(Invalid, match="say which occurrence"):
        session.occurrence("psmn", None)
    with pytest.raises(NotFound, match="no occurrence"):
        session.occurrence("psmn", start + timedelta(days=1))
