"""Creating things is idempotent by a client's Idempotency-Key: a retry gets the first
answer, even when the first answer was lost to a timeout; the key is the caller's own."""

import asyncio
import json
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from huddle_membership.members.passwords import PasswordHasher
from huddle_shared.clock import utc_now
from huddle_shared.contracts import membership as contract
from huddle_shared.storage.idempotency_keys import IDEMPOTENCY_KEYS, IdempotencyKeys
from pymongo import AsyncMongoClient
from support import JWT_SECRET, connect_nats, eventually, gateway_server, services, signed

pytestmark = pytest.mark.integration

PASSWORD = "a long enough password"
SECRET = JWT_SECRET


def account(organisation_id: str, email: str = "rae@example.org") -> dict[str, Any]:
    return {
        "email": email,
        "password": PASSWORD,
        "display_name": "Rae Okafor",
        "organisation_id": organisation_id,
        "member_type": "staff",
    }


async def test_a_retry_with_the_same_key_gets_the_first_answer(
    settings_for: Any, nats_url: str, mongodb_url: str
) -> None:
    async with (
        services(settings_for, "membership") as running,
        gateway_server(NATS_URL=nats_url, HUDDLE_JWT_SECRET=SECRET) as url,
        httpx.AsyncClient(base_url=url, timeout=10) as client,
    ):
        mongo: AsyncMongoClient[Any] = AsyncMongoClient(mongodb_url)
        database = mongo[running["membership"].database.name]
        try:
            organisation = (
                await client.post(
                    "/api/v1/organisations", json={"name": "Trust", "kind": "nhs_trust"}
                )
            ).json()
            key = {"Idempotency-Key": str(uuid.uuid4())}
            first = await client.post(
                "/api/v1/accounts", json=account(organisation["id"]), headers=key
            )
            assert first.status_code == 201, first.text
            again = await client.post(
                "/api/v1/accounts", json=account(organisation["id"]), headers=key
            )
            assert (again.status_code, again.json()) == (201, first.json())
            assert await database["members"].count_documents({}) == 1

            # Without the key, the same request is a new one: the address is taken.
            assert (
                await client.post("/api/v1/accounts", json=account(organisation["id"]))
            ).status_code == 409

            reused = await client.post(
                "/api/v1/accounts",
                json=account(organisation["id"], email="other@example.org"),
                headers=key,
            )
            assert reused.status_code == 422, reused.text
            assert reused.json()["title"] == "Idempotency key reused"
            assert await database["members"].count_documents({}) == 1

            # Another operation with the same key is another request.
            other = await client.post(
                "/api/v1/organisations", json={"name": "Other", "kind": "nhs_trust"}, headers=key
            )
            assert other.status_code == 201, other.text

            # Two at once with one key: one runs, both get its answer.
            key = {"Idempotency-Key": str(uuid.uuid4())}
            body = account(organisation["id"], email="sam@example.org")
            both = await asyncio.gather(
                *(client.post("/api/v1/accounts", json=body, headers=key) for _ in range(2))
            )
            assert [r.status_code for r in both] == [201, 201], [r.text for r in both]
            assert both[0].json() == both[1].json()
            assert await database["members"].count_documents({}) == 2

            bad = await client.post(
                "/api/v1/accounts",
                json=account(organisation["id"], email="x@example.org"),
                headers={"Idempotency-Key": "has spaces"},
            )
            assert bad.status_code in (400, 422), bad.text

            # Sign-in keeps no reply, key or not (it would outlive a suspension).
            kept = await database[IDEMPOTENCY_KEYS].count_documents({})
            nc = await connect_nats(nats_url)
            sign_in = {"email": "sam@example.org", "password": PASSWORD}
            message = {"body": sign_in, "idempotency_key": "sign-in-1"}
            reply = await nc.request(
                contract.SIGN_IN, signed(contract.SIGN_IN, message), timeout=10
            )
            await nc.close()
            assert json.loads(reply.data)["ok"]
            assert await database[IDEMPOTENCY_KEYS].count_documents({}) == kept

            # Erasure forgets the stored replies that named the member.
            member_id = first.json()["id"]
            assert await database[IDEMPOTENCY_KEYS].count_documents({"mentions": member_id})
            signed_in = await client.post(
                "/api/v1/auth/token", json={"email": "rae@example.org", "password": PASSWORD}
            )
            me = {"Authorization": f"Bearer {signed_in.json()['access_token']}"}
            assert (await client.delete("/api/v1/me", headers=me)).status_code == 204
            assert not await database[IDEMPOTENCY_KEYS].count_documents({"mentions": member_id})
        finally:
            await mongo.close()


async def test_a_write_answered_504_is_recovered_by_retrying_with_its_key(
    settings_for: Any, nats_url: str, mongodb_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The finding: a slow registration commits after the gateway answered 504; a retry got
    409 for an account that was in fact created. With the key, it gets the account."""
    hash_password = PasswordHasher.hash

    async def slow_hash(self: PasswordHasher, password: str) -> str:
        await asyncio.sleep(2.0)
        return await hash_password(self, password)

    monkeypatch.setattr(PasswordHasher, "hash", slow_hash)
    async with (
        services(settings_for, "membership") as running,
        gateway_server(NATS_URL=nats_url, HUDDLE_JWT_SECRET=SECRET, HUDDLE_RPC_TIMEOUT=0.7) as url,
        httpx.AsyncClient(base_url=url, timeout=10) as client,
    ):
        mongo: AsyncMongoClient[Any] = AsyncMongoClient(mongodb_url)
        members = mongo[running["membership"].database.name]["members"]
        try:
            organisation = (
                await client.post(
                    "/api/v1/organisations", json={"name": "Trust", "kind": "nhs_trust"}
                )
            ).json()
            key = {"Idempotency-Key": "registration-1"}
            body = account(organisation["id"])
            timed_out = await client.post("/api/v1/accounts", json=body, headers=key)
            assert timed_out.status_code == 504, timed_out.text

            while_running = await client.post("/api/v1/accounts", json=body, headers=key)
            assert while_running.status_code == 409, while_running.text
            assert while_running.json()["title"] == "Request in progress"

            async def created() -> bool:
                return bool(await members.count_documents({}))

            await eventually(created)
            await asyncio.sleep(0.3)  # the reply is stored just after the write
            retried = await client.post("/api/v1/accounts", json=body, headers=key)
            assert retried.status_code == 201, retried.text
            stored = await members.find_one({})
            assert stored is not None and retried.json()["id"] == stored["_id"]
        finally:
            await mongo.close()


async def test_the_gateway_sends_its_deadline_and_the_key(nats_url: str) -> None:
    """What reaches the service: when the gateway stops waiting, and the client's key."""
    nc = await connect_nats(nats_url)
    seen: list[dict[str, Any]] = []

    async def record(msg: Any) -> None:
        seen.append(json.loads(msg.data))
        await msg.respond(
            json.dumps(
                {
                    "ok": True,
                    "data": {
                        "id": str(uuid.uuid4()),
                        "name": "Trust",
                        "kind": "nhs_trust",
                        "region": None,
                        "ods_code": None,
                        "created_at": datetime.now(UTC).isoformat(),
                    },
                }
            ).encode()
        )

    await nc.subscribe(contract.REGISTER_ORGANISATION, cb=record)
    try:
        async with (
            gateway_server(
                NATS_URL=nats_url, HUDDLE_JWT_SECRET=SECRET, HUDDLE_RPC_TIMEOUT=3
            ) as url,
            httpx.AsyncClient(base_url=url, timeout=10) as client,
        ):
            sent_at = datetime.now(UTC)
            response = await client.post(
                "/api/v1/organisations",
                json={"name": "Trust", "kind": "nhs_trust"},
                headers={"Idempotency-Key": "abc-123"},
            )
            assert response.status_code == 201, response.text
    finally:
        await nc.close()
    [message] = seen
    assert message["idempotency_key"] == "abc-123"
    waits = (datetime.fromisoformat(message["deadline"]) - sent_at).total_seconds()
    assert 2.5 < waits < 3.5, waits


async def test_expired_and_abandoned_keys_can_be_claimed_again(
    mongodb_url: str, db_prefix: str
) -> None:
    mongo: AsyncMongoClient[Any] = AsyncMongoClient(mongodb_url, tz_aware=True)
    keys = IdempotencyKeys(mongo[f"{db_prefix}_keys"], retention=timedelta(hours=1))
    try:
        await keys.create_indexes()  # a TTL index on MongoDB, a plain one on FerretDB v1
        long_ago = utc_now() - timedelta(hours=2)
        assert (await keys.claim("expired", "h", now=long_ago)).outcome == "claimed"
        await keys.complete("expired", {"ok": True, "data": 1}, [])
        assert (await keys.claim("expired", "other body")).outcome == "claimed"

        # A claim left running by a process that died is taken over after a while...
        minutes_ago = utc_now() - timedelta(minutes=5)
        assert (await keys.claim("abandoned", "h", now=minutes_ago)).outcome == "claimed"
        assert (await keys.claim("abandoned", "h")).outcome == "claimed"
        # ...but one that is merely still running is not.
        assert (await keys.claim("running", "h")).outcome == "claimed"
        assert (await keys.claim("running", "h")).outcome == "running"
        assert (await keys.claim("running", "other body")).outcome == "mismatch"
    finally:
        await mongo.close()
