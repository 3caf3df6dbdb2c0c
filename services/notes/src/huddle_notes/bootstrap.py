"""Composition root: notes' adapters, and which events feed which handler."""

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

from huddle_notes import handlers
from huddle_notes.repository import RedactionNames


def bootstrap(settings: ServiceSettings) -> ServiceRuntime:
    service = ServiceBuilder(services.NOTES, settings)
    names = RedactionNames(service.database)
    roster = NetworkRoster(service.database)

    redaction_names = service.consume(
        services.MEMBERSHIP.stream,
        durable="notes-redaction-names",
        description="Keeps every member's name so notes can be stripped of names before sharing.",
    )
    redaction_names.on(MemberRegisteredV1, partial(handlers.on_member_registered, names=names))
    redaction_names.on(
        MemberProfileUpdatedV1, partial(handlers.on_member_profile_updated, names=names)
    )
    redaction_names.on(MemberErasedV1, partial(handlers.on_member_erased, names=names))
    roster.subscribe(
        service.consume(
            services.MEMBERSHIP.stream,
            durable="notes-network-roster",
            description="Who belongs to which network, in what role: who may use its notes.",
        )
    )

    service.serve([export_route(service.spec.name, partial(handlers.export_me, names=names))])
    service.on_start(roster.create_indexes)
    return service.build()
