"""Composition root: scheduling's adapters, its consumers and its routes."""

from huddle_shared import services
from huddle_shared.config import ServiceSettings
from huddle_shared.contracts.sessions import SESSION_EVENTS
from huddle_shared.projections.network_roster import NetworkRoster
from huddle_shared.runtime import ServiceRuntime
from huddle_shared.service import ServiceBuilder

from huddle_scheduling import handlers
from huddle_scheduling.repository import Attendees
from huddle_scheduling.sessions import handlers as sessions
from huddle_scheduling.sessions.repository import (
    SESSIONS,
    Networks,
    SessionRepository,
    StoredOccurrences,
)


def bootstrap(settings: ServiceSettings) -> ServiceRuntime:
    service = ServiceBuilder(services.SCHEDULING, settings)
    attendees = Attendees(service.database)
    service.include(handlers, attendees=attendees)
    roster = NetworkRoster(service.database)
    roster.attach(service, used_for="who may join its sessions")
    # The sessions area; ``occurrences`` is what the other areas are given (ports).
    service.relay.watch(service.database[SESSIONS])
    session_store = SessionRepository(service.database, service.relay, settings.instance_id)
    networks = Networks(service.database)
    occurrences = StoredOccurrences(session_store)
    service.include(
        sessions,
        area=sessions.SessionsArea(session_store, networks, roster, attendees),
        networks=networks,
    )
    service.publishes(SESSION_EVENTS)
    service.on_start(session_store.create_indexes)
    del occurrences  # given to the registrations and calendar areas when they are wired
    return service.build()
