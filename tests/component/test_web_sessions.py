"""A web sign-in in use is renewed: a page asked for with a token past half its life gets a
fresh token in the cookie, for a member membership says is still active, up to the sign-in's
limit (HUDDLE_WEB_SESSION_SECONDS after signing in). Against the gateway and membership on
real NATS and FerretDB; the tokens are minted with the gateway's secret, dated as needed."""

import time
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import jwt
import pytest
from support import JWT_SECRET, TEST_INSTANCE
from web_support import Person, Site, web_site

pytestmark = pytest.mark.component

LIFETIME = 900  # the gateway's default access token life
SESSION_LIMIT = 3600  # this test's HUDDLE_WEB_SESSION_SECONDS


@pytest.fixture(scope="module")
async def site(
    tmp_path_factory: pytest.TempPathFactory, mongodb_url: str, nats_credentials: Path | None
) -> AsyncIterator[Site]:
    async with web_site(
        tmp_path_factory,
        mongodb_url,
        nats_credentials,
        HUDDLE_WEB_SESSION_SECONDS=SESSION_LIMIT,
    ) as site:
        yield site


def token_for(person: Person, *, age: float, signed_in_ago: float | None = None) -> str:
    """A session token issued ``age`` seconds ago, for a sign-in ``signed_in_ago`` seconds
    ago (by default when the token was issued)."""
    now = time.time()
    issued = int(now - age)
    claims = {
        "sub": person.id,
        "iat": issued,
        "exp": issued + LIFETIME,
        "auth_time": int(now - (signed_in_ago if signed_in_ago is not None else age)),
        "aud": f"huddle:{TEST_INSTANCE}",
        "iss": "huddle-gateway",
    }
    return jwt.encode(claims, JWT_SECRET, algorithm="HS256")


async def open_page(site: Site, token: str, path: str = "/me") -> httpx.Response:
    async with httpx.AsyncClient(base_url=site.url, timeout=20) as browser:
        browser.cookies.set("huddle_session", token)
        return await browser.get(path)


def session_cookie(response: httpx.Response) -> str | None:
    for header in response.headers.get_list("set-cookie"):
        if header.startswith("huddle_session="):
            return header
    return None


def claims_of(cookie: str) -> dict[str, int]:
    token = cookie.split(";", 1)[0].removeprefix("huddle_session=").strip('"')
    return dict(
        jwt.decode(token, JWT_SECRET, algorithms=["HS256"], audience=f"huddle:{TEST_INSTANCE}")
    )


async def test_a_token_past_half_its_life_is_renewed_for_the_same_sign_in(site: Site) -> None:
    person = await site.person()
    signed_in_ago = 2000
    page = await open_page(site, token_for(person, age=600, signed_in_ago=signed_in_ago))
    assert page.status_code == 200, page.text[:300]
    cookie = session_cookie(page)
    assert cookie is not None, page.headers
    assert "HttpOnly" in cookie and "SameSite=lax" in cookie and "Path=/" in cookie
    claims = claims_of(cookie)
    now = time.time()
    assert claims["sub"] == person.id
    assert abs(claims["iat"] - now) < 30 and claims["exp"] - claims["iat"] == LIFETIME
    assert abs(claims["auth_time"] - (now - signed_in_ago)) < 30  # the same sign-in
    # The renewed token serves the next page, and is not renewed again yet.
    token = cookie.split(";", 1)[0].removeprefix("huddle_session=")
    again = await open_page(site, token)
    assert again.status_code == 200 and session_cookie(again) is None


async def test_a_token_in_the_first_half_of_its_life_is_left_as_it_is(site: Site) -> None:
    person = await site.person()
    page = await open_page(site, token_for(person, age=60))
    assert page.status_code == 200 and session_cookie(page) is None


async def test_renewal_stops_at_the_sign_ins_limit(site: Site) -> None:
    person = await site.person()
    past = await open_page(site, token_for(person, age=600, signed_in_ago=SESSION_LIMIT + 1))
    assert past.status_code == 200  # the token itself still holds, until it expires
    assert session_cookie(past) is None
    # Near the limit, a renewed token lives only until the limit.
    near = await open_page(site, token_for(person, age=600, signed_in_ago=SESSION_LIMIT - 100))
    cookie = session_cookie(near)
    assert cookie is not None
    claims = claims_of(cookie)
    assert claims["exp"] == claims["auth_time"] + SESSION_LIMIT
    assert claims["exp"] - time.time() < 120


async def test_a_suspended_member_is_signed_out_not_renewed(site: Site) -> None:
    admin, person = await site.person(admin=True), await site.person()
    suspended = await site.client.put(
        f"/api/v1/members/{person.id}/status",
        json={"status": "suspended", "reason": "Paused"},
        headers=admin.headers,
    )
    assert suspended.status_code == 200, suspended.text
    page = await open_page(site, token_for(person, age=600))
    assert page.status_code == 303 and page.headers["location"].startswith("/sign-in")
    cookie = session_cookie(page)
    assert cookie is not None and "Max-Age=0" in cookie  # the cookie is deleted
    # A page anyone may open answers them as a visitor: signed out there and then.
    public = await open_page(site, token_for(person, age=600), "/networks")
    assert public.status_code == 200 and "Sign in" in public.text
    assert ">Sign out<" not in public.text


async def test_an_erased_member_is_signed_out_not_renewed(site: Site) -> None:
    person = await site.person()
    erased = await site.client.delete("/api/v1/me", headers=person.headers)
    assert erased.status_code in (204, 503), erased.text  # membership's part is what counts
    unknown = Person(str(uuid.uuid4()), "x@example.org", "", "", {})
    for who in (person, unknown):
        page = await open_page(site, token_for(who, age=600))
        assert page.status_code == 303 and page.headers["location"].startswith("/sign-in")
        cookie = session_cookie(page)
        assert cookie is not None and "Max-Age=0" in cookie  # deleted, never renewed
