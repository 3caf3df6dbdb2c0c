"""The organisation directory and the public statistics, through the gateway over real NATS
and the MongoDB-protocol server."""

import json
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from huddle_shared.contracts import membership as contract
from huddle_shared.contracts import networks as network_contract
from huddle_shared.contracts.common import ERASE_ME
from huddle_shared.contracts.rpc import Caller
from pymongo import AsyncMongoClient
from pymongo.asynchronous.database import AsyncDatabase
from support import connect_nats, eventually, gateway_server, services, set_fields, signed

pytestmark = pytest.mark.component

PROBLEM = "application/problem+json"

ORGANISATIONS: list[dict[str, Any]] = [
    {"name": "Leeds Teaching Hospitals NHS Trust", "kind": "nhs_trust",
     "region": "north_east_and_yorkshire", "ods_code": "RR8"},
    {"name": "leeds and York Partnership NHS Foundation Trust", "kind": "nhs_trust",
     "region": "north_east_and_yorkshire"},
    {"name": "Leeds Beckett University", "kind": "university",
     "region": "north_east_and_yorkshire"},
    {"name": "Lancashire Teaching Hospitals NHS Foundation Trust", "kind": "nhs_trust",
     "region": "north_west", "ods_code": "RXN"},
    {"name": "A.B. Care+ (Leeds) [North]", "kind": "independent_sector_provider",
     "region": "london"},
    {"name": "AxB Care", "kind": "independent_sector_provider", "region": "london"},
    {"name": "Health Services Safety Investigations Body", "kind": "national_body"},
]  # fmt: skip


@dataclass
class Directory:
    client: httpx.AsyncClient
    db: AsyncDatabase[Any]
    ids: dict[str, str]  # organisation name -> id
    routes: dict[str, Any]

    async def call(self, subject: str, body: dict[str, Any], member: str) -> Any:
        """Membership's handler itself, as the member (for the admin-only changes)."""
        route = self.routes[subject]
        return await route.handler(route.request_model(**body), Caller(member_id=uuid.UUID(member)))


@pytest.fixture
async def directory(settings_for, nats_url, mongodb_url) -> AsyncIterator[Directory]:  # type: ignore[no-untyped-def]
    mongo: AsyncMongoClient[Any] = AsyncMongoClient(mongodb_url, tz_aware=True)
    async with (
        services(settings_for, "membership") as running,
        # Figures read again at once after a change: none kept at the gateway.
        gateway_server(NATS_URL=nats_url, HUDDLE_STATS_CACHE_SECONDS=0) as url,
        httpx.AsyncClient(base_url=url, timeout=30) as client,
    ):
        ids = {}
        for organisation in ORGANISATIONS:
            response = await client.post("/api/v1/organisations", json=organisation)
            assert response.status_code == 201, response.text
            ids[organisation["name"]] = response.json()["id"]
        runtime = running["membership"]
        routes = {route.subject: route for route in runtime.routes}
        yield Directory(client, mongo[runtime.database.name], ids, routes)
    await mongo.close()


async def search(directory: Directory, **params: Any) -> dict[str, Any]:
    response = await directory.client.get("/api/v1/organisations", params=params)
    assert response.status_code == 200, response.text
    return dict(response.json())


def names(page: dict[str, Any]) -> list[str]:
    return [item["name"] for item in page["items"]]


def assert_problem(response: httpx.Response, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith(PROBLEM)
    body = dict(response.json())
    assert body["status"] == status and body["title"] and body["type"]
    return body


async def test_finds_organisations_by_name_prefix_ignoring_case(directory: Directory) -> None:
    leeds = {
        "Leeds Teaching Hospitals NHS Trust",
        "leeds and York Partnership NHS Foundation Trust",
        "Leeds Beckett University",
    }
    for prefix in ("leeds", "LEEDS", "  Leeds  ", "lEeDs "):
        page = await search(directory, name_prefix=prefix)
        assert set(names(page)) == leeds and page["total"] == 3
    page = await search(directory, name_prefix="Leeds T")
    assert page["total"] == 1
    item = page["items"][0]
    assert item == {
        "id": directory.ids["Leeds Teaching Hospitals NHS Trust"],
        "name": "Leeds Teaching Hospitals NHS Trust",
        "kind": "nhs_trust",
        "region": "north_east_and_yorkshire",
        "ods_code": "RR8",
        "created_at": item["created_at"],
    }
    # A prefix, not a substring:
    assert (await search(directory, name_prefix="Teaching"))["total"] == 0


async def test_regular_expression_characters_are_taken_literally(directory: Directory) -> None:
    assert names(await search(directory, name_prefix="a.b")) == ["A.B. Care+ (Leeds) [North]"]
    assert names(await search(directory, name_prefix="A.B. Care+ (Leeds) [")) == [
        "A.B. Care+ (Leeds) [North]"
    ]
    for prefix in (".", ".*", "*", "+", "(", ")", "[", "]", "?", "|", "^", "$", "\\", "{1}"):
        assert (await search(directory, name_prefix=prefix))["total"] == 0, prefix


async def test_no_prefix_lists_everything_ordered_by_name(directory: Directory) -> None:
    page = await search(directory)
    assert page["total"] == len(ORGANISATIONS)
    assert names(page) == sorted(names(page))  # by name, as stored (uppercase first)
    assert set(names(page)) == set(directory.ids)


async def test_filters_by_kind_and_region(directory: Directory) -> None:
    trusts = await search(directory, kind="nhs_trust")
    assert trusts["total"] == 3
    assert {item["kind"] for item in trusts["items"]} == {"nhs_trust"}

    north_east_trusts = await search(directory, kind="nhs_trust", region="north_east_and_yorkshire")
    assert set(names(north_east_trusts)) == {
        "Leeds Teaching Hospitals NHS Trust",
        "leeds and York Partnership NHS Foundation Trust",
    }
    assert names(await search(directory, region="north_west")) == [
        "Lancashire Teaching Hospitals NHS Foundation Trust"
    ]
    combined = await search(directory, name_prefix="leeds", kind="university")
    assert names(combined) == ["Leeds Beckett University"]
    assert (await search(directory, kind="charity"))["total"] == 0


async def test_pages_with_limit_and_offset(directory: Directory) -> None:
    everything = names(await search(directory))
    pages = []
    for offset in range(0, len(everything) + 2, 2):
        page = await search(directory, limit=2, offset=offset)
        assert page["total"] == len(everything)
        assert len(page["items"]) <= 2
        pages.extend(names(page))
    assert pages == everything
    beyond = await search(directory, offset=100)
    assert beyond == {"items": [], "total": len(everything)}


async def test_bad_input_is_a_problem(directory: Directory) -> None:
    client = directory.client
    for params, field in (
        ({"kind": "unknown"}, "kind"),
        ({"region": "scotland"}, "region"),
        ({"limit": 0}, "limit"),
        ({"limit": 1000}, "limit"),
        ({"offset": -1}, "offset"),
        ({"limit": "ten"}, "limit"),
        ({"name_prefix": "x" * 101}, "name_prefix"),
    ):
        response = await client.get("/api/v1/organisations", params=params)
        body = assert_problem(response, 422)
        assert body["type"].endswith("/invalid")
        assert field in {error["field"] for error in body["errors"]}, (params, body)
    assert (await search(directory, limit=200))["total"] == len(ORGANISATIONS)  # the maximum
    assert (await search(directory, limit=1))["total"] == len(ORGANISATIONS)  # the minimum


async def register_member(directory: Directory, organisation: str, email: str) -> str:
    response = await directory.client.post(
        "/api/v1/accounts",
        json={
            "email": email,
            "password": "a long enough password",
            "display_name": email.split("@")[0].replace(".", " ").title(),
            "organisation_id": directory.ids[organisation],
            "member_type": "staff",
        },
    )
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


def zero_filled(**counts: int) -> tuple[dict[str, int], dict[str, int]]:
    by_kind = dict.fromkeys((kind.value for kind in contract.OrganisationKind), 0)
    by_region = dict.fromkeys([*(region.value for region in contract.Region), "unspecified"], 0)
    for key, count in counts.items():
        if key in by_kind:
            by_kind[key] = count
        else:
            by_region[key] = count
    return by_kind, by_region


async def test_statistics_count_active_members_only(directory: Directory) -> None:
    """The figures are a projection of membership's events: each change is made the way
    the service makes it (so its event is published), and the figures follow it."""
    by_kind, by_region = zero_filled()
    empty = {
        "members": 0,
        "organisations": len(ORGANISATIONS),
        "networks": 0,
        "members_by_organisation_kind": by_kind,
        "members_by_region": by_region,
    }
    await eventually(lambda: figures(directory, empty))

    await register_member(
        directory, "Leeds Teaching Hospitals NHS Trust", "aisha.okafor@example.org"
    )
    await register_member(directory, "Leeds Teaching Hospitals NHS Trust", "ben.patel@example.org")
    left = await register_member(
        directory, "Leeds Teaching Hospitals NHS Trust", "chloe@example.org"
    )
    await register_member(directory, "Leeds Beckett University", "dev.hughes@example.org")
    erased = await register_member(
        directory, "Lancashire Teaching Hospitals NHS Foundation Trust", "erin@example.org"
    )
    suspended = await register_member(
        directory, "Lancashire Teaching Hospitals NHS Foundation Trust", "farah@example.org"
    )
    await register_member(directory, "Health Services Safety Investigations Body", "g@example.org")
    admin = await register_member(directory, "AxB Care", "harriet.moss@example.org")
    await set_fields(directory.db["members"], admin, {"is_instance_admin": True})
    for member_id in (left, suspended):
        await directory.call(
            contract.SET_MEMBER_STATUS, {"member_id": member_id, "status": "suspended"}, admin
        )
    await directory.call(ERASE_ME, {}, erased)
    for slug in ("psmn", "psp-network"):
        await directory.call(
            network_contract.CREATE_NETWORK,
            {"slug": slug, "name": slug.upper(), "purpose": "Learning from incidents."},
            admin,
        )
    await directory.call(
        contract.SET_MEMBER_STATUS, {"member_id": admin, "status": "suspended"}, admin
    )

    by_kind, by_region = zero_filled(
        nhs_trust=2,
        university=1,
        national_body=1,
        north_east_and_yorkshire=3,
        unspecified=1,
    )
    expected = {
        "members": 4,
        "organisations": len(ORGANISATIONS),
        "networks": 2,
        "members_by_organisation_kind": by_kind,
        "members_by_region": by_region,
    }
    await eventually(lambda: figures(directory, expected))


async def figures(directory: Directory, expected: dict[str, Any]) -> bool:
    stats = (await directory.client.get("/api/v1/stats")).json()
    stats.pop("revision", None)
    return bool(stats == expected)


async def test_open_to_anyone(directory: Directory) -> None:
    # No Authorization header at all: both answer.
    assert "authorization" not in directory.client.headers
    assert (await directory.client.get("/api/v1/stats")).status_code == 200
    assert (await directory.client.get("/api/v1/organisations")).status_code == 200
    # The organisation routes sharing the path still work.
    organisation_id = directory.ids["AxB Care"]
    read = await directory.client.get(f"/api/v1/organisations/{organisation_id}")
    assert read.status_code == 200 and read.json()["name"] == "AxB Care"
    schema = (await directory.client.get("/schema/openapi.json")).json()
    assert {"get", "post"} <= set(schema["paths"]["/api/v1/organisations"])
    assert "get" in schema["paths"]["/api/v1/stats"]


async def test_the_rpc_operations_take_a_caller_and_a_body(directory, nats_url) -> None:  # type: ignore[no-untyped-def]
    nc = await connect_nats(nats_url)
    try:

        async def call(subject: str, message: dict[str, Any]) -> dict[str, Any]:
            reply = await nc.request(subject, signed(subject, message), timeout=10)
            return dict(json.loads(reply.data))

        anonymous = {"caller": {}, "body": {"name_prefix": "lanc", "limit": 5}}
        found = await call(contract.SEARCH_ORGANISATIONS, anonymous)
        assert found["ok"] and found["data"]["total"] == 1, found

        async def counted() -> bool:  # the figures follow the events by milliseconds
            stats = await call(contract.STATS, {"caller": {}, "body": {}})
            return bool(stats["ok"] and stats["data"]["organisations"] == len(ORGANISATIONS))

        await eventually(counted)
        extra = await call(contract.STATS, {"caller": {}, "body": {"region": "london"}})
        assert extra["error"]["code"] == "invalid"
    finally:
        await nc.close()
