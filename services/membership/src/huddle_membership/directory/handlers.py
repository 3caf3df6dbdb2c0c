"""The directory area: the organisation directory and the public statistics, open to anyone.

It reads organisations through the members area's interface, and serves the statistics
from their projection (``statistics``: counts kept from membership's own events). Plain
async functions ``(request, caller, deps)``; ``routes`` binds them.
"""

from dataclasses import dataclass
from typing import Protocol

from huddle_shared.contracts import membership as contract
from huddle_shared.contracts.common import Empty
from huddle_shared.contracts.rpc import Caller
from huddle_shared.messaging.routes import RouteTable

from huddle_membership.members.domain import Organisation
from huddle_membership.members.handlers import organisation_view


class Organisations(Protocol):
    async def search(
        self, criteria: contract.SearchOrganisations
    ) -> tuple[list[Organisation], int]: ...


class Figures(Protocol):
    async def read(self) -> contract.Stats: ...


@dataclass
class DirectoryDependencies:
    organisations: Organisations
    statistics: Figures


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


@rpc.route(
    contract.STATS,
    "Public counts: active members, organisations, networks; members by kind, region.",
)
async def stats(request: Empty, caller: Caller, deps: DirectoryDependencies) -> contract.Stats:
    return await deps.statistics.read()  # a projection of events, from memory
