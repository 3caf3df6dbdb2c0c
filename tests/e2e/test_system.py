"""The whole system as separate processes, driven over HTTP, as `make run` starts it."""

import signal
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from huddle_devkit import system
from huddle_devkit.servers import free_port
from huddle_shared.services import service_names
from pymongo import AsyncMongoClient
from support import TEST_INSTANCE, caller_keys, eventually

pytestmark = pytest.mark.e2e

SERVICES = service_names()


class Processes:
    def __init__(self, env: dict[str, str], logs: Path, credentials: Path | None) -> None:
        self.env = env
        self.logs = logs
        self.credentials = credentials
        self.running: dict[str, subprocess.Popen[bytes]] = {}

    def start(self, service: str) -> None:
        log = (self.logs / f"{service}.log").open("ab")
        self.running[service] = subprocess.Popen(
            system.command(service),
            env=system.for_process(self.env, service, self.credentials),
            stdout=log,
            stderr=subprocess.STDOUT,
        )

    def kill(self, service: str) -> None:
        process = self.running.pop(service)
        process.send_signal(signal.SIGKILL)
        process.wait()

    def stop_all(self) -> None:
        for process in self.running.values():
            process.terminate()
        for process in self.running.values():
            try:
                process.wait(10)
            except subprocess.TimeoutExpired:
                process.kill()


@pytest.fixture
def huddle(
    nats_url: str, mongodb_url: str, db_prefix: str, tmp_path: Path, nats_credentials: Path | None
) -> Iterator[tuple[str, Processes, str]]:
    port = free_port()
    env = system.environment(
        nats_url=nats_url,
        mongodb_url=mongodb_url,
        gateway_port=port,
        extra={
            "HUDDLE_DB_PREFIX": db_prefix,
            "LOG_LEVEL": "INFO",
            "HUDDLE_INSTANCE_ID": TEST_INSTANCE,
            **caller_keys().environment(),
        },
    )
    processes = Processes(env, tmp_path, nats_credentials)
    for service in (*SERVICES, "gateway"):
        processes.start(service)
    try:
        yield f"http://127.0.0.1:{port}", processes, db_prefix
    finally:
        processes.stop_all()


async def test_a_member_registered_through_the_gateway_reaches_every_service(
    huddle: tuple[str, Processes, str], mongodb_url: str
) -> None:
    url, processes, prefix = huddle
    async with httpx.AsyncClient(base_url=url, timeout=10) as client:

        async def ready() -> dict[str, Any] | None:
            try:
                response = await client.get("/health/ready")
            except httpx.HTTPError:
                return None
            return response.json() if response.status_code == 200 else None

        health = await eventually(ready, timeout=60, interval=0.2)
        assert health["services"] == dict.fromkeys(SERVICES, "ok")

        organisation = (
            await client.post(
                "/api/v1/organisations",
                json={
                    "name": "Cambridge University Hospitals",
                    "kind": "nhs_trust",
                    "region": "east_of_england",
                    "ods_code": "RGT",
                },
            )
        ).json()

        async def register(name: str, email: str) -> dict[str, Any]:
            response = await client.post(
                "/api/v1/accounts",
                json={
                    "email": email,
                    "password": "a long enough password",
                    "display_name": name,
                    "organisation_id": organisation["id"],
                    "member_type": "staff",
                },
            )
            assert response.status_code == 201, response.text
            return response.json()  # type: ignore[no-any-return]

        first = await register("Chloe Hughes", "chloe.hughes@example.org")
        token = (
            await client.post(
                "/api/v1/auth/token",
                json={"email": "chloe.hughes@example.org", "password": "a long enough password"},
            )
        ).json()["access_token"]
        read = (
            await client.get(
                f"/api/v1/members/{first['id']}", headers={"Authorization": f"Bearer {token}"}
            )
        ).json()
        assert read["display_name"] == "Chloe Hughes"

        mongo: AsyncMongoClient[Any] = AsyncMongoClient(mongodb_url)
        try:

            async def projections_hold(member_id: str) -> bool:
                return all(
                    [
                        await mongo[f"{prefix}_notes"]["redaction_names"].find_one(
                            {"_id": member_id}
                        ),
                        await mongo[f"{prefix}_insights"]["member_profiles"].find_one(
                            {"_id": member_id}
                        ),
                        await mongo[f"{prefix}_scheduling"]["attendees"].find_one(
                            {"_id": member_id}
                        ),
                    ]
                )

            await eventually(lambda: projections_hold(first["id"]))

            # A consumer killed outright misses nothing: its durable consumer resumes.
            processes.kill("notes")
            second = await register("Dev Campbell", "dev.campbell@example.org")
            processes.start("notes")
            await eventually(lambda: projections_hold(second["id"]), timeout=30)
            signposting = mongo[f"{prefix}_signposting"]["organisation_members"]
            await eventually(lambda: _member_count(signposting, organisation["id"], 2))
            assert await mongo[f"{prefix}_notes"]["redaction_names"].count_documents({}) == 2
        finally:
            await mongo.close()


async def _member_count(collection: Any, organisation_id: str, expected: int) -> bool:
    return await collection.count_documents({"organisation_id": organisation_id}) == expected
