"""Issue 8: a process that may send RPCs over NATS but holds no caller signing key cannot
act as a member. Real NATS, FerretDB, the membership service and the gateway."""

import asyncio
import contextlib
import json
import logging
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from huddle_devkit.caller_keys import ensure_caller_keys
from huddle_shared.contracts import membership as contract
from support import JWT_SECRET, connect_nats, eventually, gateway_server, services, signed

pytestmark = pytest.mark.integration

ADMIN = {"email": "admin@example.org", "password": "admin password long enough"}
SECRET = JWT_SECRET
RPC_TIMEOUT = 1.0  # the gateway's wait, and so its assertions' lifetime


@dataclass
class Instance:
    client: httpx.AsyncClient
    nc: Any
    admin_id: str
    headers: dict[str, str]

    async def raw(self, subject: str, data: bytes) -> dict[str, Any]:
        reply = await self.nc.request(subject, data, timeout=5)
        return dict(json.loads(reply.data))

    async def display_name(self) -> str:
        me = await self.client.get("/api/v1/me", headers=self.headers)
        assert me.status_code == 200, me.text
        return str(me.json()["display_name"])


@contextlib.asynccontextmanager
async def instance(
    settings_for: Any, nats_url: str, monkeypatch: pytest.MonkeyPatch, **gateway: Any
) -> AsyncIterator[Instance]:
    monkeypatch.setenv("HUDDLE_ADMIN_EMAIL", ADMIN["email"])
    monkeypatch.setenv("HUDDLE_ADMIN_PASSWORD", ADMIN["password"])
    settings = {"HUDDLE_JWT_SECRET": SECRET, "HUDDLE_RPC_TIMEOUT": RPC_TIMEOUT, **gateway}
    async with (
        services(settings_for, "membership"),
        gateway_server(NATS_URL=nats_url, **settings) as url,
        httpx.AsyncClient(base_url=url, timeout=10) as client,
    ):
        nc = await connect_nats(nats_url)
        try:
            token = (await client.post("/api/v1/auth/token", json=ADMIN)).json()["access_token"]
            headers = {"Authorization": f"Bearer {token}"}
            me = await client.get("/api/v1/me", headers=headers)
            assert me.status_code == 200, me.text
            yield Instance(client, nc, me.json()["id"], headers)
        finally:
            await nc.close()


@pytest.fixture
async def huddle(settings_for: Any, nats_url: str, monkeypatch: pytest.MonkeyPatch) -> Any:
    async with instance(settings_for, nats_url, monkeypatch) as running:
        yield running


def refused(reply: dict[str, Any]) -> str:
    assert reply["ok"] is False and reply["data"] is None, reply
    assert reply["error"]["code"] == "unauthenticated", reply
    (error,) = reply["error"]["errors"]
    assert error["field"] == "caller_assertion"
    return str(error["message"])


async def test_a_raw_request_impersonating_the_admin_is_refused_and_reveals_nothing(
    huddle: Instance, caplog: pytest.LogCaptureFixture
) -> None:
    attack = {"caller": {"member_id": huddle.admin_id}, "body": {}}
    raw = await huddle.nc.request(contract.GET_ME, json.dumps(attack).encode(), timeout=5)
    assert refused(json.loads(raw.data)) == "no caller assertion"
    assert ADMIN["email"].encode() not in raw.data

    # Nor can it change anything, answered or not (a publish without a reply subject).
    change = {"caller": {"member_id": huddle.admin_id}, "body": {"display_name": "Mallory X"}}
    with caplog.at_level(logging.WARNING, logger="huddle_shared.messaging.rpc"):
        refused(await huddle.raw(contract.UPDATE_ME, json.dumps(change).encode()))
        await huddle.nc.publish(contract.UPDATE_ME, json.dumps(change).encode())
        await huddle.nc.flush()
        await asyncio.sleep(0.5)
    assert await huddle.display_name() != "Mallory X"
    warnings = [r for r in caplog.records if r.getMessage() == "RPC refused: caller not verified"]
    assert all(r.levelno == logging.WARNING for r in warnings)
    subjects = [r.subject for r in warnings]  # type: ignore[attr-defined]
    assert subjects.count(contract.UPDATE_ME) == 2, subjects  # answered, and not answered
    assert not any("Mallory" in str(vars(r)) for r in caplog.records), "no body in logs"


async def test_the_same_request_signed_with_the_gateways_key_is_answered(
    huddle: Instance,
) -> None:
    message = {"caller": {"member_id": huddle.admin_id}, "body": {}}
    reply = await huddle.raw(contract.GET_ME, signed(contract.GET_ME, message))
    assert reply["ok"], reply
    assert reply["data"]["email"] == ADMIN["email"]


async def test_a_captured_request_replayed_elsewhere_or_later_is_refused(
    huddle: Instance,
) -> None:
    captured: list[tuple[str, bytes]] = []

    async def spy(msg: Any) -> None:  # a plain subscriber sees what the queue group gets
        captured.append((msg.subject, msg.data))

    await huddle.nc.subscribe("rpc.membership.me.>", cb=spy)
    await huddle.nc.flush()
    assert (await huddle.client.get("/api/v1/me", headers=huddle.headers)).status_code == 200
    edit = {"display_name": "Ada Lovelace"}
    response = await huddle.client.patch("/api/v1/me", json=edit, headers=huddle.headers)
    assert response.status_code == 200, response.text
    captured_at = time.time()

    async def seen(subject: str) -> bytes | None:
        # The spy reads on its own connection: a reply can reach the gateway before the
        # copy of its request reaches the spy.
        return next((data for seen_on, data in captured if seen_on == subject), None)

    read = await eventually(lambda: seen(contract.GET_ME))
    update = json.loads(await eventually(lambda: seen(contract.UPDATE_ME)))
    assert json.loads(read)["caller"]["member_id"] == huddle.admin_id

    # The read's assertion, on the update subject (with the read's body, or another).
    assert refused(await huddle.raw(contract.UPDATE_ME, read)) == (
        "assertion is for another subject"
    )
    hijacked = {**json.loads(read), "body": {"display_name": "Mallory X"}}
    assert refused(await huddle.raw(contract.UPDATE_ME, json.dumps(hijacked).encode()))
    # The update's assertion, with another body.
    altered = {**update, "body": {"display_name": "Mallory X"}}
    assert refused(await huddle.raw(contract.UPDATE_ME, json.dumps(altered).encode())) == (
        "assertion is for another body"
    )
    assert await huddle.display_name() == "Ada Lovelace"

    # The read again, unchanged, once its assertion has expired (lifetime + clock skew).
    await asyncio.sleep(max(0.0, captured_at + RPC_TIMEOUT + 3.5 - time.time()))
    assert refused(await huddle.raw(contract.GET_ME, read)) == "assertion expired"


async def test_health_needs_no_assertion(huddle: Instance) -> None:
    reply = await huddle.nc.request("rpc.membership.health", b"{}", timeout=5)
    assert json.loads(reply.data)["status"] == "ok"


async def test_a_gateway_whose_key_the_services_do_not_trust_answers_503_not_401(
    settings_for: Any, nats_url: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    untrusted = ensure_caller_keys(tmp_path / "other")
    async with (
        services(settings_for, "membership"),
        gateway_server(
            NATS_URL=nats_url,
            HUDDLE_JWT_SECRET=SECRET,
            HUDDLE_CALLER_SIGNING_KEY_FILE=untrusted.private_key,
        ) as url,
        httpx.AsyncClient(base_url=url, timeout=10) as client,
    ):
        response = await client.get("/api/v1/stats")
        assert response.status_code == 503, response.text
        assert response.headers["content-type"].startswith("application/problem+json")
