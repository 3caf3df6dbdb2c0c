"""Registrations' rules, pure: who may register, organise or give feedback; which place
numbers a claimant tries; what a feedback summary may show."""

import itertools
import uuid
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from huddle_scheduling.ports import OccurrenceFacts, OccurrenceKey
from huddle_scheduling.registrations import domain
from huddle_shared.contracts.networks import Role
from huddle_shared.contracts.sessions import SessionFormat
from huddle_shared.errors import Conflict, Forbidden, Invalid

NOW = datetime(2027, 3, 5, 12, 0, tzinfo=UTC)


def facts(**changes: object) -> OccurrenceFacts:
    start = NOW + timedelta(days=1)
    base = OccurrenceFacts(
        key=OccurrenceKey(uuid.uuid4(), start),
        slug="psmn",
        open_to_networks=("psp-north",),
        title="Friday huddle",
        format=SessionFormat.DISCUSSION,
        starts_at=start,
        ends_at=start + timedelta(hours=1),
        time_zone="Europe/London",
        capacity=10,
        registration=True,
        cancelled=False,
        joining_link=None,
    )
    return replace(base, **changes)  # type: ignore[arg-type]


def test_members_of_the_network_or_of_a_network_it_is_opened_to_may_register() -> None:
    occurrence = facts()
    domain.require_may_register(occurrence, {"psmn"}, NOW)
    domain.require_may_register(occurrence, {"psp-north": Role.MEMBER}, NOW)
    with pytest.raises(domain.NotInvited):
        domain.require_may_register(occurrence, {"another"}, NOW)
    with pytest.raises(domain.NotInvited):
        domain.require_may_register(occurrence, set(), NOW)


@pytest.mark.parametrize(
    ("changes", "error"),
    [
        ({"cancelled": True}, domain.OccurrenceCancelled),
        ({"starts_at": NOW}, domain.AlreadyStarted),
        ({"starts_at": NOW - timedelta(days=3)}, domain.AlreadyStarted),
        ({"registration": False}, domain.NoRegistration),
    ],
)
def test_never_for_a_cancelled_or_past_occurrence_or_one_without_registration(
    changes: dict[str, object], error: type[Exception]
) -> None:
    with pytest.raises(error):
        domain.require_may_register(facts(**changes), {"psmn"}, NOW)
    assert issubclass(error, Conflict)


@pytest.mark.parametrize(
    ("role", "admin", "organiser"),
    [
        (Role.CHAIR, False, True),
        (Role.FACILITATOR, False, True),
        (Role.NOTE_TAKER, False, False),
        (Role.MEMBER, False, False),
        (Role.OBSERVER, False, False),
        (None, False, False),
        (None, True, True),
    ],
)
def test_organisers_are_chairs_facilitators_and_instance_admins(
    role: Role | None, admin: bool, organiser: bool
) -> None:
    assert domain.is_organiser(role, instance_admin=admin) is organiser
    if not organiser:
        with pytest.raises(domain.NotOrganiser):
            domain.require_organiser(role, instance_admin=admin)


def test_free_places_are_the_unheld_numbers_below_capacity_lowest_first() -> None:
    assert list(domain.free_places(set(), 3)) == [0, 1, 2]
    assert list(domain.free_places({0, 2}, 4)) == [1, 3]
    assert list(domain.free_places({0, 1, 2}, 3)) == []
    # Held numbers above a reduced capacity do not make room below it.
    assert list(domain.free_places({0, 1, 5}, 2)) == []


def test_without_capacity_there_is_always_another_number_to_try() -> None:
    tried = list(itertools.islice(domain.free_places({0, 1, 3}, None), 4))
    assert tried == [2, 4, 5, 6]
    assert domain.places_left(10**6, None)
    assert not domain.places_left(3, 3)


def test_occurrence_names_are_the_session_and_its_start_in_utc() -> None:
    session = uuid.uuid4()
    london_summer = datetime.fromisoformat("2027-06-04T14:00:00+01:00")
    name = domain.occurrence_name(OccurrenceKey(session, london_summer))
    assert name == f"{session}/2027-06-04T13:00:00Z"
    assert name == domain.occurrence_name(OccurrenceKey(session, london_summer.astimezone(UTC)))


def test_feedback_only_after_the_end_from_those_who_attended() -> None:
    member = uuid.uuid4()
    ended = facts(starts_at=NOW - timedelta(hours=2), ends_at=NOW - timedelta(hours=1))
    named = domain.AttendanceRecord(frozenset({member}), 1)
    domain.may_give_feedback(ended, member, attendance=named, held_place=False, now=NOW)
    with pytest.raises(domain.NotAnAttendee):
        domain.may_give_feedback(ended, uuid.uuid4(), attendance=named, held_place=True, now=NOW)
    # Only a count recorded (or nothing yet): those who held a place.
    counted = domain.AttendanceRecord(None, 40)
    for record in (counted, None):
        domain.may_give_feedback(ended, member, attendance=record, held_place=True, now=NOW)
        with pytest.raises(domain.NotAnAttendee):
            domain.may_give_feedback(ended, member, attendance=record, held_place=False, now=NOW)
    running = facts(starts_at=NOW - timedelta(minutes=30), ends_at=NOW + timedelta(minutes=30))
    with pytest.raises(domain.NotEnded):
        domain.may_give_feedback(running, member, attendance=named, held_place=True, now=NOW)
    assert issubclass(domain.NotAnAttendee, Forbidden)


def test_attendance_is_recorded_once_it_started() -> None:
    domain.require_attendance_recordable(facts(starts_at=NOW), NOW)
    with pytest.raises(domain.NotStarted):
        domain.require_attendance_recordable(facts(), NOW)
    with pytest.raises(domain.OccurrenceCancelled):
        domain.require_attendance_recordable(facts(starts_at=NOW, cancelled=True), NOW)


def test_attendees_must_be_known() -> None:
    known = uuid.uuid4()
    domain.require_known_attendees([known], {known})
    with pytest.raises(Invalid):
        domain.require_known_attendees([known, uuid.uuid4()], {known})


def test_below_eight_responses_nothing_is_shown_but_how_many() -> None:
    summary = domain.summarise([5] * 7, ["Great"] * 7)
    assert summary.responses == 7
    assert not summary.enough_to_show
    assert summary.message == "not enough responses to show without identifying people"
    assert summary.distribution is None
    assert summary.comments is None


def test_from_eight_responses_the_distribution_and_the_comments_in_no_telling_order() -> None:
    ratings = [5, 4, 4, 3, 5, 1, 2, 5]
    comments = ["b second", "", "a first", "", "", "c third", "", ""]
    summary = domain.summarise(ratings, comments)
    assert summary.enough_to_show
    assert summary.message is None
    assert summary.distribution == {1: 1, 2: 1, 3: 1, 4: 2, 5: 3}
    assert summary.comments == ["a first", "b second", "c third"]
