"""The experts area: finding people who know, and contact requests to them.

It owns ``contact_requests`` and ``contact_request_slots``; it reads members from the
members area (``People``), organisations' names and network rosters through the ports
below. The requests area finds people who know for a need through ``ExpertsArea.find``.
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol
from uuid import UUID

from huddle_shared.clock import utc_now
from huddle_shared.contracts import experts as contract
from huddle_shared.contracts.common import Empty, GetById
from huddle_shared.contracts.experts import (
    AcceptContactRequest,
    ContactRequestView,
    DecideContactRequest,
    ExpertList,
    ExpertView,
    FindExperts,
    MyContactRequests,
    SendContactRequest,
)
from huddle_shared.contracts.membership import Region
from huddle_shared.contracts.rpc import Caller
from huddle_shared.errors import Conflict, require_member
from huddle_shared.ids import new_id
from huddle_shared.messaging.routes import RouteTable

from huddle_signposting.experts.domain import (
    ContactRateLimit,
    ContactRequest,
    ContactRequestNotFound,
    ExpertNotFound,
    NotAnActiveMember,
    rank,
    region_matches,
    topic_matches,
)
from huddle_signposting.experts.repository import ContactRequests, ContactSlots
from huddle_signposting.members.domain import Person
from huddle_signposting.members.repository import People


class AnsweredMeanwhile(
    Conflict, detail="This request was answered or withdrawn at the same moment; look again."
):
    """Another replica saved an answer first, or an erasure removed the request."""


class OrganisationNames(Protocol):
    async def names(self, organisation_ids: list[UUID]) -> dict[UUID, str]: ...


class Rosters(Protocol):
    async def fellow_members(self, member_id: UUID) -> set[UUID]: ...


@dataclass
class ExpertsArea:
    people: People
    contacts: ContactRequests
    slots: ContactSlots
    organisations: OrganisationNames
    rosters: Rosters
    limit: ContactRateLimit = field(default_factory=ContactRateLimit)
    clock: Callable[[], datetime] = utc_now
    new_id: Callable[[], UUID] = new_id

    async def active_member(self, caller: Caller) -> Person:
        person = await self.people.get(require_member(caller))
        if person is None or not person.is_active:
            raise NotAnActiveMember()
        return person

    async def find(
        self,
        asker: Person,
        matches: Callable[[Person], bool],
        *,
        region: Region | None,
        limit: int = contract.MAX_EXPERTS,
    ) -> list[ExpertView]:
        """People who know (never the asker) that ``matches`` accepts, ranked."""
        found = [
            person
            for person in await self.people.listed_experts()
            if person.member_id != asker.member_id and matches(person)
        ]
        ranked = rank(
            found, region=region, in_my_networks=await self.rosters.fellow_members(asker.member_id)
        )[:limit]
        return await self.views(ranked)

    async def views(self, people: list[Person]) -> list[ExpertView]:
        ids = [p.organisation_id for p in people if p.organisation_id]
        names = await self.organisations.names(ids)
        return [
            ExpertView(
                member_id=person.member_id,
                display_name=person.display_name,
                member_type=person.member_type,
                organisation=names.get(person.organisation_id, "")
                if person.organisation_id
                else "",
                region=person.region,
                topics=list(person.topics),
            )
            for person in people
        ]

    async def view_of(self, request: ContactRequest, viewer_id: UUID) -> ContactRequestView:
        people = await self.people.many([request.requester_id, request.expert_id])
        return _view(request, viewer_id, people)

    async def export(self, member_id: UUID) -> dict[str, Any]:
        mine = await self.view_mine(member_id)
        return mine.model_dump(mode="json")

    async def view_mine(self, member_id: UUID) -> MyContactRequests:
        requests = await self.contacts.involving(member_id)
        people = await self.people.many(
            [i for r in requests for i in (r.requester_id, r.expert_id)]
        )
        views = [_view(r, member_id, people) for r in requests]
        return MyContactRequests(
            sent=[v for v in views if v.requester_id == member_id],
            received=[v for v in views if v.expert_id == member_id],
        )

    async def forget(self, member_id: UUID) -> None:
        await self.contacts.forget(member_id)
        await self.slots.forget(member_id)


def _view(
    request: ContactRequest, viewer_id: UUID, people: dict[UUID, Person]
) -> ContactRequestView:
    def name(member_id: UUID) -> str:
        person = people.get(member_id)
        return person.display_name if person else ""

    return ContactRequestView(
        id=request.id,
        requester_id=request.requester_id,
        requester_name=name(request.requester_id),
        expert_id=request.expert_id,
        expert_name=name(request.expert_id),
        message=request.message,
        status=request.status,
        created_at=request.created_at,
        decided_at=request.decided_at,
        expert_email=request.email_for(viewer_id),
    )


rpc = RouteTable()


@rpc.route(contract.FIND_EXPERTS, "Members: people who know, by topic and region.")
async def find_experts(request: FindExperts, caller: Caller, experts: ExpertsArea) -> ExpertList:
    asker = await experts.active_member(caller)

    def matches(person: Person) -> bool:
        return topic_matches(person.topics, request.topic) and region_matches(
            person, request.region
        )

    found = await experts.find(asker, matches, region=request.region, limit=request.limit)
    return ExpertList(items=found)


@rpc.route(contract.GET_EXPERT, "Members: one person who knows (404 if not listed).")
async def get_expert(request: GetById, caller: Caller, experts: ExpertsArea) -> ExpertView:
    await experts.active_member(caller)
    person = await experts.people.get(request.id)
    if person is None or not person.is_listed_expert:
        raise ExpertNotFound(request.id)
    (view,) = await experts.views([person])
    return view


@rpc.route(
    contract.SEND_CONTACT_REQUEST,
    "Members: send a person who knows a short message (a few a day).",
)
async def send_contact_request(
    request: SendContactRequest, caller: Caller, experts: ExpertsArea
) -> ContactRequestView:
    requester = await experts.people.get(require_member(caller))
    now = experts.clock()
    contact = ContactRequest.send(
        request_id=experts.new_id(),
        requester=requester,
        expert_id=request.expert_id,
        expert=await experts.people.get(request.expert_id),
        message=request.message,
        now=now,
    )
    day = experts.limit.day(now)
    slots = experts.limit.slots(contact.requester_id, now)
    slot = await experts.slots.claim(contact.requester_id, day, slots, contact.id, now)
    if slot is None:
        raise experts.limit.refused(now)
    try:
        await experts.contacts.add(contact)
    except BaseException:
        await experts.slots.release(slot)  # not sent: the slot is not used up
        raise
    return await experts.view_of(contact, contact.requester_id)


@rpc.route(contract.MY_CONTACT_REQUESTS, "Members: the contact requests I sent and received.")
async def my_contact_requests(
    request: Empty, caller: Caller, experts: ExpertsArea
) -> MyContactRequests:
    return await experts.view_mine(require_member(caller))


async def _decide(
    request_id: UUID,
    caller: Caller,
    experts: ExpertsArea,
    decide: Callable[[ContactRequest, UUID], ContactRequest],
) -> ContactRequestView:
    member_id = require_member(caller)
    async with experts.contacts.lock(request_id):
        contact = await experts.contacts.get(request_id)
        if contact is None:
            raise ContactRequestNotFound(request_id)
        decided = decide(contact, member_id)
        if decided != contact and not await experts.contacts.decide(decided):
            raise AnsweredMeanwhile()
    return await experts.view_of(decided, member_id)


@rpc.route(
    contract.ACCEPT_CONTACT_REQUEST,
    "The person asked accepts: the requester then sees their email address.",
)
async def accept_contact_request(
    request: AcceptContactRequest, caller: Caller, experts: ExpertsArea
) -> ContactRequestView:
    now = experts.clock()
    email = str(request.expert_email)
    return await _decide(
        request.id, caller, experts, lambda contact, me: contact.accept(me, email, now)
    )


@rpc.route(contract.DECLINE_CONTACT_REQUEST, "The person asked declines: no email is shared.")
async def decline_contact_request(
    request: DecideContactRequest, caller: Caller, experts: ExpertsArea
) -> ContactRequestView:
    now = experts.clock()
    return await _decide(request.id, caller, experts, lambda contact, me: contact.decline(me, now))
