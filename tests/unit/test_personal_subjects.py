"""Events that carry a member's personal data travel on that member's own subject, so
erasure can purge them, and their dead letters, by subject filter (decision 0012)."""

from datetime import UTC, datetime
from typing import ClassVar
from uuid import UUID, uuid4

import pytest
from huddle_shared.contracts.envelope import EventEnvelope, EventPayload, member_subjects
from huddle_shared.contracts.membership import MemberErasedV1
from huddle_shared.contracts.registry import all_payload_types
from huddle_shared.contracts.streams import DEAD_LETTERS, dead_letter_subject, dead_letters_of
from huddle_shared.messaging.event_log import member_filters
from huddle_shared.services import service, stream_for_subject

pytestmark = pytest.mark.unit

PERSONAL = [model for model in all_payload_types() if model.carries_personal_data]


def matches(pattern: str, subject: str) -> bool:
    """NATS subject matching: ``*`` is one token, a final ``>`` is one or more."""
    wanted, got = pattern.split("."), subject.split(".")
    for index, token in enumerate(wanted):
        if token == ">":
            return len(got) > index
        if index >= len(got) or (token != "*" and token != got[index]):
            return False
    return len(wanted) == len(got)


def example(model: type[EventPayload], member_id: UUID) -> EventEnvelope:
    """An envelope of ``model`` about ``member_id`` (the subject needs nothing else)."""
    return EventEnvelope(
        event_id=uuid4(),
        producer=model.producer,
        event_type=model.event_type,
        schema_version=model.version,
        occurred_at=datetime.now(UTC),
        instance_id="test",
        payload={"member_id": str(member_id)},
    )


def test_the_events_that_name_a_member_are_the_personal_ones() -> None:
    assert {model.event_type for model in PERSONAL} >= {
        "member.registered",
        "member.profile_updated",
    }
    for model in all_payload_types():
        about_a_member = "member_id" in model.model_fields
        # member.erased stays on a shared subject: a consumer that is behind still gets it.
        expected = about_a_member and model is not MemberErasedV1
        assert model.carries_personal_data is expected, model.__name__


@pytest.mark.parametrize("model", PERSONAL, ids=lambda model: model.event_type)
def test_every_personal_event_is_published_on_its_member_subject(
    model: type[EventPayload],
) -> None:
    member, someone_else = uuid4(), uuid4()
    envelope = example(model, member)
    subject = envelope.subject
    assert str(member) in subject.split(".")
    assert matches(member_subjects(model.producer, member), subject)
    assert not matches(member_subjects(model.producer, someone_else), subject)
    assert matches(model.subject_filter(), subject)
    stream = service(model.producer).stream
    assert stream_for_subject(subject) == stream  # consumers still get it, in order
    assert matches(stream.subjects[0], subject)

    # Its dead letters, from any consumer, are matched by the purge filter too.
    letter = dead_letter_subject("notes-redaction-names", subject)
    assert stream_for_subject(letter) == DEAD_LETTERS
    assert matches(dead_letters_of(member_subjects(model.producer, member)), letter)
    assert not matches(dead_letters_of(member_subjects(model.producer, someone_else)), letter)
    assert any(
        spec == DEAD_LETTERS and matches(pattern, letter)
        for spec, pattern in member_filters(member)
    )


def test_other_events_are_on_shared_subjects_that_no_purge_matches() -> None:
    member = uuid4()
    erased = EventEnvelope.wrap(MemberErasedV1(member_id=member), instance_id="test")
    assert erased.subject == "events.membership.member.erased.v1"
    for model in all_payload_types():
        if model.carries_personal_data:
            continue
        subject = model.subject_pattern()
        assert "{" not in subject and "personal" not in subject.split(".")
        for _, pattern in member_filters(member):
            assert not matches(pattern, subject)
            assert not matches(pattern, dead_letter_subject("any-consumer", subject))


def test_a_personal_payload_must_name_its_member() -> None:
    with pytest.raises(TypeError, match="member_id"):

        class Nameless(EventPayload):
            event_type: ClassVar[str] = "thing.happened"
            version: ClassVar[int] = 1
            producer: ClassVar[str] = "membership"
            carries_personal_data: ClassVar[bool] = True

            display_name: str
