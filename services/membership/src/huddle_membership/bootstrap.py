"""Composition root: builds membership's adapters and binds handlers to NATS subjects."""

from functools import partial

from huddle_shared import services
from huddle_shared.config import ServiceSettings
from huddle_shared.contracts import membership as contract
from huddle_shared.contracts import networks as network_contract
from huddle_shared.messaging.routes import Route
from huddle_shared.runtime import ServiceRuntime
from huddle_shared.service import ServiceBuilder
from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from huddle_membership import account_handlers, directory, event_log, handlers, network_handlers
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
            partial(handlers.register_organisation, deps=deps),
            "Register an organisation; emits organisation.registered.",
        ),
        Route(
            contract.GET_ORGANISATION,
            partial(handlers.get_organisation, deps=deps),
            "Read one organisation.",
        ),
        Route(
            contract.REGISTER_ACCOUNT,
            partial(handlers.register_account, deps=deps),
            "Register a member account; emits member.registered.",
        ),
        Route(
            contract.GET_MEMBER,
            partial(handlers.get_member, deps=deps),
            "Read one member as others see them.",
        ),
    ]


def bootstrap(settings: ServiceSettings) -> ServiceRuntime:
    service = ServiceBuilder(services.MEMBERSHIP, settings)
    database, relay = service.database, service.relay
    for collection in (ORGANISATIONS, MEMBERS, *OUTBOX_COLLECTIONS):
        relay.watch(database[collection])
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
    service.serve(
        [
            *routes(deps),
            *account_handlers.routes(account_deps),
            *directory.routes(directory_deps),
            *network_handlers.routes(network_deps),
        ]
    )
    service.on_start(
        deps.organisations.create_indexes,
        deps.members.create_indexes,
        account_deps.api_tokens.create_indexes,
        directory_deps.directory.create_indexes,
        network_deps.networks.create_indexes,
    )
    admin = AdminSettings()
    if admin.email and admin.password:
        service.on_start(
            partial(
                account_handlers.ensure_instance_admin,
                admin.email,
                admin.password,
                account_deps,
                settings.instance_id,
            )
        )
    service.publishes((*contract.EVENTS, *network_contract.EVENTS))
    event_log.consume_erasures(service)  # erasure reaches the streams too
    return service.build()
