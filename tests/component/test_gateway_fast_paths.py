"""Answers the gateway keeps for up to a second: the public statistics (with an ETag and
304s) and readiness. Real NATS, FerretDB and membership."""

import asyncio
from typing import Any

import httpx
import pytest
from huddle_shared.contracts import membership as contract
from huddle_shared.services import service_names
from support import connect_nats, eventually, gateway_server, services

pytestmark = pytest.mark.component


async def test_statistics_carry_an_etag_and_answer_304_while_unchanged(
    settings_for: Any, nats_url: str, mongodb_url: str
) -> None:
    async with (
        services(settings_for, "membership"),
        gateway_server(NATS_URL=nats_url, HUDDLE_STATS_CACHE_SECONDS=1) as url,
        httpx.AsyncClient(base_url=url, timeout=10) as client,
    ):
        first = await client.get("/api/v1/stats")
        assert first.status_code == 200, first.text
        tag = first.headers["etag"]
        assert tag.startswith('"') and tag.endswith('"')
        assert "public" in first.headers["cache-control"]

        for header in (tag, f"W/{tag}", f'"other", {tag}', "*"):
            again = await client.get("/api/v1/stats", headers={"If-None-Match": header})
            assert again.status_code == 304, header
            assert again.content == b""
            assert again.headers["etag"] == tag
            assert "public" in again.headers["cache-control"]
            assert again.headers["x-content-type-options"] == "nosniff"
        other = await client.get("/api/v1/stats", headers={"If-None-Match": '"other"'})
        assert other.status_code == 200 and other.json() == first.json()

        # A change (an organisation registered, counted from its event) reaches the
        # figures with a new tag once the kept answer is a second old.
        created = await client.post(
            "/api/v1/organisations",
            json={"name": "Fast Paths Trust", "kind": "nhs_trust", "region": "london"},
        )
        assert created.status_code == 201, created.text
        kept = await client.get("/api/v1/stats")

        async def changed() -> httpx.Response | None:
            answer = await client.get("/api/v1/stats", headers={"If-None-Match": tag})
            return answer if answer.status_code == 200 else None

        fresh = await eventually(changed)
        assert fresh.json()["organisations"] == first.json()["organisations"] + 1
        assert fresh.headers["etag"] != tag
        assert kept.json()["organisations"] in (
            first.json()["organisations"],
            fresh.json()["organisations"],
        )


async def test_statistics_are_asked_for_once_per_second_under_load(
    settings_for: Any, nats_url: str
) -> None:
    async with (
        services(settings_for, "membership"),
        gateway_server(NATS_URL=nats_url, HUDDLE_STATS_CACHE_SECONDS=1) as url,
        httpx.AsyncClient(base_url=url, timeout=10) as client,
    ):
        # A plain subscriber beside membership's queue group hears every request it gets.
        watcher = await connect_nats(nats_url)
        asked = 0

        async def count(msg: Any) -> None:
            nonlocal asked
            asked += 1

        await watcher.subscribe(contract.STATS, cb=count)
        await watcher.flush()
        answers = await asyncio.gather(*(client.get("/api/v1/stats") for _ in range(40)))
        assert {answer.status_code for answer in answers} == {200}
        await watcher.flush()
        await watcher.close()
        assert asked == 1


async def test_ready_is_kept_only_while_every_service_answers(
    settings_for: Any, nats_url: str
) -> None:
    async with (
        gateway_server(
            # Room for a service just started on a busy machine to answer its first probe.
            NATS_URL=nats_url,
            HUDDLE_HEALTH_TIMEOUT=2.0,
            HUDDLE_HEALTH_CACHE_SECONDS=1,
        ) as url,
        httpx.AsyncClient(base_url=url, timeout=10) as client,
    ):
        assert (await client.get("/health/ready")).status_code == 503
        async with services(settings_for, *service_names()):
            # "Not ready" was not kept: the first probe after the start sees every service.
            assert (await client.get("/health/ready")).status_code == 200
        loop = asyncio.get_running_loop()
        stopped = loop.time()

        async def not_ready() -> bool:
            return (await client.get("/health/ready")).status_code == 503

        await eventually(not_ready, timeout=5)
        assert loop.time() - stopped < 1.0 + 2.0 + 0.5  # kept a second at most, then asked
