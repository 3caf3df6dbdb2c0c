"""Notes and scheduling keep their own roster of who belongs to which network, and in what
role, from membership's events: they will authorise from it without asking membership."""

from typing import Any
from uuid import UUID

import httpx
import pytest
from huddle_shared.contracts.networks import Role
from huddle_shared.projections.network_roster import NetworkRoster
from pymongo import AsyncMongoClient
from support import JWT_SECRET, eventually, gateway_server, services

pytestmark = pytest.mark.integration

ADMIN = {"email": "admin@example.org", "password": "admin password long enough"}
PASSWORD = "a long enough password"


async def test_rosters_follow_joins_role_changes_leaving_and_erasure(
    settings_for: Any, nats_url: str, mongodb_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HUDDLE_ADMIN_EMAIL", ADMIN["email"])
    monkeypatch.setenv("HUDDLE_ADMIN_PASSWORD", ADMIN["password"])
    async with (
        services(settings_for, "membership", "notes", "scheduling") as running,
        gateway_server(NATS_URL=nats_url, HUDDLE_JWT_SECRET=JWT_SECRET) as url,
        httpx.AsyncClient(base_url=url, timeout=10) as client,
    ):
        mongo: AsyncMongoClient[Any] = AsyncMongoClient(mongodb_url)
        rosters = [
            NetworkRoster(mongo[running[name].database.name]) for name in ("notes", "scheduling")
        ]

        async def token(email: str, password: str = PASSWORD) -> dict[str, str]:
            response = await client.post(
                "/api/v1/auth/token", json={"email": email, "password": password}
            )
            return {"Authorization": f"Bearer {response.json()['access_token']}"}

        async def roles(slug: str, member_id: UUID) -> set[Role | None]:
            return {await roster.role_of(slug, member_id) for roster in rosters}

        try:
            admin = await token(ADMIN["email"], ADMIN["password"])
            organisation = (
                await client.post(
                    "/api/v1/organisations", json={"name": "Trust", "kind": "nhs_trust"}
                )
            ).json()
            member = (
                await client.post(
                    "/api/v1/accounts",
                    json={
                        "email": "rae@example.org",
                        "password": PASSWORD,
                        "display_name": "Rae Okafor",
                        "organisation_id": organisation["id"],
                        "member_type": "staff",
                    },
                )
            ).json()
            member_id = UUID(member["id"])
            me = await token("rae@example.org")
            created = await client.post(
                "/api/v1/networks",
                headers=admin,
                json={
                    "slug": "natssips",
                    "name": "NatSSIPs network",
                    "visibility": "open",
                },
            )
            assert created.status_code == 201, created.text

            assert (
                await client.post("/api/v1/networks/natssips/join", headers=me, json={})
            ).status_code == 200
            await eventually(lambda: _equals(roles("natssips", member_id), {Role.MEMBER}))

            change = await client.put(
                f"/api/v1/networks/natssips/members/{member_id}/role",
                headers=admin,
                json={"role": "note_taker"},
            )
            assert change.status_code == 200, change.text
            await eventually(lambda: _equals(roles("natssips", member_id), {Role.NOTE_TAKER}))

            assert (
                await client.delete("/api/v1/networks/natssips/members/me", headers=me)
            ).status_code == 204
            await eventually(lambda: _equals(roles("natssips", member_id), {None}))

            assert (
                await client.post("/api/v1/networks/natssips/join", headers=me, json={})
            ).status_code == 200
            await eventually(lambda: _equals(roles("natssips", member_id), {Role.MEMBER}))
            assert (await client.delete("/api/v1/me", headers=me)).status_code == 204

            async def gone() -> bool:
                return all([not await roster.networks_of(member_id) for roster in rosters])

            await eventually(gone)

            # A late (redelivered) join for the erased member changes nothing.
            from huddle_shared.contracts.envelope import EventEnvelope
            from huddle_shared.contracts.networks import NetworkMemberJoinedV1

            late = EventEnvelope.wrap(
                NetworkMemberJoinedV1(slug="natssips", member_id=member_id, role=Role.MEMBER),
                instance_id="test",
            )
            for roster in rosters:
                await roster.on_joined(late, late.payload_as(NetworkMemberJoinedV1))
            assert await roles("natssips", member_id) == {None}
        finally:
            await mongo.close()


async def _equals(value: Any, expected: Any) -> bool:
    return bool(await value == expected)
