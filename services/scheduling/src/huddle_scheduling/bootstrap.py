"""Composition root: scheduling's adapters, and which events feed which handler."""

from functools import partial

from huddle_shared import services
from huddle_shared.config import ServiceSettings
from huddle_shared.contracts.membership import (
    MemberErasedV1,
    MemberProfileUpdatedV1,
    MemberRegisteredV1,
)
from huddle_shared.messaging.routes import export_route
from huddle_shared.projections.network_roster import NetworkRoster
from huddle_shared.runtime import ServiceRuntime
from huddle_shared.service import ServiceBuilder

from huddle_scheduling import handlers
from huddle_scheduling.repository import Attendees


def bootstrap(settings: ServiceSettings) -> ServiceRuntime:
    service = ServiceBuilder(services.SCHEDULING, settings)
    attendees = Attendees(service.database)
    roster = NetworkRoster(service.database)

    attendee_events = service.consume(
        services.MEMBERSHIP.stream,
        durable="scheduling-attendees",
        description="Keeps the members who may register for sessions.",
    )
    attendee_events.on(
        MemberRegisteredV1, partial(handlers.on_member_registered, attendees=attendees)
    )
    attendee_events.on(
        MemberProfileUpdatedV1, partial(handlers.on_member_profile_updated, attendees=attendees)
    )
    attendee_events.on(MemberErasedV1, partial(handlers.on_member_erased, attendees=attendees))
    roster.subscribe(
        service.consume(
            services.MEMBERSHIP.stream,
            durable="scheduling-network-roster",
            description="Who belongs to which network, in what role: who may join its sessions.",
        )
    )

    service.serve(
        [export_route(service.spec.name, partial(handlers.export_me, attendees=attendees))]
    )
    service.on_start(roster.create_indexes)
    return service.build()
