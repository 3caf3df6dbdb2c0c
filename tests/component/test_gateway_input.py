"""Bad input from strangers, through the real gateway to the real membership service: each
case is a clear 4xx problem document, logs no traceback and changes nothing."""

import logging
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from support import gateway_server
from web_support import Site, web_site

pytestmark = pytest.mark.component

PROBLEM = "application/problem+json"
JSON = {"content-type": "application/json"}
ORGANISATIONS = "/api/v1/organisations"
VALID_ORGANISATION = b'{"name": "Northern Care Alliance", "kind": "nhs_trust"}'


def assert_problem(response: httpx.Response, status: int) -> dict[str, Any]:
    assert response.status_code == status, (response.status_code, response.text[:300])
    assert response.headers["content-type"].startswith(PROBLEM)
    body: dict[str, Any] = response.json()
    assert body["status"] == status and body["title"] and body["type"] and body["detail"]
    assert "Traceback" not in response.text
    return body


def assert_no_traceback_logged(caplog: pytest.LogCaptureFixture) -> None:
    traced = [f"{r.name}: {r.getMessage()}" for r in caplog.records if r.exc_info]
    assert not traced, traced


@pytest.fixture(scope="module")
async def site(
    tmp_path_factory: pytest.TempPathFactory, mongodb_url: str, nats_credentials: Any
) -> AsyncIterator[Site]:
    """The gateway and membership, once for the module: every case is a refusal."""
    async with web_site(tmp_path_factory, mongodb_url, nats_credentials, "membership") as site:
        yield site


@pytest.fixture
async def client(site: Site, caplog: pytest.LogCaptureFixture) -> AsyncIterator[httpx.AsyncClient]:
    caplog.set_level(logging.INFO)
    async with httpx.AsyncClient(base_url=site.url, timeout=10) as http:
        before = (await http.get(ORGANISATIONS)).json()["total"]
        yield http
        # Nothing that was refused registered anything.
        listed = await http.get(ORGANISATIONS)
        assert listed.status_code == 200 and listed.json()["total"] == before, listed.text
    assert_no_traceback_logged(caplog)


def nested(depth: int) -> bytes:
    return b'{"name":' * depth + b'"x"' + b"}" * depth


@pytest.mark.parametrize(
    ("body", "says"),
    [
        (nested(1000), "not valid JSON"),  # was RecursionError, 500
        (b"[" * 1000 + b"]" * 1000, "not valid JSON"),
        (nested(33), "nested more than 32"),  # within the parser's cap, beyond ours
        (b'{"name": "\xff\xfe", "kind": "other"}', "not valid JSON"),  # was UnicodeDecodeError
        (b'{"name": "\\ud800", "kind": "other"}', "not valid JSON"),  # a lone surrogate
        (b'{"name": "x", "kind": "other", "n": NaN}', "not valid JSON"),
        (b"{not json", "not valid JSON"),
    ],
)
async def test_a_body_that_is_not_json_within_limits_is_400(
    client: httpx.AsyncClient, body: bytes, says: str
) -> None:
    response = await client.post(ORGANISATIONS, content=body, headers=JSON)
    assert says in assert_problem(response, 400)["detail"]


async def test_json_nested_within_the_limit_reaches_validation(client: httpx.AsyncClient) -> None:
    response = await client.post(ORGANISATIONS, content=nested(32), headers=JSON)
    assert_problem(response, 422)


@pytest.mark.parametrize(
    "content_type",
    [
        "text/plain",  # what a cross-site form can send without asking
        "application/x-www-form-urlencoded",
        "multipart/form-data; boundary=x",
        "application/json; charset=latin-1",
        None,
    ],
)
async def test_only_json_bodies_are_read(
    client: httpx.AsyncClient, content_type: str | None
) -> None:
    headers = {"content-type": content_type} if content_type else {}
    response = await client.post(ORGANISATIONS, content=VALID_ORGANISATION, headers=headers)
    assert_problem(response, 415)


@pytest.mark.parametrize(
    "query",
    [
        {"offset": str(2**63)},  # was 503: the database's skip overflowed
        {"offset": str(10**30)},
        {"offset": "9" * 5000},
        {"offset": "-1"},
        {"limit": str(2**63)},
        {"limit": "0"},
    ],
)
async def test_integer_parameters_are_bounded(
    client: httpx.AsyncClient, query: dict[str, str]
) -> None:
    response = await client.get(ORGANISATIONS, params=query)
    assert 400 <= response.status_code < 500
    assert_problem(response, response.status_code)


async def test_a_long_query_string_is_414(client: httpx.AsyncClient) -> None:
    response = await client.get(ORGANISATIONS, params={"name_prefix": "x" * 5000})
    assert_problem(response, 414)


async def test_large_headers_are_refused(client: httpx.AsyncClient) -> None:
    assert_problem(await client.get("/api/v1/stats", headers={"x-padding": "a" * 20_000}), 431)
    many = {f"x-h{i}": "a" * 100 for i in range(200)}
    assert_problem(await client.get("/api/v1/stats", headers=many), 431)
    # Far beyond the limit, the server drops the request before buffering it all.
    async with httpx.AsyncClient(base_url=str(client.base_url)) as other:
        try:
            response = await other.get("/api/v1/stats", headers={"x-padding": "a" * 200_000})
        except httpx.TransportError:
            pass  # the connection closed on us: refused, no answer
        else:
            assert response.status_code == 400


async def test_a_malformed_api_token_is_401(client: httpx.AsyncClient) -> None:
    for token in ("hud_" + "a" * 197, "hud_" + "a" * 42, "hud_" + "!" * 43, "hud_"):
        response = await client.get("/api/v1/stats", headers={"Authorization": f"Bearer {token}"})
        body = assert_problem(response, 401)  # the first was a 500 (a ValidationError)
        assert response.headers["www-authenticate"].startswith("Bearer")
        assert "API token" in body["detail"]


async def test_a_far_too_long_access_token_is_401(client: httpx.AsyncClient) -> None:
    response = await client.get("/api/v1/me", headers={"Authorization": "Bearer " + "e" * 10_000})
    assert_problem(response, 401)


async def test_a_well_formed_api_token_is_checked_by_membership(nats_url: str) -> None:
    """The format check is the gateway's; whether a token is real, membership's. With no
    membership running, only a well-formed token makes a call (503); a malformed one is
    refused without one (401)."""
    async with (
        gateway_server(NATS_URL=nats_url) as url,
        httpx.AsyncClient(base_url=url, timeout=10) as client,
    ):
        well_formed = {"Authorization": "Bearer hud_" + "A" * 43}
        assert_problem(await client.get("/api/v1/stats", headers=well_formed), 503)
        malformed = {"Authorization": "Bearer hud_" + "A" * 44}
        assert_problem(await client.get("/api/v1/stats", headers=malformed), 401)
