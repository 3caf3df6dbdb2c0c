"""Export gathers from every service; erasure leaves no trace in any service's database."""

import uuid
from typing import Any

import httpx
import pytest
from huddle_shared.services import service_names
from pymongo import AsyncMongoClient
from support import JWT_SECRET, eventually, gateway_server, services

pytestmark = pytest.mark.integration

ALL = service_names()
PASSWORD = "a long enough password"


async def everything_in(mongo: AsyncMongoClient[Any], databases: list[str]) -> str:
    """Every document of every collection of every service database, as one text."""
    dump = []
    for name in databases:
        database = mongo[name]
        for collection in await database.list_collection_names():
            dump.extend([repr(document) async for document in database[collection].find({})])
    return "\n".join(dump)


async def test_export_then_erasure_reaches_every_service(
    settings_for: Any, nats_url: str, mongodb_url: str
) -> None:
    unique = uuid.uuid4().hex[:8]
    name, email = f"Zebedee Quill{unique}", f"zq.{unique}@example.org"
    renamed = f"Zeb Quillon{unique}"
    async with (
        services(settings_for, *ALL) as running,
        gateway_server(NATS_URL=nats_url, HUDDLE_JWT_SECRET=JWT_SECRET) as url,
        httpx.AsyncClient(base_url=url, timeout=10) as client,
    ):
        mongo: AsyncMongoClient[Any] = AsyncMongoClient(mongodb_url)
        databases = [runtime.database.name for runtime in running.values()]
        try:
            organisation = (
                await client.post(
                    "/api/v1/organisations",
                    json={"name": "Action against Medical Accidents", "kind": "charity"},
                )
            ).json()
            member = (
                await client.post(
                    "/api/v1/accounts",
                    json={
                        "email": email,
                        "password": PASSWORD,
                        "display_name": name,
                        "organisation_id": organisation["id"],
                        "member_type": "patient_safety_partner",
                        "job_title": "Patient Safety Partner",
                    },
                )
            ).json()
            # A bystander, whose data must survive.
            bystander = await client.post(
                "/api/v1/accounts",
                json={
                    "email": f"other.{unique}@example.org",
                    "password": PASSWORD,
                    "display_name": "Other Person",
                    "organisation_id": organisation["id"],
                    "member_type": "staff",
                },
            )
            await client.post("/api/v1/auth/token", json={"email": email, "password": "wrong one"})
            token = (
                await client.post("/api/v1/auth/token", json={"email": email, "password": PASSWORD})
            ).json()["access_token"]
            headers = {"Authorization": f"Bearer {token}"}
            await client.patch(
                "/api/v1/me",
                headers=headers,
                json={"display_name": renamed, "topics": ["Being open"]},
            )

            async def exported() -> dict[str, Any] | None:
                response = await client.get("/api/v1/me/export", headers=headers)
                assert response.status_code == 200, response.text
                body = response.json()
                complete = (
                    body["notes"]["redaction_names"]
                    and renamed in body["notes"]["redaction_names"]["names"]
                    and body["scheduling"]["attendee"]
                    and body["scheduling"]["attendee"]["display_name"] == renamed
                    and body["insights"]["member_profile"]
                    and body["signposting"]["organisation_membership"]
                )
                return body if complete else None

            export = await eventually(exported)
            assert set(export) == set(ALL)
            assert export["membership"]["account"]["email"] == email
            assert name in export["notes"]["redaction_names"]["names"]  # the old name too
            assert (await client.get("/api/v1/me/export")).status_code == 401

            # Entries the relay could never publish are kept whole; one names the member.
            kept = mongo[running["membership"].database.name]["outbox_dead_letters"]
            for owner, display_name in ((member["id"], renamed), (bystander.json()["id"], "Other")):
                data = (
                    f'{{"payload": {{"member_id": "{owner}", "display_name": "{display_name}"}}}}'
                )
                await kept.insert_one({"_id": f"members:{owner}:x", "entry": {"data": data}})

            assert email in await everything_in(mongo, databases)
            erased = await client.delete("/api/v1/me", headers=headers)
            assert erased.status_code == 204, erased.text

            async def forgotten() -> bool:
                text = await everything_in(mongo, databases)
                return not any(secret in text for secret in (name, renamed, email))

            await eventually(forgotten, timeout=15)
            text = await everything_in(mongo, databases)
            assert "Other Person" in text  # only the erased member's data went
            assert await kept.count_documents({}) == 1  # the bystander's entry stays
            assert member["id"] in text  # ids remain as tombstones, naming nobody
            after = await client.post(
                "/api/v1/auth/token", json={"email": email, "password": PASSWORD}
            )
            assert after.status_code == 401
            assert (await client.get("/api/v1/me", headers=headers)).status_code == 401
        finally:
            await mongo.close()
