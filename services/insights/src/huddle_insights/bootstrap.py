"""Composition root: insights' adapters, and which events feed which handler."""

from functools import partial

from huddle_shared import services
from huddle_shared.config import ServiceSettings
from huddle_shared.contracts.membership import MemberErasedV1, MemberRegisteredV1
from huddle_shared.messaging.routes import export_route
from huddle_shared.runtime import ServiceRuntime
from huddle_shared.service import ServiceBuilder

from huddle_insights import handlers
from huddle_insights.repository import MemberProfiles


def bootstrap(settings: ServiceSettings) -> ServiceRuntime:
    service = ServiceBuilder(services.INSIGHTS, settings)
    profiles = MemberProfiles(service.database)

    member_counts = service.consume(
        services.MEMBERSHIP.stream,
        durable="insights-member-counts",
        description="Counts members by organisation kind, region and type (no names kept).",
    )
    member_counts.on(MemberRegisteredV1, partial(handlers.on_member_registered, profiles=profiles))
    member_counts.on(MemberErasedV1, partial(handlers.on_member_erased, profiles=profiles))

    service.serve([export_route(service.spec.name, partial(handlers.export_me, profiles=profiles))])
    return service.build()
