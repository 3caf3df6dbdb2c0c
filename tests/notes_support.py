"""For the notes and resources API tests: one world per test module, the gateway, membership
and notes on real NATS and FerretDB, and the cast that decides every answer.

The networks: ``parent``; ``main``, an open spin-off of ``parent`` whose library is open
to the parent's members; ``sibling``, another spin-off of ``parent``; ``hidden``, invite-only.
The cast of ``main`` and ``hidden``: a chair, a facilitator (the two second readers), two
note-takers (``author`` writes the notes the tests act on; ``note_taker`` is another), and
a member. ``other`` is a member of ``sibling`` only (its chair, even); ``parent`` a member
of ``parent`` only; ``admin`` the configured instance administrator, who created the
networks and then left them.
"""

import asyncio
import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest
from support import eventually
from web_support import Person, Site, web_site

ADMIN_EMAIL = "instance-admin@example.org"
ADMIN_PASSWORD = "the instance admin's long password"
PROBLEM = "application/problem+json"
GLOSSARY = {"PSIRF": "Patient Safety Incident Response Framework", "AAR": "after action review"}
THEMES = ["Falls", "Handover", "Sepsis"]
CLEAN_BODY = "We talked about handover at night and what helps a tired team."
# Callers, in the order of every matrix's columns.
CALLERS = (
    "anonymous",
    "other",
    "parent",
    "member",
    "note_taker",
    "author",
    "facilitator",
    "chair",
    "admin",
)
CAST_ROLES = {
    "chair": "chair",
    "facilitator": "facilitator",
    "note_taker": "note_taker",
    "author": "note_taker",
    "member": "member",
}


@dataclass
class World:
    site: Site
    people: dict[str, Person]
    networks: dict[str, str]  # main, hidden, parent, sibling -> slug
    organisation: str  # the name of everyone's organisation
    _shared: dict[tuple[str, str], dict[str, Any]] = field(default_factory=dict)

    @property
    def client(self) -> httpx.AsyncClient:
        return self.site.client

    @property
    def notes_db(self) -> Any:
        """The notes service's own database, read directly to see what it stored."""
        membership = self.site.db
        return membership.client[membership.name.replace("_membership", "_notes")]

    def headers(self, caller: str) -> dict[str, str]:
        return {} if caller == "anonymous" else self.people[caller].headers

    def names(self) -> list[str]:
        """Everyone's display names: the members the check knows (the whole instance's)."""
        return [person.name for person in self.people.values()]

    async def note(
        self, slug: str, state: str = "draft", *, body: str = CLEAN_BODY, **fields: Any
    ) -> dict[str, Any]:
        """A note written by the author, then moved to ``state`` (by a second reader)."""
        made = await self.client.post(
            f"/api/v1/networks/{slug}/notes",
            json={"title": "Night handover", "body": body, **fields},
            headers=self.people["author"].headers,
        )
        assert made.status_code == 201, made.text
        note: dict[str, Any] = made.json()
        if state == "draft":
            return note
        note = await self.act(note["id"], "submit", "author")
        if state == "submitted":
            return note
        if state == "returned":
            return await self.act(note["id"], "return", "facilitator", comments="Say less.")
        for finding in note["findings"]:  # kept on purpose, so it may be published
            path = f"findings/{finding['id']}/accept"
            note = await self.act(note["id"], path, "facilitator", reason="Agreed with the panel")
        note = await self.act(note["id"], "approve", "facilitator")
        if state == "published":
            return note
        assert state == "retracted", state
        return await self.act(note["id"], "retract", "chair", reason="Asked to by the speaker")

    async def shared_note(self, slug: str, state: str) -> dict[str, Any]:
        """One note per network and state, for the calls that change nothing."""
        if (slug, state) not in self._shared:
            self._shared[slug, state] = await self.note(slug, state)
        return self._shared[slug, state]

    async def act(self, note_id: str, action: str, caller: str, **body: Any) -> dict[str, Any]:
        done = await self.client.post(
            f"/api/v1/notes/{note_id}/{action}", json=body or None, headers=self.headers(caller)
        )
        assert done.status_code == 200, done.text
        answer: dict[str, Any] = done.json()
        return answer


async def signed_in_admin(site: Site) -> Person | None:
    """The configured instance administrator, signed in; None until membership has made
    them (poll with ``eventually``)."""
    with contextlib.suppress(AssertionError, httpx.HTTPError):
        signed_in = await site.client.post(
            "/api/v1/auth/token", json={"email": ADMIN_EMAIL, "password": ADMIN_PASSWORD}
        )
        assert signed_in.status_code == 200, signed_in.text
        headers = {"Authorization": f"Bearer {signed_in.json()['access_token']}"}
        known = (await site.client.get("/api/v1/me", headers=headers)).json()
        return Person(known["id"], ADMIN_EMAIL, ADMIN_PASSWORD, known["display_name"], headers)
    return None


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


async def _network(
    site: Site, admin: Person, visibility: str, cast: dict[str, tuple[Person, str]], **fields: Any
) -> str:
    slug = await site.network(admin, visibility, **fields)
    # network.created does not carry a glossary: notes learns it from network.updated.
    updated = await site.client.patch(
        f"/api/v1/networks/{slug}", json={"glossary": GLOSSARY}, headers=admin.headers
    )
    assert updated.status_code == 200, updated.text
    for person, role in cast.values():
        await _invite(site, slug, admin, person, role)
    left = await site.client.delete(f"/api/v1/networks/{slug}/members/me", headers=admin.headers)
    assert left.status_code == 204, left.text
    return slug


@contextlib.asynccontextmanager
async def notes_world(
    tmp_path_factory: pytest.TempPathFactory, mongodb_url: str, nats_credentials: Any
) -> AsyncIterator[World]:
    with pytest.MonkeyPatch.context() as env:  # membership creates this admin at start
        env.setenv("HUDDLE_ADMIN_EMAIL", ADMIN_EMAIL)
        env.setenv("HUDDLE_ADMIN_PASSWORD", ADMIN_PASSWORD)
        async with web_site(
            tmp_path_factory, mongodb_url, nats_credentials, "membership", "notes"
        ) as site:
            admin = await eventually(lambda: signed_in_admin(site))
            names = {
                "chair": "Cat Chair",
                "facilitator": "Fay Facilitator",
                "note_taker": "Tom Taker",
                "author": "Nia Writer",
                "member": "Mo Member",
                "other": "Otto Other",
                "parent": "Pat Parent",
            }
            made = await asyncio.gather(*(site.person(name=name) for name in names.values()))
            people = dict(zip(names, made, strict=True))
            cast = {caller: (people[caller], role) for caller, role in CAST_ROLES.items()}
            parent = await _network(site, admin, "open", {"p": (people["parent"], "chair")})
            main = await _network(site, admin, "open", cast, parent_slug=parent)
            sibling = await _network(
                site, admin, "open", {"o": (people["other"], "chair")}, parent_slug=parent
            )
            hidden = await _network(site, admin, "invite_only", cast)
            organisation = await site.client.get(f"/api/v1/organisations/{site.organisation_id}")
            world = World(
                site,
                {**people, "admin": admin},
                {"main": main, "hidden": hidden, "parent": parent, "sibling": sibling},
                organisation.json()["name"],
            )
            await _settled(world)
            yield world


async def _settled(world: World) -> None:
    """Notes learns networks and memberships from events: wait until it knows every role,
    then open ``main``'s library to its parent and give both networks their themes."""

    async def answers(caller: str, method: str, path: str, status: int, **options: Any) -> bool:
        response = await world.client.request(
            method, path, headers=world.headers(caller), **options
        )
        return response.status_code == status

    for slug in (world.networks["main"], world.networks["hidden"]):
        themes = {"themes": THEMES, "open_to_parent": slug == world.networks["main"]}
        if slug == world.networks["hidden"]:
            themes.pop("open_to_parent")
        path = f"/api/v1/networks/{slug}/themes"
        for caller in ("chair", "facilitator"):
            await eventually(lambda: answers(caller, "PUT", path, 200, json=themes))  # noqa: B023
        notes = f"/api/v1/networks/{slug}/notes"
        for caller in ("note_taker", "author"):
            check = f"{notes}/check"
            await eventually(lambda: answers(caller, "POST", check, 200, json={"text": "x"}))  # noqa: B023
        await eventually(lambda: answers("member", "GET", path, 200))  # noqa: B023
    sibling = f"/api/v1/networks/{world.networks['sibling']}/themes"
    await eventually(lambda: answers("other", "GET", sibling, 200))
    main = f"/api/v1/networks/{world.networks['main']}/themes"
    await eventually(lambda: answers("parent", "GET", main, 200))
    # The admin left every network: known as an instance admin, no longer as a member.
    await eventually(lambda: answers("admin", "GET", main, 200))


def assert_problem(response: httpx.Response, status: int, field: str | None = None) -> None:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith(PROBLEM), response.headers
    problem = response.json()
    assert problem["status"] == status and problem["title"]
    if field is not None:
        fields = [error["field"] for error in problem.get("errors", [])]
        assert field in fields, problem
