"""The experts area's domain. Pure (no I/O, no clock): who matches a search, how results
are ranked, contact requests and their rate limit.
"""

from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from uuid import UUID

from huddle_shared.contracts.experts import CONTACT_REQUESTS_PER_DAY, ContactRequestStatus
from huddle_shared.contracts.membership import Region
from huddle_shared.errors import Conflict, Forbidden, NotFound, TooManyRequests

from huddle_signposting.members.domain import Person


class ExpertNotFound(NotFound):
    """An unlisted member looks like no expert at all."""

    def __init__(self, member_id: UUID) -> None:
        super().__init__(f"There is no person who knows with id {member_id}.")


class ContactRequestNotFound(NotFound):
    def __init__(self, request_id: UUID) -> None:
        super().__init__(f"There is no contact request with id {request_id}.")


class NotAnActiveMember(Forbidden, detail="Only active members can do this."): ...


class CannotContactYourself(Conflict, detail="You cannot send a contact request to yourself."): ...


class OnlyTheExpertDecides(
    Forbidden, detail="Only the person the request was sent to can accept or decline it."
): ...


def topic_matches(topics: tuple[str, ...], query: str) -> bool:
    """A topic typed matches any of the expert's topics that contains it, ignoring case."""
    wanted = query.strip().casefold()
    return not wanted or any(wanted in topic.casefold() for topic in topics)


def region_matches(person: Person, region: Region | None) -> bool:
    return region is None or person.region == region


def rank(
    experts: list[Person], *, region: Region | None, in_my_networks: set[UUID]
) -> list[Person]:
    """Those in the asker's region first, then those who share a network with them, then
    by name: an order a member can follow, the same every time."""
    return sorted(
        experts,
        key=lambda p: (
            region is not None and p.region != region,
            p.member_id not in in_my_networks,
            p.display_name.casefold(),
            str(p.member_id),
        ),
    )


@dataclass(frozen=True)
class ContactRateLimit:
    """So many contact requests per member per UTC day. Each request claims one slot, a key
    unique per member, day and number: a unique index decides a race, on FerretDB too."""

    per_day: int = CONTACT_REQUESTS_PER_DAY

    @staticmethod
    def day(now: datetime) -> str:
        return now.date().isoformat()

    def slots(self, member_id: UUID, now: datetime) -> list[str]:
        day = self.day(now)
        return [f"{member_id}:{day}:{number}" for number in range(self.per_day)]

    def refused(self, now: datetime) -> TooManyRequests:
        midnight = datetime.combine(now.date() + timedelta(days=1), datetime.min.time(), now.tzinfo)
        return TooManyRequests(
            f"You can send {self.per_day} contact requests a day; try again tomorrow.",
            retry_after_seconds=max(1, int((midnight - now).total_seconds())),
        )


@dataclass(frozen=True)
class ContactRequest:
    id: UUID
    requester_id: UUID
    expert_id: UUID
    message: str
    created_at: datetime
    status: ContactRequestStatus = ContactRequestStatus.PENDING
    decided_at: datetime | None = None
    expert_email: str | None = None  # the expert's own, given when they accept

    @classmethod
    def send(
        cls,
        *,
        request_id: UUID,
        requester: Person | None,
        expert_id: UUID,
        expert: Person | None,
        message: str,
        now: datetime,
    ) -> "ContactRequest":
        if requester is None or not requester.is_active:
            raise NotAnActiveMember()
        if expert_id == requester.member_id:
            raise CannotContactYourself()
        if expert is None or not expert.is_listed_expert:
            raise ExpertNotFound(expert_id)
        return cls(request_id, requester.member_id, expert.member_id, message, now)

    def _decided_by(self, member_id: UUID) -> None:
        if member_id == self.requester_id:
            raise OnlyTheExpertDecides()
        if member_id != self.expert_id:
            raise ContactRequestNotFound(self.id)  # someone else's: as if none

    def accept(self, member_id: UUID, email: str, now: datetime) -> "ContactRequest":
        """Accepting again changes nothing; a declined request stays declined."""
        self._decided_by(member_id)
        if self.status == ContactRequestStatus.ACCEPTED:
            return self
        if self.status == ContactRequestStatus.DECLINED:
            raise Conflict("You declined this request; it cannot be accepted now.")
        return replace(
            self, status=ContactRequestStatus.ACCEPTED, decided_at=now, expert_email=email
        )

    def decline(self, member_id: UUID, now: datetime) -> "ContactRequest":
        self._decided_by(member_id)
        if self.status == ContactRequestStatus.DECLINED:
            return self
        if self.status == ContactRequestStatus.ACCEPTED:
            raise Conflict("You accepted this request; it cannot be declined now.")
        return replace(self, status=ContactRequestStatus.DECLINED, decided_at=now)

    def email_for(self, viewer_id: UUID) -> str | None:
        """The expert's email address: to the requester, once accepted; never otherwise."""
        if viewer_id == self.requester_id and self.status == ContactRequestStatus.ACCEPTED:
            return self.expert_email
        return None
