"""The gateway over real NATS: validation, problem details, readiness, OpenAPI."""

import asyncio
import contextlib
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from huddle_shared.contracts import membership as contract
from huddle_shared.services import service_names
from support import connect_nats, eventually, gateway_server, services

pytestmark = pytest.mark.component

PROBLEM = "application/problem+json"
ALL_SERVICES = service_names()


@contextlib.asynccontextmanager
async def gateway(nats_url: str, **overrides: Any) -> AsyncIterator[httpx.AsyncClient]:
    settings = {"NATS_URL": nats_url, "HUDDLE_HEALTH_TIMEOUT": 0.5, **overrides}
    async with gateway_server(**settings) as url, httpx.AsyncClient(base_url=url) as client:
        yield client


def assert_problem(response: Any, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith(PROBLEM)
    body = response.json()
    assert body["status"] == status and body["title"] and body["type"]
    assert "Traceback" not in response.text
    return body


async def test_liveness_needs_nothing(nats_url: str) -> None:
    async with gateway(nats_url) as client:
        assert (await client.get("/health/live")).json() == {"status": "ok"}


async def test_not_ready_until_every_service_answers(nats_url, settings_for) -> None:  # type: ignore[no-untyped-def]
    async with gateway(nats_url) as client:
        response = await client.get("/health/ready")
        assert response.status_code == 503
        assert response.json()["services"]["membership"] == "unavailable"
        async with services(settings_for, *ALL_SERVICES):
            # On a busy machine a service just started can miss the probe's short deadline.
            async def ready() -> httpx.Response | None:
                response = await client.get("/health/ready")
                return response if response.status_code == 200 else None

            response = await eventually(ready, timeout=20, interval=0.2)
            assert response.json()["services"] == dict.fromkeys(ALL_SERVICES, "ok")


async def test_a_service_with_no_responders_is_503(nats_url: str) -> None:
    async with gateway(nats_url) as client:
        response = await client.get("/api/v1/members/0190c3a0-0000-7000-8000-000000000000")
        body = assert_problem(response, 503)
        assert "membership" in body["detail"]


async def test_a_service_that_does_not_answer_in_time_is_504(nats_url: str) -> None:
    # A stand-in responder that is too slow: the real path through NATS, just late.
    nc = await connect_nats(nats_url)

    async def slow(msg: Any) -> None:
        await asyncio.sleep(1.0)
        await msg.respond(b'{"ok": true, "data": null}')

    await nc.subscribe(contract.GET_MEMBER, cb=slow)
    try:
        async with gateway(nats_url, HUDDLE_RPC_TIMEOUT=0.2) as client:
            response = await client.get("/api/v1/members/0190c3a0-0000-7000-8000-000000000000")
            assert_problem(response, 504)
    finally:
        await nc.close()


async def test_errors_are_problem_details(nats_url, settings_for) -> None:  # type: ignore[no-untyped-def]
    async with services(settings_for, "membership"), gateway(nats_url) as client:
        malformed = await client.post(
            "/api/v1/accounts", content=b"{not json", headers={"content-type": "application/json"}
        )
        assert assert_problem(malformed, 400)["type"].endswith("/malformed-request")

        invalid = await client.post("/api/v1/accounts", json={"email": "nope"})
        body = assert_problem(invalid, 422)
        assert "email" in {error["field"] for error in body["errors"]}

        organisation = await client.post(
            "/api/v1/organisations",
            json={"name": "Spire Healthcare", "kind": "independent_sector_provider"},
        )
        assert organisation.status_code == 201, organisation.text
        account = {
            "email": "erin.campbell@example.org",
            "password": "a long enough password",
            "display_name": "Erin Campbell",
            "organisation_id": organisation.json()["id"],
            "member_type": "patient_safety_partner",
        }
        created = await client.post("/api/v1/accounts", json=account)
        assert created.status_code == 201, created.text
        assert "password" not in created.json() and "password_hash" not in created.json()
        assert_problem(await client.get(f"/api/v1/members/{created.json()['id']}"), 401)
        token = (
            await client.post(
                "/api/v1/auth/token",
                json={"email": account["email"], "password": account["password"]},
            )
        ).json()["access_token"]
        me = {"Authorization": f"Bearer {token}"}
        member = await client.get(f"/api/v1/members/{created.json()['id']}", headers=me)
        assert member.status_code == 200, member.text
        assert "password" not in member.text
        assert member.json()["display_name"] == "Erin Campbell"

        assert_problem(await client.post("/api/v1/accounts", json=account), 409)
        missing = "/api/v1/members/0190c3a0-0000-7000-8000-000000000000"
        assert_problem(await client.get(missing, headers=me), 404)
        assert_problem(await client.get("/api/v1/members/not-a-uuid"), 404)
        assert_problem(await client.get("/api/v1/no/such/path"), 404)
        assert_problem(await client.delete("/api/v1/accounts"), 405)


async def test_oversized_bodies_are_refused(nats_url: str) -> None:
    async with gateway(nats_url, HUDDLE_MAX_BODY_BYTES=1024) as client:
        response = await client.post(
            "/api/v1/organisations", json={"name": "x" * 5000, "kind": "other"}
        )
        assert_problem(response, 413)


async def test_openapi_documents_the_api(nats_url: str) -> None:
    async with gateway(nats_url) as client:
        schema = (await client.get("/schema/openapi.json")).json()
        assert {"/api/v1/accounts", "/api/v1/organisations", "/health/ready"} <= set(
            schema["paths"]
        )
        page = await client.get("/schema")
        assert page.status_code == 200 and "text/html" in page.headers["content-type"]
