"""The networks pages and the invitation page, against the app: real NATS, FerretDB and the
membership service in-process, the gateway on a free port, httpx with cookies as a browser.

One set of servers serves the module; each test makes its own networks. People are made
through the API; a page visitor carries the session cookie the sign-in page would set (an
access token minted with the gateway's secret), and posts forms with the form's own CSRF
field, as a browser does.
"""

import asyncio
import hashlib
import html
import re
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from huddle_gateway.auth import AccessTokens
from huddle_gateway.web.pages import networks as network_pages
from huddle_gateway.web.words import ALLOWED_ACRONYMS
from support import set_fields
from web_support import PASSWORD, web_site

pytestmark = pytest.mark.component

HIDDEN_INPUT = re.compile(r'<input[^>]*type="hidden"[^>]*>')
ATTRIBUTE = re.compile(r'(name|value)="([^"]*)"')
ANY_FORM = "/sign-out"  # a page with a form for a signed-in member: its CSRF field serves any
RULES = ["Keep what is said here in the room.", "Say who you are when you speak."]


def text_of(response: httpx.Response) -> str:
    """The page's text, tags dropped and spaces collapsed, entities read."""
    body = re.sub(r"<script.*?</script>", " ", response.text, flags=re.S)
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", body)).split())


@dataclass
class Visitor:
    """A browser: its own cookies, and for a member the session cookie."""

    client: httpx.AsyncClient
    id: str = ""
    email: str = ""
    api: dict[str, str] = field(default_factory=dict)  # the same member's API headers

    async def get(self, path: str) -> httpx.Response:
        return await self.client.get(path)

    async def submit(self, form_page: str, action: str, data: dict[str, str]) -> httpx.Response:
        """Post ``data`` to ``action`` as the form on ``form_page`` would: with its hidden
        fields (the CSRF field among them)."""
        page = await self.client.get(form_page)
        hidden = {}
        for tag in HIDDEN_INPUT.findall(page.text):
            attributes = dict(ATTRIBUTE.findall(tag))
            hidden[attributes["name"]] = html.unescape(attributes.get("value", ""))
        assert "_csrf_token" in hidden, f"no form on {form_page}: {page.status_code}"
        return await self.client.post(action, data={**hidden, **data})


@dataclass
class World:
    url: str
    api: httpx.AsyncClient
    db: Any
    tokens: AccessTokens
    organisation_id: str
    clients: list[httpx.AsyncClient] = field(default_factory=list)

    def browser(self) -> Visitor:
        client = httpx.AsyncClient(base_url=self.url, timeout=20, follow_redirects=False)
        self.clients.append(client)
        return Visitor(client)

    async def member(
        self,
        *,
        admin: bool = False,
        listed: bool = False,
        contactable: bool = False,
        name: str = "",
    ) -> Visitor:
        email = f"m{uuid.uuid4().hex[:12]}@example.org"
        created = await self.api.post(
            "/api/v1/accounts",
            json={
                "email": email,
                "password": PASSWORD,
                "display_name": name or f"Member {email[:7]}",
                "organisation_id": self.organisation_id,
                "job_title": "Patient safety lead",
                "member_type": "staff",
            },
        )
        assert created.status_code == 201, created.text
        member_id = created.json()["id"]
        fields: dict[str, Any] = {"listed_in_directory": listed, "contactable": contactable}
        if admin:
            fields["is_instance_admin"] = True  # test set-up, standing in for configuration
        await set_fields(self.db["members"], member_id, fields)
        token = self.tokens.issue(uuid.UUID(member_id))
        visitor = self.browser()
        visitor.client.cookies.set("huddle_session", token)
        visitor.id, visitor.email = member_id, email
        visitor.api = {"Authorization": f"Bearer {token}"}
        return visitor

    async def network(self, chair: Visitor, visibility: str, **fields: Any) -> str:
        slug = f"net-{uuid.uuid4().hex[:10]}"
        body = {"slug": slug, "name": f"Network {slug}", "visibility": visibility, **fields}
        created = await self.api.post("/api/v1/networks", json=body, headers=chair.api)
        assert created.status_code == 201, created.text
        return slug

    async def invite(self, slug: str, chair: Visitor, email: str, role: str = "member") -> str:
        invited = await self.api.post(
            f"/api/v1/networks/{slug}/invitations",
            json={"email": email, "role": role},
            headers=chair.api,
        )
        assert invited.status_code == 201, invited.text
        return str(invited.json()["token"])

    async def add(self, slug: str, chair: Visitor, member: Visitor, role: str = "member") -> None:
        token = await self.invite(slug, chair, member.email, role)
        accepted = await self.api.post(
            f"/api/v1/invitations/{token}/accept",
            json={"accepted_ground_rules": True},
            headers=member.api,
        )
        assert accepted.status_code == 200, accepted.text

    async def memberships(self, slug: str, member: Visitor) -> list[dict[str, Any]]:
        cursor = self.db["network_memberships"].find({"slug": slug, "member_id": member.id})
        return [document async for document in cursor]


@pytest.fixture(scope="module")
async def world(
    tmp_path_factory: pytest.TempPathFactory, mongodb_url: str, nats_credentials: Any
) -> AsyncIterator[World]:
    async with web_site(tmp_path_factory, mongodb_url, nats_credentials) as site:
        world = World(
            url=site.url,
            api=site.client,
            db=site.db,
            tokens=site.tokens,
            organisation_id=site.organisation_id,
        )
        try:
            yield world
        finally:
            await asyncio.gather(*(client.aclose() for client in world.clients))


@dataclass(frozen=True)
class Cast:
    chair: Visitor  # an instance admin, who chairs every network they create
    member: Visitor
    newcomer: Visitor


@pytest.fixture(scope="module")
async def cast(world: World) -> Cast:
    """Accounts are slow to make (argon2): these serve every test, each with its own networks."""
    chair, member, newcomer = await asyncio.gather(
        world.member(admin=True), world.member(listed=True), world.member()
    )
    return Cast(chair, member, newcomer)


def assert_signs_in_first(response: httpx.Response, path: str) -> None:
    assert response.status_code == 303, response.text
    location = urlsplit(response.headers["location"])
    assert location.path == "/sign-in"
    assert parse_qs(location.query)["next"] == [path]


def assert_page(response: httpx.Response, status: int) -> str:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("text/html")
    return text_of(response)


# --- Who may open the pages -------------------------------------------------------------------


async def test_the_networks_pages_send_a_visitor_to_sign_in_and_back(
    world: World, cast: Cast
) -> None:
    slug = await world.network(cast.chair, "open", ground_rules=RULES)
    visitor = world.browser()
    for path in (f"/networks/{slug}", f"/networks/{slug}/join"):
        assert_signs_in_first(await visitor.get(path), path)
    # A form posted by someone whose session ended: to sign in, and nothing joined.
    refused = await visitor.submit(
        "/sign-in", f"/networks/{slug}/join", {"accept_ground_rules": "yes"}
    )
    assert_signs_in_first(refused, f"/networks/{slug}/join")
    expired = world.browser()
    expired.client.cookies.set("huddle_session", "not-a-token")
    path = f"/networks/{slug}"
    assert_signs_in_first(await expired.get(path), path)


async def test_a_visitor_sees_the_networks_anyone_may_find_on_the_home_page_and_the_list(
    world: World, cast: Cast
) -> None:
    """Membership's rule for a visitor: every network but the invite-only ones, with what it
    is for and how to join; invite-only networks stay hidden, even their names."""
    open_slug, approval, hidden = await asyncio.gather(
        world.network(cast.chair, "open", purpose="Learning from incidents together."),
        world.network(cast.chair, "approval"),
        world.network(cast.chair, "invite_only", purpose="Secret purpose"),
    )
    visitor = world.browser()
    for path in ("/", "/networks"):
        page = assert_page(await visitor.get(path), 200)
        assert f"Network {open_slug}" in page and "Learning from incidents together." in page
        assert f"Network {approval}" in page
        assert "can join" in page and "Ask to join" in page  # how to join: open, approval
        assert f"Network {hidden}" not in page and "Secret purpose" not in page
        assert "create an account" in page.lower() and "sign in" in page.lower()


async def test_a_form_without_its_csrf_field_changes_nothing(world: World, cast: Cast) -> None:
    slug = await world.network(cast.chair, "open")
    forged = await cast.newcomer.client.post(f"/networks/{slug}/join", data={})
    assert forged.status_code == 403
    assert await world.memberships(slug, cast.newcomer) == []


# --- The list and a network -------------------------------------------------------------------


async def test_the_list_shows_the_networks_i_may_see_and_where_i_stand(
    world: World, cast: Cast
) -> None:
    open_slug, approval, mine, hidden = await asyncio.gather(
        world.network(cast.chair, "open", purpose="Learning from incidents together."),
        world.network(cast.chair, "approval"),
        world.network(cast.chair, "invite_only"),
        world.network(cast.chair, "invite_only"),
    )
    await world.add(mine, cast.chair, cast.member, "facilitator")
    page = assert_page(await cast.member.get("/networks"), 200)
    assert f"Network {open_slug}" in page and "Learning from incidents together." in page
    assert f"Network {approval}" in page and "a chair or facilitator decides" in page
    assert f"Network {mine}" in page and "You are a facilitator" in page
    assert f"Network {hidden}" not in page  # invite-only and not theirs: not even its name
    assert f'href="/networks/{open_slug}"' in (await cast.member.get("/networks")).text


async def test_a_network_shows_purpose_ground_rules_glossary_and_members_to_members(
    world: World, cast: Cast
) -> None:
    listed, unlisted = await asyncio.gather(
        world.member(listed=True, contactable=True, name="Amara Listed"),
        world.member(name="Uma Unlisted"),
    )
    slug = await world.network(
        cast.chair,
        "open",
        purpose="Peer support for <b>patient safety</b> leads.",
        ground_rules=RULES,
        glossary={"PSIRF": "Patient Safety Incident Response Framework"},
    )
    await asyncio.gather(*(world.add(slug, cast.chair, who) for who in (listed, unlisted)))

    response = await listed.get(f"/networks/{slug}")
    page = assert_page(response, 200)
    assert "Peer support for <b>patient safety</b> leads." in page  # shown, as text
    assert "<b>patient safety</b>" not in response.text  # escaped, never markup
    assert all(rule in page for rule in RULES)
    assert '<abbr title="Patient Safety Incident Response Framework">PSIRF</abbr>' in response.text
    assert "3 members in all" in page and "Only those who agreed to be listed" in page
    assert "Amara Listed" in page and f'href="mailto:{listed.email}"' in response.text
    assert "Uma Unlisted" not in page  # did not agree to be listed
    assert "You are a member of this network" in page
    assert f"/networks/{slug}/admin" not in response.text  # members do not manage it

    chair_view = await cast.chair.get(f"/networks/{slug}")
    assert f'href="/networks/{slug}/admin"' in chair_view.text

    outsider = assert_page(await cast.newcomer.get(f"/networks/{slug}"), 200)
    assert "Amara Listed" not in outsider and "Members of this network can see" in outsider
    assert "Join this network" in outsider


async def test_the_members_list_is_read_and_shown_a_page_at_a_time(
    world: World, cast: Cast, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Two a page (50 in use): five listed members make three pages.
    monkeypatch.setattr(network_pages, "MEMBERS_PER_PAGE", 2)
    names = ["Cleo Paged", "Adam Paged", "Erin Paged", "Bo Paged", "Dev Paged"]
    people = await asyncio.gather(*(world.member(listed=True, name=name) for name in names))
    slug = await world.network(cast.chair, "open")
    for person in people:
        await world.add(slug, cast.chair, person)
    reader = people[0]

    def names_on(response: httpx.Response) -> list[str]:
        return [name for name in sorted(names) if name in text_of(response)]

    def link(response: httpx.Response, rel: str) -> str | None:
        found = re.search(rf'<a href="([^"]+)" class="[^"]*" rel="{rel}"', response.text)
        return found.group(1) if found else None

    first = await reader.get(f"/networks/{slug}")
    page = assert_page(first, 200)
    assert names_on(first) == ["Adam Paged", "Bo Paged"]
    assert "6 members in all" in page and "Showing 1 to 2 of the 5 listed (page 1 of 3)" in page
    assert 'aria-label="Pages of members"' in first.text  # NHS.UK's pagination
    assert link(first, "next") == f"/networks/{slug}?page=2#members"
    assert link(first, "prev") is None
    assert 'aria-current="page"' in first.text

    second = await reader.get(f"/networks/{slug}?page=2")
    assert names_on(second) == ["Cleo Paged", "Dev Paged"]
    assert link(second, "prev") == f"/networks/{slug}?page=1#members"
    assert link(second, "next") == f"/networks/{slug}?page=3#members"

    last = await reader.get(f"/networks/{slug}?page=3")
    assert names_on(last) == ["Erin Paged"]
    assert "Showing 5 to 5 of the 5 listed (page 3 of 3)" in text_of(last)
    assert link(last, "next") is None and link(last, "prev") is not None

    # Past the last page, or not a page number: an address that leads nowhere.
    for wrong in ("4", "0", "-1", "two", "1.5", "\u00b2", "99999999999999999999"):
        assert_page(await reader.get(f"/networks/{slug}?page={wrong}"), 404)

    # One page only: no pagination at all.
    monkeypatch.setattr(network_pages, "MEMBERS_PER_PAGE", 50)
    whole = await reader.get(f"/networks/{slug}")
    assert names_on(whole) == sorted(names)
    assert "Pages of members" not in whole.text and "Showing" not in text_of(whole)


async def test_a_network_names_its_parent_only_to_those_who_may_see_it(
    world: World, cast: Cast
) -> None:
    seen, hidden = await asyncio.gather(
        world.network(cast.chair, "open"), world.network(cast.chair, "invite_only")
    )
    child, secret_child = await asyncio.gather(
        world.network(cast.chair, "open", parent_slug=seen),
        world.network(cast.chair, "open", parent_slug=hidden),
    )
    page = await cast.newcomer.get(f"/networks/{child}")
    assert "Part of Network" in text_of(page) and f'href="/networks/{seen}"' in page.text
    page = await cast.newcomer.get(f"/networks/{secret_child}")
    assert "Part of" not in text_of(page) and hidden not in page.text
    assert f'href="/networks/{hidden}"' in (await cast.chair.get(f"/networks/{secret_child}")).text


async def test_an_invite_only_network_is_not_there_for_outsiders(world: World, cast: Cast) -> None:
    slug = await world.network(cast.chair, "invite_only", ground_rules=RULES)
    for path in (f"/networks/{slug}", f"/networks/{slug}/join", f"/networks/{slug}/joined"):
        page = assert_page(await cast.newcomer.get(path), 404)
        assert "Page not found" in page and f"Network {slug}" not in page
    posted = await cast.newcomer.submit(
        ANY_FORM, f"/networks/{slug}/join", {"accept_ground_rules": "yes"}
    )
    assert_page(posted, 404)
    assert await world.memberships(slug, cast.newcomer) == []
    assert_page(await cast.newcomer.get("/networks/Not_A_Slug"), 404)  # malformed: the same


# --- Joining ----------------------------------------------------------------------------------


async def test_joining_an_open_network_asks_first_to_accept_its_ground_rules(
    world: World, cast: Cast
) -> None:
    joiner = await world.member()
    slug = await world.network(cast.chair, "open", ground_rules=RULES)
    form = assert_page(await joiner.get(f"/networks/{slug}/join"), 200)
    assert form.index(RULES[0]) < form.index("I have read the ground rules and I will keep them")

    unticked = await joiner.submit(f"/networks/{slug}/join", f"/networks/{slug}/join", {})
    page = assert_page(unticked, 422)
    assert "There is a problem" in page
    # Membership's refusal, in its words, at the top and beside the box.
    assert page.count("Accept the network's ground rules to join") == 2
    assert 'href="#accept_ground_rules"' in unticked.text  # the summary links to the box
    assert await world.memberships(slug, joiner) == []

    joined = await joiner.submit(
        f"/networks/{slug}/join", f"/networks/{slug}/join", {"accept_ground_rules": "yes"}
    )
    assert joined.status_code == 303 and joined.headers["location"] == f"/networks/{slug}/joined"
    done = assert_page(await joiner.get(f"/networks/{slug}/joined"), 200)
    assert f"You have joined Network {slug}" in done and "You are a member" in done
    (membership,) = await world.memberships(slug, joiner)
    assert membership["status"] == "active"
    # Nothing left to join: the form sends them to the network's page.
    again = await joiner.get(f"/networks/{slug}/join")
    assert again.status_code == 303 and again.headers["location"] == f"/networks/{slug}"


async def test_asking_to_join_an_approval_network_sends_a_request_that_waits(
    world: World, cast: Cast
) -> None:
    asker = await world.member()
    slug = await world.network(cast.chair, "approval", ground_rules=RULES)
    assert "Ask to join this network" in assert_page(await asker.get(f"/networks/{slug}"), 200)
    nothing_yet = await asker.get(f"/networks/{slug}/joined")
    assert nothing_yet.status_code == 303  # no request yet: the network's own page

    sent = await asker.submit(
        f"/networks/{slug}/join",
        f"/networks/{slug}/join",
        {"accept_ground_rules": "yes", "message": "I lead our trust's safety huddles."},
    )
    assert sent.status_code == 303, sent.text
    page = assert_page(await asker.get(sent.headers["location"]), 200)
    assert "Request sent" in page and "will read your request and decide" in page
    (request,) = await world.memberships(slug, asker)
    assert (request["status"], request["message"]) == (
        "pending",
        "I lead our trust's safety huddles.",
    )
    waiting = assert_page(await asker.get(f"/networks/{slug}"), 200)
    assert "You have asked to join" in waiting and "Ask to join this network" not in waiting

    pending = await world.api.get(f"/api/v1/networks/{slug}/join-requests", headers=cast.chair.api)
    request_id = pending.json()[0]["id"]
    approved = await world.api.post(
        f"/api/v1/networks/{slug}/join-requests/{request_id}/approve", headers=cast.chair.api
    )
    assert approved.status_code == 200, approved.text
    assert "You are a member of this network" in text_of(await asker.get(f"/networks/{slug}"))


async def test_a_declined_request_is_said_and_may_be_sent_again(world: World, cast: Cast) -> None:
    asker = await world.member()
    slug = await world.network(cast.chair, "approval")
    sent = await asker.submit(f"/networks/{slug}/join", f"/networks/{slug}/join", {})
    assert sent.status_code == 303, sent.text
    pending = await world.api.get(f"/api/v1/networks/{slug}/join-requests", headers=cast.chair.api)
    request_id = pending.json()[0]["id"]
    declined = await world.api.post(
        f"/api/v1/networks/{slug}/join-requests/{request_id}/decline", headers=cast.chair.api
    )
    assert declined.status_code == 200, declined.text
    page = assert_page(await asker.get(f"/networks/{slug}"), 200)
    assert "Your last request to join was declined. You can ask again." in page
    assert "Your request was declined" in assert_page(await asker.get("/networks"), 200)
    again = await asker.submit(f"/networks/{slug}/join", f"/networks/{slug}/join", {})
    assert again.status_code == 303
    (request,) = await world.memberships(slug, asker)
    assert request["status"] == "pending"


async def test_a_refusal_from_the_service_is_shown_on_the_form(world: World, cast: Cast) -> None:
    suspended = await world.member()
    slug, approval = await asyncio.gather(
        world.network(cast.chair, "open"), world.network(cast.chair, "approval")
    )
    # Too long a message: the service's own limit, beside the field, what was typed kept.
    typed = "x" * 2001
    too_long = await cast.newcomer.submit(
        f"/networks/{approval}/join", f"/networks/{approval}/join", {"message": typed}
    )
    page = assert_page(too_long, 422)
    assert "Enter 2000 characters or fewer" in page and 'href="#message"' in too_long.text
    assert typed in too_long.text  # the form keeps what was typed
    assert await world.memberships(approval, cast.newcomer) == []

    await set_fields(world.db["members"], suspended.id, {"status": "suspended"})
    refused = await suspended.submit(f"/networks/{slug}/join", f"/networks/{slug}/join", {})
    page = assert_page(refused, 403)
    assert "Your account is not active, so you cannot join networks." in page
    assert "There is a problem" in page
    assert await world.memberships(slug, suspended) == []


# --- Invitations ------------------------------------------------------------------------------


async def test_a_visitor_with_an_invitation_link_signs_in_and_comes_back_to_it(
    world: World, cast: Cast
) -> None:
    slug = await world.network(cast.chair, "invite_only", ground_rules=RULES)
    invitee = await world.member()
    token = await world.invite(slug, cast.chair, invitee.email, "note_taker")
    path = f"/invitations/{token}"

    visitor = world.browser()
    response = await visitor.get(path)
    page = assert_page(response, 200)
    assert f"Network {slug}" not in page  # nothing about the network before signing in
    links = re.findall(r'href="([^"]+)"', response.text)
    sign_in = next(link for link in links if link.startswith("/sign-in?"))
    create = next(link for link in links if link.startswith("/create-account?"))
    assert parse_qs(urlsplit(html.unescape(sign_in)).query)["next"] == [path]
    assert parse_qs(urlsplit(html.unescape(create)).query)["next"] == [path]

    signed_in = await visitor.submit(
        html.unescape(sign_in),
        html.unescape(sign_in),
        {"email": invitee.email, "password": PASSWORD},
    )
    assert signed_in.status_code == 303, signed_in.text
    assert signed_in.headers["location"] == path
    invitation = assert_page(await visitor.get(path), 200)
    assert f"Invitation to join Network {slug}" in invitation
    assert "as a note-taker" in invitation and RULES[1] in invitation


async def test_the_invitee_accepts_the_ground_rules_and_joins(world: World, cast: Cast) -> None:
    slug = await world.network(cast.chair, "invite_only", ground_rules=RULES)
    invitee = await world.member()
    token = await world.invite(slug, cast.chair, invitee.email, "observer")
    path = f"/invitations/{token}"

    unticked = await invitee.submit(path, path, {})
    page = assert_page(unticked, 422)
    assert page.count("Accept the network's ground rules to join") == 2  # top, and beside
    assert 'href="#accept_ground_rules"' in unticked.text
    assert "I have read the ground rules and I will keep them" in page  # the form again
    assert await world.memberships(slug, invitee) == []

    accepted = await invitee.submit(path, path, {"accept_ground_rules": "yes"})
    assert accepted.status_code == 303, accepted.text
    assert accepted.headers["location"] == f"/networks/{slug}/joined"
    done = assert_page(await invitee.get(accepted.headers["location"]), 200)
    assert f"You have joined Network {slug}" in done and "You are an observer" in done
    (membership,) = await world.memberships(slug, invitee)
    assert (membership["status"], membership["role"]) == ("active", "observer")
    assert "You have accepted this invitation" in assert_page(await invitee.get(path), 200)
    assert "You are an observer of this network" in text_of(await invitee.get(f"/networks/{slug}"))


async def test_an_invitation_for_someone_else_or_expired_is_explained(
    world: World, cast: Cast
) -> None:
    slug = await world.network(cast.chair, "invite_only")
    invitee = await world.member()
    token = await world.invite(slug, cast.chair, invitee.email)
    path = f"/invitations/{token}"

    other = assert_page(await cast.newcomer.get(path), 404)
    assert "We cannot find this invitation" in other and f"Network {slug}" not in other
    assert_page(await cast.newcomer.submit(ANY_FORM, path, {}), 404)
    assert await world.memberships(slug, cast.newcomer) == []
    assert "We cannot find" in assert_page(await invitee.get("/invitations/short"), 404)

    await set_fields(
        world.db["invitations"],
        hashlib.sha256(token.encode()).hexdigest(),
        {"expires_at": datetime.now(UTC) - timedelta(seconds=1)},
    )
    page = assert_page(await invitee.get(path), 200)
    assert "This invitation has expired" in page and "Accept the invitation" not in page
    # Posted anyway (a form left open): the service's refusal, on the page.
    refused = await invitee.submit(ANY_FORM, path, {})
    assert "This invitation has expired: ask the network for a new one." in assert_page(
        refused, 409
    )
    assert await world.memberships(slug, invitee) == []


async def test_the_invitation_page_never_offers_what_accepting_would_refuse(
    world: World, cast: Cast
) -> None:
    """The preview is membership's answer with accepting's own rule: a network that does
    not take the invitee's kind of member shows why, and no form to accept."""
    slug = await world.network(
        cast.chair, "invite_only", allowed_member_types=["patient_safety_partner"]
    )
    invitee = await world.member()  # staff
    token = await world.invite(slug, cast.chair, invitee.email)
    path = f"/invitations/{token}"
    page = assert_page(await invitee.get(path), 200)
    assert "You cannot accept this invitation" in page
    assert "This network is not open to members of type 'staff'." in page
    assert (
        "Accept the invitation" not in page
        and f'action="{path}"' not in (await invitee.get(path)).text
    )
    assert await world.memberships(slug, invitee) == []


async def test_a_form_sent_twice_is_applied_once(world: World, cast: Cast) -> None:
    """Each form carries a one-time key made when it was rendered; the page sends it as the
    Idempotency-Key, so a double click (the same form, posted twice) asks once."""
    slug = await world.network(cast.chair, "approval")
    joiner = await world.member()
    page = await joiner.get(f"/networks/{slug}/join")
    hidden = {}
    for tag in HIDDEN_INPUT.findall(page.text):
        attributes = dict(ATTRIBUTE.findall(tag))
        hidden[attributes["name"]] = html.unescape(attributes.get("value", ""))
    assert uuid.UUID(hidden["_once"])  # a fresh key in the form
    form = {**hidden, "message": "Please let me in"}
    first, second = await asyncio.gather(
        joiner.client.post(f"/networks/{slug}/join", data=form),
        joiner.client.post(f"/networks/{slug}/join", data=form),
    )
    assert (first.status_code, second.status_code) == (303, 303), second.text[:300]
    (membership,) = await world.memberships(slug, joiner)
    assert membership["status"] == "pending"
    # The same key with other answers (a form from the browser's history, changed): refused
    # in plain words, and the form comes back with a new key to send.
    changed = await joiner.client.post(
        f"/networks/{slug}/join", data={**form, "message": "Something else"}
    )
    page_text = assert_page(changed, 422)
    assert "This form was sent already with different answers" in page_text
    assert "Idempotency" not in page_text
    keys = re.findall(r'name="_once" value="([^"]+)"', changed.text)
    assert keys and hidden["_once"] not in keys
    # Two renders of a page: two keys (and two forms on one page never share one).
    again = await joiner.get(f"/networks/{slug}/join")
    assert hidden["_once"] not in again.text


# --- Leaving ----------------------------------------------------------------------------------


async def test_a_member_leaves_after_confirming_but_the_last_chair_cannot(
    world: World, cast: Cast
) -> None:
    leaver = await world.member()
    slug = await world.network(cast.chair, "invite_only")
    await world.add(slug, cast.chair, leaver)
    assert f'href="/networks/{slug}/leave"' in (await leaver.get(f"/networks/{slug}")).text
    confirm = assert_page(await leaver.get(f"/networks/{slug}/leave"), 200)
    assert "you would need a new invitation" in confirm
    assert [m["status"] for m in await world.memberships(slug, leaver)] == ["active"]
    left = await leaver.submit(f"/networks/{slug}/leave", f"/networks/{slug}/leave", {})
    assert f"You have left Network {slug}" in assert_page(left, 200)
    (membership,) = await world.memberships(slug, leaver)
    assert membership["status"] == "left"
    assert_page(await leaver.get(f"/networks/{slug}"), 404)  # invite-only: gone for them now

    refused = await cast.chair.submit(f"/networks/{slug}/leave", f"/networks/{slug}/leave", {})
    page = assert_page(refused, 409)
    assert "A network needs a chair: appoint another chair first." in page
    (chair,) = await world.memberships(slug, cast.chair)
    assert chair["status"] == "active"
    outsider = await cast.newcomer.get(f"/networks/{slug}/leave")
    assert outsider.status_code == 404


# --- Plain words ------------------------------------------------------------------------------


def acronyms_in(page: str) -> set[str]:
    """Words in capitals in the page's visible text, roughly (the browser tests read the
    rendered text). A glossary's short forms (``<abbr>``) are the network's own words,
    each explained where it stands."""
    body = page.split("<body", 1)[1]
    body = re.sub(r"<script.*?</script>|<abbr[^>]*>.*?</abbr>", " ", body, flags=re.DOTALL)
    text = html.unescape(re.sub(r"<[^>]+>", " ", body))
    return set(re.findall(r"\b[A-Z][A-Z0-9]+\b", text))


async def test_the_networks_pages_use_no_acronyms(world: World, cast: Cast) -> None:
    joiner = await world.member()
    glossary = {"PSIRF": "Patient Safety Incident Response Framework"}
    slug, approval = await asyncio.gather(
        world.network(cast.chair, "open", ground_rules=RULES, glossary=glossary),
        world.network(cast.chair, "approval", ground_rules=RULES),
    )
    token = await world.invite(approval, cast.chair, joiner.email)
    pages = {
        "/networks": await joiner.get("/networks"),
        "network, outsider": await joiner.get(f"/networks/{slug}"),
        "join": await joiner.get(f"/networks/{slug}/join"),
        "ask to join": await joiner.get(f"/networks/{approval}/join"),
        "join, not accepted": await joiner.submit(
            f"/networks/{slug}/join", f"/networks/{slug}/join", {}
        ),
        "invitation": await joiner.get(f"/invitations/{token}"),
        "invitation, anonymous": await world.browser().get(f"/invitations/{token}"),
        "invitation, none": await joiner.get("/invitations/" + "x" * 43),
    }
    await joiner.submit(
        f"/networks/{slug}/join", f"/networks/{slug}/join", {"accept_ground_rules": "yes"}
    )
    pages["joined"] = await joiner.get(f"/networks/{slug}/joined")
    pages["network, member"] = await joiner.get(f"/networks/{slug}")
    pages["leave"] = await joiner.get(f"/networks/{slug}/leave")
    pages["left"] = await joiner.submit(f"/networks/{slug}/leave", f"/networks/{slug}/leave", {})
    assert "PSIRF" in pages["network, member"].text  # the glossary is there, and explained
    unexpected = {name: acronyms_in(page.text) - ALLOWED_ACRONYMS for name, page in pages.items()}
    assert unexpected == {name: set() for name in pages}
