"""An outage heals: the consumers' database stops for most of a minute while membership
keeps publishing, and afterwards nothing is dead-lettered and every projection matches
membership's own state.

The consuming services have their own FerretDB server (stopped and restarted on the same
port and state directory); membership keeps the session's, so events keep arriving during
the outage. The consumers' dead-letter back-off is shortened (``HUDDLE_RETRY_BACKOFF_SECONDS``,
0.2 + 0.5 + 1 + 2 s, where production waits 0.5 + 2 + 10 + 30 s); the outage outlasts it
several times over, client timeouts included, so counting outage errors as message failures
would dead-letter events.
"""

import asyncio
import contextlib
import json
import time
from pathlib import Path
from typing import Any

import nats
import pytest
from huddle_devkit.servers import ferretdb_server, free_port
from huddle_shared.config import ServiceSettings
from huddle_shared.contracts import membership as contract
from huddle_shared.contracts.streams import DEAD_LETTERS
from huddle_shared.services import service_names
from pymongo import AsyncMongoClient
from support import caller_keys, connect_nats, eventually, seed_file, services, signed

pytestmark = pytest.mark.integration

ALL = service_names()
RETRY_BACKOFF = (0.2, 0.5, 1.0, 2.0)
# Each of the five deliveries also waits out a 2 s server selection: about 14 s in all.
OUTAGE_SECONDS = 25.0


async def request(nc: Any, subject: str, body: dict[str, Any], **caller: str) -> Any:
    message = {"body": body, **({"caller": caller} if caller else {})}
    reply = json.loads((await nc.request(subject, signed(subject, message), timeout=10)).data)
    return reply["data"] if reply["ok"] else None


async def keep_registering(nc: Any, organisation_id: str, stop: asyncio.Event) -> dict[str, int]:
    """Register members and rename each one, until told to stop; count what was answered."""
    counts = {"answered": 0, "refused": 0}
    n = 0
    while not stop.is_set():
        n += 1
        try:
            member = await request(
                nc,
                contract.REGISTER_ACCOUNT,
                {
                    "email": f"member{n}@example.org",
                    "password": "a long enough password",
                    "display_name": f"Member {n}",
                    "organisation_id": organisation_id,
                    "member_type": "staff",
                },
            )
            if member:
                renamed = await request(
                    nc,
                    contract.UPDATE_ME,
                    {"display_name": f"Member {n} Renamed"},
                    member_id=member["id"],
                )
                counts["answered" if renamed else "refused"] += 1
            else:
                counts["refused"] += 1
        except Exception:  # the database is down: the request times out or fails
            counts["refused"] += 1
        await asyncio.sleep(0.1)
    return counts


async def test_a_database_outage_under_load_loses_no_event(
    tmp_path: Path, nats_url: str, mongodb_url: str, db_prefix: str
) -> None:
    port = free_port()
    state = tmp_path / "ferretdb"
    # A short server-selection timeout so the test runs quickly (production: 5 s).
    url = f"mongodb://127.0.0.1:{port}/?serverSelectionTimeoutMS=2000"
    server = ferretdb_server(state, port=port)
    server.start()
    server.wait_ready()

    def settings_for(service: str) -> ServiceSettings:
        return ServiceSettings(
            NATS_URL=nats_url,
            MONGODB_URL=mongodb_url if service == "membership" else url,
            MONGODB_DATABASE=f"{db_prefix}_{service}",
            HUDDLE_INSTANCE_ID="test-instance",
            HUDDLE_OUTBOX_RELAY_INTERVAL=0.5,
            HUDDLE_RETRY_BACKOFF_SECONDS=",".join(map(str, RETRY_BACKOFF)),
            HUDDLE_CALLER_VERIFY_KEY_FILES=str(caller_keys().public_key),
            NATS_NKEY_SEED_FILE=seed_file(service),
        )

    nc = await connect_nats(nats_url)
    mongo: AsyncMongoClient[Any] = AsyncMongoClient(url, tz_aware=True)
    source: AsyncMongoClient[Any] = AsyncMongoClient(mongodb_url, tz_aware=True)
    try:
        async with services(settings_for, *ALL):
            organisation = await request(
                nc, contract.REGISTER_ORGANISATION, {"name": "Leeds Teaching", "kind": "nhs_trust"}
            )
            stop = asyncio.Event()
            load = asyncio.create_task(keep_registering(nc, organisation["id"], stop))
            await asyncio.sleep(3)

            server.stop()  # the database goes away, mid-load
            stopped_at = time.monotonic()
            await asyncio.sleep(OUTAGE_SECONDS)
            server = ferretdb_server(state, port=port)  # same port, same data
            server.start()
            server.wait_ready()
            outage = time.monotonic() - stopped_at
            # Long enough that five failed deliveries, each with its back-off, would be over.
            assert outage > 5 * 2.0 + sum(RETRY_BACKOFF), outage
            await asyncio.sleep(2)
            stop.set()
            counts = await load
            assert counts["answered"] > 20, counts

            db = {name: mongo[f"{db_prefix}_{name}"] for name in ALL}
            db["membership"] = source[f"{db_prefix}_membership"]

            async def caught_up() -> bool:
                members = {
                    doc["_id"]: doc["display_name"]
                    async for doc in db["membership"]["members"].find({}, {"display_name": 1})
                }
                attendees = {
                    doc["_id"]: doc.get("display_name")
                    async for doc in db["scheduling"]["attendees"].find({})
                    if doc.get("member_type") == "staff"  # from the registration
                }
                names = {
                    doc["_id"]: set(doc.get("names", []))
                    async for doc in db["notes"]["redaction_names"].find({})
                }
                profiles = {doc["_id"] async for doc in db["insights"]["member_profiles"].find()}
                at_organisations = {
                    doc["_id"] async for doc in db["signposting"]["organisation_members"].find()
                }
                return bool(
                    members
                    and attendees == members
                    # The registration's name and the rename's, both.
                    and all(
                        {members[m], members[m].removesuffix(" Renamed")} <= names.get(m, set())
                        for m in members
                    )
                    and profiles == set(members)
                    and at_organisations == set(members)
                )

            await eventually(caught_up, timeout=60, interval=0.5)
            js = nc.jetstream()
            with contextlib.suppress(nats.js.errors.NotFoundError):
                dead = (await js.stream_info(DEAD_LETTERS.name)).state.messages
                assert dead == 0, "an outage must not dead-letter anything"
            outboxes = await db["membership"]["members"].count_documents(
                {"outbox.0": {"$exists": True}}
            )
            assert outboxes == 0
            print(f"outage {outage:.1f}s, load {counts}")
    finally:
        await nc.close()
        await mongo.close()
        await source.close()
        server.stop()
