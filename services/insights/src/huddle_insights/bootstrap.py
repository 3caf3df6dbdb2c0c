"""Composition root: insights' adapters, and which events feed which handler."""

from functools import partial

from huddle_shared.config import ServiceSettings
from huddle_shared.contracts import streams
from huddle_shared.contracts.membership import MemberErasedV1, MemberRegisteredV1
from huddle_shared.messaging.broker import create_broker
from huddle_shared.messaging.consumer import EventDispatcher, subscribe_events
from huddle_shared.messaging.routes import export_route, serve
from huddle_shared.runtime import ServiceRuntime
from huddle_shared.storage.mongo import create_client

from huddle_insights import SERVICE, handlers
from huddle_insights.repository import MemberProfiles


def bootstrap(settings: ServiceSettings) -> ServiceRuntime:
    broker = create_broker(settings.nats_url, service=SERVICE)
    client = create_client(settings.mongodb_url, app_name=f"huddle-{SERVICE}")
    database = client[settings.database_for(SERVICE)]
    profiles = MemberProfiles(database)

    from_membership = EventDispatcher()
    from_membership.on(
        MemberRegisteredV1, partial(handlers.on_member_registered, profiles=profiles)
    )
    from_membership.on(MemberErasedV1, partial(handlers.on_member_erased, profiles=profiles))
    subscribe_events(
        broker,
        stream=streams.MEMBERSHIP,
        durable="insights-member-counts",
        dispatcher=from_membership,
        description="Counts members by organisation kind, region and type (no names kept).",
    )
    serve(broker, SERVICE, [export_route(SERVICE, partial(handlers.export_me, profiles=profiles))])
    return ServiceRuntime(
        name=SERVICE, settings=settings, broker=broker, client=client, database=database
    )
