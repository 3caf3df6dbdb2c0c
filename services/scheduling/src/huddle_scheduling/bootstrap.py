"""Composition root: scheduling's areas, their adapters, consumers and routes.

Three areas, each owning its collections: sessions (sessions and series; answers
``ports.Occurrences``), registrations (places, waitlists, attendance, feedback; answers
``ports.Places``) and calendar (feeds, tokens, reminders). They meet only here.
"""

from huddle_shared import services
from huddle_shared.config import ServiceSettings
from huddle_shared.contracts.registrations import REGISTRATION_EVENTS
from huddle_shared.contracts.sessions import SESSION_EVENTS
from huddle_shared.projections.network_roster import NetworkRoster
from huddle_shared.runtime import ServiceRuntime
from huddle_shared.service import ServiceBuilder

from huddle_scheduling import handlers
from huddle_scheduling.calendar import handlers as calendar
from huddle_scheduling.calendar.repository import CalendarTokens, SentReminders
from huddle_scheduling.registrations import handlers as registrations
from huddle_scheduling.registrations.repository import Registrations
from huddle_scheduling.repository import Attendees
from huddle_scheduling.sessions import handlers as sessions
from huddle_scheduling.sessions.feeds import SessionSeries
from huddle_scheduling.sessions.repository import (
    SESSIONS,
    Networks,
    SessionRepository,
    StoredOccurrences,
)


def bootstrap(settings: ServiceSettings) -> ServiceRuntime:
    service = ServiceBuilder(services.SCHEDULING, settings)
    attendees = Attendees(service.database)
    roster = NetworkRoster(service.database)
    roster.attach(service, used_for="who may join its sessions")

    # Sessions area.
    service.relay.watch(service.database[SESSIONS])
    session_store = SessionRepository(service.database, service.relay, settings.instance_id)
    networks = Networks(service.database)
    occurrences = StoredOccurrences(session_store)

    # Registrations area.
    places = Registrations(service.database, service.relay, settings.instance_id)

    sessions_area = sessions.SessionsArea(session_store, networks, roster, attendees, places)

    # Calendar area.
    reminder_settings = calendar.ReminderSettings()
    calendar_deps = calendar.CalendarDependencies(
        occurrences=occurrences,
        places=places,
        tokens=CalendarTokens(service.database),
        reminders=SentReminders(service.database, service.relay, settings.instance_id),
        series=SessionSeries(sessions_area),
        base_url=calendar.FeedSettings().public_url,
    )
    sweeper = calendar.ReminderSweeper(
        occurrences,
        places,
        calendar_deps.reminders,
        offsets=reminder_settings.offsets,
        interval=reminder_settings.sweep_seconds,
    )

    service.include(
        handlers, attendees=attendees, registrations=places, calendar_deps=calendar_deps
    )
    service.include(sessions, area=sessions_area, networks=networks)
    service.include(
        registrations,
        registrations=places,
        occurrences=occurrences,
        roster=roster,
        people=attendees,
        networks=networks,  # who may see a session's places: the sessions area's rule
    )
    service.include(calendar, deps=calendar_deps)
    service.in_background("reminders", sweeper.run)

    service.publishes([*SESSION_EVENTS, *REGISTRATION_EVENTS])
    service.on_start(
        session_store.create_indexes,
        places.create_indexes,
        calendar_deps.tokens.create_indexes,
        calendar_deps.reminders.create_indexes,
    )
    return service.build()
