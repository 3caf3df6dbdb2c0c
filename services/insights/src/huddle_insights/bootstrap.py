"""Composition root: insights' adapters, its consumer and its routes."""

from functools import partial

from huddle_shared import services
from huddle_shared.config import ServiceSettings
from huddle_shared.messaging.routes import export_route
from huddle_shared.runtime import ServiceRuntime
from huddle_shared.service import ServiceBuilder

from huddle_insights import handlers
from huddle_insights.repository import MemberProfiles


def bootstrap(settings: ServiceSettings) -> ServiceRuntime:
    service = ServiceBuilder(services.INSIGHTS, settings)
    profiles = MemberProfiles(service.database)
    service.consume(handlers.member_counts, profiles=profiles)
    service.serve([export_route(service.spec.name, partial(handlers.export_me, profiles=profiles))])
    return service.build()
