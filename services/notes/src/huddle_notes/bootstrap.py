"""Composition root: notes' adapters, its consumers and its routes."""

from functools import partial

from huddle_shared import services
from huddle_shared.config import ServiceSettings
from huddle_shared.messaging.routes import export_route
from huddle_shared.projections.network_roster import NetworkRoster
from huddle_shared.runtime import ServiceRuntime
from huddle_shared.service import ServiceBuilder

from huddle_notes import handlers
from huddle_notes.repository import RedactionNames


def bootstrap(settings: ServiceSettings) -> ServiceRuntime:
    service = ServiceBuilder(services.NOTES, settings)
    names = RedactionNames(service.database)
    service.consume(handlers.redaction_names, names=names)
    NetworkRoster(service.database).attach(
        service, purpose="Who belongs to which network, in what role: who may use its notes."
    )
    service.serve([export_route(service.spec.name, partial(handlers.export_me, names=names))])
    return service.build()
