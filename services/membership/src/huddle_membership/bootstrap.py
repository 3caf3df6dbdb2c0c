"""Composition root: builds membership's adapters and binds handlers to NATS subjects."""

from functools import partial

from huddle_shared.config import ServiceSettings
from huddle_shared.contracts import membership as contract
from huddle_shared.contracts import networks as network_contract
from huddle_shared.messaging.broker import create_broker
from huddle_shared.messaging.publisher import JetStreamEventPublisher
from huddle_shared.messaging.routes import Route, serve
from huddle_shared.runtime import ServiceRuntime
from huddle_shared.storage.mongo import create_client
from huddle_shared.storage.outbox import OutboxRelay

from huddle_membership import SERVICE, handlers
from huddle_membership.passwords import PasswordHasher
from huddle_membership.repository import (
    MEMBERS,
    ORGANISATIONS,
    MemberRepository,
    OrganisationRepository,
)


def routes(deps: handlers.Dependencies) -> list[Route]:
    return [
        Route(
            contract.REGISTER_ORGANISATION,
            contract.RegisterOrganisation,
            partial(handlers.register_organisation, deps=deps),
            "Register an organisation; emits organisation.registered.",
        ),
        Route(
            contract.GET_ORGANISATION,
            contract.GetById,
            partial(handlers.get_organisation, deps=deps),
            "Read one organisation.",
        ),
        Route(
            contract.REGISTER_ACCOUNT,
            contract.RegisterAccount,
            partial(handlers.register_account, deps=deps),
            "Register a member account; emits member.registered.",
        ),
        Route(
            contract.GET_MEMBER,
            contract.GetById,
            partial(handlers.get_member, deps=deps),
            "Read one member as others see them.",
        ),
    ]


def bootstrap(settings: ServiceSettings) -> ServiceRuntime:
    broker = create_broker(settings.nats_url, service=SERVICE)
    client = create_client(settings.mongodb_url, app_name=f"huddle-{SERVICE}")
    database = client[settings.database_for(SERVICE)]
    relay = OutboxRelay(
        JetStreamEventPublisher(broker), [database[ORGANISATIONS], database[MEMBERS]]
    )
    deps = handlers.Dependencies(
        organisations=OrganisationRepository(database, relay, settings.instance_id),
        members=MemberRepository(database, relay, settings.instance_id),
        passwords=PasswordHasher(),
    )
    serve(broker, SERVICE, routes(deps))

    for payload_type in (*contract.EVENTS, *network_contract.EVENTS):
        broker.publisher(
            payload_type.subject(),
            title=payload_type.subject(),
            description=f"{payload_type.event_type} v{payload_type.version}, in an EventEnvelope.",
            schema=payload_type,
        )

    return ServiceRuntime(
        name=SERVICE,
        settings=settings,
        broker=broker,
        client=client,
        database=database,
        relay=relay,
        start_hooks=[deps.organisations.create_indexes, deps.members.create_indexes],
    )
