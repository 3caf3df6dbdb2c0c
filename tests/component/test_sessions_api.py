"""The sessions API (issue 11) against the real gateway, membership and scheduling on real
NATS and FerretDB: who may call each endpoint, what bad input is answered (and that it
changes nothing), and the registration contract.

The cast, for each of an open, an approval and an invite-only network (all three never
record their sessions): a chair and a facilitator (invited with those roles, neither an
instance admin), a member, a member of another network only (its chair, even: that gives
no rights here), an anonymous caller, and
the configured instance administrator, who created the networks and then left them (so
they organise as an instance admin, not as a chair).
"""

import asyncio
import contextlib
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import quote
from zoneinfo import ZoneInfo

import httpx
import pytest
from support import eventually
from web_support import Person, Site, web_site

pytestmark = pytest.mark.component

LONDON = ZoneInfo("Europe/London")
ADMIN_EMAIL = "instance-admin@example.org"
ADMIN_PASSWORD = "the instance admin's long password"
RULES = ["We do not record sessions."]
LINK = "https://meet.example.org/huddle"
VISIBILITIES = ("open", "approval", "invite_only")
CALLERS = ("anonymous", "other", "member", "chair", "facilitator", "admin")
PROBLEM = "application/problem+json"


@dataclass
class World:
    site: Site
    admin: Person
    chair: Person
    facilitator: Person
    member: Person
    other: Person  # a member of ``elsewhere`` only
    networks: dict[str, str]  # visibility -> slug
    elsewhere: str

    @property
    def client(self) -> httpx.AsyncClient:
        return self.site.client

    def headers(self, caller: str) -> dict[str, str]:
        if caller == "anonymous":
            return {}
        person: Person = getattr(self, caller)
        return person.headers

    async def session(self, slug: str, **fields: Any) -> dict[str, Any]:
        """A session made by the chair (once scheduling knows them as its chair)."""
        body = session_body(**fields)

        async def made() -> httpx.Response | None:
            response = await self.client.post(
                f"/api/v1/networks/{slug}/sessions", json=body, headers=self.chair.headers
            )
            return response if response.status_code == 201 else None

        created: httpx.Response = await eventually(made)
        return dict(created.json())

    async def past_attended(self, slug: str) -> dict[str, Any]:
        """A session that ended yesterday, attended by the member, chair and facilitator."""
        made = await self.session(slug, starts_at=wall(days=-1, hour=10), capacity=None)
        recorded = await self.client.post(
            f"/api/v1/sessions/{made['id']}/attendance",
            json={"attended": [self.member.id, self.chair.id, self.facilitator.id]},
            headers=self.chair.headers,
        )
        assert recorded.status_code == 200, recorded.text
        return made


def wall(*, days: int = 30, hour: int = 13) -> str:
    """A wall-clock time in London ``days`` from today."""
    day = datetime.now(LONDON).date() + timedelta(days=days)
    return f"{day.isoformat()}T{hour:02d}:00:00"


def instant(wall_clock: str, *, weeks: int = 0) -> datetime:
    """The UTC instant of a London wall-clock time, ``weeks`` later on the same clock."""
    local = datetime.fromisoformat(wall_clock) + timedelta(weeks=weeks)
    return local.replace(tzinfo=LONDON).astimezone(UTC)


def in_path(moment: datetime | str) -> str:
    text = moment.isoformat() if isinstance(moment, datetime) else moment
    return quote(text, safe="")


def session_body(**fields: Any) -> dict[str, Any]:
    return {
        "title": "Friday huddle",
        "format": "discussion",
        "starts_at": wall(),
        "duration_minutes": 60,
        "time_zone": "Europe/London",
        "capacity": 10,
        "joining_link": LINK,
        "agenda": "Open discussion",
        **fields,
    }


async def _admin(site: Site) -> Person:
    signed_in = await site.client.post(
        "/api/v1/auth/token", json={"email": ADMIN_EMAIL, "password": ADMIN_PASSWORD}
    )
    assert signed_in.status_code == 200, signed_in.text
    headers = {"Authorization": f"Bearer {signed_in.json()['access_token']}"}
    me = await site.client.get("/api/v1/me", headers=headers)
    assert me.json()["is_instance_admin"], me.text
    return Person(me.json()["id"], ADMIN_EMAIL, ADMIN_PASSWORD, "Instance administrator", headers)


async def _invite(site: Site, slug: str, admin: Person, person: Person, role: str) -> None:
    invited = await site.client.post(
        f"/api/v1/networks/{slug}/invitations",
        json={"email": person.email, "role": role},
        headers=admin.headers,
    )
    assert invited.status_code == 201, invited.text
    accepted = await site.client.post(
        f"/api/v1/invitations/{invited.json()['token']}/accept",
        json={"accepted_ground_rules": True},
        headers=person.headers,
    )
    assert accepted.status_code == 200, accepted.text


async def _network(site: Site, admin: Person, visibility: str, cast: dict[str, Person]) -> str:
    slug = await site.network(admin, visibility, ground_rules=RULES, never_recorded=True)
    for role, person in cast.items():
        await _invite(site, slug, admin, person, role)
    left = await site.client.delete(f"/api/v1/networks/{slug}/members/me", headers=admin.headers)
    assert left.status_code == 204, left.text
    return slug


@pytest.fixture(scope="module")
async def world(
    tmp_path_factory: pytest.TempPathFactory, mongodb_url: str, nats_credentials: Any
) -> AsyncIterator[World]:
    with pytest.MonkeyPatch.context() as env:  # membership creates this admin at start
        env.setenv("HUDDLE_ADMIN_EMAIL", ADMIN_EMAIL)
        env.setenv("HUDDLE_ADMIN_PASSWORD", ADMIN_PASSWORD)
        async with web_site(
            tmp_path_factory, mongodb_url, nats_credentials, "membership", "scheduling"
        ) as site:
            admin = await eventually(lambda: _signed_in_admin(site))
            chair, facilitator, member, other = await asyncio.gather(
                site.person(name="Cat Chair"),
                site.person(name="Fay Facilitator"),
                site.person(name="Mo Member"),
                site.person(name="Otto Other"),
            )
            cast = {"chair": chair, "facilitator": facilitator, "member": member}
            networks = {v: await _network(site, admin, v, cast) for v in VISIBILITIES}
            elsewhere = await _network(site, admin, "open", {"chair": other})
            world = World(site, admin, chair, facilitator, member, other, networks, elsewhere)
            await _settled(world)
            yield world


async def _signed_in_admin(site: Site) -> Person | None:
    with contextlib.suppress(AssertionError):
        return await _admin(site)
    return None


async def _settled(world: World) -> None:
    """Scheduling learns memberships from events: wait until it knows the chair and member
    in every network, and that the admin left them."""
    made = {slug: await world.session(slug, title="Settling") for slug in world.networks.values()}

    async def sees_all(person: Person) -> bool:
        listed = await world.client.get("/api/v1/me/sessions", headers=person.headers)
        return {item["slug"] for item in listed.json()["items"]} >= set(made)

    async def admin_left() -> bool:
        listed = await world.client.get("/api/v1/me/sessions", headers=world.admin.headers)
        return not listed.json()["items"]

    async def admin_known() -> bool:  # as an instance admin: no longer a member
        hidden = made[world.networks["invite_only"]]["id"]
        read = await world.client.get(f"/api/v1/sessions/{hidden}", headers=world.admin.headers)
        return read.status_code == 200

    for person in (world.member, world.facilitator):
        await eventually(lambda: sees_all(person))  # noqa: B023 - awaited at once
    await eventually(admin_left)
    await eventually(admin_known)


# --- The authorisation matrix -------------------------------------------------------------------

Call = Callable[[World, str, dict[str, str]], Awaitable[httpx.Response]]


async def list_sessions(world: World, slug: str, headers: dict[str, str]) -> httpx.Response:
    return await world.client.get(f"/api/v1/networks/{slug}/sessions", headers=headers)


async def create_session(world: World, slug: str, headers: dict[str, str]) -> httpx.Response:
    body = session_body(title="Made in the matrix")
    return await world.client.post(f"/api/v1/networks/{slug}/sessions", json=body, headers=headers)


async def read_session(world: World, slug: str, headers: dict[str, str]) -> httpx.Response:
    made = await world.session(slug)
    return await world.client.get(f"/api/v1/sessions/{made['id']}", headers=headers)


async def change_session(world: World, slug: str, headers: dict[str, str]) -> httpx.Response:
    made = await world.session(slug)
    body = {"title": "Renamed"}
    return await world.client.patch(f"/api/v1/sessions/{made['id']}", json=body, headers=headers)


async def delete_session(world: World, slug: str, headers: dict[str, str]) -> httpx.Response:
    made = await world.session(slug)
    return await world.client.delete(f"/api/v1/sessions/{made['id']}", headers=headers)


async def _second_friday(world: World, slug: str) -> str:
    start = wall()
    made = await world.session(slug, starts_at=start, rrule="FREQ=WEEKLY;COUNT=4")
    return f"/api/v1/sessions/{made['id']}/occurrences/{in_path(instant(start, weeks=1))}"


async def change_occurrence(world: World, slug: str, headers: dict[str, str]) -> httpx.Response:
    path = await _second_friday(world, slug)
    return await world.client.patch(path, json={"title": "Moved"}, headers=headers)


async def cancel_occurrence(world: World, slug: str, headers: dict[str, str]) -> httpx.Response:
    return await world.client.delete(await _second_friday(world, slug), headers=headers)


async def register(world: World, slug: str, headers: dict[str, str]) -> httpx.Response:
    made = await world.session(slug)
    return await world.client.post(f"/api/v1/sessions/{made['id']}/registrations", headers=headers)


async def cancel_registration(world: World, slug: str, headers: dict[str, str]) -> httpx.Response:
    made = await world.session(slug)
    path = f"/api/v1/sessions/{made['id']}/registrations"
    if headers:  # whoever may registers first, so there is something to cancel
        await world.client.post(path, headers=headers)
    return await world.client.delete(path, headers=headers)


async def list_registrations(world: World, slug: str, headers: dict[str, str]) -> httpx.Response:
    made = await world.session(slug)
    return await world.client.get(f"/api/v1/sessions/{made['id']}/registrations", headers=headers)


async def record_attendance(world: World, slug: str, headers: dict[str, str]) -> httpx.Response:
    made = await world.session(slug, starts_at=wall(days=-1))
    path = f"/api/v1/sessions/{made['id']}/attendance"
    return await world.client.post(path, json={"count": 12}, headers=headers)


async def give_feedback(world: World, slug: str, headers: dict[str, str]) -> httpx.Response:
    made = await world.past_attended(slug)
    path = f"/api/v1/sessions/{made['id']}/feedback"
    return await world.client.post(path, json={"rating": 4}, headers=headers)


async def feedback_summary(world: World, slug: str, headers: dict[str, str]) -> httpx.Response:
    made = await world.past_attended(slug)
    path = f"/api/v1/sessions/{made['id']}/feedback/summary"
    return await world.client.get(path, headers=headers)


async def network_feed(world: World, slug: str, headers: dict[str, str]) -> httpx.Response:
    await world.session(slug)
    response = await world.client.get(f"/api/v1/networks/{slug}/calendar.ics", headers=headers)
    return response


# fmt: off
#                                                 anonymous other member chair facil. admin
NETWORK_MATRIX: list[tuple[Call, str, tuple[int, int, int, int, int, int]]] = [
    (list_sessions, "open", (200, 200, 200, 200, 200, 200)),
    (list_sessions, "approval", (403, 403, 200, 200, 200, 200)),
    (list_sessions, "invite_only", (404, 404, 200, 200, 200, 200)),
    (create_session, "open", (401, 403, 403, 201, 201, 201)),
    (create_session, "approval", (401, 403, 403, 201, 201, 201)),
    (create_session, "invite_only", (401, 404, 403, 201, 201, 201)),
    (read_session, "open", (200, 200, 200, 200, 200, 200)),
    (read_session, "approval", (403, 403, 200, 200, 200, 200)),
    (read_session, "invite_only", (404, 404, 200, 200, 200, 200)),
    (change_session, "open", (401, 403, 403, 200, 200, 200)),
    (change_session, "approval", (401, 403, 403, 200, 200, 200)),
    (change_session, "invite_only", (401, 404, 403, 200, 200, 200)),
    (delete_session, "open", (401, 403, 403, 204, 204, 204)),
    (delete_session, "approval", (401, 403, 403, 204, 204, 204)),
    (delete_session, "invite_only", (401, 404, 403, 204, 204, 204)),
    (change_occurrence, "open", (401, 403, 403, 200, 200, 200)),
    (change_occurrence, "approval", (401, 403, 403, 200, 200, 200)),
    (change_occurrence, "invite_only", (401, 404, 403, 200, 200, 200)),
    (cancel_occurrence, "open", (401, 403, 403, 204, 204, 204)),
    (cancel_occurrence, "approval", (401, 403, 403, 204, 204, 204)),
    (cancel_occurrence, "invite_only", (401, 404, 403, 204, 204, 204)),
    # Registering is for members (chairs and facilitators are members); an instance admin
    # who is not one organises the session but takes no place in it.
    (register, "open", (401, 403, 200, 200, 200, 403)),
    (register, "approval", (401, 403, 200, 200, 200, 403)),
    (register, "invite_only", (401, 404, 200, 200, 200, 403)),
    # Cancelling what one does not hold changes nothing, where one may see the session.
    (cancel_registration, "open", (401, 204, 204, 204, 204, 204)),
    (cancel_registration, "approval", (401, 403, 204, 204, 204, 204)),
    (cancel_registration, "invite_only", (401, 404, 204, 204, 204, 204)),
    (list_registrations, "open", (401, 403, 403, 200, 200, 200)),
    (list_registrations, "approval", (401, 403, 403, 200, 200, 200)),
    (list_registrations, "invite_only", (401, 404, 403, 200, 200, 200)),
    (record_attendance, "open", (401, 403, 403, 200, 200, 200)),
    (record_attendance, "approval", (401, 403, 403, 200, 200, 200)),
    (record_attendance, "invite_only", (401, 404, 403, 200, 200, 200)),
    # Those recorded as attending (member, chair, facilitator) give feedback; no one else.
    (give_feedback, "open", (401, 403, 201, 201, 201, 403)),
    (give_feedback, "approval", (401, 403, 201, 201, 201, 403)),
    (give_feedback, "invite_only", (401, 404, 201, 201, 201, 403)),
    (feedback_summary, "open", (401, 403, 403, 200, 200, 200)),
    (feedback_summary, "approval", (401, 403, 403, 200, 200, 200)),
    (feedback_summary, "invite_only", (401, 404, 403, 200, 200, 200)),
    (network_feed, "open", (200, 200, 200, 200, 200, 200)),
    (network_feed, "approval", (403, 403, 200, 200, 200, 200)),
    (network_feed, "invite_only", (404, 404, 200, 200, 200, 200)),
]
# fmt: on


def _network_cases() -> list[Any]:
    cases = []
    for call, visibility, statuses in NETWORK_MATRIX:
        for caller, status in zip(CALLERS, statuses, strict=True):
            case_id = f"{call.__name__}-{visibility}-{caller}"
            cases.append(pytest.param(call, visibility, caller, status, id=case_id))
    return cases


@pytest.mark.parametrize(("call", "visibility", "caller", "status"), _network_cases())
async def test_who_may_call_a_networks_session_endpoints(
    world: World, call: Call, visibility: str, caller: str, status: int
) -> None:
    response = await call(world, world.networks[visibility], world.headers(caller))
    assert response.status_code == status, response.text
    if status >= 400:
        assert response.headers["content-type"].startswith(PROBLEM)
        assert response.json()["status"] == status


async def my_registrations(world: World, headers: dict[str, str]) -> httpx.Response:
    return await world.client.get("/api/v1/me/registrations", headers=headers)


async def my_sessions(world: World, headers: dict[str, str]) -> httpx.Response:
    return await world.client.get("/api/v1/me/sessions", headers=headers)


async def create_calendar_token(world: World, headers: dict[str, str]) -> httpx.Response:
    return await world.client.post("/api/v1/me/calendar-token", headers=headers)


async def revoke_calendar_token(world: World, headers: dict[str, str]) -> httpx.Response:
    return await world.client.delete("/api/v1/me/calendar-token", headers=headers)


async def personal_feed(world: World, headers: dict[str, str]) -> httpx.Response:
    """The token is the credential: each caller's own (anonymous: one nobody was given)."""
    token = uuid.uuid4().hex * 2
    if headers:
        made = await world.client.post("/api/v1/me/calendar-token", headers=headers)
        assert made.status_code == 201, made.text
        token = made.json()["token"]
    response = await world.client.get(f"/api/v1/calendar/{token}.ics")
    return response


MyCall = Callable[[World, dict[str, str]], Awaitable[httpx.Response]]
# fmt: off
#                                                 anonymous other member chair facil. admin
MY_MATRIX: list[tuple[MyCall, tuple[int, int, int, int, int, int]]] = [
    (my_registrations, (401, 200, 200, 200, 200, 200)),
    (my_sessions, (401, 200, 200, 200, 200, 200)),
    (create_calendar_token, (401, 201, 201, 201, 201, 201)),
    (revoke_calendar_token, (401, 204, 204, 204, 204, 204)),
    (personal_feed, (404, 200, 200, 200, 200, 200)),
]
# fmt: on


def _my_cases() -> list[Any]:
    cases = []
    for call, statuses in MY_MATRIX:
        for caller, status in zip(CALLERS, statuses, strict=True):
            case_id = f"{call.__name__}-{caller}"
            cases.append(pytest.param(call, caller, status, id=case_id))
    return cases


@pytest.mark.parametrize(("call", "caller", "status"), _my_cases())
async def test_who_may_call_the_callers_own_endpoints(
    world: World, call: MyCall, caller: str, status: int
) -> None:
    response = await call(world, world.headers(caller))
    assert response.status_code == status, response.text
    if status >= 400:
        assert response.headers["content-type"].startswith(PROBLEM)


async def test_my_sessions_are_those_of_my_networks(world: World) -> None:
    made = {v: await world.session(slug, title=f"Mine {v}") for v, slug in world.networks.items()}
    ids = {session["id"] for session in made.values()}

    async def listed(person: Person) -> set[str]:
        response = await world.client.get("/api/v1/me/sessions", headers=person.headers)
        assert response.status_code == 200, response.text
        return {item["id"] for item in response.json()["items"]}

    assert await listed(world.member) >= ids
    assert not await listed(world.other) & ids


async def test_a_session_opened_to_another_network_is_its_members_to_see_and_join(
    world: World,
) -> None:
    hidden = world.networks["invite_only"]
    made = await world.session(hidden, open_to_networks=[world.elsewhere])
    path = f"/api/v1/sessions/{made['id']}"
    read = await world.client.get(path, headers=world.other.headers)
    assert read.status_code == 200, read.text
    assert read.json()["joining_link"] is None  # not registered yet
    joined = await world.client.post(f"{path}/registrations", headers=world.other.headers)
    assert joined.status_code == 200, joined.text
    assert joined.json() == {"status": "registered"}
    read = await world.client.get(path, headers=world.other.headers)
    assert read.json()["joining_link"] == LINK
    # They see it, so the organisers' operations answer them as any member: 403.
    renamed = await world.client.patch(path, json={"title": "X"}, headers=world.other.headers)
    assert renamed.status_code == 403, renamed.text
    places = await world.client.get(f"{path}/registrations", headers=world.other.headers)
    assert places.status_code == 403, places.text
    mine = await world.client.get("/api/v1/me/sessions", headers=world.other.headers)
    assert made["id"] in {item["id"] for item in mine.json()["items"]}
    # Opened to them, the session is not the network: its listing stays hidden.
    listing = await world.client.get(
        f"/api/v1/networks/{hidden}/sessions", headers=world.other.headers
    )
    assert listing.status_code == 404


# --- The joining link ---------------------------------------------------------------------------


async def _link_seen_by(world: World, session_id: str, caller: str) -> str | None:
    read = await world.client.get(f"/api/v1/sessions/{session_id}", headers=world.headers(caller))
    assert read.status_code == 200, read.text
    link: str | None = read.json()["joining_link"]
    return link


@pytest.mark.parametrize("visibility", VISIBILITIES)
async def test_the_joining_link_is_for_registered_members_and_organisers(
    world: World, visibility: str
) -> None:
    made = await world.session(world.networks[visibility])
    path = f"/api/v1/sessions/{made['id']}"
    shown = {caller: await _link_seen_by(world, made["id"], caller) for caller in CALLERS[2:]}
    assert shown == {"member": None, "chair": LINK, "facilitator": LINK, "admin": LINK}
    if visibility == "open":  # those who may read it without being members: never the link
        assert await _link_seen_by(world, made["id"], "anonymous") is None
        assert await _link_seen_by(world, made["id"], "other") is None
    registered = await world.client.post(f"{path}/registrations", headers=world.member.headers)
    assert registered.status_code == 200, registered.text
    assert await _link_seen_by(world, made["id"], "member") == LINK
    cancelled = await world.client.delete(f"{path}/registrations", headers=world.member.headers)
    assert cancelled.status_code == 204
    assert await _link_seen_by(world, made["id"], "member") is None


async def test_without_registration_every_member_sees_the_link_and_no_one_else(
    world: World,
) -> None:
    made = await world.session(world.networks["open"], registration=False, capacity=None)
    assert await _link_seen_by(world, made["id"], "member") == LINK
    assert await _link_seen_by(world, made["id"], "anonymous") is None
    assert await _link_seen_by(world, made["id"], "other") is None
    refused = await world.client.post(
        f"/api/v1/sessions/{made['id']}/registrations", headers=world.member.headers
    )
    assert refused.status_code == 409, refused.text


# --- The registration contract ------------------------------------------------------------------


async def _counts(world: World, slug: str, session_id: str) -> tuple[int, int]:
    listed = await world.client.get(f"/api/v1/networks/{slug}/sessions")
    (item,) = [item for item in listed.json()["items"] if item["id"] == session_id]
    return item["registered"], item["waitlisted"]


async def _joiner(world: World, slug: str, name: str) -> Person:
    person = await world.site.person(name=name)
    joined = await world.client.post(
        f"/api/v1/networks/{slug}/join",
        json={"accepted_ground_rules": True},
        headers=person.headers,
    )
    assert joined.status_code in (200, 201), joined.text
    return person


async def test_places_the_waitlist_and_the_first_waiting_promoted(world: World) -> None:
    slug = world.networks["open"]
    made = await world.session(slug, title="Focus group", capacity=2)
    path = f"/api/v1/sessions/{made['id']}/registrations"
    first, second, third, fourth = await asyncio.gather(
        *(_joiner(world, slug, f"Joiner {n}") for n in range(4))
    )

    async def registering(person: Person) -> dict[str, Any]:
        async def answered() -> httpx.Response | None:
            response = await world.client.post(path, headers=person.headers)
            return response if response.status_code == 200 else None  # once a member there

        response: httpx.Response = await eventually(answered)
        return dict(response.json())

    assert await registering(first) == {"status": "registered"}
    assert await registering(first) == {"status": "registered"}  # again
    assert await _counts(world, slug, made["id"]) == (1, 0)  # no second place
    assert await registering(second) == {"status": "registered"}
    assert await registering(third) == {"status": "waitlisted", "position": 1}
    assert await registering(third) == {"status": "waitlisted", "position": 1}  # again
    assert await registering(fourth) == {"status": "waitlisted", "position": 2}
    assert await _counts(world, slug, made["id"]) == (2, 2)
    listed = await world.client.get(f"/api/v1/networks/{slug}/sessions")
    (item,) = [item for item in listed.json()["items"] if item["id"] == made["id"]]
    assert datetime.fromisoformat(item["occurrence_start"]).utcoffset() is not None
    assert (item["status"], item["capacity"]) == ("scheduled", 2)

    cancelled = await world.client.delete(path, headers=first.headers)
    assert cancelled.status_code == 204, cancelled.text
    assert await _counts(world, slug, made["id"]) == (2, 1)
    assert await registering(third) == {"status": "registered"}  # promoted
    assert await registering(fourth) == {"status": "waitlisted", "position": 1}
    mine = await world.client.get("/api/v1/me/registrations", headers=third.headers)
    (held,) = [item for item in mine.json()["items"] if item["session_id"] == made["id"]]
    assert held["status"] == "registered"
    # The organisers' view: the same counts; never an email address.
    seen = await world.client.get(path, headers=world.chair.headers)
    assert seen.status_code == 200, seen.text
    assert (seen.json()["registered"], seen.json()["waitlisted"]) == (2, 1)
    assert "@" not in seen.text


# --- Bad input: a clear problem, and nothing changed ---------------------------------------------


def assert_problem(
    response: httpx.Response, status: int, field: str | None = None, says: str = ""
) -> dict[str, Any]:
    """An RFC 9457 problem: its type, title, status and detail, and the field at fault."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith(PROBLEM)
    body: dict[str, Any] = response.json()
    assert body["type"].startswith("https://") and body["title"] and body["detail"], body
    assert body["status"] == status
    if field is not None:
        fields = [error["field"] for error in body.get("errors", [])]
        assert field in fields, response.text
        assert all(error["message"] for error in body["errors"]), body
    if says:
        assert says in response.text, body
    return body


async def _read(world: World, session_id: str) -> dict[str, Any]:
    read = await world.client.get(f"/api/v1/sessions/{session_id}", headers=world.chair.headers)
    assert read.status_code == 200, read.text
    return dict(read.json())


async def _titles(world: World, slug: str) -> list[str]:
    listed = await world.client.get(
        f"/api/v1/networks/{slug}/sessions", headers=world.chair.headers
    )
    return [item["title"] for item in listed.json()["items"]]


async def test_a_rule_that_never_ends_is_refused_and_nothing_is_made(world: World) -> None:
    slug = world.networks["open"]
    path = f"/api/v1/networks/{slug}/sessions"
    await world.session(slug, title="Already there")
    body = session_body(title="Forever", rrule="FREQ=WEEKLY;BYDAY=FR")
    assert_problem(
        await world.client.post(path, json=body, headers=world.chair.headers), 422, "rrule"
    )
    assert "Forever" not in await _titles(world, slug)

    made = await world.session(slug, title="Ten Fridays", rrule="FREQ=WEEKLY;COUNT=10")
    before = await _read(world, made["id"])
    change = {"rrule": "FREQ=WEEKLY"}
    refused = await world.client.patch(
        f"/api/v1/sessions/{made['id']}", json=change, headers=world.chair.headers
    )
    assert_problem(refused, 422, "rrule")
    assert await _read(world, made["id"]) == before


async def test_an_occurrence_that_does_not_exist_is_not_found(world: World) -> None:
    start = wall()
    made = await world.session(world.networks["open"], starts_at=start, rrule="FREQ=WEEKLY;COUNT=3")
    base = f"/api/v1/sessions/{made['id']}"
    before = await _read(world, made["id"])
    not_on_the_rule = in_path(instant(start) + timedelta(days=1))
    after_the_end = in_path(instant(start, weeks=5))
    for occurrence in (not_on_the_rule, after_the_end):
        path = f"{base}/occurrences/{occurrence}"
        changed = await world.client.patch(path, json={"title": "X"}, headers=world.chair.headers)
        assert_problem(changed, 404)
        assert_problem(await world.client.delete(path, headers=world.chair.headers), 404)
    registering = await world.client.post(
        f"{base}/registrations",
        json={"occurrence_start": (instant(start) + timedelta(days=1)).isoformat()},
        headers=world.member.headers,
    )
    assert_problem(registering, 404)
    assert_problem(await world.client.get(f"/api/v1/sessions/{uuid.uuid4()}"), 404)
    assert await _read(world, made["id"]) == before
    listed = await world.client.get(
        f"/api/v1/networks/{world.networks['open']}/sessions", headers=world.chair.headers
    )
    mine = [item for item in listed.json()["items"] if item["id"] == made["id"]]
    assert [item["status"] for item in mine] == ["scheduled"] * 3
    assert all(item["registered"] == 0 for item in mine)


async def test_a_capacity_below_the_places_taken_is_refused(world: World) -> None:
    slug = world.networks["open"]
    made = await world.session(slug, capacity=3)
    base = f"/api/v1/sessions/{made['id']}"
    for person in (world.member, world.chair):
        taken = await world.client.post(f"{base}/registrations", headers=person.headers)
        assert taken.status_code == 200, taken.text
    before = await _read(world, made["id"])
    refused = await world.client.patch(base, json={"capacity": 1}, headers=world.chair.headers)
    assert_problem(refused, 422, "capacity", says="cannot be below 2")
    occurrence = f"{base}/occurrences/{in_path(made['starts_at'])}"
    refused = await world.client.patch(
        occurrence, json={"capacity": 1}, headers=world.chair.headers
    )
    assert_problem(refused, 422, "capacity", says="cannot be below 2")
    assert await _read(world, made["id"]) == before
    assert await _counts(world, slug, made["id"]) == (2, 0)
    allowed = await world.client.patch(base, json={"capacity": 2}, headers=world.chair.headers)
    assert allowed.status_code == 200, allowed.text  # exactly the places taken is fine


async def test_feedback_out_of_range_or_twice_is_refused(world: World) -> None:
    made = await world.past_attended(world.networks["open"])
    base = f"/api/v1/sessions/{made['id']}"

    async def responses() -> int:
        summary = await world.client.get(f"{base}/feedback/summary", headers=world.chair.headers)
        assert summary.status_code == 200, summary.text
        return int(summary.json()["responses"])

    for rating in (6, 0):
        given = await world.client.post(
            f"{base}/feedback", json={"rating": rating}, headers=world.member.headers
        )
        assert_problem(given, 422, "rating")
    assert await responses() == 0
    given = await world.client.post(
        f"{base}/feedback", json={"rating": 5, "comment": "Good."}, headers=world.member.headers
    )
    assert given.status_code == 201, given.text
    again = await world.client.post(
        f"{base}/feedback", json={"rating": 1}, headers=world.member.headers
    )
    assert_problem(again, 409, says="already")
    assert await responses() == 1


async def test_a_never_recorded_networks_session_cannot_be_marked_recorded(world: World) -> None:
    slug = world.networks["open"]
    path = f"/api/v1/networks/{slug}/sessions"
    body = session_body(title="Recorded one", recorded=True)
    refused = await world.client.post(path, json=body, headers=world.chair.headers)
    assert_problem(refused, 422, "recorded")
    assert "Recorded one" not in await _titles(world, slug)
    made = await world.session(slug)
    before = await _read(world, made["id"])
    refused = await world.client.patch(
        f"/api/v1/sessions/{made['id']}", json={"recorded": True}, headers=world.chair.headers
    )
    assert_problem(refused, 422, "recorded")
    assert await _read(world, made["id"]) == before
    assert before["recorded"] is False and before["not_recorded"] is True


@pytest.mark.parametrize(
    "occurrence", ["not-a-date", "2027-03-05T13:00:00", "2027-02-30T13:00:00Z"]
)
async def test_a_malformed_occurrence_start_is_refused(world: World, occurrence: str) -> None:
    """Garbage, a time without its offset (which instant?), a day that does not exist."""
    start = wall()
    made = await world.session(world.networks["open"], starts_at=start, rrule="FREQ=WEEKLY;COUNT=3")
    base = f"/api/v1/sessions/{made['id']}"
    before = await _read(world, made["id"])
    path = f"{base}/occurrences/{in_path(occurrence)}"
    changed = await world.client.patch(path, json={"title": "X"}, headers=world.chair.headers)
    assert_problem(changed, 422, "occurrence_start")
    assert_problem(await world.client.delete(path, headers=world.chair.headers), 422)
    query = {"occurrence_start": occurrence}
    for method in ("DELETE", "GET"):
        answered = await world.client.request(
            method, f"{base}/registrations", params=query, headers=world.chair.headers
        )
        assert_problem(answered, 422, "occurrence_start")
    assert await _read(world, made["id"]) == before


async def test_an_unknown_scope_is_refused(world: World) -> None:
    start = wall()
    made = await world.session(world.networks["open"], starts_at=start, rrule="FREQ=WEEKLY;COUNT=3")
    before = await _read(world, made["id"])
    path = f"/api/v1/sessions/{made['id']}/occurrences/{in_path(instant(start, weeks=1))}"
    cancelled = await world.client.delete(
        path, params={"scope": "sometimes"}, headers=world.chair.headers
    )
    assert_problem(cancelled, 422, "scope")
    changed = await world.client.patch(
        path, json={"title": "X", "scope": "sometimes"}, headers=world.chair.headers
    )
    assert_problem(changed, 422, "scope")
    assert await _read(world, made["id"]) == before
    listed = await world.client.get(f"/api/v1/networks/{world.networks['open']}/sessions")
    mine = [item for item in listed.json()["items"] if item["id"] == made["id"]]
    assert [(item["status"], item["title"]) for item in mine] == [
        ("scheduled", "Friday huddle")
    ] * 3


async def test_a_listing_window_without_an_offset_is_refused(world: World) -> None:
    slug = world.networks["open"]
    for name in ("from", "to"):
        params = {name: "2027-03-05T13:00:00"}
        listed = await world.client.get(f"/api/v1/networks/{slug}/sessions", params=params)
        assert_problem(listed, 422, name)
        mine = await world.client.get(
            "/api/v1/me/sessions", params=params, headers=world.member.headers
        )
        assert_problem(mine, 422, name)
    garbage = await world.client.get(
        f"/api/v1/networks/{slug}/sessions", params={"from": "next friday"}
    )
    assert_problem(garbage, 422, "from")
    backwards = {"from": "2027-06-01T00:00:00Z", "to": "2027-01-01T00:00:00Z"}
    for path in (f"/api/v1/networks/{slug}/sessions", "/api/v1/me/sessions"):
        listed = await world.client.get(path, params=backwards, headers=world.member.headers)
        assert_problem(listed, 422, "to")


async def test_unknown_fields_are_refused_and_change_nothing(world: World) -> None:
    slug = world.networks["open"]
    body = session_body(title="Coloured", colour="red")
    made_with = await world.client.post(
        f"/api/v1/networks/{slug}/sessions", json=body, headers=world.chair.headers
    )
    assert_problem(made_with, 422, "colour")
    assert "Coloured" not in await _titles(world, slug)

    made = await world.session(slug)
    base = f"/api/v1/sessions/{made['id']}"
    before = await _read(world, made["id"])
    patched = await world.client.patch(
        base, json={"title": "Renamed", "colour": "red"}, headers=world.chair.headers
    )
    assert_problem(patched, 422, "colour")
    occurrence = f"{base}/occurrences/{in_path(made['starts_at'])}"
    moved = await world.client.patch(
        occurrence, json={"title": "Renamed", "colour": "red"}, headers=world.chair.headers
    )
    assert_problem(moved, 422, "colour")
    registered = await world.client.post(
        f"{base}/registrations", json={"seat": "front"}, headers=world.member.headers
    )
    assert_problem(registered, 422, "seat")
    assert await _read(world, made["id"]) == before
    assert await _counts(world, slug, made["id"]) == (0, 0)

    past = await world.past_attended(slug)
    feedback = await world.client.post(
        f"/api/v1/sessions/{past['id']}/feedback",
        json={"rating": 4, "name": "Mo"},
        headers=world.member.headers,
    )
    assert_problem(feedback, 422, "name")
    attendance = await world.client.post(
        f"/api/v1/sessions/{past['id']}/attendance",
        json={"count": 3, "names": ["Mo"]},
        headers=world.chair.headers,
    )
    assert_problem(attendance, 422, "names")


async def test_the_openapi_still_documents_the_parameters_passed_through(world: World) -> None:
    """``from``, ``to`` and ``scope`` reach the service as sent (so its refusal names them);
    OpenAPI still says what they are."""
    schema = (await world.client.get("/schema/openapi.json")).json()

    def parameters(path: str, method: str) -> dict[str, Any]:
        operation = schema["paths"][path][method]
        return {p["name"]: p["schema"] for p in operation["parameters"] if p["in"] == "query"}

    for path in ("/api/v1/networks/{slug}/sessions", "/api/v1/me/sessions"):
        window = parameters(path, "get")
        assert window["from"]["format"] == window["to"]["format"] == "date-time"
    cancel = parameters("/api/v1/sessions/{session_id}/occurrences/{occurrence_start}", "delete")
    assert cancel["scope"]["enum"] == ["this", "this_and_following"]


async def test_no_answer_tells_an_outsider_which_hidden_networks_or_sessions_exist(
    world: World,
) -> None:
    """An invite-only network's session, and one that does not exist: the same answer."""
    hidden = world.networks["invite_only"]
    made = await world.session(hidden)
    there, nowhere = f"/api/v1/sessions/{made['id']}", f"/api/v1/sessions/{uuid.uuid4()}"
    body = session_body()

    async def answers(caller: str, method: str, path: str, **options: Any) -> int:
        headers = world.headers(caller)
        response = await world.client.request(method, path, headers=headers, **options)
        return response.status_code

    for caller in ("anonymous", "other"):
        for method, suffix, options in [
            ("GET", "", {}),
            ("PATCH", "", {"json": {"title": "X"}}),
            ("DELETE", "", {}),
            ("POST", "/registrations", {}),
            ("DELETE", "/registrations", {}),
            ("GET", "/registrations", {}),
            ("POST", "/attendance", {"json": {"count": 1}}),
            ("POST", "/feedback", {"json": {"rating": 3}}),
            ("GET", "/feedback/summary", {}),
        ]:
            seen = await answers(caller, method, there + suffix, **options)
            elsewhere = await answers(caller, method, nowhere + suffix, **options)
            assert seen == elsewhere, (caller, method, suffix)
            assert seen in (401, 404), (caller, method, suffix, seen)
        networks = [f"/api/v1/networks/{slug}/sessions" for slug in (hidden, "no-such-network")]
        assert len({await answers(caller, "GET", path) for path in networks}) == 1, caller
        posted = {await answers(caller, "POST", path, json=body) for path in networks}
        assert len(posted) == 1, caller
