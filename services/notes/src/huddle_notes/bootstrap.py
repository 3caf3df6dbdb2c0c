"""Composition root: notes' adapters, its consumers and its routes."""

from huddle_shared import services
from huddle_shared.config import ServiceSettings
from huddle_shared.projections.network_roster import NetworkRoster
from huddle_shared.runtime import ServiceRuntime
from huddle_shared.service import ServiceBuilder

from huddle_notes import handlers
from huddle_notes.repository import RedactionNames


def bootstrap(settings: ServiceSettings) -> ServiceRuntime:
    service = ServiceBuilder(services.NOTES, settings)
    service.include(handlers, names=RedactionNames(service.database))
    NetworkRoster(service.database).attach(service, used_for="who may use its notes")
    return service.build()
