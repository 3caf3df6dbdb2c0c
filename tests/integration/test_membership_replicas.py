"""Two membership processes on one FerretDB database: races decided by unique keys.

FerretDB v1 applies no update atomically, and the per-document locks hold within one
process only, so two replicas racing are kept right only by claims: inserted documents whose
unique ``_id`` is the claim. Each replica is a separate process started from ``bootstrap``
(tests/integration/membership_replica.py); both get the same calls at the same moment, and
exactly one of each race must win.
"""

import asyncio
import contextlib
import json
import os
import subprocess
import sys
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from huddle_membership.bootstrap import bootstrap
from huddle_shared.config import ServiceSettings
from huddle_shared.contracts import membership as mc
from huddle_shared.contracts import networks as nc
from huddle_shared.contracts.envelope import EventEnvelope
from huddle_shared.contracts.registry import payload_type
from huddle_shared.contracts.rpc import Caller
from huddle_shared.runtime import ServiceRuntime
from huddle_shared.services import MEMBERSHIP
from support import connect_nats, started

pytestmark = pytest.mark.integration

REPLICA = Path(__file__).with_name("membership_replica.py")
PASSWORD = "a long enough password"
ROUNDS = 6  # races of each kind, all at once: a lost race would show in at least one


class Setup:
    """Calls membership's handlers directly in this process (before the replicas start)."""

    def __init__(self, runtime: ServiceRuntime) -> None:
        self.runtime = runtime
        self.routes = {route.subject: route for route in runtime.routes}
        self.organisation = ""

    async def call(self, subject: str, body: dict[str, Any], member: str | None = None) -> Any:
        route = self.routes[subject]
        caller = Caller(member_id=uuid.UUID(member)) if member else Caller()
        return await route.handler(route.request_model(**body), caller)

    async def person(self, *, admin: bool = False) -> tuple[str, str]:
        if not self.organisation:
            organisation = await self.call(
                mc.REGISTER_ORGANISATION, {"name": "Bradford Teaching", "kind": "nhs_trust"}
            )
            self.organisation = str(organisation.id)
        email = f"r{uuid.uuid4().hex[:10]}@example.org"
        account = await self.call(
            mc.REGISTER_ACCOUNT,
            {
                "email": email,
                "password": PASSWORD,
                "display_name": "Replica Racer",
                "organisation_id": self.organisation,
                "member_type": "staff",
            },
        )
        if admin:  # test set-up, standing in for configuration
            await self.runtime.database["members"].update_one(
                {"_id": str(account.id)}, {"$set": {"is_instance_admin": True}}
            )
        return str(account.id), email

    async def network(self, admin: str, visibility: str) -> str:
        slug = f"race-{uuid.uuid4().hex[:10]}"
        body = {"slug": slug, "name": f"Race {slug}", "visibility": visibility}
        await self.call(nc.CREATE_NETWORK, body, admin)
        return slug

    async def invite(self, slug: str, admin: str, email: str, role: str = "member") -> str:
        view = await self.call(nc.INVITE, {"slug": slug, "email": email, "role": role}, admin)
        return str(view.token)

    async def accept(self, token: str, member: str) -> None:
        await self.call(nc.ACCEPT_INVITATION, {"token": token}, member)


@contextlib.asynccontextmanager
async def replica(settings: ServiceSettings, calls: list[dict[str, Any]]) -> AsyncIterator[Any]:
    env = {
        **os.environ,
        "NATS_URL": settings.nats_url,
        "MONGODB_URL": settings.mongodb_url,
        "MONGODB_DATABASE": settings.database_for("membership"),
        "HUDDLE_INSTANCE_ID": settings.instance_id,
        "HUDDLE_CALLER_VERIFY_KEY_FILES": settings.caller_verify_key_files,
        "HUDDLE_OUTBOX_RELAY_INTERVAL": "0.2",
        "LOG_LEVEL": "WARNING",
        **(
            {"NATS_NKEY_SEED_FILE": settings.nats_nkey_seed_file}
            if settings.nats_nkey_seed_file
            else {}
        ),
    }
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        str(REPLICA),
        json.dumps(calls),
        env=env,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
    )
    try:
        yield process
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()


async def race(
    settings: ServiceSettings, calls: list[dict[str, Any]], *only: list[dict[str, Any]]
) -> list[list[str]]:
    """Both replicas get ``calls``, and each its own of ``only``; each replica's outcomes."""
    first, second = (calls + mine for mine in only)
    async with replica(settings, first) as one, replica(settings, second) as two:
        for process in (one, two):
            line = await asyncio.wait_for(process.stdout.readline(), timeout=60)
            assert line.strip() == b"ready", line
        for process in (one, two):
            process.stdin.write(b"go\n")
        await asyncio.gather(one.stdin.drain(), two.stdin.drain())
        outcomes = []
        for process in (one, two):
            line = await asyncio.wait_for(process.stdout.readline(), timeout=60)
            outcomes.append(json.loads(line))
            assert await asyncio.wait_for(process.wait(), timeout=30) == 0
    return outcomes


async def events(nats_url: str, event_type: str) -> list[dict[str, Any]]:
    connection = await connect_nats(nats_url)
    try:
        js = connection.jetstream()
        subscription = await js.pull_subscribe(
            payload_type(event_type, 1).subject_filter(), stream=MEMBERSHIP.stream.name
        )
        payloads = []
        remaining = (await subscription.consumer_info()).num_pending
        while remaining > 0:
            for message in await subscription.fetch(batch=min(remaining, 500), timeout=5):
                payloads.append(EventEnvelope.model_validate_json(message.data).payload)
                await message.ack()
                remaining -= 1
        return payloads
    finally:
        await connection.close()


async def test_two_replicas_race_and_exactly_one_wins(settings_for: Any, nats_url: str) -> None:
    settings = settings_for("membership")
    async with started(bootstrap(settings)) as rt:
        setup = Setup(rt)
        admin, _ = await setup.person(admin=True)
        people = [await setup.person() for _ in range(ROUNDS)]
        rejoiners = [await setup.person() for _ in range(ROUNDS)]
        calls: list[dict[str, Any]] = []
        on_one: list[dict[str, Any]] = []
        on_two: list[dict[str, Any]] = []
        invitations, two_chairs, opened, rejoined = [], [], [], []
        for (member, email), (rejoiner, _) in zip(people, rejoiners, strict=True):
            # An invitation accepted by its invitee on both replicas at once.
            slug = await setup.network(admin, "invite_only")
            token = await setup.invite(slug, admin, email, role="facilitator")
            invitations.append((slug, member))
            calls.append(
                {"subject": nc.ACCEPT_INVITATION, "body": {"token": token}, "member": member}
            )
            # The same, for an invitee who already asked to join (their membership exists).
            asked = await setup.network(admin, "approval")
            await setup.call(nc.JOIN_NETWORK, {"slug": asked}, member)
            token = await setup.invite(asked, admin, email, role="facilitator")
            invitations.append((asked, member))
            calls.append(
                {"subject": nc.ACCEPT_INVITATION, "body": {"token": token}, "member": member}
            )
            # Two chairs, each leaving on a different replica: one must stay.
            chairs = await setup.network(admin, "invite_only")
            await setup.accept(await setup.invite(chairs, admin, email, role="chair"), member)
            two_chairs.append(chairs)
            on_one.append({"subject": nc.LEAVE_NETWORK, "body": {"slug": chairs}, "member": admin})
            on_two.append({"subject": nc.LEAVE_NETWORK, "body": {"slug": chairs}, "member": member})
            # A first join, and a join after leaving (the membership document exists).
            open_slug = await setup.network(admin, "open")
            opened.append((open_slug, member))
            calls.append(
                {"subject": nc.JOIN_NETWORK, "body": {"slug": open_slug}, "member": member}
            )
            again = await setup.network(admin, "open")
            await setup.call(nc.JOIN_NETWORK, {"slug": again}, rejoiner)
            await setup.call(nc.LEAVE_NETWORK, {"slug": again}, rejoiner)
            rejoined.append((again, rejoiner))
            calls.append({"subject": nc.JOIN_NETWORK, "body": {"slug": again}, "member": rejoiner})

    outcomes = await race(settings, calls, on_one, on_two)
    kinds = {"ok", "LastChair", "ConcurrentChange"}
    assert {outcome for replica_outcomes in outcomes for outcome in replica_outcomes} <= kinds

    async with started(bootstrap(settings)) as rt:
        memberships = rt.database["network_memberships"]
        joined = await events(settings.nats_url, "network.member_joined")
        left = await events(settings.nats_url, "network.member_left")

        def joins(slug: str, member: str) -> int:
            return sum(1 for e in joined if e["slug"] == slug and e["member_id"] == member)

        for slug, member in invitations:
            stored = await memberships.find_one({"_id": f"{slug}:{member}"})
            assert (stored["status"], stored["role"]) == ("active", "facilitator")
            assert joins(slug, member) == 1, slug
            use = await rt.database["invitation_uses"].find_one({"slug": slug})
            assert use["member_id"] == member and use["completed"]
        for slug in two_chairs:
            chairs = await memberships.count_documents(
                {"slug": slug, "status": "active", "role": "chair"}
            )
            assert chairs == 1, slug
            assert sum(1 for e in left if e["slug"] == slug) == 1, slug
        for slug, member in opened:
            assert await memberships.count_documents({"slug": slug, "member_id": member}) == 1
            assert joins(slug, member) == 1, slug
        for slug, member in rejoined:
            stored = await memberships.find_one({"_id": f"{slug}:{member}"})
            assert stored["status"] == "active"
            assert joins(slug, member) == 2, slug  # the first join, and one rejoin


async def test_a_stale_member_write_cannot_undo_an_erasure(settings_for: Any) -> None:
    """Members carry a version, and a save checks it: a write read before an erasure (or a
    suspension) and made after it is refused, so it cannot bring the person back."""
    from huddle_membership.claims import ConcurrentChange
    from huddle_membership.members.repository import MemberRepository

    settings = settings_for("membership")
    async with started(bootstrap(settings)) as rt:
        setup = Setup(rt)
        member_id, _ = await setup.person()
        repository = MemberRepository(rt.database, rt.relay, settings.instance_id)  # type: ignore[arg-type]
        stale = await repository.get(uuid.UUID(member_id))
        fresh = await repository.get(uuid.UUID(member_id))
        assert stale is not None and fresh is not None
        fresh.erase()
        await repository.save(fresh)
        stale.update_profile(display_name="Back again")
        with pytest.raises(ConcurrentChange):
            await repository.save(stale)
        stored = await rt.database["members"].find_one({"_id": member_id})
        assert (stored["status"], stored["display_name"], stored["version"]) == ("erased", "", 2)


async def test_a_claim_left_by_a_stopped_process_is_skipped_after_its_grace(
    settings_for: Any,
) -> None:
    from datetime import UTC, datetime, timedelta

    from huddle_membership.claims import ClaimLog, ConcurrentChange

    now = [datetime(2026, 3, 1, 9, 0, tzinfo=UTC)]
    async with started(bootstrap(settings_for("membership"))) as rt:
        log = ClaimLog(
            rt.database["test_claims"], grace=timedelta(seconds=30), clock=lambda: now[0]
        )
        await log.create_indexes()
        assert await log.claim_version("membership:x", 1) == 2  # nobody else: one insert
        with pytest.raises(ConcurrentChange):  # version 2 is being written by its claimant
            await log.claim_version("membership:x", 1)
        assert await log.claim_version("membership:x", 2) == 3  # the document shows 2: done
        async with log.turn("chairs:n"):
            with pytest.raises(ConcurrentChange):  # another process waits for this turn
                await log.next_seq("chairs:n")
        async with log.turn("chairs:n"):
            pass  # the settled turn lets the next one in
        await log.claim("chairs:n", 3)  # taken, then its process stopped before settling
        with pytest.raises(ConcurrentChange):
            await log.next_seq("chairs:n")
        now[0] += timedelta(seconds=31)
        assert await log.next_seq("chairs:n") == 4  # abandoned: skipped
        # A version claimed by a process that stopped before writing is skipped too.
        assert await log.claim_version("membership:x", 2) == 4
