"""The web app's foundation and its account pages, against the gateway and membership on
real NATS and FerretDB: pages, the session cookie, CSRF, errors as pages, assets."""

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
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
