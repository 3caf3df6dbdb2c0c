"""The admin pages: a network's management page (chairs and facilitators) and the instance
administration pages, against the gateway and membership on real NATS and FerretDB.

Each page: its happy path, a refusal shown as the service's message (at the top and beside
its field), and the answer to a visitor who may not use it."""

import contextlib
import hashlib
import html
import re
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from huddle_gateway.web.words import ALLOWED_ACRONYMS
from support import set_fields
from web_support import Person, Site, Visitor, web_site

pytestmark = pytest.mark.component

HTML = "text/html"


@pytest.fixture(scope="module")
async def site(
    tmp_path_factory: pytest.TempPathFactory, mongodb_url: str, nats_credentials: Path | None
) -> AsyncIterator[Site]:
    async with web_site(tmp_path_factory, mongodb_url, nats_credentials) as site:
        yield site


@pytest.fixture(scope="module")
async def admin(site: Site) -> Person:
    """An instance administrator, who chairs the networks they create."""
    return await site.person(admin=True, name="Ada Lovelace")


def text_of(page: httpx.Response) -> str:
    """The page's text without tags, spaces collapsed: what a person reads."""
    words = re.sub(r"<[^>]+>", " ", page.text)
    return re.sub(r"\s+", " ", html.unescape(words))


def error_beside(page: httpx.Response, field_id: str) -> str:
    """The error message the NHS components put beside the field ``field_id``."""
    found = re.search(
        rf'id="{re.escape(field_id)}-error"[^>]*>(.*?</span>.*?)</span>', page.text, re.S
    )
    assert found, f"no error beside {field_id}"
    return re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", found.group(1)))).strip()


def assert_error_summary(page: httpx.Response, message: str) -> None:
    assert "nhsuk-error-summary" in page.text, page.text[:500]
    assert page.text.count("<title>Error: ") == 1
    assert message in text_of(page)


async def api(site: Site, method: str, path: str, who: Person, body: Any = None) -> httpx.Response:
    return await site.client.request(method, path, json=body, headers=who.headers)


async def member_of(site: Site, slug: str, chair: Person, role: str = "member") -> Person:
    """A new member of ``slug`` (invited by its chair, who may invite to any network)."""
    person = await site.person()
    invited = await api(
        site,
        "POST",
        f"/api/v1/networks/{slug}/invitations",
        chair,
        {"email": person.email, "role": role},
    )
    accepted = await api(
        site, "POST", f"/api/v1/invitations/{invited.json()['token']}/accept", person
    )
    assert accepted.status_code == 200, accepted.text
    return person


@contextlib.asynccontextmanager
async def signed_in(site: Site, person: Person) -> AsyncIterator[Visitor]:
    async with site.visitor() as visitor:
        await visitor.sign_in(person)
        yield visitor


# --- A network's management page ----------------------------------------------------------------


async def test_only_signed_in_network_admins_open_the_management_page(
    site: Site, admin: Person
) -> None:
    slug = await site.network(admin, "invite_only")
    member = await member_of(site, slug, admin)
    outsider = await site.person()
    path = f"/networks/{slug}/admin"
    async with site.visitor() as anonymous:
        answer = await anonymous.get(path)
    assert answer.status_code == 303
    assert answer.headers["location"] == f"/sign-in?next=/networks/{slug}/admin"

    for person, status, words in (
        (member, 403, "Only the network's chairs and facilitators can do this."),
        (outsider, 404, "Page not found"),  # invite-only: it does not exist for them
    ):
        async with signed_in(site, person) as visitor:
            page = await visitor.get(path)
        assert page.status_code == status, page.text[:300]
        assert page.headers["content-type"].startswith(HTML)
        assert words in text_of(page)
        assert "Make an invitation" not in page.text

    async with signed_in(site, admin) as visitor:
        page = await visitor.get(path)
    assert page.status_code == 200, page.text[:500]
    assert f"<title>Manage Network {slug} - Huddle</title>" in page.text
    assert "No one is waiting for an answer." in page.text
    assert "Ada Lovelace" in text_of(page) and member.name in text_of(page)


async def test_chairs_approve_and_decline_join_requests_with_a_message(
    site: Site, admin: Person
) -> None:
    slug = await site.network(admin, "approval")
    hopeful, other = await site.person(name="Hopeful Person"), await site.person(name="Other One")
    for person, note in ((hopeful, "I chair our trust's group"), (other, "")):
        joined = await api(site, "POST", f"/api/v1/networks/{slug}/join", person, {"message": note})
        assert joined.status_code == 202, joined.text
    requests = (await api(site, "GET", f"/api/v1/networks/{slug}/join-requests", admin)).json()
    ids = {item["display_name"]: item["id"] for item in requests}
    path = f"/networks/{slug}/admin"
    async with signed_in(site, admin) as visitor:
        page = await visitor.get(path)
        assert "I chair our trust&#39;s group" in page.text
        assert "They did not add a message." in page.text

        too_long = await visitor.submit(
            path,
            {"decision": "approve", "message": "x" * 2001},
            action=f"{path}/join-requests/{ids['Hopeful Person']}",
        )
        assert too_long.status_code == 422
        assert_error_summary(too_long, "Enter 2000 characters or fewer")
        assert "Enter 2000 characters or fewer" in error_beside(
            too_long, f"message-{ids['Hopeful Person']}"
        )

        approved = await visitor.submit(
            path,
            {"decision": "approve", "message": "Welcome"},
            action=f"{path}/join-requests/{ids['Hopeful Person']}",
        )
        assert (
            approved.status_code == 303 and approved.headers["location"] == f"{path}?done=approved"
        )
        declined = await visitor.submit(
            path, {"decision": "decline"}, action=f"{path}/join-requests/{ids['Other One']}"
        )
        assert declined.status_code == 303
        page = await visitor.get(f"{path}?done=approved")
        assert "You approved the request." in page.text
        assert "No one is waiting for an answer." in page.text

        again = await visitor.submit(  # the service: a declined request cannot be approved
            path, {"decision": "approve"}, action=f"{path}/join-requests/{ids['Other One']}"
        )
        assert again.status_code == 409
        assert_error_summary(again, "This join request was already declined.")
    documents = {
        d["member_id"]: d async for d in site.db["network_memberships"].find({"slug": slug})
    }
    assert documents[hopeful.id]["status"] == "active"
    assert documents[hopeful.id]["decision_message"] == "Welcome"
    assert documents[other.id]["status"] == "declined"


async def test_invitations_are_made_shown_once_and_listed_with_their_status(
    site: Site, admin: Person
) -> None:
    slug = await site.network(admin, "invite_only")
    invitee = await site.person()
    path = f"/networks/{slug}/admin"
    async with signed_in(site, admin) as visitor:
        bad = await visitor.submit(
            path, {"email": "not an address", "role": "observer"}, action=f"{path}/invitations"
        )
        assert bad.status_code == 422
        assert_error_summary(bad, "Enter an email address in the correct format")
        assert "Enter an email address in the correct format" in error_beside(bad, "invite-email")
        assert 'value="not an address"' in bad.text  # what was typed stays
        assert await site.db["invitations"].count_documents({"slug": slug}) == 0

        made = await visitor.submit(
            path, {"email": invitee.email, "role": "observer"}, action=f"{path}/invitations"
        )
        assert made.status_code == 200, made.text[:500]
        link = re.search(r'href="(http://[^"]+/invitations/([^"]+))"', made.text)
        assert link, made.text
        token = link.group(2)
        stored = await site.db["invitations"].find_one(
            {"_id": hashlib.sha256(token.encode()).hexdigest()}
        )
        assert stored is not None and stored["role"] == "observer"
        assert "Waiting for a reply" in made.text

        accepted = await api(site, "POST", f"/api/v1/invitations/{token}/accept", invitee)
        assert accepted.status_code == 200, accepted.text
        page = await visitor.get(path)
        assert token not in page.text  # shown once
        assert "Accepted" in text_of(page) and invitee.email.lower() in page.text


async def test_a_facilitator_cannot_invite_a_chair_and_is_told_beside_the_role(
    site: Site, admin: Person
) -> None:
    slug = await site.network(admin, "open")
    facilitator = await member_of(site, slug, admin, role="facilitator")
    path = f"/networks/{slug}/admin"
    async with signed_in(site, facilitator) as visitor:
        page = await visitor.submit(
            path, {"email": "someone@example.org", "role": "chair"}, action=f"{path}/invitations"
        )
    assert page.status_code == 403
    message = "Only a chair can appoint a chair or change a chair's role."
    assert_error_summary(page, message)
    assert error_beside(page, "invite-role") == f"Error: {message}"


async def test_chairs_change_roles_but_not_the_last_chairs(site: Site, admin: Person) -> None:
    slug = await site.network(admin, "open")
    member = await member_of(site, slug, admin)
    path = f"/networks/{slug}/admin"
    async with signed_in(site, admin) as visitor:
        changed = await visitor.submit(
            path, {"role": "facilitator"}, action=f"{path}/members/{member.id}/role"
        )
        assert changed.status_code == 303 and changed.headers["location"] == f"{path}?done=role"
        last = await visitor.submit(
            path, {"role": "member"}, action=f"{path}/members/{admin.id}/role"
        )
        assert last.status_code == 409
        message = "A network needs a chair: appoint another chair first."
        assert_error_summary(last, message)
        assert error_beside(last, f"role-{admin.id}") == f"Error: {message}"
        unknown = await visitor.submit(
            path, {"role": "king"}, action=f"{path}/members/{member.id}/role"
        )
        assert unknown.status_code == 422
        assert "Choose one of the options" in error_beside(unknown, f"role-{member.id}")
    roster = (await api(site, "GET", f"/api/v1/networks/{slug}/roster", admin)).json()
    roles = {m["member_id"]: m["role"] for m in roster["members"]}
    assert roles == {admin.id: "chair", member.id: "facilitator"}


# --- Instance administration --------------------------------------------------------------------


ADMIN_PAGES = [
    "/admin",
    "/admin/organisations",
    "/admin/networks/new",
    "/admin/members",
    "/admin/tokens",
]


async def test_only_instance_administrators_open_the_administration_pages(
    site: Site, admin: Person
) -> None:
    member = await site.person()
    async with site.visitor() as anonymous:
        for path in ADMIN_PAGES:
            answer = await anonymous.get(path)
            assert answer.status_code == 303, path
            assert answer.headers["location"] == f"/sign-in?next={path}"
    async with signed_in(site, member) as visitor:
        for path in ADMIN_PAGES:
            page = await visitor.get(path)
            assert page.status_code == 403, path
            assert "Only an instance administrator can use these pages." in page.text
    async with signed_in(site, admin) as visitor:
        for path in ADMIN_PAGES:
            page = await visitor.get(path)
            assert page.status_code == 200, (path, page.text[:300])
        overview = await visitor.get("/admin")
    assert "Access keys for other systems" in overview.text
    assert 'href="/admin/networks/new"' in overview.text


async def test_administrators_find_and_add_organisations(site: Site, admin: Person) -> None:
    name = f"Lakeside Hospice {uuid.uuid4().hex[:6]}"
    async with signed_in(site, admin) as visitor:
        refused = await visitor.submit(
            "/admin/organisations", {"name": name, "kind": "", "region": "london"}
        )
        assert refused.status_code == 422
        assert "Choose one of the options" in error_beside(refused, "org-kind")
        assert f'value="{name}"' in refused.text
        added = await visitor.submit(
            "/admin/organisations", {"name": name, "kind": "charity", "region": "london"}
        )
        assert added.status_code == 303
        page = await visitor.get(added.headers["location"])
        assert "The organisation was added." in page.text
        assert name in page.text and "Charity" in text_of(page)
        found = await visitor.get("/admin/organisations", params={"name": name[:12].lower()})
        assert name in found.text
        none = await visitor.get("/admin/organisations", params={"name": "zz-no-such"})
        assert "No organisation's name starts with that." in text_of(none)


def hidden_fields(page: httpx.Response) -> dict[str, str]:
    """The first form's hidden fields: its CSRF field and its one-time key."""
    form = page.text[page.text.index("<form") :]
    found = re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', form)
    return {name: html.unescape(value) for name, value in found[:2]}


async def test_the_same_form_sent_twice_adds_one_organisation(site: Site, admin: Person) -> None:
    """A double click sends the form's one-time key twice: the page passes it on as the
    Idempotency-Key, so membership adds the organisation once and answers both alike."""
    name = f"Double Click Hospice {uuid.uuid4().hex[:6]}"
    body = {"name": name, "kind": "charity", "region": "london"}
    async with signed_in(site, admin) as visitor:
        form = {**hidden_fields(await visitor.get("/admin/organisations")), **body}
        assert set(form) >= {"_csrf_token", "_once"}
        sent = [await visitor.client.post("/admin/organisations", data=form) for _ in range(2)]
        assert [answer.status_code for answer in sent] == [303, 303]
        assert sent[0].headers["location"] == sent[1].headers["location"]
        assert await site.db["organisations"].count_documents({"name": name}) == 1
        # The same form rendered again is a new form: sent, it adds another.
        fresh = {**hidden_fields(await visitor.get("/admin/organisations")), **body}
        assert (await visitor.client.post("/admin/organisations", data=fresh)).status_code == 303
    assert await site.db["organisations"].count_documents({"name": name}) == 2


async def test_administrators_create_networks_with_a_parent(site: Site, admin: Person) -> None:
    parent = await site.network(admin, "open")
    slug = f"child-{uuid.uuid4().hex[:8]}"
    form = {
        "name": "Paediatric leaders",
        "slug": slug,
        "purpose": "Leaders of paediatric patient safety",
        "parent_slug": parent,
        "visibility": "approval",
        "region": "midlands",
        "ground_rules": "Be kind\n\nNo acronyms",
    }
    async with signed_in(site, admin) as visitor:
        bad = await visitor.submit("/admin/networks/new", {**form, "slug": "Not A Slug"})
        assert bad.status_code == 422
        assert "Enter it in the format shown" in error_beside(bad, "slug")
        assert 'value="Paediatric leaders"' in bad.text and "No acronyms" in bad.text
        created = await visitor.submit("/admin/networks/new", form)
        assert created.status_code == 303, created.text[:500]
        assert created.headers["location"] == f"/networks/{slug}/admin"
        taken = await visitor.submit("/admin/networks/new", form)
        assert taken.status_code == 409
        assert_error_summary(taken, f"A network with the slug '{slug}' already exists.")
    network = (await api(site, "GET", f"/api/v1/networks/{slug}", admin)).json()
    assert network["parent_slug"] == parent and network["visibility"] == "approval"
    assert network["ground_rules"] == ["Be kind", "No acronyms"] and network["my_role"] == "chair"


async def test_administrators_suspend_and_reinstate_members(site: Site, admin: Person) -> None:
    member = await site.person(name="Sam Suspendable")
    async with signed_in(site, admin) as visitor:
        missing = await visitor.submit("/admin/members", {"email": "nobody@example.org"})
        assert missing.status_code == 404
        assert error_beside(missing, "email") == "Error: No member has this email address."
        found = await visitor.submit("/admin/members", {"email": member.email.upper()})
        assert found.status_code == 200
        assert "Sam Suspendable" in found.text and "Active" in text_of(found)
        action = f"/admin/members/{member.id}/status"
        too_long = await visitor.submit(
            "/admin/members",
            {"email": member.email, "status": "suspended", "reason": "x" * 1001},
            action=action,
        )
        assert too_long.status_code == 422
        assert "Enter 1000 characters or fewer" in error_beside(too_long, "reason")
        suspended = await visitor.submit(
            "/admin/members",
            {"email": member.email, "status": "suspended", "reason": "Asked us to pause it"},
            action=action,
        )
        assert suspended.status_code == 200, suspended.text[:500]
        assert "Sam Suspendable is suspended." in suspended.text
        assert "Asked us to pause it" in suspended.text
        stored = await site.db["members"].find_one({"_id": member.id})
        assert stored["status"] == "suspended"
        reinstated = await visitor.submit(
            "/admin/members", {"email": member.email, "status": "active"}, action=action
        )
        assert "Sam Suspendable is reinstated." in reinstated.text
    stored = await site.db["members"].find_one({"_id": member.id})
    assert stored["status"] == "active"


async def test_suspending_acts_on_and_shows_the_member_the_address_names(
    site: Site, admin: Person
) -> None:
    """The member is named by their id in the form's address, and read again by it: an email
    address that now belongs to someone else (or any email the form carries) changes
    nothing about who is acted on or shown."""
    member = await site.person(name="Robin Right")
    other = await site.person(name="Wren Wrong")
    async with signed_in(site, admin) as visitor:
        found = await visitor.submit("/admin/members", {"email": member.email})
        assert f'action="/admin/members/{member.id}/status"' in found.text
        assert f'name="email" value="{member.email}"' not in found.text.split("/status")[1]
        suspended = await visitor.submit(
            "/admin/members",
            {"email": other.email, "status": "suspended", "reason": "Paused"},  # an old form
            action=f"/admin/members/{member.id}/status",
        )
        assert suspended.status_code == 200, suspended.text[:500]
        assert "Robin Right is suspended." in suspended.text
        assert "Wren Wrong" not in suspended.text
        not_an_id = await visitor.submit(
            "/admin/members", {"status": "active"}, action="/admin/members/not-an-id/status"
        )
        assert not_an_id.status_code == 404
    assert (await site.db["members"].find_one({"_id": member.id}))["status"] == "suspended"
    assert (await site.db["members"].find_one({"_id": other.id}))["status"] == "active"


async def test_access_keys_are_shown_once_and_can_be_switched_off(
    site: Site, admin: Person
) -> None:
    name = f"Reporting {uuid.uuid4().hex[:6]}"
    async with signed_in(site, admin) as visitor:
        refused = await visitor.submit("/admin/tokens", {"name": name, "scopes": ""})
        assert refused.status_code == 422
        assert "at least 1 item" in error_beside(refused, "token-scopes")
        made = await visitor.submit("/admin/tokens", {"name": name, "scopes": "stats:read"})
        assert made.status_code == 200
        key = re.search(r'<code class="huddle-secret">(hud_[A-Za-z0-9_-]{43})</code>', made.text)
        assert key, made.text[:800]
        verified = await site.client.get(
            "/api/v1/stats", headers={"Authorization": f"Bearer {key.group(1)}"}
        )
        assert verified.status_code == 200
        page = await visitor.get("/admin/tokens")
        assert key.group(1) not in page.text and name in page.text
        token_id = re.search(r'action="/admin/tokens/([^/"]+)/revoke"', page.text)
        assert token_id
        revoked = await visitor.submit(
            "/admin/tokens", {}, action=f"/admin/tokens/{token_id.group(1)}/revoke"
        )
        assert revoked.status_code == 303
        page = await visitor.get(revoked.headers["location"])
        assert "The key was switched off." in page.text and "Switched off" in page.text
    refused_key = await site.client.get(
        "/api/v1/stats", headers={"Authorization": f"Bearer {key.group(1)}"}
    )
    assert refused_key.status_code == 401


def visible_words(page: str) -> list[str]:
    """Words in capitals in the page's visible text, roughly (as the account pages' test
    reads them), leaving out the secrets shown once (random letters, in ``code``)."""
    body = page.split("<body", 1)[1]
    body = re.sub(r"<script.*?</script>|<code.*?</code>", " ", body, flags=re.DOTALL)
    text = html.unescape(re.sub(r"<[^>]+>", " ", body))
    return re.findall(r"\b[A-Z][A-Z0-9]+\b", text)


async def test_the_admin_pages_use_no_acronyms(site: Site, admin: Person) -> None:
    slug = await site.network(admin, "approval")
    asker = await site.person()
    await api(site, "POST", f"/api/v1/networks/{slug}/join", asker, {"message": "Hello"})
    found: dict[str, list[str]] = {}
    async with signed_in(site, admin) as visitor:
        for path in [*ADMIN_PAGES, f"/networks/{slug}/admin"]:
            found[path] = visible_words((await visitor.get(path)).text)
        invited = await visitor.submit(
            f"/networks/{slug}/admin",
            {"email": "a@example.org"},
            action=f"/networks/{slug}/admin/invitations",
        )
        found["invitation made"] = visible_words(invited.text)
        made = await visitor.submit("/admin/tokens", {"name": "Reports", "scopes": "stats:read"})
        found["key made"] = visible_words(made.text)
        found["member found"] = visible_words(
            (await visitor.submit("/admin/members", {"email": asker.email})).text
        )
    unexpected = {path: sorted(set(words) - ALLOWED_ACRONYMS) for path, words in found.items()}
    assert unexpected == {path: [] for path in found}


async def test_the_overview_names_the_networks_left_without_a_chair(
    site: Site, admin: Person
) -> None:
    slug = await site.network(admin, "open")
    async with signed_in(site, admin) as visitor:
        before = await visitor.get("/admin")
        assert "Networks without a chair" not in before.text
        await set_fields(site.db["networks"], slug, {"needs_chair": True})  # as an erasure would
        after = await visitor.get("/admin")
    assert "Networks without a chair" in after.text
    assert f'href="/networks/{slug}/admin"' in after.text
