"""Composition root: scheduling's adapters, its consumers and its routes."""

from huddle_shared import services
from huddle_shared.config import ServiceSettings
from huddle_shared.projections.network_roster import NetworkRoster
from huddle_shared.runtime import ServiceRuntime
from huddle_shared.service import ServiceBuilder

from huddle_scheduling import handlers
from huddle_scheduling.repository import Attendees


def bootstrap(settings: ServiceSettings) -> ServiceRuntime:
    service = ServiceBuilder(services.SCHEDULING, settings)
    service.include(handlers, attendees=Attendees(service.database))
    NetworkRoster(service.database).attach(service, used_for="who may join its sessions")
    return service.build()
