"""Composition root: insights' adapters, its consumer and its routes."""

from huddle_shared import services
from huddle_shared.config import ServiceSettings
from huddle_shared.runtime import ServiceRuntime
from huddle_shared.service import ServiceBuilder

from huddle_insights import handlers
from huddle_insights.repository import MemberProfiles


def bootstrap(settings: ServiceSettings) -> ServiceRuntime:
    service = ServiceBuilder(services.INSIGHTS, settings)
    service.include(handlers, profiles=MemberProfiles(service.database))
    return service.build()
