"""The organisation directory and public statistics, forwarded to the membership service.

Open to anyone. Limits and defaults are the contract's (``SearchOrganisations``): the
service checks them, so a bad page size is a 422 problem like any invalid request.

Plain handlers, not a controller: ``GET /api/v1/organisations`` shares its path with
``OrganisationController``'s ``POST``, and Litestar 2 cannot merge two controllers on one
path (each brings its own ``OPTIONS`` handler). Register these after that controller.
"""

from typing import Any

from huddle_shared.contracts import membership as contract
from huddle_shared.contracts.rpc import Caller
from litestar import get
from litestar.di import NamedDependency
from litestar.params import FromQuery, Parameter

from huddle_gateway.rpc import ServiceClient


@get(
    "/api/v1/organisations",
    tags=["organisations"],
    summary="Find organisations",
    description="By the start of the name (ignoring case), kind and region; ordered by name, "
    "a page at a time. `total` counts every match.",
)
async def search_organisations(
    services: NamedDependency[ServiceClient],
    caller: NamedDependency[Caller],
    name_prefix: str | None = Parameter(default=None, description="The name starts with this"),
    kind: FromQuery[contract.OrganisationKind | None] = None,
    region: FromQuery[contract.Region | None] = None,
    limit: int | None = Parameter(default=None, description="Page size: 1 to 200, default 50"),
    offset: int | None = Parameter(default=None, description="Matches to skip (default 0)"),
) -> contract.OrganisationPage:
    given: dict[str, Any] = {
        "name_prefix": name_prefix,
        "kind": kind,
        "region": region,
        "limit": limit,
        "offset": offset,
    }
    request = {name: value for name, value in given.items() if value is not None}
    reply = await services.call(contract.SEARCH_ORGANISATIONS, request, caller)
    return contract.OrganisationPage.model_validate(reply)


@get(
    "/api/v1/stats",
    tags=["statistics"],
    summary="Network statistics",
    description="Active members, organisations and networks; active members by organisation "
    "kind and by region.",
)
async def stats(
    services: NamedDependency[ServiceClient], caller: NamedDependency[Caller]
) -> contract.Stats:
    return contract.Stats.model_validate(await services.call(contract.STATS, {}, caller))


DIRECTORY_HANDLERS = [search_organisations, stats]
