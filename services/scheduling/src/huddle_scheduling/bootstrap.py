"""Composition root: scheduling's adapters, and which events feed which handler."""

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

from huddle_scheduling import SERVICE, handlers
from huddle_scheduling.repository import Attendees


def bootstrap(settings: ServiceSettings) -> ServiceRuntime:
    broker = create_broker(settings.nats_url, service=SERVICE)
    client = create_client(settings.mongodb_url, app_name=f"huddle-{SERVICE}")
    database = client[settings.database_for(SERVICE)]
    attendees = Attendees(database)

    from_membership = EventDispatcher()
    from_membership.on(
        MemberRegisteredV1, partial(handlers.on_member_registered, attendees=attendees)
    )
    from_membership.on(
        MemberProfileUpdatedV1, partial(handlers.on_member_profile_updated, attendees=attendees)
    )
    from_membership.on(MemberErasedV1, partial(handlers.on_member_erased, attendees=attendees))
    subscribe_events(
        broker,
        stream=streams.MEMBERSHIP,
        durable="scheduling-attendees",
        dispatcher=from_membership,
        description="Keeps the members who may register for sessions.",
    )
    roster = NetworkRoster(database)
    roster_events = EventDispatcher()
    roster.subscribe(roster_events)
    subscribe_events(
        broker,
        stream=streams.MEMBERSHIP,
        durable="scheduling-network-roster",
        dispatcher=roster_events,
        description="Who belongs to which network, in what role: who may join its sessions.",
    )
    serve(
        broker, SERVICE, [export_route(SERVICE, partial(handlers.export_me, attendees=attendees))]
    )
    return ServiceRuntime(
        name=SERVICE,
        settings=settings,
        broker=broker,
        client=client,
        database=database,
        start_hooks=[roster.create_indexes],
    )
