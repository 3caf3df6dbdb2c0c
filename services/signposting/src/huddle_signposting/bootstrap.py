"""Composition root: signposting's adapters, its consumer and its routes."""

from huddle_shared import services
from huddle_shared.config import ServiceSettings
from huddle_shared.runtime import ServiceRuntime
from huddle_shared.service import ServiceBuilder

from huddle_signposting import handlers
from huddle_signposting.repository import OrganisationDirectory


def bootstrap(settings: ServiceSettings) -> ServiceRuntime:
    service = ServiceBuilder(services.SIGNPOSTING, settings)
    directory = OrganisationDirectory(service.database)
    service.include(handlers, directory=directory)
    service.on_start(directory.create_indexes)
    return service.build()
