"""The organisation directory and public statistics, forwarded to the membership service.

Open to anyone, the same for everyone, so caches may keep them a minute (``PUBLIC_CACHE``).
Limits and defaults are the contract's (``SearchOrganisations``): the gateway documents and
checks its integer bounds, the service checks everything, so a bad page size is a 4xx problem.

Plain handlers, not a controller: ``GET /api/v1/organisations`` shares its path with
``OrganisationController``'s ``POST``, and Litestar 2 cannot merge two controllers on one
path (each brings its own ``OPTIONS`` handler). Register these after that controller.
"""

import base64
import hashlib
from typing import Any, NamedTuple

from huddle_shared.contracts import membership as contract
from huddle_shared.contracts.rpc import Caller
from litestar import MediaType, Request, Response, get
from litestar.datastructures import State
from litestar.di import NamedDependency
from litestar.openapi.datastructures import ResponseSpec
from litestar.params import FromQuery, Parameter

from huddle_gateway.headers import PUBLIC_CACHE
from huddle_gateway.recent import Recent
from huddle_gateway.rpc import Rpc, ServiceClient


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


class PublicStats:
    """The statistics as membership last gave them, at most ``max_age`` seconds ago (one
    request refreshes them while the others wait), with their entity tag. The same for
    everyone, so asked for as no one in particular."""

    def __init__(self, services: ServiceClient, max_age: float) -> None:
        self._services = services
        self._recent: Recent[EncodedStats] = Recent(self._fetch, max_age)

    async def _fetch(self) -> "EncodedStats":
        stats = contract.Stats.model_validate(await self._services.call(contract.STATS, {}))
        return EncodedStats(stats, stats.model_dump_json().encode(), entity_tag(stats))

    async def get(self) -> "EncodedStats":
        return await self._recent.get()


class EncodedStats(NamedTuple):
    """The figures, as the answer's body encoded once for everyone who asks, and their tag."""

    stats: contract.Stats
    body: bytes
    tag: str


def entity_tag(stats: contract.Stats) -> str:
    """From the figures' ``revision`` when membership gives one (it grows with each change),
    else a digest of the figures themselves."""
    revision = getattr(stats, "revision", None)
    if isinstance(revision, int):
        return f'"r{revision}"'
    digest = hashlib.sha256(stats.model_dump_json().encode()).digest()[:12]
    return f'"{base64.urlsafe_b64encode(digest).decode()}"'


def none_match(if_none_match: str | None, tag: str) -> bool:
    """RFC 9110 13.1.2: false when the header lists ``tag`` (weakly compared) or is ``*``."""
    if if_none_match is None:
        return True
    listed = {part.strip().removeprefix("W/") for part in if_none_match.split(",")}
    return "*" not in listed and tag not in listed


@get(
    "/api/v1/stats",
    tags=["statistics"],
    cache_control=PUBLIC_CACHE,
    summary="Network statistics",
    description="Active members, organisations and networks; active members by organisation "
    "kind and by region. Up to a second old; send the `ETag` back as `If-None-Match` to get "
    "a 304 while they have not changed.",
    responses={304: ResponseSpec(None, description="Not modified: the figures are unchanged")},
)
async def stats(
    request: Request[Any, Any, State],
    caller: NamedDependency[Caller],  # a token sent is still checked (401 when invalid)
    public_stats: NamedDependency[PublicStats],
) -> Response[contract.Stats]:
    figures = await public_stats.get()
    headers = {"ETag": figures.tag}
    if not none_match(request.headers.get("if-none-match"), figures.tag):
        not_modified: Any = None  # a 304 has no body
        return Response(not_modified, status_code=304, headers=headers)
    # Already JSON: the bytes go out as they are (the annotation documents their shape).
    body: Any = figures.body
    return Response(body, headers=headers, media_type=MediaType.JSON)


DIRECTORY_HANDLERS = [search_organisations, stats]
