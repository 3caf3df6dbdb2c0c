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
from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from huddle_membership import SERVICE, account_handlers, directory, handlers, network_handlers
from huddle_membership.directory_repository import DirectoryRepository
from huddle_membership.network_repository import OUTBOX_COLLECTIONS, NetworkRepository
from huddle_membership.passwords import PasswordHasher
from huddle_membership.repository import (
    MEMBERS,
    ORGANISATIONS,
    ApiTokens,
    MemberRepository,
    OrganisationRepository,
    SignInFailures,
)


class AdminSettings(BaseSettings):
    """The instance administrator created at first start (both must be set)."""

    model_config = SettingsConfigDict(extra="ignore")

    email: str | None = Field(default=None, alias="HUDDLE_ADMIN_EMAIL")
    password: str | None = Field(default=None, alias="HUDDLE_ADMIN_PASSWORD", min_length=12)


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
        JetStreamEventPublisher(broker),
        [database[ORGANISATIONS], database[MEMBERS], *(database[c] for c in OUTBOX_COLLECTIONS)],
    )
    deps = handlers.Dependencies(
        organisations=OrganisationRepository(database, relay, settings.instance_id),
        members=MemberRepository(database, relay, settings.instance_id),
        passwords=PasswordHasher(),
    )
    account_deps = account_handlers.AccountDependencies(
        members=deps.members,
        organisations=deps.organisations,
        passwords=deps.passwords,
        failures=SignInFailures(database),
        api_tokens=ApiTokens(database),
        database=database,
    )
    directory_deps = directory.DirectoryDependencies(directory=DirectoryRepository(database))
    network_deps = network_handlers.NetworkDependencies(
        networks=NetworkRepository(database, relay, settings.instance_id), members=deps.members
    )
    serve(
        broker,
        SERVICE,
        [
            *routes(deps),
            *account_handlers.routes(account_deps),
            *directory.routes(directory_deps),
            *network_handlers.routes(network_deps),
        ],
    )

    admin = AdminSettings()
    start_hooks = [
        deps.organisations.create_indexes,
        deps.members.create_indexes,
        account_deps.api_tokens.create_indexes,
        directory_deps.directory.create_indexes,
        network_deps.networks.create_indexes,
    ]
    if admin.email and admin.password:
        start_hooks.append(
            partial(
                account_handlers.ensure_instance_admin,
                admin.email,
                admin.password,
                account_deps,
                settings.instance_id,
            )
        )

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
        start_hooks=start_hooks,
    )
