"""Composition root: signposting's adapters, its consumer and its routes."""

from functools import partial

from huddle_shared import services
from huddle_shared.config import ServiceSettings
from huddle_shared.messaging.routes import export_route
from huddle_shared.runtime import ServiceRuntime
from huddle_shared.service import ServiceBuilder

from huddle_signposting import handlers
from huddle_signposting.repository import OrganisationDirectory


def bootstrap(settings: ServiceSettings) -> ServiceRuntime:
    service = ServiceBuilder(services.SIGNPOSTING, settings)
    directory = OrganisationDirectory(service.database)
    service.consume(handlers.directory_events, directory=directory)
    service.serve(
        [export_route(service.spec.name, partial(handlers.export_me, directory=directory))]
    )
    service.on_start(directory.create_indexes)
    return service.build()
