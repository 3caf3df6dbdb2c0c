"""The directory area: the organisation directory and the public statistics, open to anyone.

It owns no collection: it reads through the members and networks areas' interfaces (the
ports below). Plain async functions ``(request, caller, deps)``; ``routes`` binds them.
"""

import asyncio
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Protocol

from huddle_shared.contracts import membership as contract
from huddle_shared.contracts.common import Empty
from huddle_shared.contracts.rpc import Caller
from huddle_shared.messaging.routes import RouteTable

from huddle_membership.members.domain import Organisation, OrganisationFacts
from huddle_membership.members.handlers import organisation_view

UNSPECIFIED_REGION = "unspecified"  # national bodies and others without a region


class Organisations(Protocol):
    async def search(
        self, criteria: contract.SearchOrganisations
    ) -> tuple[list[Organisation], int]: ...

    async def facts(self, organisation_ids: list[str]) -> dict[str, OrganisationFacts]: ...

    async def count(self) -> int: ...


class ActiveMembers(Protocol):
    async def active_by_organisation(self) -> dict[str, int]: ...


class NetworkCount(Protocol):
    async def count_networks(self) -> int: ...


@dataclass
class DirectoryDependencies:
    organisations: Organisations
    members: ActiveMembers
    networks: NetworkCount


rpc = RouteTable()


@rpc.route(
    contract.SEARCH_ORGANISATIONS,
    "Organisations by name prefix (ignoring case), kind and region; a page by name.",
)
async def search_organisations(
    request: contract.SearchOrganisations, caller: Caller, deps: DirectoryDependencies
) -> contract.OrganisationPage:
    organisations, total = await deps.organisations.search(request)
    return contract.OrganisationPage(
        items=[organisation_view(organisation) for organisation in organisations], total=total
    )


def members_by(
    active_members_by_organisation: Mapping[str, int],
    organisations: Mapping[str, OrganisationFacts],
) -> tuple[dict[str, int], dict[str, int]]:
    """Active members per organisation kind and per region. Every kind and region is
    present (zero when nobody is there), so the figures keep one shape."""
    by_kind = Counter(dict.fromkeys((kind.value for kind in contract.OrganisationKind), 0))
    by_region = Counter(
        dict.fromkeys([*(region.value for region in contract.Region), UNSPECIFIED_REGION], 0)
    )
    for organisation_id, count in active_members_by_organisation.items():
        facts = organisations.get(organisation_id)
        if facts is None:  # a member of an organisation that is not stored: not attributable
            continue
        by_kind[facts.kind] += count
        by_region[facts.region or UNSPECIFIED_REGION] += count
    return dict(by_kind), dict(by_region)


@rpc.route(
    contract.STATS,
    "Public counts: active members, organisations, networks; members by kind, region.",
)
async def stats(request: Empty, caller: Caller, deps: DirectoryDependencies) -> contract.Stats:
    by_organisation = await deps.members.active_by_organisation()
    facts, organisation_total, network_total = await asyncio.gather(
        deps.organisations.facts(list(by_organisation)),
        deps.organisations.count(),
        deps.networks.count_networks(),
    )
    by_kind, by_region = members_by(by_organisation, facts)
    return contract.Stats(
        members=sum(by_organisation.values()),
        organisations=organisation_total,
        networks=network_total,
        members_by_organisation_kind=by_kind,
        members_by_region=by_region,
    )
