"""RPC under load: requests of one subject run side by side, a request the caller gave up on
is not run late, the reply does not wait for JetStream, and concurrent requests lose no
update on FerretDB (per-document locks)."""

import asyncio
import json
import time
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from huddle_shared.contracts import membership as contract
from huddle_shared.contracts.common import Empty
from huddle_shared.contracts.rpc import Caller
from huddle_shared.messaging.broker import create_broker
from huddle_shared.messaging.publisher import JetStreamEventPublisher
from huddle_shared.messaging.rpc import rpc_endpoint
from huddle_shared.services import MEMBERSHIP as MEMBERSHIP_SERVICE
from pymongo import AsyncMongoClient
from support import as_devkit, connect_nats, eventually, services, signed

pytestmark = pytest.mark.integration

PASSWORD = "a long enough password"


async def request(
    nc: Any, subject: str, body: dict[str, Any], *, timeout: float = 10, **message: Any
) -> dict[str, Any]:
    data = signed(subject, json.loads(json.dumps({"body": body, **message}, default=str)))
    return json.loads((await nc.request(subject, data, timeout=timeout)).data)  # type: ignore[no-any-return]


async def slow_probe(nats_url: str, *, max_workers: int, seconds: float, runs: list[str]) -> Any:
    """A service answering ``rpc.probe.slow`` after ``seconds``, recording each run."""
    broker = create_broker(nats_url, service="probe", **as_devkit())

    async def slow(request: Empty, caller: Caller) -> dict[str, str]:
        runs.append(str(caller.address))
        await asyncio.sleep(seconds)
        return {"done": str(caller.address)}

    rpc_endpoint(
        broker,
        "rpc.probe.slow",
        service="probe",
        request_model=Empty,
        handler=slow,
        description="Sleeps.",
        max_workers=max_workers,
    )
    await broker.start()
    return broker


async def test_requests_of_one_subject_run_side_by_side(nats_url: str) -> None:
    runs: list[str] = []
    broker = await slow_probe(nats_url, max_workers=4, seconds=1.0, runs=runs)
    nc = await connect_nats(nats_url)
    try:
        started = time.monotonic()
        replies = await asyncio.gather(
            *(
                request(nc, "rpc.probe.slow", {}, timeout=2.5, caller={"address": f"c{i}"})
                for i in range(4)
            )
        )
        elapsed = time.monotonic() - started
        assert [reply["ok"] for reply in replies] == [True] * 4
        assert elapsed < 2.0, elapsed  # one at a time would take 4 s: three would time out
    finally:
        await nc.close()
        await broker.stop()


async def test_a_request_whose_deadline_passed_in_the_queue_is_not_run(nats_url: str) -> None:
    runs: list[str] = []
    broker = await slow_probe(nats_url, max_workers=1, seconds=1.0, runs=runs)
    nc = await connect_nats(nats_url)
    now = datetime.now(UTC)
    try:
        first, late = await asyncio.gather(
            request(
                nc,
                "rpc.probe.slow",
                {},
                timeout=5,
                caller={"address": "first"},
                deadline=now + timedelta(seconds=5),
            ),
            request(
                nc,
                "rpc.probe.slow",
                {},
                timeout=5,
                caller={"address": "late"},
                deadline=now + timedelta(seconds=0.3),
            ),
        )
        assert first["ok"]
        assert late["ok"] is False and late["error"]["title"] == "Deadline passed"
        assert runs == ["first"]
    finally:
        await nc.close()
        await broker.stop()


async def test_the_reply_does_not_wait_for_jetstream(
    settings_for: Any, nats_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The outbox is published after the reply: a slow JetStream holds neither the caller
    nor the document's lock, and the event still arrives."""
    publish = JetStreamEventPublisher.publish

    async def slow_publish(self: Any, *args: Any, **kwargs: Any) -> None:
        await asyncio.sleep(3.0)
        await publish(self, *args, **kwargs)

    monkeypatch.setattr(JetStreamEventPublisher, "publish", slow_publish)
    async with services(settings_for, "membership"):
        nc = await connect_nats(nats_url)
        try:
            started = time.monotonic()
            reply = await request(
                nc,
                contract.REGISTER_ORGANISATION,
                {"name": "Leeds Teaching Hospitals", "kind": "nhs_trust"},
                timeout=2.0,
            )
            assert reply["ok"], reply
            assert time.monotonic() - started < 2.0
            js = nc.jetstream()

            async def published() -> int:
                info = await js.stream_info(MEMBERSHIP_SERVICE.stream.name)
                return info.state.messages

            assert await eventually(published, timeout=10) == 1
        finally:
            await nc.close()


async def test_concurrent_edits_of_one_member_lose_nothing_on_ferretdb(
    settings_for: Any, nats_url: str, mongodb_url: str
) -> None:
    """Five edits of one member at once, each of a different field: every one survives.
    The member's lock serialises the read-decide-write now that handlers run concurrently
    (FerretDB v1 would otherwise let the last write undo the others)."""
    async with services(settings_for, "membership") as running:
        nc = await connect_nats(nats_url)
        mongo: AsyncMongoClient[Any] = AsyncMongoClient(mongodb_url)
        members = mongo[running["membership"].database.name]["members"]
        try:
            organisation = await request(
                nc, contract.REGISTER_ORGANISATION, {"name": "Trust", "kind": "nhs_trust"}
            )
            ids = []
            for n in range(3):
                member = await request(
                    nc,
                    contract.REGISTER_ACCOUNT,
                    {
                        "email": f"m{n}@example.org",
                        "password": PASSWORD,
                        "display_name": f"Member {n}",
                        "organisation_id": organisation["data"]["id"],
                        "member_type": "staff",
                    },
                )
                ids.append(member["data"]["id"])
            edits = [
                {"display_name": "Renamed"},
                {"job_title": "Safety lead"},
                {"topics": ["falls"]},
                {"listed_in_directory": True},
                {"contactable": True},
            ]
            replies = await asyncio.gather(
                *(
                    request(nc, contract.UPDATE_ME, edit, caller={"member_id": member_id})
                    for member_id in ids
                    for edit in edits
                )
            )
            assert all(reply["ok"] for reply in replies), replies
            for member_id in ids:
                stored = await members.find_one({"_id": member_id})
                assert stored is not None
                assert (
                    stored["display_name"],
                    stored["job_title"],
                    stored["topics"],
                    stored["listed_in_directory"],
                    stored["contactable"],
                ) == ("Renamed", "Safety lead", ["falls"], True, True)
        finally:
            await nc.close()
            await mongo.close()


async def test_a_burst_of_wrong_passwords_is_limited_like_a_sequence(
    settings_for: Any, nats_url: str
) -> None:
    """Concurrent sign-ins for one account from one address are checked one after another:
    of twelve wrong passwords at once, four are refused as wrong and the rest as too many.
    From twelve other addresses each is only a first failure: nothing counts per account."""
    async with services(settings_for, "membership"):
        nc = await connect_nats(nats_url)
        try:
            organisation = await request(
                nc, contract.REGISTER_ORGANISATION, {"name": "Trust", "kind": "nhs_trust"}
            )
            await request(
                nc,
                contract.REGISTER_ACCOUNT,
                {
                    "email": "target@example.org",
                    "password": PASSWORD,
                    "display_name": "Target",
                    "organisation_id": organisation["data"]["id"],
                    "member_type": "staff",
                },
            )
            replies = await asyncio.gather(
                *(
                    request(
                        nc,
                        contract.SIGN_IN,
                        {"email": "target@example.org", "password": f"wrong password {n}"},
                        caller={"address": address},
                    )
                    for n, address in enumerate(
                        ["10.0.0.1"] * 12 + [f"10.0.1.{n}" for n in range(12)]
                    )
                )
            )
            codes = [reply["error"]["code"] for reply in replies]
            assert sorted(codes[:12]) == ["too_many_requests"] * 8 + ["unauthenticated"] * 4
            assert codes[12:] == ["unauthenticated"] * 12
        finally:
            await nc.close()
