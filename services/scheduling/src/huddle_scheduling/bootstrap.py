"""Composition root: scheduling's adapters, its consumers and its routes."""

from functools import partial

from huddle_shared import services
from huddle_shared.config import ServiceSettings
from huddle_shared.messaging.routes import export_route
from huddle_shared.projections.network_roster import NetworkRoster
from huddle_shared.runtime import ServiceRuntime
from huddle_shared.service import ServiceBuilder

from huddle_scheduling import handlers
from huddle_scheduling.repository import Attendees


def bootstrap(settings: ServiceSettings) -> ServiceRuntime:
    service = ServiceBuilder(services.SCHEDULING, settings)
    attendees = Attendees(service.database)
    service.consume(handlers.attendee_events, attendees=attendees)
    NetworkRoster(service.database).attach(
        service, purpose="Who belongs to which network, in what role: who may join its sessions."
    )
    service.serve(
        [export_route(service.spec.name, partial(handlers.export_me, attendees=attendees))]
    )
    return service.build()
