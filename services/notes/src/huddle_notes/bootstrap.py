"""Composition root: notes' adapters, and which events feed which handler."""

from functools import partial

from huddle_shared.config import ServiceSettings
from huddle_shared.contracts import streams
from huddle_shared.contracts.membership import (
    MemberErasedV1,
    MemberProfileUpdatedV1,
    MemberRegisteredV1,
)
from huddle_shared.messaging.broker import create_broker
from huddle_shared.messaging.consumer import EventDispatcher, subscribe_events
from huddle_shared.messaging.routes import export_route, serve
from huddle_shared.runtime import ServiceRuntime
from huddle_shared.storage.mongo import create_client
from huddle_shared.storage.network_roster import NetworkRoster

from huddle_notes import SERVICE, handlers
from huddle_notes.repository import RedactionNames


def bootstrap(settings: ServiceSettings) -> ServiceRuntime:
    broker = create_broker(settings.nats_url, service=SERVICE)
    client = create_client(settings.mongodb_url, app_name=f"huddle-{SERVICE}")
    database = client[settings.database_for(SERVICE)]
    names = RedactionNames(database)

    from_membership = EventDispatcher()
    from_membership.on(MemberRegisteredV1, partial(handlers.on_member_registered, names=names))
    from_membership.on(
        MemberProfileUpdatedV1, partial(handlers.on_member_profile_updated, names=names)
    )
    from_membership.on(MemberErasedV1, partial(handlers.on_member_erased, names=names))
    subscribe_events(
        broker,
        stream=streams.MEMBERSHIP,
        durable="notes-redaction-names",
        dispatcher=from_membership,
        description="Keeps every member's name so notes can be stripped of names before sharing.",
    )
    roster = NetworkRoster(database)
    roster_events = EventDispatcher()
    roster.subscribe(roster_events)
    subscribe_events(
        broker,
        stream=streams.MEMBERSHIP,
        durable="notes-network-roster",
        dispatcher=roster_events,
        description="Who belongs to which network, in what role: who may use its notes.",
    )
    serve(broker, SERVICE, [export_route(SERVICE, partial(handlers.export_me, names=names))])
    return ServiceRuntime(
        name=SERVICE,
        settings=settings,
        broker=broker,
        client=client,
        database=database,
        start_hooks=[roster.create_indexes],
    )
