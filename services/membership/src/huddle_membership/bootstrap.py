"""Composition root: builds each area's adapters, and lists the areas' routes and start hooks.

Areas: ``members`` (organisations and accounts), ``access`` (sign-in and API tokens),
``directory`` (organisation search and statistics), ``networks`` (networks, memberships,
invitations) and ``privacy`` (export and erasure, through each area's part).
"""

from functools import partial

from huddle_shared import services
from huddle_shared.config import ServiceSettings
from huddle_shared.contracts import membership as contract
from huddle_shared.contracts import networks as network_contract
from huddle_shared.runtime import ServiceRuntime
from huddle_shared.service import ServiceBuilder
from huddle_shared.storage.outbox import OutboxDeadLetters
from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from huddle_membership import event_log, privacy, read_models
from huddle_membership.access import handlers as access
from huddle_membership.access.repository import ApiTokens, SignInFailures
from huddle_membership.directory import handlers as directory
from huddle_membership.directory import statistics
from huddle_membership.members import handlers as members
from huddle_membership.members.passwords import PasswordHasher
from huddle_membership.members.repository import (
    MEMBERS,
    ORGANISATIONS,
    MemberRepository,
    OrganisationRepository,
)
from huddle_membership.networks import handlers as networks
from huddle_membership.networks.repository import OUTBOX_COLLECTIONS, NetworkRepository


class AdminSettings(BaseSettings):
    """The instance administrator created at first start (both must be set)."""

    model_config = SettingsConfigDict(extra="ignore")

    email: str | None = Field(default=None, alias="HUDDLE_ADMIN_EMAIL")
    password: str | None = Field(default=None, alias="HUDDLE_ADMIN_PASSWORD", min_length=12)


def bootstrap(
    settings: ServiceSettings, *, models: read_models.MembershipReadModels | None = None
) -> ServiceRuntime:
    """``models``: the read models to keep (tests pass their own to look inside)."""
    service = ServiceBuilder(services.MEMBERSHIP, settings)
    database, relay = service.database, service.relay
    for collection in (ORGANISATIONS, MEMBERS, *OUTBOX_COLLECTIONS):
        relay.watch(database[collection])
    instance_id = settings.instance_id
    # Reads from memory, kept by the repositories' writes and every replica's events.
    models = models or read_models.MembershipReadModels()
    figures = statistics.Statistics(database)
    models.listeners.append(figures.changed)

    organisations = OrganisationRepository(database, relay, instance_id, models)
    member_repository = MemberRepository(database, relay, instance_id, models)
    member_deps = members.Dependencies(
        organisations=organisations, members=member_repository, passwords=PasswordHasher()
    )
    access_deps = access.AccessDependencies(
        members=member_deps.members,
        passwords=member_deps.passwords,
        failures=SignInFailures(database),
        api_tokens=ApiTokens(database),
    )
    network_repository = NetworkRepository(database, relay, instance_id, read_models=models)
    network_deps = networks.NetworkDependencies(
        networks=network_repository, members=member_deps.members
    )
    directory_deps = directory.DirectoryDependencies(
        organisations=organisations, statistics=figures
    )
    privacy_deps = privacy.PrivacyDependencies(
        members=member_deps.members,
        parts=(
            # First: the erasure's own reads then come from the database.
            read_models.ReadModelsPrivacy(models),
            networks.NetworksPrivacy(network_deps),
            access.AccessPrivacy(access_deps.api_tokens, access_deps.failures),
            service.idempotency_keys,  # replies kept for retries that named the member
            OutboxDeadLetters(database),  # events that could never be published
            members.MembersPrivacy(member_deps.members),  # the account
            read_models.ReadModelsPrivacy(models),  # last: nothing of the person in memory
        ),
    )

    service.serve(
        [
            *members.rpc.bind(deps=member_deps),
            *access.rpc.bind(deps=access_deps),
            *directory.rpc.bind(deps=directory_deps),
            *networks.rpc.bind(deps=network_deps),
            *privacy.rpc.bind(deps=privacy_deps),
        ]
    )
    service.on_start(
        organisations.create_indexes,
        member_repository.create_indexes,
        access_deps.api_tokens.create_indexes,
        network_repository.create_indexes,
        partial(networks.finish_interrupted_writes, network_deps),
        # Listening first, so nothing published while loading is missed; the loading runs
        # beside the start (a read meanwhile loads what it needs itself).
        partial(
            read_models.start,
            models,
            service.broker,
            warm=(member_repository.warm, organisations.warm, network_repository.warm),
        ),
    )
    admin = AdminSettings()
    if admin.email and admin.password:
        service.on_start(
            partial(
                members.ensure_instance_admin, admin.email, admin.password, member_deps, instance_id
            )
        )
    service.publishes((*contract.EVENTS, *network_contract.EVENTS))
    event_log.consume_erasures(service)  # erasure reaches the streams too
    service.consume(statistics.statistics, statistics=figures)
    return service.build()
