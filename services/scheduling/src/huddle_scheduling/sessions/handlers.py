"""The sessions area's RPC handlers and the networks projection it keeps.

Who may do what, decided from scheduling's own projections: organisers are the network's
chairs and facilitators (``NetworkRoster``) and instance admins (``Attendees``); members of
the network or of a network the session is opened to see it; others see sessions of open
networks (never the joining link), are refused (403) by approval networks and told nothing
exists (404) by invite-only ones.
"""

import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from uuid import UUID

from huddle_shared.contracts.common import Empty
from huddle_shared.contracts.envelope import EventEnvelope
from huddle_shared.contracts.networks import NetworkCreatedV1, NetworkUpdatedV1, Role, Visibility
from huddle_shared.contracts.rpc import Caller
from huddle_shared.contracts.sessions import (
    CANCEL_OCCURRENCE,
    CHANGE_OCCURRENCE,
    CREATE_SESSION,
    DELETE_SESSION,
    GET_SESSION,
    LIST_SESSIONS,
    LIST_UPCOMING,
    UPDATE_SESSION,
    CancelOccurrence,
    ChangeOccurrence,
    CreateSession,
    GetSession,
    ListSessions,
    ListUpcoming,
    OccurrenceChanges,
    OccurrenceList,
    OccurrenceView,
    SessionFields,
    SessionView,
    SpeakerView,
    UpdateSession,
)
from huddle_shared.errors import Forbidden, NotFound, require_member
from huddle_shared.messaging.routes import RouteTable
from huddle_shared.messaging.subscriptions import Subscription
from huddle_shared.projections.network_roster import NetworkRoster

from huddle_scheduling.ports import OccurrenceKey, PlaceCounts, Places
from huddle_scheduling.repository import Attendees
from huddle_scheduling.sessions.domain import (
    FieldInvalid,
    Occurrence,
    Session,
    SessionNotFound,
)
from huddle_scheduling.sessions.repository import NetworkFacts, Networks, SessionRepository

ORGANISER_ROLES = frozenset({Role.CHAIR, Role.FACILITATOR})
LIST_WINDOW = timedelta(days=366)
# The joining link is shown to a member registered for an occurrence that started up to a
# day ago or is still to come (the first ``LINK_KEYS`` of them).
LINK_LOOKBACK = timedelta(days=1)
LINK_KEYS = 60
GUEST_SPEAKER = "a guest speaker"


@dataclass
class SessionsArea:
    sessions: SessionRepository
    networks: Networks
    roster: NetworkRoster
    attendees: Attendees
    places: Places | None = None  # the registrations area, once wired
    clock: Callable[[], datetime] = field(default=lambda: datetime.now(UTC))


# --- The networks projection ----------------------------------------------------------------

network_events = Subscription(
    "scheduling-networks",
    "Keeps each network's name, visibility, ground rules and whether it never records.",
)


def _network_fields(event: NetworkCreatedV1 | NetworkUpdatedV1) -> dict[str, object]:
    return {
        "name": event.name,
        "visibility": event.visibility.value,
        "ground_rules": list(event.ground_rules),
        "never_recorded": event.never_recorded,
    }


@network_events.handler
async def on_network_created(
    envelope: EventEnvelope, event: NetworkCreatedV1, networks: Networks
) -> None:
    await networks.record(event.slug, _network_fields(event), envelope=envelope)


@network_events.handler
async def on_network_updated(
    envelope: EventEnvelope, event: NetworkUpdatedV1, networks: Networks
) -> None:
    await networks.record(event.slug, _network_fields(event), envelope=envelope)


# --- Who may do what ------------------------------------------------------------------------


@dataclass(frozen=True)
class Standing:
    """The caller towards one network: member, organiser."""

    member_id: UUID | None
    member: bool
    organiser: bool


async def _network(area: SessionsArea, slug: str) -> NetworkFacts:
    network = await area.networks.get(slug)
    if network is None:
        raise NotFound(f"There is no network '{slug}'.")
    return network


async def _standing(area: SessionsArea, caller: Caller, slug: str) -> Standing:
    if caller.member_id is None:
        return Standing(None, member=False, organiser=False)
    admin = await area.attendees.is_instance_admin(caller.member_id)
    role = await area.roster.role_of(slug, caller.member_id)
    return Standing(
        caller.member_id,
        member=role is not None or admin,
        organiser=admin or role in ORGANISER_ROLES,
    )


async def _may_see(
    area: SessionsArea, caller: Caller, network: NetworkFacts, opened_to: list[str]
) -> Standing:
    """The caller's standing; refuses those who may not see the network's sessions."""
    standing = await _standing(area, caller, network.slug)
    if not standing.member and caller.member_id is not None and opened_to:
        mine = await area.roster.networks_of(caller.member_id)
        if any(slug in mine for slug in opened_to):
            standing = Standing(caller.member_id, member=True, organiser=False)
    if standing.member or network.visibility is Visibility.OPEN:
        return standing
    if network.visibility is Visibility.APPROVAL:
        raise Forbidden("Only the network's members see its sessions.")
    raise NotFound(f"There is no network '{network.slug}'.")


ORGANISERS_ONLY = "Only the network's chairs, facilitators and instance admins do this."


async def _organiser(area: SessionsArea, caller: Caller, network: NetworkFacts) -> Standing:
    require_member(caller)
    standing = await _may_see(area, caller, network, [])
    if not standing.organiser:
        raise Forbidden(ORGANISERS_ONLY)
    return standing


async def _shows_link(area: SessionsArea, standing: Standing, session: Session) -> bool:
    """Members who registered, or every member when it has no registration; organisers."""
    if standing.organiser:
        return True
    if not standing.member or standing.member_id is None:
        return False
    if not session.fields.registration:
        return True
    if area.places is None:
        return False
    now = area.clock()
    keys = [o.key for o in session.occurrences(now - LINK_LOOKBACK, now + LIST_WINDOW)]
    if not keys:  # a past session: its only (or last) occurrence
        keys = [session.all_occurrences()[-1].key]
    states = await area.places.states_of(standing.member_id, keys[:LINK_KEYS])
    return bool(states)


# --- Views ---------------------------------------------------------------------------------


def _speakers(fields: SessionFields, organiser: bool) -> list[SpeakerView]:
    """A guest who did not agree to be named is "a guest speaker", except to the organisers
    who named them (and change the session without losing the name)."""
    return [
        SpeakerView(
            member_id=speaker.member_id,
            name=speaker.name
            if speaker.name and (speaker.member_id or speaker.agreed_to_be_named or organiser)
            else (GUEST_SPEAKER if speaker.member_id is None else ""),
            organisation=speaker.organisation,
            topic=speaker.topic,
            agreed_to_be_named=speaker.member_id is not None or speaker.agreed_to_be_named,
        )
        for speaker in fields.speakers
    ]


def _session_view(
    session: Session, network: NetworkFacts, standing: Standing, shows_link: bool
) -> SessionView:
    fields = session.fields
    return SessionView(
        id=session.id,
        slug=session.slug,
        network_name=network.name,
        title=fields.title,
        description=fields.description,
        format=fields.format,
        attendance=fields.attendance,
        venue=fields.venue,
        starts_at=session.starts_at,
        time_zone=fields.time_zone,
        duration_minutes=fields.duration_minutes,
        capacity=fields.capacity,
        registration=fields.registration,
        rrule=fields.rrule,
        joining_link=str(fields.joining_link) if shows_link and fields.joining_link else None,
        agenda=fields.agenda,
        speakers=_speakers(fields, standing.organiser),
        recorded=fields.recorded and not network.never_recorded,
        not_recorded=network.never_recorded,
        ground_rules=list(network.ground_rules),
        open_to_networks=list(fields.open_to_networks),
        may_organise=standing.organiser,
        created_at=session.created_at,
    )


async def _occurrence_views(
    area: SessionsArea, member_id: UUID | None, pairs: list[tuple[Session, Occurrence]]
) -> OccurrenceList:
    keys = [occurrence.key for _, occurrence in pairs]
    counts: dict[OccurrenceKey, PlaceCounts] = {}
    mine = {}
    if area.places is not None and keys:
        counts = await area.places.counts(keys)
        if member_id is not None:
            mine = await area.places.states_of(member_id, keys)
    items = []
    for session, occurrence in pairs:
        fields = occurrence.fields
        count = counts.get(occurrence.key, PlaceCounts())
        items.append(
            OccurrenceView(
                id=session.id,
                slug=session.slug,
                title=fields.title,
                format=fields.format,
                attendance=fields.attendance,
                occurrence_start=occurrence.key.occurrence_start,
                starts_at=occurrence.starts_at,
                ends_at=occurrence.ends_at,
                time_zone=fields.time_zone,
                status=occurrence.status,
                registered=count.registered,
                waitlisted=count.waitlisted,
                capacity=fields.capacity,
                my_registration=mine.get(occurrence.key),
            )
        )
    return OccurrenceList(items=items)


# --- Routes --------------------------------------------------------------------------------

rpc = RouteTable()


@rpc.route(CREATE_SESSION, "Schedule a session or series in a network (organisers).")
async def create_session(request: CreateSession, caller: Caller, area: SessionsArea) -> SessionView:
    require_member(caller)  # first: an anonymous caller learns nothing of which networks exist
    network = await _network(area, request.slug)
    standing = await _organiser(area, caller, network)
    fields = SessionFields.model_validate(request.model_dump(exclude={"slug"}))
    session = Session.schedule(
        session_id=uuid.uuid4(),
        slug=network.slug,
        fields=fields,
        never_recorded=network.never_recorded,
        created_by=standing.member_id,
        now=area.clock(),
    )
    await area.sessions.add(session)
    return _session_view(session, network, standing, shows_link=True)


async def _readable(
    area: SessionsArea, caller: Caller, session_id: UUID
) -> tuple[Session, NetworkFacts, Standing]:
    session = await area.sessions.get(session_id)
    network = await area.networks.get(session.slug)
    if network is None:
        raise SessionNotFound(session_id)
    try:
        standing = await _may_see(area, caller, network, list(session.fields.open_to_networks))
    except NotFound:
        raise SessionNotFound(session_id) from None
    return session, network, standing


@rpc.route(GET_SESSION, "One session or series, as the caller may see it.")
async def get_session(request: GetSession, caller: Caller, area: SessionsArea) -> SessionView:
    session, network, standing = await _readable(area, caller, request.session_id)
    return _session_view(session, network, standing, await _shows_link(area, standing, session))


def _window(request: ListSessions | ListUpcoming, now: datetime) -> tuple[datetime, datetime]:
    """From ``from`` (default: now) to ``to`` (default: a year later); a window that ends
    before it starts is a mistake, not a question with no answer."""
    start = request.from_ or now
    end = request.to or start + LIST_WINDOW
    if end <= start:
        raise FieldInvalid("to", "The window must end (to) after it starts (from, or now).")
    return start, end


@rpc.route(LIST_SESSIONS, "A network's occurrences in a window (default: the next year).")
async def list_sessions(
    request: ListSessions, caller: Caller, area: SessionsArea
) -> OccurrenceList:
    network = await _network(area, request.slug)
    standing = await _may_see(area, caller, network, [])
    start, end = _window(request, area.clock())
    pairs = [
        (session, occurrence)
        for session in await area.sessions.between(start, end, slugs=[network.slug])
        if session.slug == network.slug
        for occurrence in session.occurrences(start, end)
    ]
    pairs.sort(key=lambda pair: (pair[1].starts_at, pair[1].key))
    listed = await _occurrence_views(area, standing.member_id, pairs)
    return listed.model_copy(update={"may_organise": standing.organiser})


@rpc.route(LIST_UPCOMING, "The caller's occurrences across their networks (default: a year).")
async def list_upcoming(
    request: ListUpcoming, caller: Caller, area: SessionsArea
) -> OccurrenceList:
    member_id = require_member(caller)
    slugs = sorted(await area.roster.networks_of(member_id))
    start, end = _window(request, area.clock())
    pairs = [
        (session, occurrence)
        for session in (await area.sessions.between(start, end, slugs=slugs) if slugs else [])
        for occurrence in session.occurrences(start, end)
    ]
    pairs.sort(key=lambda pair: (pair[1].starts_at, pair[1].key))
    return await _occurrence_views(area, member_id, pairs)


async def _capacity_allows(
    area: SessionsArea, occurrences: list[Occurrence]
) -> list[OccurrenceKey]:
    """Refuses a capacity below the places already taken on any occurrence still to come;
    answers the occurrences whose capacity may now promote from their waitlist."""
    now = area.clock()
    coming = [o for o in occurrences if o.starts_at > now and not o.cancelled]
    if area.places is None or not coming:
        return []
    counts = await area.places.counts([o.key for o in coming])
    for occurrence in coming:
        capacity = occurrence.fields.capacity
        taken = counts.get(occurrence.key, PlaceCounts()).registered
        if capacity is not None and taken > capacity:
            raise FieldInvalid(
                "capacity",
                f"{taken} people hold places on {occurrence.starts_at:%-d %B %Y}: "
                f"the capacity cannot be below {taken}",
            )
    return [o.key for o in coming if counts.get(o.key, PlaceCounts()).waitlisted]


async def _promote(area: SessionsArea, session: Session, keys: list[OccurrenceKey]) -> None:
    if area.places is None:
        return
    for key in keys:
        occurrence = session.occurrence(key.occurrence_start)
        await area.places.capacity_changed(key, occurrence.fields.capacity)


async def _organised(
    area: SessionsArea, caller: Caller, session_id: UUID
) -> tuple[Session, NetworkFacts, Standing]:
    require_member(caller)  # a change is signed in for, whatever the session's network
    # As the caller sees the session: a member of a network it is opened to sees it, and
    # is refused (403) as any member who does not organise it.
    session, network, standing = await _readable(area, caller, session_id)
    if not standing.organiser:
        raise Forbidden(ORGANISERS_ONLY)
    return session, network, standing


@rpc.route(UPDATE_SESSION, "Change a whole session or series (organisers).")
async def update_session(request: UpdateSession, caller: Caller, area: SessionsArea) -> SessionView:
    async with area.sessions.lock(request.session_id):
        session, network, standing = await _organised(area, caller, request.session_id)
        if session.update(request, never_recorded=network.never_recorded):
            promote = await _capacity_allows(area, session.all_occurrences())
            await area.sessions.save(session)
            await _promote(area, session, promote)
    return _session_view(session, network, standing, shows_link=True)


@rpc.route(DELETE_SESSION, "Call off a whole session or series (organisers).")
async def delete_session(request: GetSession, caller: Caller, area: SessionsArea) -> Empty:
    async with area.sessions.lock(request.session_id):
        session, _, _ = await _organised(area, caller, request.session_id)
        session.cancel()
        await area.sessions.remove(session)
    return Empty()


@rpc.route(CHANGE_OCCURRENCE, "Change one occurrence, or it and the following (organisers).")
async def change_occurrence(
    request: ChangeOccurrence, caller: Caller, area: SessionsArea
) -> OccurrenceList:
    async with area.sessions.lock(request.session_id):
        session, _, standing = await _organised(area, caller, request.session_id)
        changes = OccurrenceChanges.model_validate(
            request.model_dump(include=set(OccurrenceChanges.model_fields), exclude_none=True)
        )
        changed = session.change_occurrence(request.occurrence_start, changes, request.scope)
        if changed:
            promote = await _capacity_allows(area, changed)
            await area.sessions.save(session)
            await _promote(area, session, promote)
    return await _occurrence_views(area, standing.member_id, [(session, o) for o in changed])


@rpc.route(CANCEL_OCCURRENCE, "Cancel one occurrence, or it and the following (organisers).")
async def cancel_occurrence(
    request: CancelOccurrence, caller: Caller, area: SessionsArea
) -> OccurrenceList:
    async with area.sessions.lock(request.session_id):
        session, _, standing = await _organised(area, caller, request.session_id)
        cancelled = session.cancel_occurrence(request.occurrence_start, request.scope)
        if cancelled:
            await area.sessions.save(session)
    return await _occurrence_views(area, standing.member_id, [(session, o) for o in cancelled])
