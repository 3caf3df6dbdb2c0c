"""Composition root: signposting's adapters, and which events feed which handler."""

from functools import partial

from huddle_shared import services
from huddle_shared.config import ServiceSettings
from huddle_shared.contracts.membership import (
    MemberErasedV1,
    MemberRegisteredV1,
    OrganisationRegisteredV1,
)
from huddle_shared.messaging.routes import export_route
from huddle_shared.runtime import ServiceRuntime
from huddle_shared.service import ServiceBuilder

from huddle_signposting import handlers
from huddle_signposting.repository import OrganisationDirectory


def bootstrap(settings: ServiceSettings) -> ServiceRuntime:
    service = ServiceBuilder(services.SIGNPOSTING, settings)
    directory = OrganisationDirectory(service.database)

    directory_events = service.consume(
        services.MEMBERSHIP.stream,
        durable="signposting-organisation-directory",
        description="Keeps the directory of organisations that signposts name, with member counts.",
    )
    directory_events.on(
        OrganisationRegisteredV1, partial(handlers.on_organisation_registered, directory=directory)
    )
    directory_events.on(
        MemberRegisteredV1, partial(handlers.on_member_registered, directory=directory)
    )
    directory_events.on(MemberErasedV1, partial(handlers.on_member_erased, directory=directory))

    service.serve(
        [export_route(service.spec.name, partial(handlers.export_me, directory=directory))]
    )
    service.on_start(directory.create_indexes)
    return service.build()
