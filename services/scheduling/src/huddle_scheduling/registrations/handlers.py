"""Registrations' RPC operations and the erasure of a member's places and feedback.

Who may do what is decided here from scheduling's own projections (the network roster,
the attendees with their consent to be listed and whether they are instance admins) and
the occurrence as the sessions area answers it (``ports.Occurrences``). Who may see a
session's places is who may see the session (``ports.NetworkVisibility``): an approval
network's refuse others (403), an invite-only network's do not exist to them (404).
"""

import asyncio
from typing import Protocol
from uuid import UUID

from huddle_shared.clock import utc_now
from huddle_shared.contracts import registrations as contract
from huddle_shared.contracts.common import Empty
from huddle_shared.contracts.envelope import EventEnvelope
from huddle_shared.contracts.membership import MemberErasedV1
from huddle_shared.contracts.networks import Role
from huddle_shared.contracts.rpc import Caller
from huddle_shared.errors import require_member
from huddle_shared.messaging.routes import RouteTable
from huddle_shared.messaging.subscriptions import Subscription
from huddle_shared.projections.network_roster import NetworkRoster

from huddle_scheduling.ports import (
    NetworkVisibility,
    OccurrenceFacts,
    OccurrenceKey,
    OccurrenceNotFound,
    Occurrences,
)
from huddle_scheduling.registrations import domain
from huddle_scheduling.registrations.repository import Registrations


class People(Protocol):
    """What the attendees projection tells this area about members."""

    async def is_instance_admin(self, member_id: UUID) -> bool: ...

    async def listed_names(self, member_ids: list[UUID]) -> dict[UUID, str]:
        """Display names of those who agreed to be listed."""
        ...


NoSuchOccurrence = domain.NoSuchOccurrence


async def _occurrence(
    occurrences: Occurrences, request: contract.OccurrenceRef | contract.FeedbackSummaryRequest
) -> OccurrenceFacts:
    try:
        return await occurrences.find(request.session_id, request.occurrence_start)
    except OccurrenceNotFound:
        raise NoSuchOccurrence() from None


async def _may_see(
    facts: OccurrenceFacts,
    member_id: UUID,
    roster: NetworkRoster,
    people: People,
    networks: NetworkVisibility,
) -> set[str]:
    """Refuses a caller who may not see the session (as the session itself would answer:
    403 for an approval network's, 404 for an invite-only one's); answers their networks."""
    mine = set(await roster.networks_of(member_id))
    if not domain.is_invited(facts, mine):
        domain.require_may_see(
            await networks.visibility_of(facts.slug),
            instance_admin=await people.is_instance_admin(member_id),
        )
    return mine


async def _require_organiser(
    facts: OccurrenceFacts, member_id: UUID, roster: NetworkRoster, people: People
) -> None:
    role: Role | None = await roster.role_of(facts.slug, member_id)
    admin = await people.is_instance_admin(member_id)
    domain.require_organiser(role, instance_admin=admin)


async def _seen_by(
    request: contract.OccurrenceRef | contract.FeedbackSummaryRequest,
    caller: Caller,
    occurrences: Occurrences,
    roster: NetworkRoster,
    people: People,
    networks: NetworkVisibility,
) -> tuple[UUID, OccurrenceFacts, set[str]]:
    """The signed-in caller, the occurrence asked for, and the caller's networks; refuses
    one who may not see it."""
    member_id = require_member(caller)
    facts = await _occurrence(occurrences, request)
    return member_id, facts, await _may_see(facts, member_id, roster, people, networks)


async def _organised_by(
    request: contract.OccurrenceRef | contract.FeedbackSummaryRequest,
    caller: Caller,
    occurrences: Occurrences,
    roster: NetworkRoster,
    people: People,
    networks: NetworkVisibility,
) -> tuple[UUID, OccurrenceFacts]:
    """As ``_seen_by``, for an organiser only."""
    member_id, facts, _ = await _seen_by(request, caller, occurrences, roster, people, networks)
    await _require_organiser(facts, member_id, roster, people)
    return member_id, facts


rpc = RouteTable()


@rpc.route(
    contract.REGISTER,
    "Register for an occurrence: a place, or the waitlist when full (again: the same answer).",
)
async def register(
    request: contract.Register,
    caller: Caller,
    registrations: Registrations,
    occurrences: Occurrences,
    roster: NetworkRoster,
    people: People,
    networks: NetworkVisibility,
) -> contract.RegistrationResult:
    member_id, facts, mine = await _seen_by(request, caller, occurrences, roster, people, networks)
    domain.require_may_register(facts, mine, utc_now())
    return await registrations.register(facts, member_id)


@rpc.route(
    contract.CANCEL_REGISTRATION,
    "Give up a place or a spot on the waitlist; the first waiting is promoted.",
)
async def cancel_registration(
    request: contract.CancelRegistration,
    caller: Caller,
    registrations: Registrations,
    occurrences: Occurrences,
    roster: NetworkRoster,
    people: People,
    networks: NetworkVisibility,
) -> Empty:
    member_id, facts, _ = await _seen_by(request, caller, occurrences, roster, people, networks)
    if not facts.cancelled and facts.starts_at <= utc_now():
        raise domain.AlreadyStarted()
    await registrations.cancel(facts, member_id)
    return Empty()


@rpc.route(contract.MY_REGISTRATIONS, "The caller's registrations, upcoming first.")
async def my_registrations(
    request: Empty, caller: Caller, registrations: Registrations, occurrences: Occurrences
) -> contract.MyRegistrations:
    member_id = require_member(caller)
    held = await registrations.of_member(member_id)

    async def facts_of(key: OccurrenceKey) -> OccurrenceFacts | None:
        try:
            return await occurrences.find(key.session_id, key.occurrence_start)
        except OccurrenceNotFound:  # the session was deleted
            return None

    found = await asyncio.gather(*(facts_of(key) for key, _ in held))
    known = [(facts, state) for (_, state), facts in zip(held, found, strict=True) if facts]
    now = utc_now()
    upcoming = sorted((p for p in known if p[0].ends_at > now), key=lambda p: p[0].starts_at)
    past = sorted((p for p in known if p[0].ends_at <= now), key=lambda p: p[0].starts_at)
    items = [
        contract.MyRegistration(
            session_id=facts.key.session_id,
            slug=facts.slug,
            title=facts.title,
            occurrence_start=facts.key.occurrence_start,
            starts_at=facts.starts_at,
            status=state.status,
            position=state.position,
        )
        for facts, state in [*upcoming, *reversed(past)]
    ]
    return contract.MyRegistrations(items=items)


@rpc.route(
    contract.LIST_REGISTRATIONS,
    "Organisers: counts, and the names of those registered who agreed to be listed.",
)
async def list_registrations(
    request: contract.ListRegistrations,
    caller: Caller,
    registrations: Registrations,
    occurrences: Occurrences,
    roster: NetworkRoster,
    people: People,
    networks: NetworkVisibility,
) -> contract.RegistrationList:
    _, facts = await _organised_by(request, caller, occurrences, roster, people, networks)
    registered = await registrations.registered_members(facts.key)
    waiting = await registrations.waitlisted_members(facts.key)
    names = await people.listed_names([*registered, *waiting])
    listed = [
        contract.ListedRegistration(
            member_id=m, display_name=names[m], status=contract.RegistrationState.REGISTERED
        )
        for m in registered
        if m in names
    ] + [
        contract.ListedRegistration(
            member_id=m,
            display_name=names[m],
            status=contract.RegistrationState.WAITLISTED,
            position=position,
        )
        for position, m in enumerate(waiting, start=1)
        if m in names
    ]
    return contract.RegistrationList(
        registered=len(registered), waitlisted=len(waiting), capacity=facts.capacity, listed=listed
    )


@rpc.route(
    contract.RECORD_ATTENDANCE,
    "Organisers: who attended, or how many; replaces an earlier record.",
)
async def record_attendance(
    request: contract.RecordAttendance,
    caller: Caller,
    registrations: Registrations,
    occurrences: Occurrences,
    roster: NetworkRoster,
    people: People,
    networks: NetworkVisibility,
) -> contract.AttendanceRecorded:
    member_id, facts = await _organised_by(request, caller, occurrences, roster, people, networks)
    domain.require_attendance_recordable(facts, utc_now())
    if request.attended is not None:
        attended = sorted(set(request.attended))
        eligible = set(await registrations.registered_members(facts.key))
        for person in attended:
            if person not in eligible and await _in_networks(roster, facts, person):
                eligible.add(person)
        domain.require_known_attendees(attended, eligible)
        count = len(attended)
    else:
        attended, count = None, request.count or 0
    counted = await registrations.record_attendance(facts, attended, count, member_id)
    return contract.AttendanceRecorded(attended=count, registered=counted.registered)


async def _in_networks(roster: NetworkRoster, facts: OccurrenceFacts, member_id: UUID) -> bool:
    networks = await roster.networks_of(member_id)
    return any(slug in networks for slug in domain.networks_of_occurrence(facts))


@rpc.route(
    contract.GIVE_FEEDBACK,
    "An attendee's rating (1-5) and optional comment, once, after the occurrence ended.",
)
async def give_feedback(
    request: contract.GiveFeedback,
    caller: Caller,
    registrations: Registrations,
    occurrences: Occurrences,
    roster: NetworkRoster,
    people: People,
    networks: NetworkVisibility,
) -> contract.FeedbackGiven:
    member_id, facts, _ = await _seen_by(request, caller, occurrences, roster, people, networks)
    domain.may_give_feedback(
        facts,
        member_id,
        attendance=await registrations.attendance(facts.key),
        held_place=await registrations.holds_place(facts.key, member_id),
        now=utc_now(),
    )
    await registrations.give_feedback(facts, member_id, request.rating, request.comment)
    return contract.FeedbackGiven(rating=request.rating)


@rpc.route(
    contract.FEEDBACK_SUMMARY,
    "Organisers: the ratings and comments, only from 8 responses, never with a name.",
)
async def feedback_summary(
    request: contract.FeedbackSummaryRequest,
    caller: Caller,
    registrations: Registrations,
    occurrences: Occurrences,
    roster: NetworkRoster,
    people: People,
    networks: NetworkVisibility,
) -> contract.FeedbackSummary:
    _, facts = await _organised_by(request, caller, occurrences, roster, people, networks)
    key = facts.key if request.occurrence_start is not None else None
    ratings, comments = await registrations.feedback(request.session_id, key)
    return domain.summarise(ratings, comments)


erasure = Subscription(
    "scheduling-registrations",
    "Releases an erased member's places (promoting from waitlists) and keeps their "
    "feedback only as anonymous counts.",
)


@erasure.handler
async def on_member_erased(
    envelope: EventEnvelope,
    event: MemberErasedV1,
    registrations: Registrations,
    occurrences: Occurrences,
) -> None:
    now = utc_now()
    for key in await registrations.places_of(event.member_id):
        try:
            facts = await occurrences.find(key.session_id, key.occurrence_start)
        except OccurrenceNotFound:
            continue  # nothing to promote to: ``forget`` removes the claim
        if not facts.cancelled and facts.starts_at > now:  # past: removed, nobody promoted
            await registrations.cancel(facts, event.member_id, announce=False)
    await registrations.forget(event.member_id)
