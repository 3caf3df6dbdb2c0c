"""The same backbone against the real `mongo` and `nats` images, where a Docker engine exists.

These machines have only FerretDB; wherever Docker runs (a developer's laptop, a CI with an
engine) this proves the code also holds on MongoDB itself.
"""

import json
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from huddle_shared.config import ServiceSettings
from huddle_shared.contracts import membership as contract
from pymongo import AsyncMongoClient
from support import (
    TEST_INSTANCE,
    caller_keys,
    connect_nats,
    eventually,
    seed_file,
    services,
    signed,
)

pytestmark = [pytest.mark.integration, pytest.mark.docker]


def docker_engine_available() -> bool:
    try:
        import docker

        docker.from_env(timeout=3).ping()
    except Exception:
        return False
    return True


@pytest.fixture(scope="module")
def real_servers() -> Iterator[tuple[str, str]]:
    if not docker_engine_available():
        pytest.skip("no Docker engine here: the real mongo and nats images cannot run")
    from testcontainers.community.mongodb import MongoDbContainer
    from testcontainers.community.nats import NatsContainer

    with MongoDbContainer("mongo:7") as mongo, NatsContainer("nats:2.10", jetstream=True) as broker:
        yield mongo.get_connection_url(), broker.nats_uri()


async def test_registration_reaches_projections_on_real_mongodb(
    real_servers: tuple[str, str],
) -> None:
    mongodb_url, nats_url = real_servers
    prefix = f"t{uuid.uuid4().hex[:10]}"

    def settings_for(service: str) -> ServiceSettings:
        return ServiceSettings(
            NATS_URL=nats_url,
            MONGODB_URL=mongodb_url,
            MONGODB_DATABASE=f"{prefix}_{service}",
            HUDDLE_INSTANCE_ID=TEST_INSTANCE,
            HUDDLE_CALLER_VERIFY_KEY_FILES=str(caller_keys().public_key),
            NATS_NKEY_SEED_FILE=seed_file(service),
        )

    async with services(settings_for, "membership", "notes", "signposting"):
        nc = await connect_nats(nats_url)
        mongo: AsyncMongoClient[Any] = AsyncMongoClient(mongodb_url)
        try:

            async def call(subject: str, body: dict[str, Any]) -> dict[str, Any]:
                reply = json.loads(
                    (await nc.request(subject, signed(subject, {"body": body}), timeout=10)).data
                )
                assert reply["ok"], reply
                return reply["data"]  # type: ignore[no-any-return]

            organisation = await call(
                contract.REGISTER_ORGANISATION, {"name": "HSSIB", "kind": "national_body"}
            )
            await call(contract.REGISTER_ORGANISATION, {"name": "No code", "kind": "other"})
            await call(contract.REGISTER_ORGANISATION, {"name": "No code either", "kind": "other"})
            member = await call(
                contract.REGISTER_ACCOUNT,
                {
                    "email": "gareth.patel@example.org",
                    "password": "a long enough password",
                    "display_name": "Gareth Patel",
                    "organisation_id": organisation["id"],
                    "member_type": "national_observer",
                },
            )

            async def projected() -> bool:
                notes = await mongo[f"{prefix}_notes"]["redaction_names"].find_one(
                    {"_id": member["id"]}
                )
                directory = mongo[f"{prefix}_signposting"]["organisation_members"]
                at_organisation = await directory.count_documents(
                    {"organisation_id": organisation["id"]}
                )
                return bool(notes and at_organisation == 1)

            await eventually(projected, timeout=20)
        finally:
            await nc.close()
            await mongo.close()
