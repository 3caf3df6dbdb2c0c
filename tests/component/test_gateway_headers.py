"""What the gateway says about itself on every answer, where the client address comes from,
and the API reference page built from installed files."""

import asyncio
import json
import re
from collections.abc import AsyncIterator
from html.parser import HTMLParser
from typing import Any

import httpx
import pytest
from huddle_gateway.headers import API_CONTENT_SECURITY_POLICY
from huddle_gateway.reference import REFERENCE_CONTENT_SECURITY_POLICY
from huddle_shared.contracts import membership as contract
from huddle_shared.services import service_names
from support import connect_nats, gateway_server, services

pytestmark = pytest.mark.component

PASSWORD = "a long enough password"
PUBLIC = "max-age=60, public"
ALWAYS = {
    "x-content-type-options": "nosniff",
    "referrer-policy": "no-referrer",
    "x-frame-options": "DENY",
}


def assert_safe_headers(response: httpx.Response, *, cache: str = "no-store") -> None:
    where = f"{response.request.method} {response.request.url.path} ({response.status_code})"
    for name, value in ALWAYS.items():
        assert response.headers.get(name) == value, f"{where}: {name}"
    assert response.headers.get("cache-control") == cache, where
    assert "server" not in response.headers, f"{where}: {response.headers.get('server')}"
    assert "content-security-policy" in response.headers, where


@pytest.fixture
async def client(nats_url: str, settings_for: Any) -> AsyncIterator[httpx.AsyncClient]:
    async with (
        services(settings_for, *service_names()),
        gateway_server(NATS_URL=nats_url) as url,
        httpx.AsyncClient(base_url=url, timeout=10) as http,
    ):
        yield http


async def test_every_answer_is_nosniff_and_personal_ones_are_never_stored(
    client: httpx.AsyncClient,
) -> None:
    organisation = await client.post(
        "/api/v1/organisations", json={"name": "A trust", "kind": "nhs_trust"}
    )
    assert_safe_headers(organisation)
    account = {
        "email": "ria@example.org",
        "password": PASSWORD,
        "display_name": "Ria Shah",
        "organisation_id": organisation.json()["id"],
        "member_type": "staff",
    }
    assert_safe_headers(await client.post("/api/v1/accounts", json=account))
    signed_in = await client.post(
        "/api/v1/auth/token", json={"email": account["email"], "password": PASSWORD}
    )
    assert signed_in.status_code == 200
    assert_safe_headers(signed_in)  # the access token itself
    me = {"Authorization": f"Bearer {signed_in.json()['access_token']}"}

    personal = [
        await client.get("/api/v1/me", headers=me),
        await client.get("/api/v1/me/export", headers=me),
        await client.get("/api/v1/networks", headers=me),
        await client.post("/api/v1/api-tokens", json={"name": "x", "scopes": []}, headers=me),
    ]
    assert [r.status_code for r in personal[:3]] == [200, 200, 200]
    errors = [
        await client.get("/api/v1/me"),  # 401
        await client.get("/api/v1/no/such/path"),  # 404, never routed (a page elsewhere)
        await client.delete("/api/v1/accounts"),  # 405
        await client.post("/api/v1/accounts", content=b"x", headers={"content-type": "text/plain"}),
        await client.get("/health/ready"),
        await client.get("/health/live"),
    ]
    for response in personal + errors:
        assert_safe_headers(response)
        assert response.headers["content-security-policy"] == API_CONTENT_SECURITY_POLICY


async def test_public_answers_opt_in_to_caching(client: httpx.AsyncClient) -> None:
    organisation = await client.post(
        "/api/v1/organisations", json={"name": "A trust", "kind": "nhs_trust"}
    )
    for path in (
        "/api/v1/stats",
        "/api/v1/organisations",
        f"/api/v1/organisations/{organisation.json()['id']}",
    ):
        response = await client.get(path)
        assert response.status_code == 200, response.text
        assert_safe_headers(response, cache=PUBLIC)
    # The same route's errors are not cached.
    assert_safe_headers(await client.get("/api/v1/organisations", params={"limit": "0"}))


class _Page(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.references: list[str] = []
        self.scripts: list[dict[str, str | None]] = []
        self.inline_script = ""
        self._in_script = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        self.references += [v for k, v in attrs if k in ("src", "href", "action") and v]
        if tag == "script":
            self.scripts.append(found)
            self._in_script = True
        if tag == "style" or "style" in found:
            self.inline_script += "<style>"  # no inline styles of our own either

    def handle_endtag(self, tag: str) -> None:
        self._in_script = self._in_script and tag != "script"

    def handle_data(self, data: str) -> None:
        if self._in_script:
            self.inline_script += data.strip()


async def test_the_api_reference_is_served_from_this_origin_under_a_strict_policy(
    nats_url: str,
) -> None:
    async with (
        gateway_server(NATS_URL=nats_url) as url,
        httpx.AsyncClient(base_url=url, timeout=10) as client,
    ):
        page = await client.get("/schema")
        assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
        policy = page.headers["content-security-policy"]
        assert policy == REFERENCE_CONTENT_SECURITY_POLICY
        directives = dict(d.strip().split(" ", 1) for d in policy.split(";"))
        assert directives["default-src"] == "'none'"
        assert directives["script-src"] == "'self'"  # no inline, no other origin
        assert all("http" not in value and "*" not in value for value in directives.values())
        assert_safe_headers(page, cache=PUBLIC)

        html = _Page()
        html.feed(page.text)
        assert not html.inline_script, "inline script or style on the page"
        assert not re.search(r"(https?:)?//", page.text), "the page names another origin"
        assert all(ref.startswith("/schema/") for ref in html.references), html.references
        assert len(html.scripts) == 2 and all(script.get("src") for script in html.scripts)

        for reference in html.references:
            asset = await client.get(reference)
            assert asset.status_code == 200, reference
            assert len(asset.content) > 100, reference
            kind = "css" if reference.endswith(".css") else "javascript"
            assert kind in asset.headers["content-type"], reference
        bundle = await client.get(str(html.scripts[0]["src"]))
        assert b"SwaggerUIBundle" in bundle.content
        assert (await client.get("/schema/openapi.json")).json()["paths"]


async def _record_sign_in_addresses(nats_url: str, seen: list[str | None]) -> Any:
    """A stand-in membership on the real NATS subject: it records the address each sign-in
    call carries and refuses it, as membership would a wrong password."""
    connection = await connect_nats(nats_url)

    async def refuse(msg: Any) -> None:
        seen.append(json.loads(msg.data)["caller"].get("address"))
        error = {"code": "unauthenticated", "title": "Sign-in failed", "detail": "No."}
        await msg.respond(json.dumps({"ok": False, "error": error}).encode())

    await connection.subscribe(contract.SIGN_IN, cb=refuse)
    return connection


async def _sign_in_with(client: httpx.AsyncClient, forwarded_for: list[str]) -> None:
    for hop in forwarded_for:
        response = await client.post(
            "/api/v1/auth/token",
            json={"email": "anyone@example.org", "password": "a wrong password"},
            headers={"X-Forwarded-For": hop},
        )
        assert response.status_code == 401, response.text


async def test_a_client_cannot_choose_its_address_with_x_forwarded_for(nats_url: str) -> None:
    seen: list[str | None] = []
    recorder = await _record_sign_in_addresses(nats_url, seen)
    try:
        async with (
            gateway_server(NATS_URL=nats_url) as url,
            httpx.AsyncClient(base_url=url, timeout=10) as client,
        ):
            await _sign_in_with(client, [f"198.51.100.{n}" for n in range(10)])
        assert seen == ["127.0.0.1"] * 10  # no trusted proxy: the peer, every time

        seen.clear()
        async with (
            gateway_server(NATS_URL=nats_url, HUDDLE_TRUSTED_PROXIES="127.0.0.1") as url,
            httpx.AsyncClient(base_url=url, timeout=10) as client,
        ):
            # Behind a trusted proxy, what the client wrote to the left of what the proxy
            # appended is never read.
            await _sign_in_with(client, [f"198.51.100.{n}, 203.0.113.7" for n in range(5)])
            await _sign_in_with(client, ["203.0.113.8"])
        assert seen == ["203.0.113.7"] * 5 + ["203.0.113.8"]
    finally:
        await asyncio.wait_for(recorder.close(), 5)
