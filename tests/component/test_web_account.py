"""The web app's foundation and its account pages, against the gateway and membership on
real NATS and FerretDB: pages, the session cookie, CSRF, errors as pages, assets."""

import html
import re
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from huddle_gateway.web.words import ALLOWED_ACRONYMS
from support import eventually
from web_support import Site, web_site

pytestmark = pytest.mark.component

HTML = "text/html"


@pytest.fixture(scope="module")
async def site(
    tmp_path_factory: pytest.TempPathFactory, mongodb_url: str, nats_credentials: Path | None
) -> AsyncIterator[Site]:
    async with web_site(tmp_path_factory, mongodb_url, nats_credentials) as site:
        yield site


async def test_the_home_page_shows_the_figures_to_anyone(site: Site) -> None:
    async with site.visitor() as visitor:
        page = await visitor.get("/")
    assert page.status_code == 200, page.text
    assert page.headers["content-type"].startswith(HTML)
    assert "<title>Home - Huddle</title>" in page.text
    assert "Members by region" in page.text and "<svg" in page.text
    assert "script-src 'self'" in page.headers["content-security-policy"]
    assert "unsafe-inline" not in page.headers["content-security-policy"]


async def test_the_assets_are_served_from_this_site(site: Site) -> None:
    async with site.visitor() as visitor:
        css = await visitor.get("/assets/nhsuk-frontend.min.css")
        script = await visitor.get("/assets/huddle.js")
        logo = await visitor.get("/assets/images/favicon.svg")
    assert css.status_code == 200 and "nhsuk" in css.text
    assert "assets.nhs.uk" not in css.text  # no web font fetched from elsewhere
    assert script.status_code == 200 and "initAll" in script.text
    assert logo.status_code == 200


async def test_signing_in_sets_a_session_cookie_with_the_token_only(site: Site) -> None:
    person = await site.person()
    async with site.visitor() as visitor:
        response = await visitor.sign_in(person, next_path="/networks")
        assert response.headers["location"] == "/networks"
        cookie = response.headers["set-cookie"]
        assert cookie.startswith("huddle_session=")
        assert "HttpOnly" in cookie and "SameSite=lax" in cookie and "Path=/" in cookie
        assert "Secure" not in cookie  # plain HTTP here
        assert person.email not in cookie and person.name not in cookie
        home = await visitor.get("/")
        assert 'href="/sign-out"' in home.text


async def test_a_wrong_password_is_shown_beside_the_form(site: Site) -> None:
    person = await site.person()
    async with site.visitor() as visitor:
        page = await visitor.submit("/sign-in", {"email": person.email, "password": "not it"})
    assert page.status_code == 401
    assert (
        "nhsuk-error-summary" in page.text and "<title>Error: Sign in - Huddle</title>" in page.text
    )
    assert f'value="{person.email}"' in page.text
    assert "not it" not in page.text  # never the password
    assert "huddle_session" not in page.headers.get("set-cookie", "")


async def test_a_form_without_its_csrf_token_is_refused(site: Site) -> None:
    person = await site.person()
    async with site.visitor() as visitor:
        await visitor.get("/sign-in")  # the CSRF cookie, but no token in the form
        response = await visitor.client.post(
            "/sign-in", data={"email": person.email, "password": person.password}
        )
    assert response.status_code == 403
    assert response.headers["content-type"].startswith(HTML)
    assert "huddle_session" not in response.headers.get("set-cookie", "")


async def test_unknown_pages_are_pages_and_the_api_keeps_problems(site: Site) -> None:
    async with site.visitor() as visitor:
        page = await visitor.get("/no-such-page")
        api = await visitor.get("/api/v1/no-such-thing")
    assert page.status_code == 404 and page.headers["content-type"].startswith(HTML)
    assert "Page not found" in page.text
    assert api.status_code == 404
    assert api.headers["content-type"].startswith("application/problem+json")


async def test_pages_set_the_csrf_cookie_and_the_api_sets_none(site: Site) -> None:
    async with site.visitor() as visitor:
        page = await visitor.get("/sign-in")
        api = await visitor.client.get("/api/v1/stats")
    assert "huddle_csrf=" in page.headers["set-cookie"]
    assert "HttpOnly" in page.headers["set-cookie"]
    assert "set-cookie" not in api.headers


async def test_sign_in_is_throttled_as_the_api_is(site: Site) -> None:
    person = await site.person()
    async with site.visitor() as visitor:
        statuses = []
        for _ in range(6):
            page = await visitor.submit("/sign-in", {"email": person.email, "password": "wrong"})
            statuses.append(page.status_code)
            if page.status_code == 429:
                break
    assert statuses[-1] == 429, statuses
    assert "nhsuk-error-summary" in page.text and page.headers["retry-after"]


async def test_after_sign_in_the_visitor_goes_only_to_a_page_of_this_site(site: Site) -> None:
    person = await site.person()
    async with site.visitor() as visitor:
        response = await visitor.sign_in(person, next_path="//elsewhere.example/steal")
    assert response.headers["location"] == "/me"


async def test_a_token_the_service_no_longer_accepts_sends_to_sign_in(site: Site) -> None:
    # Signed for a member who does not exist (erased since): membership answers 401.
    gone = site.tokens.issue(uuid.uuid4())
    async with site.visitor() as visitor:
        visitor.client.cookies.set("huddle_session", gone)
        response = await visitor.get("/")
    assert response.status_code == 303
    assert response.headers["location"] == "/sign-in?next=/"
    assert 'huddle_session=""' in response.headers["set-cookie"]


async def test_an_invalid_cookie_is_no_sign_in(site: Site) -> None:
    async with site.visitor() as visitor:
        visitor.client.cookies.set("huddle_session", "not a token")
        page = await visitor.get("/")
    assert page.status_code == 200 and 'href="/sign-in"' in page.text


async def test_signing_out_needs_the_form_and_ends_the_session(site: Site) -> None:
    person = await site.person()
    async with site.visitor() as visitor:
        anonymous = await visitor.get("/sign-out")
        assert anonymous.status_code == 303 and anonymous.headers["location"] == "/"
        await visitor.sign_in(person)
        forged = await visitor.client.post("/sign-out")  # no CSRF token: refused
        assert forged.status_code == 403
        assert 'href="/sign-out"' in (await visitor.get("/")).text
        signed_out = await visitor.submit("/sign-out", {})
        assert signed_out.status_code == 303
        assert signed_out.headers["location"] == "/sign-in?signed-out"
        assert "You have signed out" in (await visitor.get("/sign-in?signed-out")).text
        assert 'href="/sign-in"' in (await visitor.get("/")).text


async def test_the_forgotten_password_page_says_who_can_help(site: Site) -> None:
    async with site.visitor() as visitor:
        page = await visitor.get("/forgotten-password")
    assert page.status_code == 200 and "Ask an administrator" in page.text


async def test_the_home_page_counts_members_by_kind_and_region(site: Site) -> None:
    await site.person()  # at an NHS trust in London: the figures count them a moment later

    async def counted() -> tuple[dict[str, Any], str] | None:
        stats = (await site.client.get("/api/v1/stats")).json()
        async with site.visitor() as visitor:
            page = (await visitor.get("/")).text
        london = stats["members_by_region"]["london"]
        # Earlier tests' members may still be being counted: until the figures hold still.
        if london < 1 or f"London: {london};" not in page:
            return None
        return stats, page

    stats, page = await eventually(counted)
    london = stats["members_by_region"]["london"]
    trusts = stats["members_by_organisation_kind"]["nhs_trust"]
    assert trusts >= 1
    # In each chart's description and its table, as the statistics give them.
    assert f"London: {london};" in page
    assert f"NHS trust: {trusts};" in page
    assert re.search(rf"London\s*</th>\s*<td[^>]*>\s*{london}\s*</td>", page)
    assert 'role="img"' in page and "<desc" in page


# --- Create an account ---------------------------------------------------------------------


def account_form(**fields: str) -> dict[str, str]:
    unique = uuid.uuid4().hex[:10]
    return {
        "display_name": f"Sam {unique}",
        "email": f"sam{unique}@example.org",
        "password": "twelve or more characters",
        "job_title": "Patient Safety Partner",
        "member_type": "patient_safety_partner",
        **fields,
    }


async def test_create_an_account_in_an_organisation_found_by_search(site: Site) -> None:
    name = (await site.client.get(f"/api/v1/organisations/{site.organisation_id}")).json()["name"]
    async with site.visitor() as visitor:
        found = await visitor.get("/create-account", params={"organisation_name": name[:14]})
        assert found.status_code == 200
        assert f'value="{site.organisation_id}"' in found.text and name in found.text
        chosen = f"/create-account?organisation={site.organisation_id}&next=/networks"
        form = account_form()
        created = await visitor.submit(
            chosen,
            {**form, "organisation_id": site.organisation_id, "next": "/networks"},
            action="/create-account",
        )
        assert created.status_code == 303, created.text
        assert created.headers["location"] == "/networks"
        assert "huddle_session=" in created.headers["set-cookie"]  # signed in already
        home = await visitor.get("/")
        assert 'href="/sign-out"' in home.text
    signed_in = await site.client.post(
        "/api/v1/auth/token", json={"email": form["email"], "password": form["password"]}
    )
    assert signed_in.status_code == 200


async def test_create_an_account_with_a_new_organisation(site: Site) -> None:
    organisation = f"Riverside Hospice {uuid.uuid4().hex[:8]}"
    async with site.visitor() as visitor:
        page = await visitor.get("/create-account?new_organisation=true")
        assert 'id="organisation_kind"' in page.text
        created = await visitor.submit(
            "/create-account?new_organisation=true",
            account_form(
                organisation_name=organisation,
                organisation_kind="charity",
                organisation_region="south_west",
            ),
            action="/create-account",
        )
    assert created.status_code == 303, created.text
    found = await site.client.get("/api/v1/organisations", params={"name_prefix": organisation})
    assert [o["region"] for o in found.json()["items"]] == ["south_west"]


async def test_a_refused_account_shows_why_beside_each_field(site: Site) -> None:
    async with site.visitor() as visitor:
        form = account_form(password="too short", organisation_id=site.organisation_id)
        chosen = f"/create-account?organisation={site.organisation_id}"
        page = await visitor.submit(chosen, form, action="/create-account")
    assert page.status_code == 422, page.text
    assert "<title>Error: Create an account - Huddle</title>" in page.text
    assert '<a href="#password">' in page.text
    assert 'id="password-error"' in page.text and "Enter at least 12 characters" in page.text
    assert f'value="{form["email"]}"' in page.text  # what was typed stays
    assert "too short" not in page.text  # but never the password
    members = await site.db["members"].count_documents({"email": form["email"].lower()})
    assert members == 0


async def test_an_email_already_registered_is_a_conflict_on_the_page(site: Site) -> None:
    person = await site.person()
    async with site.visitor() as visitor:
        form = account_form(email=person.email, organisation_id=site.organisation_id)
        chosen = f"/create-account?organisation={site.organisation_id}"
        page = await visitor.submit(chosen, form, action="/create-account")
    assert page.status_code == 409, page.text
    assert "nhsuk-error-summary" in page.text


async def test_a_new_organisation_refused_is_shown_and_nothing_is_created(site: Site) -> None:
    async with site.visitor() as visitor:
        form = account_form(organisation_name="", organisation_kind="charity")
        page = await visitor.submit(
            "/create-account?new_organisation=true", form, action="/create-account"
        )
    assert page.status_code == 422, page.text
    assert 'id="organisation_name-error"' in page.text
    members = await site.db["members"].count_documents({"email": form["email"].lower()})
    assert members == 0


async def test_choosing_no_organisation_asks_again(site: Site) -> None:
    async with site.visitor() as visitor:
        page = await visitor.get("/create-account?choosing=true&organisation_name=x")
        gone = await visitor.get(f"/create-account?organisation={uuid.uuid4()}")
        junk = await visitor.get("/create-account?organisation=not-an-id")
    assert page.status_code == 422 and "Choose your organisation" in page.text
    assert gone.status_code == 422 and "could not be found" in gone.text
    assert junk.status_code == 422


async def test_a_search_the_service_refuses_is_shown_beside_the_field(site: Site) -> None:
    async with site.visitor() as visitor:
        page = await visitor.get("/create-account", params={"organisation_name": "x" * 101})
    assert page.status_code == 422
    assert 'id="organisation_name-error"' in page.text


def visible_words(page: str) -> list[str]:
    """The page's visible text, roughly: without its head, scripts, SVG drawings' markup and
    tags (the browser tests check the rendered text itself)."""
    body = page.split("<body", 1)[1]
    body = re.sub(r"<script.*?</script>|<title>.*?</title>", " ", body, flags=re.DOTALL)
    text = html.unescape(re.sub(r"<[^>]+>", " ", body))
    return re.findall(r"\b[A-Z][A-Z0-9]+\b", text)


async def test_the_account_pages_use_no_acronyms(site: Site) -> None:
    person = await site.person()
    pages = [
        "/",
        "/sign-in",
        "/forgotten-password",
        "/create-account?organisation_name=Organisation",
        "/create-account?new_organisation=true",
        f"/create-account?organisation={site.organisation_id}",
        "/no-such-page",
    ]
    async with site.visitor() as visitor:
        found = {path: visible_words((await visitor.get(path)).text) for path in pages}
        await visitor.sign_in(person)
        found["/ (signed in)"] = visible_words((await visitor.get("/")).text)
        found["/sign-out"] = visible_words((await visitor.get("/sign-out")).text)
    unexpected = {path: sorted(set(words) - ALLOWED_ACRONYMS) for path, words in found.items()}
    assert unexpected == {path: [] for path in found}


async def test_pages_read_the_session_cookie_never_an_authorization_header(site: Site) -> None:
    person = await site.person()
    async with site.visitor() as visitor:
        page = await visitor.get("/", headers=person.headers)  # a bearer token, no cookie
    assert page.status_code == 200 and 'href="/sign-in"' in page.text
