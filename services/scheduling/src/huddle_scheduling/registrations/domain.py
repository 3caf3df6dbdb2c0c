"""Registrations' rules. Pure: who may register, give feedback or organise, which place
numbers are free, and what a feedback summary may show.

Places are numbered ``0 .. capacity-1``; holding place ``n`` of an occurrence is one
document whose unique key is that claim (see the repository and decision 0035), so the
rules here only say which numbers a claimant may try.
"""

from collections import Counter
from collections.abc import Collection, Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from uuid import UUID

from huddle_shared.contracts.networks import ADMIN_ROLES, Role, Visibility
from huddle_shared.contracts.registrations import FEEDBACK_THRESHOLD, FeedbackSummary
from huddle_shared.errors import Conflict, Forbidden, Invalid, NotFound

from huddle_scheduling.ports import OccurrenceFacts, OccurrenceKey

NOT_ENOUGH_RESPONSES = "not enough responses to show without identifying people"


class NoSuchOccurrence(NotFound, detail="No such session, or no such occurrence of it."): ...


class MembersOnly(Forbidden, detail="Only the network's members see its sessions."): ...


class NotInvited(Forbidden, detail="Only members of the session's networks may register."): ...


class NotOrganiser(
    Forbidden, detail="Only the network's chairs and facilitators, or an instance admin, may."
): ...


class OccurrenceCancelled(Conflict, detail="This occurrence is cancelled."): ...


class AlreadyStarted(Conflict, detail="This occurrence has already started."): ...


class NoRegistration(
    Conflict, detail="This session takes no registrations: every member may join it."
): ...


class NotEnded(Conflict, detail="Feedback opens when the occurrence has ended."): ...


class NotStarted(
    Conflict, detail="Attendance can be recorded once the occurrence has started."
): ...


class NotAnAttendee(Forbidden, detail="Only those who attended may give feedback."): ...


class FeedbackAlreadyGiven(Conflict, detail="You have already given feedback for this."): ...


def occurrence_name(key: OccurrenceKey) -> str:
    """The occurrence as one string: the session and its start in UTC (to the second)."""
    start = key.occurrence_start.astimezone(UTC).replace(microsecond=0)
    return f"{key.session_id}/{start.strftime('%Y-%m-%dT%H:%M:%SZ')}"


def networks_of_occurrence(facts: OccurrenceFacts) -> tuple[str, ...]:
    return (facts.slug, *facts.open_to_networks)


def is_invited(facts: OccurrenceFacts, member_networks: Collection[str]) -> bool:
    """A member of the session's network, or of a network it is opened to."""
    return any(slug in member_networks for slug in networks_of_occurrence(facts))


def require_may_see(visibility: Visibility | None, *, instance_admin: bool) -> None:
    """For someone not invited (``is_invited``), the sessions area's rule: an open
    network's sessions are anyone's to see, an approval network's are refused (403), and
    an invite-only network's do not exist to them (404), as the session itself answers."""
    if instance_admin or visibility is Visibility.OPEN:
        return
    if visibility is Visibility.APPROVAL:
        raise MembersOnly()
    raise NoSuchOccurrence()


def require_may_register(
    facts: OccurrenceFacts, member_networks: Collection[str], now: datetime
) -> None:
    """Members of the session's network, or of a network it is opened to; a scheduled
    occurrence that has not started, of a session that takes registrations."""
    if not is_invited(facts, member_networks):
        raise NotInvited()
    require_open_for_registration(facts, now)


def require_open_for_registration(facts: OccurrenceFacts, now: datetime) -> None:
    if not facts.registration:
        raise NoRegistration()
    if facts.cancelled:
        raise OccurrenceCancelled()
    if facts.starts_at <= now:
        raise AlreadyStarted()


def is_organiser(role: Role | None, *, instance_admin: bool) -> bool:
    """Organisers: the network's chairs and facilitators, and instance admins."""
    return instance_admin or role in ADMIN_ROLES


def require_organiser(role: Role | None, *, instance_admin: bool) -> None:
    if not is_organiser(role, instance_admin=instance_admin):
        raise NotOrganiser()


def free_places(held: Collection[int], capacity: int | None) -> Iterator[int]:
    """Place numbers a claimant may try, lowest first. With no capacity every number is a
    place, so there is always one more to try."""
    if capacity is None:
        n = 0
        while True:
            if n not in held:
                yield n
            n += 1
    else:
        if len([n for n in held if n < capacity]) >= capacity:
            return
        yield from (n for n in range(capacity) if n not in held)


def places_left(held_count: int, capacity: int | None) -> bool:
    return capacity is None or held_count < capacity


@dataclass(frozen=True)
class AttendanceRecord:
    """Who attended (``attended``), or only how many (``attended is None``)."""

    attended: frozenset[UUID] | None
    count: int


def may_give_feedback(
    facts: OccurrenceFacts,
    member_id: UUID,
    *,
    attendance: AttendanceRecord | None,
    held_place: bool,
    now: datetime,
) -> None:
    """Once it has ended: those recorded as attended, or (when only a count was recorded,
    or nothing yet) those who held a place."""
    if facts.cancelled:
        raise OccurrenceCancelled()
    if facts.ends_at > now:
        raise NotEnded()
    if attendance is not None and attendance.attended is not None:
        if member_id not in attendance.attended:
            raise NotAnAttendee()
    elif not held_place:
        raise NotAnAttendee()


def require_attendance_recordable(facts: OccurrenceFacts, now: datetime) -> None:
    if facts.cancelled:
        raise OccurrenceCancelled()
    if facts.starts_at > now:
        raise NotStarted()


def require_known_attendees(attended: Iterable[UUID], eligible: Collection[UUID]) -> None:
    unknown = sorted(str(m) for m in set(attended) if m not in eligible)
    if unknown:
        raise Invalid(
            "Attendees must be registered or members of the session's networks: "
            + ", ".join(unknown[:5])
            + (" and others" if len(unknown) > 5 else "")
        )


def summarise(ratings: Iterable[int], comments: Iterable[str]) -> FeedbackSummary:
    """The distribution and the comments only from ``FEEDBACK_THRESHOLD`` responses; the
    comments sorted, so their order tells nothing about who gave them or when."""
    counted = Counter(ratings)
    responses = sum(counted.values())
    if responses < FEEDBACK_THRESHOLD:
        return FeedbackSummary(
            responses=responses, enough_to_show=False, message=NOT_ENOUGH_RESPONSES
        )
    return FeedbackSummary(
        responses=responses,
        enough_to_show=True,
        distribution={rating: counted.get(rating, 0) for rating in range(1, 6)},
        comments=sorted(comment for comment in comments if comment),
    )
