"""The organisation directory and public statistics, forwarded to the membership service.

Open to anyone, the same for everyone, so caches may keep them a minute (``PUBLIC_CACHE``).
Limits and defaults are the contract's (``SearchOrganisations``): the gateway documents and
checks its integer bounds, the service checks everything, so a bad page size is a 4xx problem.

Plain handlers, not a controller: ``GET /api/v1/organisations`` shares its path with
``OrganisationController``'s ``POST``, and Litestar 2 cannot merge two controllers on one
path (each brings its own ``OPTIONS`` handler). Register these after that controller.
"""

from typing import Any

from huddle_shared.contracts import membership as contract
from litestar import get
from litestar.di import NamedDependency
from litestar.params import FromQuery, Parameter

from huddle_gateway.headers import PUBLIC_CACHE
from huddle_gateway.rpc import Rpc


@get(
    "/api/v1/organisations",
    tags=["organisations"],
    cache_control=PUBLIC_CACHE,
    summary="Find organisations",
    description="By the start of the name (ignoring case), kind and region; ordered by name, "
    "a page at a time. `total` counts every match.",
)
async def search_organisations(
    rpc: NamedDependency[Rpc],
    name_prefix: str | None = Parameter(default=None, description="The name starts with this"),
    kind: FromQuery[contract.OrganisationKind | None] = None,
    region: FromQuery[contract.Region | None] = None,
    limit: int | None = Parameter(
        default=None,
        ge=1,
        le=contract.MAX_PAGE_SIZE,
        description=f"Page size (default {contract.PAGE_SIZE})",
    ),
    offset: int | None = Parameter(
        default=None, ge=0, le=contract.MAX_OFFSET, description="Matches to skip (default 0)"
    ),
) -> contract.OrganisationPage:
    given: dict[str, Any] = {
        "name_prefix": name_prefix,
        "kind": kind,
        "region": region,
        "limit": limit,
        "offset": offset,
    }
    request = {name: value for name, value in given.items() if value is not None}
    return await rpc.call(contract.OrganisationPage, contract.SEARCH_ORGANISATIONS, request)


@get(
    "/api/v1/stats",
    tags=["statistics"],
    cache_control=PUBLIC_CACHE,
    summary="Network statistics",
    description="Active members, organisations and networks; active members by organisation "
    "kind and by region.",
)
async def stats(rpc: NamedDependency[Rpc]) -> contract.Stats:
    return await rpc.call(contract.Stats, contract.STATS, {})


DIRECTORY_HANDLERS = [search_organisations, stats]
