"""The directory as open data: the read-only Open Referral UK API, which anyone may call,
from any web page (``Access-Control-Allow-Origin: *``).

Field names and nesting are the specification's (HSDS 3 with the UK profile; the
contracts' ``Oruk*`` views), and they carry nothing about people: no member, curator,
expert, suggestion or request. Every caller is answered alike: the routes call as no one
(a token sent is not even read), so a shared cache may keep an answer a minute.

``per_page`` is capped (``contract.MAX_PER_PAGE``): above it, 422 rather than a silently
shorter page, so a harvester learns the cap. A malformed ``modified_after``, an unknown
taxonomy term or organisation are 422 problems too. See docs/decisions/0046.
"""

from datetime import datetime
from typing import Annotated, Any
from uuid import UUID

from huddle_shared.contracts import signposting as contract
from litestar import Request, Router, get
from litestar.datastructures import State
from litestar.di import NamedDependency
from litestar.params import FromPath, QueryParameter
from litestar.types import Message, Scope

from huddle_gateway.auth import AS_ANONYMOUS
from huddle_gateway.headers import PUBLIC_CACHE
from huddle_gateway.rpc import Rpc

PREFIX = "/api/v1/oruk"
OPENAPI_PATH = "/schema/openapi.json"

# On every answer under PREFIX, errors and preflights included, so a page on another site
# can read the data and the problem documents alike; and its resources may be embedded.
OPEN_DATA_HEADERS = [
    (b"access-control-allow-origin", b"*"),
    (b"access-control-allow-methods", b"GET, OPTIONS"),
    (b"access-control-allow-headers", b"Accept, If-None-Match"),
    (b"access-control-max-age", b"86400"),
]
_PREFIX_BYTES = PREFIX.encode()


async def add_open_data_headers(message: Message, scope: Scope) -> None:
    """The app's ``before_send`` hook: the CORS headers on the open data's answers. It
    replaces the security defaults' ``Cross-Origin-Resource-Policy: same-origin`` there."""
    if message["type"] != "http.response.start":
        return
    path = scope.get("raw_path") or scope.get("path", "").encode()
    if not (path == _PREFIX_BYTES or path.startswith(_PREFIX_BYTES + b"/")):
        return
    headers = [
        (name, value)
        for name, value in message.get("headers") or []
        if bytes(name).lower() != b"cross-origin-resource-policy"
    ]
    message["headers"] = [
        *headers,
        *OPEN_DATA_HEADERS,
        (b"cross-origin-resource-policy", b"cross-origin"),
    ]


_PAGE = QueryParameter(description="From 1 (default 1)", ge=1, le=10_000)
_PER_PAGE = QueryParameter(
    description=f"Default 50, at most {contract.MAX_PER_PAGE} (422 above)",
    ge=1,
    le=contract.MAX_PER_PAGE,
)


def _without_nulls(view: contract.OrukModel) -> dict[str, Any]:
    """The specification types its fields (a string is never null): a value Huddle does
    not have is left out. Litestar's own encoder would send it as null."""
    return view.model_dump(mode="json", exclude_none=True)


def _given(**fields: Any) -> dict[str, Any]:
    return {name: value for name, value in fields.items() if value is not None}


def _public_base(request: Request[Any, Any, State]) -> str:
    configured: str | None = request.app.state.public_url
    return configured or str(request.base_url).rstrip("/")


@get(
    "/",
    summary="About this Open Referral UK API",
    description="The version of the Human Services Data Specification it follows, its "
    "profile (Open Referral UK) and where its OpenAPI document is.",
)
async def metadata(
    request: Request[Any, Any, State], rpc: NamedDependency[Rpc]
) -> contract.OrukMetadata:
    answer = await rpc.call(contract.OrukMetadata, contract.ORUK_METADATA, {})
    # Only the gateway knows the address it is reached at, and so where its document is.
    return answer.model_copy(update={"openapi_url": _public_base(request) + OPENAPI_PATH})


@get(
    "/services",
    summary="Services, a page at a time",
    description="Active services, each with its organization, areas, phones, languages, "
    "costs and taxonomy terms (as `attributes`). `search` finds words in their names and "
    "descriptions; `taxonomy_term_id` a category (and its sub-categories); "
    "`organization_id` one provider's; `modified_after` those changed since (ISO 8601 with "
    "a time zone, like 2026-01-31T00:00:00Z). Unknown terms or organisations are 422.",
)
async def services(
    rpc: NamedDependency[Rpc],
    search: Annotated[str | None, QueryParameter(description="Words to find")] = None,
    taxonomy_term_id: Annotated[UUID | None, QueryParameter()] = None,
    organization_id: Annotated[UUID | None, QueryParameter()] = None,
    modified_after: Annotated[
        datetime | None, QueryParameter(description="With a time zone: 2026-01-31T00:00:00Z")
    ] = None,
    page: Annotated[int | None, _PAGE] = None,
    per_page: Annotated[int | None, _PER_PAGE] = None,
) -> contract.OrukServicePage:
    body = _given(
        search=search,
        taxonomy_term_id=str(taxonomy_term_id) if taxonomy_term_id else None,
        organization_id=str(organization_id) if organization_id else None,
        # Sent as given: the service refuses one without a time zone (422).
        modified_after=modified_after.isoformat() if modified_after else None,
        page=page,
        per_page=per_page,
    )
    return await rpc.call(contract.OrukServicePage, contract.ORUK_SERVICES, body)


@get(
    "/services/{service_id:uuid}",
    summary="One service, fully nested",
    description="404 for an entry that does not exist; a retired one is `defunct` (it has "
    "left the lists), so a harvester learns it is gone.",
)
async def service(service_id: FromPath[UUID], rpc: NamedDependency[Rpc]) -> contract.OrukService:
    return await rpc.call(contract.OrukService, contract.ORUK_SERVICE, {"id": str(service_id)})


@get(
    "/taxonomy_terms",
    summary="The taxonomy terms, a page at a time",
    description="The directory's categories (each parent before its children; "
    "`parent_id` says where each sits) and the terms its attributes use for audiences and "
    "ways in.",
)
async def taxonomy_terms(
    rpc: NamedDependency[Rpc],
    page: Annotated[int | None, _PAGE] = None,
    per_page: Annotated[int | None, _PER_PAGE] = None,
) -> contract.OrukTaxonomyTermPage:
    body = _given(page=page, per_page=per_page)
    return await rpc.call(contract.OrukTaxonomyTermPage, contract.ORUK_TAXONOMY_TERMS, body)


@get(
    "/organizations",
    summary="The organizations that provide the services, a page at a time",
    description="Providers of active services, by name.",
)
async def organizations(
    rpc: NamedDependency[Rpc],
    page: Annotated[int | None, _PAGE] = None,
    per_page: Annotated[int | None, _PER_PAGE] = None,
) -> contract.OrukOrganizationPage:
    body = _given(page=page, per_page=per_page)
    return await rpc.call(contract.OrukOrganizationPage, contract.ORUK_ORGANIZATIONS, body)


# Anyone, as no one: the same answer for every caller, kept by shared caches a minute.
ORUK_ROUTER = Router(
    path=PREFIX,
    route_handlers=[metadata, services, service, taxonomy_terms, organizations],
    dependencies=AS_ANONYMOUS,
    cache_control=PUBLIC_CACHE,
    type_encoders={contract.OrukModel: _without_nulls},
    tags=["open data (Open Referral UK)"],
)
