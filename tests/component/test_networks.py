"""Networks over HTTP: the gateway and the membership service on real NATS and FerretDB.

One NATS server, membership service and gateway serve the whole module; every test makes
its own members and networks. Callers sign in with access tokens minted with the gateway's
secret (the same tokens the sign-in endpoint issues); one member is made an instance admin
directly in the database, standing in for configuration.
"""

import asyncio
import contextlib
import hashlib
import json
import os
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from huddle_devkit.servers import nats_server, running
from huddle_gateway.auth import AccessTokens
from huddle_shared.config import ServiceSettings
from huddle_shared.contracts import networks as contract
from huddle_shared.contracts.common import export_subject
from huddle_shared.contracts.envelope import EventEnvelope, EventPayload
from huddle_shared.services import MEMBERSHIP as MEMBERSHIP_SERVICE
from pymongo import AsyncMongoClient
from support import (
    JWT_SECRET,
    TEST_INSTANCE,
    caller_keys,
    connect_nats,
    eventually,
    gateway_server,
    seed_file,
    services,
    set_fields,
    signed,
)

pytestmark = pytest.mark.component

SECRET = JWT_SECRET
PASSWORD = "a long enough password"
PROBLEM = "application/problem+json"
ANONYMOUS: dict[str, str] = {}


@dataclass(frozen=True)
class Person:
    id: str
    email: str
    headers: dict[str, str]


@dataclass
class Huddle:
    client: httpx.AsyncClient
    db: Any  # membership's database
    js: Any
    nc: Any  # the NATS connection, to ask membership itself
    tokens: AccessTokens
    organisation_id: str

    async def membership_export(self, person: Person) -> dict[str, Any]:
        """Membership's part of the member's data export (the gateway's needs every service)."""
        subject = export_subject("membership")
        message = {"body": {}, "caller": {"member_id": person.id}}
        reply = json.loads(
            (await self.nc.request(subject, signed(subject, message), timeout=10)).data
        )
        assert reply["ok"], reply
        return dict(reply["data"])

    async def person(
        self,
        *,
        admin: bool = False,
        member_type: str = "staff",
        name: str = "",
        listed: bool = False,
        contactable: bool = False,
    ) -> Person:
        email = f"m{uuid.uuid4().hex[:12]}@Example.org"
        response = await self.client.post(
            "/api/v1/accounts",
            json={
                "email": email,
                "password": PASSWORD,
                "display_name": name or f"Member {email[:7]}",
                "organisation_id": self.organisation_id,
                "job_title": "Patient safety specialist",
                "member_type": member_type,
            },
        )
        assert response.status_code == 201, response.text
        member_id = response.json()["id"]
        settings = {"listed_in_directory": listed, "contactable": contactable}
        if admin:
            settings["is_instance_admin"] = True  # test set-up, standing in for configuration
        await set_fields(self.db["members"], member_id, settings)
        token = self.tokens.issue(uuid.UUID(member_id))
        return Person(member_id, email, {"Authorization": f"Bearer {token}"})

    async def people(self, count: int, **options: Any) -> list[Person]:
        return list(await asyncio.gather(*(self.person(**options) for _ in range(count))))

    async def network(self, admin: Person, visibility: str = "invite_only", **fields: Any) -> str:
        slug = f"net-{uuid.uuid4().hex[:10]}"
        body = {"slug": slug, "name": f"Network {slug}", "visibility": visibility, **fields}
        response = await self.post("/api/v1/networks", admin, body)
        assert response.status_code == 201, response.text
        return slug

    async def add(self, slug: str, admin: Person, person: Person, role: str = "member") -> None:
        """Make ``person`` an active member (by invitation, which works for any network)."""
        invitation = await self.post(
            f"/api/v1/networks/{slug}/invitations", admin, {"email": person.email, "role": role}
        )
        assert invitation.status_code == 201, invitation.text
        accepted = await self.accept(invitation.json()["token"], person)
        assert accepted.status_code == 200, accepted.text

    async def accept(self, token: str, person: Person) -> httpx.Response:
        return await self.post(f"/api/v1/invitations/{token}/accept", person)

    async def get(self, path: str, who: Person | None) -> httpx.Response:
        return await self.client.get(path, headers=who.headers if who else ANONYMOUS)

    async def post(self, path: str, who: Person | None, body: Any = None) -> httpx.Response:
        headers = who.headers if who else ANONYMOUS
        return await self.client.post(path, json=body, headers=headers)

    async def patch(self, path: str, who: Person | None, body: Any) -> httpx.Response:
        return await self.client.patch(path, json=body, headers=who.headers if who else ANONYMOUS)

    async def put(self, path: str, who: Person | None, body: Any) -> httpx.Response:
        return await self.client.put(path, json=body, headers=who.headers if who else ANONYMOUS)

    async def delete(self, path: str, who: Person | None) -> httpx.Response:
        return await self.client.delete(path, headers=who.headers if who else ANONYMOUS)

    async def memberships(self, slug: str, **where: Any) -> list[dict[str, Any]]:
        cursor = self.db["network_memberships"].find({"slug": slug, **where})
        return [document async for document in cursor]

    async def events(self, event: type[EventPayload], slug: str) -> list[dict[str, Any]]:
        """Payloads of ``event`` about ``slug`` in the MEMBERSHIP_EVENTS stream, once every
        outbox is published (events go out just after the reply, not before it)."""
        await eventually(lambda: _outbox_empty(self), timeout=10)
        subscription = await self.js.pull_subscribe(
            event.subject_filter(), stream=MEMBERSHIP_SERVICE.stream.name
        )
        payloads = []
        try:
            remaining = (await subscription.consumer_info()).num_pending
            while remaining > 0:
                for message in await subscription.fetch(batch=min(remaining, 500), timeout=5):
                    envelope = EventEnvelope.model_validate_json(message.data)
                    if envelope.payload["slug"] == slug:
                        payloads.append(envelope.payload)
                    await message.ack()
                    remaining -= 1
        finally:
            await subscription.unsubscribe()
        return payloads


@contextlib.asynccontextmanager
async def nats_for_module(state: Path, credentials: Path | None) -> AsyncIterator[str]:
    configured = os.environ.get("NATS_URL")
    if configured:
        yield configured
        return
    with running(nats_server(state, credentials_dir=credentials)) as server:
        yield server.url  # type: ignore[attr-defined]


@pytest.fixture(scope="module")
async def huddle(
    tmp_path_factory: pytest.TempPathFactory, mongodb_url: str, nats_credentials: Path | None
) -> AsyncIterator[Huddle]:
    prefix = f"t{uuid.uuid4().hex[:10]}"
    state = tmp_path_factory.mktemp("nats")
    async with nats_for_module(state, nats_credentials) as nats_url:

        def settings_for(service: str) -> ServiceSettings:
            return ServiceSettings(
                NATS_URL=nats_url,
                MONGODB_URL=mongodb_url,
                MONGODB_DATABASE=f"{prefix}_{service}",
                HUDDLE_INSTANCE_ID=TEST_INSTANCE,
                HUDDLE_OUTBOX_RELAY_INTERVAL=0.2,
                HUDDLE_CALLER_VERIFY_KEY_FILES=str(caller_keys().public_key),
                NATS_NKEY_SEED_FILE=seed_file(service),
            )

        async with (
            services(settings_for, "membership") as runtimes,
            gateway_server(
                NATS_URL=nats_url, HUDDLE_JWT_SECRET=SECRET, HUDDLE_INSTANCE_ID=TEST_INSTANCE
            ) as url,
            httpx.AsyncClient(base_url=url, timeout=20) as client,
        ):
            mongo: AsyncMongoClient[Any] = AsyncMongoClient(mongodb_url, tz_aware=True)
            connection = await connect_nats(nats_url)
            try:
                organisation = await client.post(
                    "/api/v1/organisations",
                    json={"name": "Birmingham Women's and Children's", "kind": "nhs_trust"},
                )
                assert organisation.status_code == 201, organisation.text
                yield Huddle(
                    client=client,
                    db=mongo[runtimes["membership"].database.name],
                    js=connection.jetstream(),
                    nc=connection,
                    tokens=AccessTokens(SECRET, 900, TEST_INSTANCE),
                    organisation_id=organisation.json()["id"],
                )
            finally:
                await connection.close()
                await mongo.close()


@dataclass(frozen=True)
class Cast:
    """A fresh invite-only network with its chair (an instance admin) and a plain member,
    and an outsider who belongs to another fresh network."""

    slug: str
    chair: Person
    member: Person
    outsider: Person
    other: str


@pytest.fixture(scope="module")
async def regulars(huddle: Huddle) -> tuple[Person, Person, Person]:
    """Accounts are slow to make (argon2), so these three serve every test; each test has
    its own networks, so what one test does to them never shows in another."""
    chair, member, outsider = await asyncio.gather(
        huddle.person(admin=True), huddle.person(), huddle.person()
    )
    return chair, member, outsider


@pytest.fixture
async def cast(huddle: Huddle, regulars: tuple[Person, Person, Person]) -> Cast:
    chair, member, outsider = regulars
    slug, other = await asyncio.gather(huddle.network(chair), huddle.network(chair))
    await asyncio.gather(huddle.add(slug, chair, member), huddle.add(other, chair, outsider))
    return Cast(slug, chair, member, outsider, other)


def problem(response: httpx.Response, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith(PROBLEM)
    return response.json()  # type: ignore[no-any-return]


# --- Creating and reading networks -------------------------------------------------------------


async def test_only_instance_admins_create_networks_and_they_chair_them(
    huddle: Huddle, cast: Cast
) -> None:
    body = {
        "slug": "paediatric-" + uuid.uuid4().hex[:8],
        "name": "Paediatric Leaders",
        "purpose": "Leaders of paediatric patient safety",
        "parent_slug": cast.slug,
        "visibility": "invite_only",
        "allowed_member_types": ["staff"],
        "ground_rules": ["What is said here stays here"],
        "glossary": {"PSIRF": "Patient Safety Incident Response Framework"},
        "region": "midlands",
    }
    problem(await huddle.post("/api/v1/networks", None, body), 401)
    problem(await huddle.post("/api/v1/networks", cast.member, body), 403)  # no admin rights
    problem(await huddle.post("/api/v1/networks", cast.outsider, body), 403)
    assert await huddle.db["networks"].count_documents({"_id": body["slug"]}) == 0

    created = await huddle.post("/api/v1/networks", cast.chair, body)
    assert created.status_code == 201, created.text
    view = created.json()
    assert view["my_role"] == "chair" and view["my_status"] == "active"
    assert {k: view[k] for k in body} == body
    assert await huddle.events(contract.NetworkCreatedV1, body["slug"]) == [
        {
            "slug": body["slug"],
            "name": "Paediatric Leaders",
            "parent_slug": cast.slug,
            "visibility": "invite_only",
            "region": "midlands",
            "ground_rules": body["ground_rules"],
            "never_recorded": False,
            "glossary": body["glossary"],
        }
    ]
    assert await huddle.events(contract.NetworkMemberJoinedV1, body["slug"]) == [
        {"slug": body["slug"], "member_id": cast.chair.id, "role": "chair"}
    ]


async def test_bad_networks_are_refused_and_change_nothing(huddle: Huddle, cast: Cast) -> None:
    before = await huddle.db["networks"].count_documents({})
    memberships_before = await huddle.db["network_memberships"].count_documents({})
    new = "fresh-" + uuid.uuid4().hex[:8]
    cases = [
        ({"slug": "Not_A_Slug", "name": "x"}, 422, "slug"),
        ({"slug": "-leading-dash", "name": "x"}, 422, "slug"),
        ({"slug": new, "name": "x", "parent_slug": "no-such-network"}, 422, "parent_slug"),
        ({"slug": new, "name": "x", "glossary": {"Swarm": "a huddle"}}, 422, "glossary.Swarm"),
        ({"slug": new, "name": "x", "visibility": "secret"}, 422, "visibility"),
        ({"slug": cast.slug, "name": "Taken"}, 409, None),
    ]
    for body, status, field in cases:
        body_problem = problem(await huddle.post("/api/v1/networks", cast.chair, body), status)
        if field:
            assert field in {error["field"] for error in body_problem["errors"]}, body_problem
    assert await huddle.db["networks"].count_documents({}) == before
    assert await huddle.db["network_memberships"].count_documents({}) == memberships_before
    stored = await huddle.db["networks"].find_one({"_id": cast.slug})
    assert stored["name"] == f"Network {cast.slug}"  # the duplicate did not overwrite it


async def test_creating_the_same_network_concurrently_makes_one(huddle: Huddle, cast: Cast) -> None:
    body = {"slug": "race-" + uuid.uuid4().hex[:8], "name": "Race", "visibility": "open"}
    replies = await asyncio.gather(
        *(huddle.post("/api/v1/networks", cast.chair, body) for _ in range(5))
    )
    assert sorted(reply.status_code for reply in replies) == [201, 409, 409, 409, 409]
    assert len(await huddle.memberships(body["slug"])) == 1
    assert len(await huddle.events(contract.NetworkCreatedV1, body["slug"])) == 1


async def test_listing_shows_open_and_approval_networks_and_my_invite_only_ones(
    huddle: Huddle, cast: Cast
) -> None:
    open_slug = await huddle.network(cast.chair, "open")
    approval = await huddle.network(cast.chair, "approval")
    assert (
        await huddle.post(f"/api/v1/networks/{approval}/join", cast.outsider)
    ).status_code == 202

    def mine(response: httpx.Response) -> dict[str, tuple[Any, Any]]:
        assert response.status_code == 200, response.text
        return {n["slug"]: (n["my_role"], n["my_status"]) for n in response.json()}

    seen = mine(await huddle.get("/api/v1/networks", cast.outsider))
    assert cast.slug not in seen  # invite-only, and not theirs
    assert seen[cast.other] == ("member", "active")
    assert seen[open_slug] == (None, None)
    assert seen[approval] == (None, "pending")
    seen = mine(await huddle.get("/api/v1/networks", cast.member))
    assert seen[cast.slug] == ("member", "active")
    assert cast.other not in seen
    seen = mine(await huddle.get("/api/v1/networks", cast.chair))
    assert seen[cast.slug] == seen[cast.other] == ("chair", "active")


async def test_reading_an_invite_only_network_is_for_its_members(
    huddle: Huddle, cast: Cast
) -> None:
    path = f"/api/v1/networks/{cast.slug}"
    problem(await huddle.get(path, None), 401)
    missing = problem(await huddle.get("/api/v1/networks/no-such-network", cast.outsider), 404)
    hidden = problem(await huddle.get(path, cast.outsider), 404)
    assert hidden["title"] == missing["title"]  # no hint that it exists
    assert cast.slug in hidden["detail"] and "invit" not in hidden["detail"].lower()
    read = await huddle.get(path, cast.member)
    assert read.status_code == 200 and read.json()["my_role"] == "member"
    problem(await huddle.get("/api/v1/networks/Bad_Slug", cast.member), 422)

    open_slug = await huddle.network(cast.chair, "open")
    visible = await huddle.get(f"/api/v1/networks/{open_slug}", cast.outsider)
    assert visible.status_code == 200 and visible.json()["my_role"] is None


async def test_network_admins_update_a_network(huddle: Huddle, cast: Cast) -> None:
    path = f"/api/v1/networks/{cast.slug}"
    change = {"purpose": "Sharing learning", "glossary": {"AAR": "After action review"}}
    problem(await huddle.patch(path, None, change), 401)
    problem(await huddle.patch(path, cast.outsider, change), 404)  # cannot see it
    problem(await huddle.patch(path, cast.member, change), 403)
    open_slug = await huddle.network(cast.chair, "open")
    problem(await huddle.patch(f"/api/v1/networks/{open_slug}", cast.outsider, change), 403)
    problem(await huddle.patch(path, cast.chair, {"glossary": {"Swarm": "no"}}), 422)
    problem(await huddle.patch(path, cast.chair, {"slug": "renamed"}), 422)
    problem(await huddle.patch("/api/v1/networks/Bad_Slug", cast.chair, change), 422)
    assert await huddle.events(contract.NetworkUpdatedV1, cast.slug) == []

    facilitator = await huddle.person()
    await huddle.add(cast.slug, cast.chair, facilitator, role="facilitator")
    updated = await huddle.patch(path, facilitator, change)
    assert updated.status_code == 200, updated.text
    assert updated.json()["purpose"] == "Sharing learning"
    assert updated.json()["name"] == f"Network {cast.slug}"  # left out: unchanged
    assert updated.json()["my_role"] == "facilitator"
    again = await huddle.patch(path, cast.chair, change)
    assert again.status_code == 200
    updates = await huddle.events(contract.NetworkUpdatedV1, cast.slug)
    assert [
        {k: v for k, v in e.items() if k not in ("ground_rules", "never_recorded")} for e in updates
    ] == [
        {
            "slug": cast.slug,
            "name": f"Network {cast.slug}",
            "visibility": "invite_only",
            "region": None,
            "glossary": {"AAR": "After action review"},
        }
    ]  # one event: the repeat changed nothing


# --- Joining ------------------------------------------------------------------------------------


async def test_joining_depends_on_the_network(huddle: Huddle, cast: Cast) -> None:
    open_slug = await huddle.network(cast.chair, "open")
    approval = await huddle.network(cast.chair, "approval")
    joiner = await huddle.person()
    problem(await huddle.post(f"/api/v1/networks/{open_slug}/join", None), 401)

    joined = await huddle.post(f"/api/v1/networks/{open_slug}/join", joiner)
    assert joined.status_code == 200, joined.text
    assert joined.json() == {"slug": open_slug, "status": "active", "request_id": None}
    again = await huddle.post(f"/api/v1/networks/{open_slug}/join", joiner, {"message": "hi"})
    assert (again.status_code, again.json()) == (200, joined.json())

    asked = await huddle.post(f"/api/v1/networks/{approval}/join", joiner, {"message": "Hello"})
    assert asked.status_code == 202, asked.text
    assert asked.json()["status"] == "pending" and asked.json()["request_id"]
    again = await huddle.post(f"/api/v1/networks/{approval}/join", joiner)
    assert (again.status_code, again.json()) == (202, asked.json())

    problem(await huddle.post(f"/api/v1/networks/{cast.slug}/join", cast.outsider), 403)
    member_again = await huddle.post(f"/api/v1/networks/{cast.slug}/join", cast.member)
    assert member_again.status_code == 200  # already in: nothing to do
    problem(await huddle.post("/api/v1/networks/no-such-network/join", joiner), 404)
    problem(await huddle.post("/api/v1/networks/Bad_Slug/join", joiner), 422)
    problem(await huddle.post(f"/api/v1/networks/{open_slug}/join", joiner, {"x": 1}), 422)

    assert [m["status"] for m in await huddle.memberships(open_slug, member_id=joiner.id)] == [
        "active"
    ]
    assert [m["status"] for m in await huddle.memberships(approval, member_id=joiner.id)] == [
        "pending"
    ]
    assert await huddle.memberships(cast.slug, member_id=cast.outsider.id) == []
    assert await huddle.events(contract.NetworkMemberJoinedV1, open_slug) == [
        {"slug": open_slug, "member_id": cast.chair.id, "role": "chair"},
        {"slug": open_slug, "member_id": joiner.id, "role": "member"},
    ]


async def test_a_visitor_is_shown_the_networks_anyone_may_find(huddle: Huddle, cast: Cast) -> None:
    """Membership's rule for a caller who is not a member: every network but the invite-only
    ones, with no role or status (they have none)."""
    open_slug = await huddle.network(cast.chair, "open", purpose="For everyone")
    approval = await huddle.network(cast.chair, "approval")
    listed = await huddle.get("/api/v1/networks", None)
    assert listed.status_code == 200, listed.text
    seen = {network["slug"]: network for network in listed.json()}
    assert open_slug in seen and approval in seen
    assert cast.slug not in seen  # invite-only: hidden from visitors
    assert all(network["visibility"] != "invite_only" for network in seen.values())
    assert seen[open_slug]["purpose"] == "For everyone"
    assert {(n["my_role"], n["my_status"]) for n in seen.values()} == {(None, None)}
    problem(await huddle.get(f"/api/v1/networks/{open_slug}", None), 401)  # reading one: sign in


async def test_joining_a_network_with_ground_rules_means_accepting_them(
    huddle: Huddle, cast: Cast
) -> None:
    rules = ["What is said here stays here"]
    open_slug = await huddle.network(cast.chair, "open", ground_rules=rules)
    approval = await huddle.network(cast.chair, "approval", ground_rules=rules)
    joiner = await huddle.person()
    for slug in (open_slug, approval):
        for body in (None, {"accepted_ground_rules": False}):
            refused = problem(await huddle.post(f"/api/v1/networks/{slug}/join", joiner, body), 422)
            assert refused["errors"] == [
                {
                    "field": "accepted_ground_rules",
                    "message": "Accept the network's ground rules to join",
                }
            ]
        assert await huddle.memberships(slug, member_id=joiner.id) == []  # nothing changed
    joined = await huddle.post(
        f"/api/v1/networks/{open_slug}/join", joiner, {"accepted_ground_rules": True}
    )
    assert joined.status_code == 200, joined.text
    asked = await huddle.post(
        f"/api/v1/networks/{approval}/join", joiner, {"accepted_ground_rules": True}
    )
    assert asked.status_code == 202, asked.text
    for slug in (open_slug, approval):
        (membership,) = await huddle.memberships(slug, member_id=joiner.id)
        assert membership["ground_rules_accepted_at"] is not None
    exported = await huddle.membership_export(joiner)
    accepted = {m["slug"]: m["ground_rules_accepted_at"] for m in exported["network_memberships"]}
    assert set(accepted) == {open_slug, approval} and all(accepted.values())
    events = await huddle.events(contract.NetworkMemberJoinedV1, open_slug)
    assert [e["member_id"] for e in events] == [cast.chair.id, joiner.id]  # joined once


async def test_accepting_an_invitation_means_accepting_the_ground_rules(
    huddle: Huddle, cast: Cast
) -> None:
    await huddle.patch(f"/api/v1/networks/{cast.slug}", cast.chair, {"ground_rules": ["Be kind."]})
    invitee = await huddle.person()
    created = await huddle.post(
        f"/api/v1/networks/{cast.slug}/invitations", cast.chair, {"email": invitee.email}
    )
    token = created.json()["token"]
    refused = problem(await huddle.accept(token, invitee), 422)
    assert refused["errors"][0]["field"] == "accepted_ground_rules"
    assert await huddle.memberships(cast.slug, member_id=invitee.id) == []
    assert (await huddle.get(f"/api/v1/invitations/{token}", invitee)).json()["status"] == (
        "pending"
    )  # still unused
    accepted = await huddle.post(
        f"/api/v1/invitations/{token}/accept", invitee, {"accepted_ground_rules": True}
    )
    assert accepted.status_code == 200, accepted.text
    (membership,) = await huddle.memberships(cast.slug, member_id=invitee.id)
    assert membership["status"] == "active" and membership["ground_rules_accepted_at"]


async def test_the_preview_says_when_accepting_would_be_refused(huddle: Huddle, cast: Cast) -> None:
    """The preview answers with accepting's own rule (a suspended account, a kind of member
    the network does not take), in accepting's words."""
    researcher = await huddle.person(member_type="researcher")
    await huddle.patch(
        f"/api/v1/networks/{cast.slug}", cast.chair, {"allowed_member_types": ["staff"]}
    )
    created = await huddle.post(
        f"/api/v1/networks/{cast.slug}/invitations", cast.chair, {"email": researcher.email}
    )
    token = created.json()["token"]
    preview = (await huddle.get(f"/api/v1/invitations/{token}", researcher)).json()
    refusal = problem(await huddle.accept(token, researcher), 403)
    assert preview["status"] == "pending" and preview["cannot_accept"] == refusal["detail"]

    staff = await huddle.person()
    created = await huddle.post(
        f"/api/v1/networks/{cast.slug}/invitations", cast.chair, {"email": staff.email}
    )
    token = created.json()["token"]
    assert (await huddle.get(f"/api/v1/invitations/{token}", staff)).json()["cannot_accept"] is None
    suspended = await huddle.put(
        f"/api/v1/members/{staff.id}/status", cast.chair, {"status": "suspended", "reason": "x"}
    )
    assert suspended.status_code == 200, suspended.text
    preview = (await huddle.get(f"/api/v1/invitations/{token}", staff)).json()
    refusal = problem(await huddle.accept(token, staff), 403)
    assert (
        preview["cannot_accept"]
        == refusal["detail"]
        == ("Your account is not active, so you cannot join networks.")
    )


async def test_suspended_members_cannot_join(huddle: Huddle, cast: Cast) -> None:
    open_slug = await huddle.network(cast.chair, "open")
    suspended = await huddle.person()
    await set_fields(huddle.db["members"], suspended.id, {"status": "suspended"})
    problem(await huddle.post(f"/api/v1/networks/{open_slug}/join", suspended), 403)
    assert await huddle.memberships(open_slug, member_id=suspended.id) == []


async def test_the_same_join_arriving_concurrently_makes_one_membership(
    huddle: Huddle, cast: Cast
) -> None:
    open_slug = await huddle.network(cast.chair, "open")
    approval = await huddle.network(cast.chair, "approval")
    joiner = await huddle.person()
    opened = await asyncio.gather(
        *(huddle.post(f"/api/v1/networks/{open_slug}/join", joiner) for _ in range(6))
    )
    assert {reply.status_code for reply in opened} == {200}
    asked = await asyncio.gather(
        *(huddle.post(f"/api/v1/networks/{approval}/join", joiner) for _ in range(6))
    )
    assert {reply.status_code for reply in asked} == {202}
    assert len({reply.json()["request_id"] for reply in asked}) == 1
    assert len(await huddle.memberships(open_slug, member_id=joiner.id)) == 1
    assert len(await huddle.memberships(approval, member_id=joiner.id)) == 1
    joined = await huddle.events(contract.NetworkMemberJoinedV1, open_slug)
    assert [event["member_id"] for event in joined].count(joiner.id) == 1


# --- Join requests ------------------------------------------------------------------------------


async def approval_network_with_request(huddle: Huddle, cast: Cast) -> tuple[str, Person, str]:
    slug = await huddle.network(cast.chair, "approval")
    await huddle.add(slug, cast.chair, cast.member)  # a member without an admin role
    requester = await huddle.person(name="Rhys Evans")
    asked = await huddle.post(f"/api/v1/networks/{slug}/join", requester, {"message": "Hi all"})
    assert asked.status_code == 202, asked.text
    return slug, requester, asked.json()["request_id"]


async def test_admins_see_join_requests(huddle: Huddle, cast: Cast) -> None:
    slug, requester, request_id = await approval_network_with_request(huddle, cast)
    path = f"/api/v1/networks/{slug}/join-requests"
    problem(await huddle.get(path, None), 401)
    problem(await huddle.get(path, cast.outsider), 403)  # may see the network, not its requests
    problem(await huddle.get(path, cast.member), 403)
    problem(await huddle.get(f"/api/v1/networks/{cast.slug}/join-requests", cast.outsider), 404)
    listed = await huddle.get(path, cast.chair)
    assert listed.status_code == 200, listed.text
    (item,) = listed.json()
    assert item["id"] == request_id and item["member_id"] == requester.id
    assert item["display_name"] == "Rhys Evans" and item["message"] == "Hi all"


async def test_approving_a_request_twice_or_concurrently_makes_one_member(
    huddle: Huddle, cast: Cast
) -> None:
    slug, requester, request_id = await approval_network_with_request(huddle, cast)
    approve = f"/api/v1/networks/{slug}/join-requests/{request_id}/approve"
    problem(await huddle.post(approve, None), 401)
    problem(await huddle.post(approve, cast.outsider), 403)
    problem(await huddle.post(approve, cast.member), 403)
    hidden = f"/api/v1/networks/{cast.slug}/join-requests/{request_id}/approve"
    problem(await huddle.post(hidden, cast.outsider), 404)
    problem(
        await huddle.post(
            f"/api/v1/networks/{slug}/join-requests/{uuid.uuid4()}/approve", cast.chair
        ),
        404,
    )
    assert [m["status"] for m in await huddle.memberships(slug, member_id=requester.id)] == [
        "pending"
    ]

    replies = await asyncio.gather(
        *(huddle.post(approve, cast.chair, {"message": "Welcome"}) for _ in range(5))
    )
    assert {reply.status_code for reply in replies} == {200}, [r.text for r in replies]
    assert replies[0].json() == {"slug": slug, "status": "active", "request_id": request_id}
    again = await huddle.post(approve, cast.chair)
    assert again.status_code == 200 and again.json()["status"] == "active"
    (membership,) = await huddle.memberships(slug, member_id=requester.id)
    assert membership["status"] == "active" and membership["decided_by"] == cast.chair.id
    joined = await huddle.events(contract.NetworkMemberJoinedV1, slug)
    assert [event["member_id"] for event in joined].count(requester.id) == 1
    assert (await huddle.get(f"/api/v1/networks/{slug}/join-requests", cast.chair)).json() == []
    problem(await huddle.post(approve.replace("/approve", "/decline"), cast.chair), 409)


async def test_a_declined_request_cannot_be_approved(huddle: Huddle, cast: Cast) -> None:
    slug, requester, request_id = await approval_network_with_request(huddle, cast)
    decline = f"/api/v1/networks/{slug}/join-requests/{request_id}/decline"
    problem(await huddle.post(decline, None), 401)
    problem(await huddle.post(decline, cast.outsider), 403)
    problem(await huddle.post(decline, cast.member), 403)
    hidden = f"/api/v1/networks/{cast.slug}/join-requests/{request_id}/decline"
    problem(await huddle.post(hidden, cast.outsider), 404)
    declined = await huddle.post(decline, cast.chair, {"message": "Not this time"})
    assert declined.status_code == 200, declined.text
    assert declined.json()["status"] == "declined"
    assert (await huddle.post(decline, cast.chair)).status_code == 200  # repeat
    problem(await huddle.post(decline.replace("/decline", "/approve"), cast.chair), 409)
    (membership,) = await huddle.memberships(slug, member_id=requester.id)
    assert membership["status"] == "declined"
    mine = await huddle.get(f"/api/v1/networks/{slug}", requester)
    assert mine.json()["my_status"] == "declined" and mine.json()["my_role"] is None
    assert [e["member_id"] for e in await huddle.events(contract.NetworkMemberJoinedV1, slug)] == [
        cast.chair.id,
        cast.member.id,
    ]


# --- Invitations --------------------------------------------------------------------------------


async def test_admins_invite_and_only_the_token_hash_is_stored(huddle: Huddle, cast: Cast) -> None:
    path = f"/api/v1/networks/{cast.slug}/invitations"
    body = {"email": "new.person@example.org", "role": "note_taker"}
    problem(await huddle.post(path, None, body), 401)
    problem(await huddle.post(path, cast.outsider, body), 404)
    problem(await huddle.post(path, cast.member, body), 403)
    problem(await huddle.post(path, cast.chair, {"email": "not-an-email"}), 422)
    problem(await huddle.post(path, cast.chair, {"email": "a@example.org", "role": "boss"}), 422)
    assert await huddle.db["invitations"].count_documents({"slug": cast.slug}) == 1  # cast's own

    created = await huddle.post(path, cast.chair, body)
    assert created.status_code == 201, created.text
    invitation = created.json()
    token = invitation["token"]
    assert len(token) >= 43 and invitation["role"] == "note_taker"
    expires = datetime.fromisoformat(invitation["expires_at"])
    assert timedelta(days=27, hours=23) < expires - datetime.now(UTC) <= timedelta(days=28)
    stored = await huddle.db["invitations"].find_one(
        {"_id": hashlib.sha256(token.encode()).hexdigest()}
    )
    assert stored["email_normalised"] == "new.person@example.org" and stored["used_at"] is None
    assert token not in str(await huddle.db["invitations"].find({}).to_list())


async def test_facilitators_cannot_appoint_chairs(huddle: Huddle, cast: Cast) -> None:
    facilitator = await huddle.person()
    await huddle.add(cast.slug, cast.chair, facilitator, role="facilitator")
    path = f"/api/v1/networks/{cast.slug}/invitations"
    problem(await huddle.post(path, facilitator, {"email": "x@example.org", "role": "chair"}), 403)
    invited = await huddle.post(path, facilitator, {"email": "x@example.org", "role": "observer"})
    assert invited.status_code == 201


async def test_an_invitation_is_for_its_invitee_and_used_once(huddle: Huddle, cast: Cast) -> None:
    invitee = await huddle.person()
    created = await huddle.post(
        f"/api/v1/networks/{cast.slug}/invitations",
        cast.chair,
        {"email": invitee.email.upper(), "role": "observer"},
    )
    token = created.json()["token"]
    problem(await huddle.accept(token, None), 401)
    problem(await huddle.accept(token, cast.outsider), 404)  # not their address
    problem(await huddle.accept("x" * 43, invitee), 404)  # no such invitation
    assert await huddle.memberships(cast.slug, member_id=invitee.id) == []

    replies = await asyncio.gather(*(huddle.accept(token, invitee) for _ in range(5)))
    assert {reply.status_code for reply in replies} == {200}, [r.text for r in replies]
    assert replies[0].json() == {"slug": cast.slug, "status": "active", "request_id": None}
    (membership,) = await huddle.memberships(cast.slug, member_id=invitee.id)
    assert (membership["status"], membership["role"]) == ("active", "observer")
    stored = await huddle.db["invitations"].find_one(
        {"_id": hashlib.sha256(token.encode()).hexdigest()}
    )
    assert stored["used_by"] == invitee.id
    joined = await huddle.events(contract.NetworkMemberJoinedV1, cast.slug)
    assert [event["member_id"] for event in joined].count(invitee.id) == 1
    assert (await huddle.accept(token, invitee)).status_code == 200  # later repeat: the same
    problem(await huddle.accept(token, cast.member), 404)  # used: to anyone else it is gone
    read = await huddle.get(f"/api/v1/networks/{cast.slug}", invitee)
    assert read.status_code == 200 and read.json()["my_role"] == "observer"


async def test_the_invitee_reads_an_invitation_before_accepting(huddle: Huddle, cast: Cast) -> None:
    invitee = await huddle.person()
    await huddle.patch(f"/api/v1/networks/{cast.slug}", cast.chair, {"ground_rules": ["Be kind."]})
    created = await huddle.post(
        f"/api/v1/networks/{cast.slug}/invitations",
        cast.chair,
        {"email": invitee.email, "role": "facilitator"},
    )
    token = created.json()["token"]
    path = f"/api/v1/invitations/{token}"
    problem(await huddle.get(path, None), 401)
    problem(await huddle.get(path, cast.outsider), 404)  # not their address
    problem(await huddle.get("/api/v1/invitations/" + "x" * 43, invitee), 404)
    problem(await huddle.get("/api/v1/invitations/short", invitee), 422)

    read = await huddle.get(path, invitee)
    assert read.status_code == 200, read.text
    preview = read.json()
    assert (preview["slug"], preview["role"], preview["status"]) == (
        cast.slug,
        "facilitator",
        "pending",
    )
    assert preview["ground_rules"] == ["Be kind."] and preview["name"] == f"Network {cast.slug}"
    assert await huddle.memberships(cast.slug, member_id=invitee.id) == []  # reading joins no one
    assert preview["cannot_accept"] is None  # accepting would succeed

    accepted = await huddle.post(f"{path}/accept", invitee, {"accepted_ground_rules": True})
    assert accepted.status_code == 200, accepted.text
    assert (await huddle.get(path, invitee)).json()["status"] == "accepted"
    problem(await huddle.get(path, cast.member), 404)  # used: to anyone else it is gone

    await set_fields(
        huddle.db["invitations"],
        hashlib.sha256(token.encode()).hexdigest(),
        {"expires_at": datetime.now(UTC) - timedelta(seconds=1)},
    )
    assert (await huddle.get(path, invitee)).json()["status"] == "accepted"  # used still wins
    late = await huddle.post(
        f"/api/v1/networks/{cast.slug}/invitations", cast.chair, {"email": cast.member.email}
    )
    late_token = late.json()["token"]
    await set_fields(
        huddle.db["invitations"],
        hashlib.sha256(late_token.encode()).hexdigest(),
        {"expires_at": datetime.now(UTC) - timedelta(seconds=1)},
    )
    expired = await huddle.get(f"/api/v1/invitations/{late_token}", cast.member)
    assert expired.json()["status"] == "expired"
    assert expired.json()["cannot_accept"] == (
        "This invitation has expired: ask the network for a new one."
    )


async def test_expired_invitations_and_member_types_not_allowed_are_refused(
    huddle: Huddle, cast: Cast
) -> None:
    slug = await huddle.network(cast.chair, "invite_only", allowed_member_types=["staff"])
    researcher, staff = await asyncio.gather(
        huddle.person(member_type="researcher"), huddle.person()
    )
    tokens = {}
    for person in (researcher, staff):
        created = await huddle.post(
            f"/api/v1/networks/{slug}/invitations", cast.chair, {"email": person.email}
        )
        tokens[person.id] = created.json()["token"]
    problem(await huddle.accept(tokens[researcher.id], researcher), 403)
    await set_fields(
        huddle.db["invitations"],
        hashlib.sha256(tokens[staff.id].encode()).hexdigest(),
        {"expires_at": datetime.now(UTC) - timedelta(seconds=1)},
    )
    expired = problem(await huddle.accept(tokens[staff.id], staff), 409)
    assert "expired" in expired["detail"]
    assert [m["member_id"] for m in await huddle.memberships(slug, status="active")] == [
        cast.chair.id
    ]


# --- Network members ----------------------------------------------------------------------------


async def test_members_see_those_who_agreed_to_be_listed(huddle: Huddle, cast: Cast) -> None:
    listed = await huddle.person(name="Aaron Listed", listed=True, contactable=True)
    private = await huddle.person(name="Zed Private", listed=True, contactable=False)
    hidden = await huddle.person(name="Unlisted")
    for person in (listed, private, hidden):
        await huddle.add(cast.slug, cast.chair, person)
    path = f"/api/v1/networks/{cast.slug}/members"
    problem(await huddle.get(path, None), 401)
    problem(await huddle.get(path, cast.outsider), 404)
    open_slug = await huddle.network(cast.chair, "open")
    problem(await huddle.get(f"/api/v1/networks/{open_slug}/members", cast.outsider), 404)

    response = await huddle.get(path, cast.member)  # any active member
    assert response.status_code == 200, response.text
    view = response.json()
    assert view["total"] == 5  # chair, member and the three above
    assert [m["display_name"] for m in view["members"]] == ["Aaron Listed", "Zed Private"]
    assert view["members"][0]["email"].lower() == listed.email.lower()
    assert view["members"][1]["email"] is None
    assert view["members"][0]["role"] == "member"
    assert view["members"][0]["job_title"] == "Patient safety specialist"


async def test_the_members_list_comes_a_page_at_a_time_in_name_order(
    huddle: Huddle, cast: Cast
) -> None:
    slug = await huddle.network(cast.chair, "open")
    names = ["Cara Page", "Abel Page", "Dina Page", "Bea Page", "Eli Page"]
    people = await asyncio.gather(*(huddle.person(name=name, listed=True) for name in names))
    for person in people:
        await huddle.add(slug, cast.chair, person)
    path = f"/api/v1/networks/{slug}/members"

    def page_of(response: httpx.Response) -> tuple[int, int, list[str]]:
        assert response.status_code == 200, response.text
        view = response.json()
        assert (view["total"], view["listed"]) == (6, 5)  # the chair is not listed
        return view["offset"], len(view["members"]), [m["display_name"] for m in view["members"]]

    everyone = page_of(await huddle.get(path, people[0]))
    assert everyone == (0, 5, sorted(names))
    assert page_of(await huddle.get(f"{path}?limit=2", people[0])) == (0, 2, sorted(names)[:2])
    second = page_of(await huddle.get(f"{path}?limit=2&offset=2", people[0]))
    assert second == (2, 2, sorted(names)[2:4])
    last = page_of(await huddle.get(f"{path}?limit=2&offset=4", people[0]))
    assert last == (4, 1, sorted(names)[4:])
    assert page_of(await huddle.get(f"{path}?offset=9", people[0])) == (9, 0, [])
    for bad in ("limit=0", "limit=201", "offset=-1", "limit=two"):
        refused = problem(await huddle.get(f"{path}?{bad}", people[0]), 422)
        assert refused["errors"][0]["field"] == bad.split("=")[0], refused
    problem(await huddle.get(f"{path}?limit=2", cast.outsider), 404)  # still members only


# --- Roles --------------------------------------------------------------------------------------


async def test_admins_change_roles_but_never_remove_the_last_chair(
    huddle: Huddle, cast: Cast
) -> None:
    def role_path(member: Person) -> str:
        return f"/api/v1/networks/{cast.slug}/members/{member.id}/role"

    path = role_path(cast.member)
    problem(await huddle.put(path, None, {"role": "note_taker"}), 401)
    problem(await huddle.put(path, cast.outsider, {"role": "note_taker"}), 404)
    problem(await huddle.put(path, cast.member, {"role": "chair"}), 403)
    problem(await huddle.put(path, cast.chair, {"role": "king"}), 422)
    problem(await huddle.put(role_path(cast.outsider), cast.chair, {"role": "observer"}), 404)
    problem(await huddle.put(role_path(cast.chair), cast.chair, {"role": "member"}), 409)
    assert await huddle.events(contract.NetworkMemberRoleChangedV1, cast.slug) == []

    changed = await huddle.put(path, cast.chair, {"role": "facilitator"})
    assert changed.status_code == 200, changed.text
    assert changed.json() == {"slug": cast.slug, "member_id": cast.member.id, "role": "facilitator"}
    problem(await huddle.put(role_path(cast.chair), cast.member, {"role": "member"}), 403)
    assert (await huddle.put(path, cast.chair, {"role": "chair"})).status_code == 200
    # Two chairs now: each demoting the other at once still leaves one.
    replies = await asyncio.gather(
        huddle.put(role_path(cast.chair), cast.member, {"role": "member"}),
        huddle.put(role_path(cast.member), cast.chair, {"role": "member"}),
    )
    assert sorted(reply.status_code for reply in replies) in ([200, 403], [200, 409])
    assert len(await huddle.memberships(cast.slug, status="active", role="chair")) == 1
    events = await huddle.events(contract.NetworkMemberRoleChangedV1, cast.slug)
    assert [e["role"] for e in events] == ["facilitator", "chair", "member"]


# --- Leaving ------------------------------------------------------------------------------------


async def test_members_leave_but_the_last_chair_stays(huddle: Huddle, cast: Cast) -> None:
    path = f"/api/v1/networks/{cast.slug}/members/me"
    problem(await huddle.delete(path, None), 401)
    problem(await huddle.delete(path, cast.outsider), 404)
    problem(await huddle.delete(path, cast.chair), 409)
    problem(await huddle.delete("/api/v1/networks/no-such-network/members/me", cast.member), 404)

    left = await huddle.delete(path, cast.member)
    assert left.status_code == 204, left.text
    assert left.content == b""
    problem(await huddle.delete(path, cast.member), 404)
    problem(await huddle.get(f"/api/v1/networks/{cast.slug}", cast.member), 404)
    assert await huddle.events(contract.NetworkMemberLeftV1, cast.slug) == [
        {"slug": cast.slug, "member_id": cast.member.id}
    ]

    successor = await huddle.person()
    await huddle.add(cast.slug, cast.chair, successor, role="chair")
    assert (await huddle.delete(path, cast.chair)).status_code == 204
    (chair,) = await huddle.memberships(cast.slug, status="active", role="chair")
    assert chair["member_id"] == successor.id


async def test_a_used_invitation_does_not_bring_a_leaver_back(huddle: Huddle, cast: Cast) -> None:
    invitee = await huddle.person()
    created = await huddle.post(
        f"/api/v1/networks/{cast.slug}/invitations", cast.chair, {"email": invitee.email}
    )
    token = created.json()["token"]
    assert (await huddle.accept(token, invitee)).status_code == 200
    assert (
        await huddle.delete(f"/api/v1/networks/{cast.slug}/members/me", invitee)
    ).status_code == 204
    problem(await huddle.accept(token, invitee), 409)
    (membership,) = await huddle.memberships(cast.slug, member_id=invitee.id)
    assert membership["status"] == "left"


async def test_the_outbox_is_emptied_once_events_are_published(huddle: Huddle, cast: Cast) -> None:
    await eventually(lambda: _outbox_empty(huddle), timeout=5)


async def _outbox_empty(huddle: Huddle) -> bool:
    for collection in ("networks", "network_memberships"):
        if await huddle.db[collection].count_documents({"outbox.0": {"$exists": True}}):
            return False
    return True


async def test_erasing_a_last_chair_hands_over_or_flags_the_network(
    huddle: Huddle, cast: Cast
) -> None:
    """With a facilitator, the longest-standing one chairs; without, instance admins see the
    network in their list of networks needing a chair, and appoint one."""
    chair, early, late, plain = await huddle.people(4)
    handed, flagged = await asyncio.gather(huddle.network(cast.chair), huddle.network(cast.chair))
    for slug in (handed, flagged):
        await huddle.add(slug, cast.chair, chair, role="chair")
        assert (
            await huddle.delete(f"/api/v1/networks/{slug}/members/me", cast.chair)
        ).status_code == 204
    await huddle.add(handed, chair, early, role="facilitator")
    await huddle.add(handed, chair, late, role="facilitator")
    await huddle.add(flagged, chair, plain)

    async def traces_of(member_id: str) -> dict[str, bool]:
        """Whether the records of past memberships still name the member."""
        return {
            name: member_id in repr([d async for d in huddle.db[name].find({})])
            for name in ("invitation_uses", "network_claims")
        }

    # Leaving writes a claimed version of the membership: the claim log names the member.
    left = await huddle.network(cast.chair)
    await huddle.add(left, cast.chair, chair)
    assert (await huddle.delete(f"/api/v1/networks/{left}/members/me", chair)).status_code == 204
    assert await traces_of(chair.id) == {"invitation_uses": True, "network_claims": True}
    assert (await huddle.delete("/api/v1/me", chair)).status_code == 204
    assert await traces_of(chair.id) == {"invitation_uses": False, "network_claims": False}
    assert (await traces_of(early.id))["network_claims"]  # everyone else's stay
    (new_chair,) = await huddle.memberships(handed, status="active", role="chair")
    assert new_chair["member_id"] == early.id
    assert await huddle.events(contract.NetworkMemberRoleChangedV1, handed) == [
        {"slug": handed, "member_id": early.id, "role": "chair"}
    ]
    assert await huddle.memberships(flagged, status="active", role="chair") == []
    assert await huddle.events(contract.NetworkNeedsChairV1, flagged) == [
        {"slug": flagged, "name": f"Network {flagged}"}
    ]

    problem(await huddle.get("/api/v1/networks?needs_chair=true", plain), 403)
    listed = await huddle.get("/api/v1/networks?needs_chair=true", cast.chair)
    assert listed.status_code == 200, listed.text
    assert flagged in {n["slug"] for n in listed.json()} and handed not in {
        n["slug"] for n in listed.json()
    }
    assert all(n["needs_chair"] for n in listed.json())
    appointed = await huddle.put(
        f"/api/v1/networks/{flagged}/members/{plain.id}/role", cast.chair, {"role": "chair"}
    )
    assert appointed.status_code == 200, appointed.text
    read = await huddle.get(f"/api/v1/networks/{flagged}", plain)
    assert read.json()["needs_chair"] is False and read.json()["my_role"] == "chair"
    listed = await huddle.get("/api/v1/networks?needs_chair=true", cast.chair)
    assert flagged not in {n["slug"] for n in listed.json()}


# --- What the admin pages read ------------------------------------------------------------------


async def test_admins_see_invitations_with_their_status_and_never_a_token(
    huddle: Huddle, cast: Cast
) -> None:
    path = f"/api/v1/networks/{cast.slug}/invitations"
    invitee, expiring = await huddle.people(2)
    accepted = await huddle.post(path, cast.chair, {"email": invitee.email, "role": "observer"})
    await huddle.accept(accepted.json()["token"], invitee)
    stale = await huddle.post(path, cast.chair, {"email": expiring.email})
    await set_fields(
        huddle.db["invitations"],
        hashlib.sha256(stale.json()["token"].encode()).hexdigest(),
        {"expires_at": datetime.now(UTC) - timedelta(seconds=1)},
    )
    fresh = await huddle.post(path, cast.chair, {"email": "Someone.New@Example.org"})
    problem(await huddle.get(path, None), 401)
    problem(await huddle.get(path, cast.outsider), 404)
    problem(await huddle.get(path, cast.member), 403)
    problem(await huddle.get("/api/v1/networks/Not_A_Slug/invitations", cast.chair), 422)

    response = await huddle.get(path, cast.chair)
    assert response.status_code == 200, response.text
    listed = response.json()
    by_email = {item["email"]: item for item in listed}
    assert by_email["someone.new@example.org"]["status"] == "pending"
    assert by_email[expiring.email.lower()]["status"] == "expired"
    assert by_email[invitee.email.lower()]["status"] == "accepted"
    assert by_email[invitee.email.lower()]["used_at"] is not None
    assert by_email[invitee.email.lower()]["role"] == "observer"
    assert listed[0]["email"] == "someone.new@example.org"  # newest first
    assert len(listed) == 4  # and the cast's own member's, accepted
    for secret in (accepted, stale, fresh):
        assert secret.json()["token"] not in response.text


async def test_admins_see_every_member_and_role_listed_or_not(huddle: Huddle, cast: Cast) -> None:
    hidden = await huddle.person(name="Unlisted Person")
    await huddle.add(cast.slug, cast.chair, hidden, role="note_taker")
    path = f"/api/v1/networks/{cast.slug}/roster"
    problem(await huddle.get(path, None), 401)
    problem(await huddle.get(path, cast.outsider), 404)
    problem(await huddle.get(path, cast.member), 403)

    response = await huddle.get(path, cast.chair)
    assert response.status_code == 200, response.text
    roster = {m["member_id"]: m for m in response.json()["members"]}
    assert set(roster) == {cast.chair.id, cast.member.id, hidden.id}
    assert roster[hidden.id]["role"] == "note_taker"
    assert roster[hidden.id]["display_name"] == "Unlisted Person"
    assert roster[cast.chair.id]["role"] == "chair"
    assert "email" not in response.text and hidden.email.lower() not in response.text.lower()


async def test_instance_admins_find_members_by_email(huddle: Huddle, cast: Cast) -> None:
    path = "/api/v1/members/find"
    problem(await huddle.post(path, None, {"email": cast.member.email}), 401)
    problem(await huddle.post(path, cast.member, {"email": cast.member.email}), 403)
    problem(await huddle.post(path, cast.chair, {"email": ""}), 422)
    missing = problem(await huddle.post(path, cast.chair, {"email": "nobody@example.org"}), 404)
    assert missing["errors"] == [{"field": "email", "message": "No member has this email address."}]

    found = await huddle.post(path, cast.chair, {"email": cast.member.email.upper()})
    assert found.status_code == 200, found.text
    assert found.json()["id"] == cast.member.id
    assert found.json()["email"].lower() == cast.member.email.lower()
    assert found.json()["status"] == "active"


async def test_instance_admins_list_api_tokens_without_the_tokens(
    huddle: Huddle, cast: Cast
) -> None:
    path = "/api/v1/api-tokens"
    problem(await huddle.get(path, None), 401)
    problem(await huddle.get(path, cast.member), 403)
    name = f"Reporting {uuid.uuid4().hex[:6]}"
    created = await huddle.post(path, cast.chair, {"name": name, "scopes": ["stats:read"]})
    assert created.status_code == 201, created.text
    revoked = await huddle.delete(f"{path}/{created.json()['id']}", cast.chair)
    assert revoked.status_code == 204

    response = await huddle.get(path, cast.chair)
    assert response.status_code == 200, response.text
    (mine,) = [token for token in response.json() if token["name"] == name]
    assert mine["id"] == created.json()["id"] and mine["scopes"] == ["stats:read"]
    assert mine["revoked_at"] is not None
    assert created.json()["token"] not in response.text and "token_hash" not in response.text
