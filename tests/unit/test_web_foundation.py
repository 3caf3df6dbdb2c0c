"""The web app's foundation without servers: where ``next`` may lead, how a problem becomes
the page's errors, the charts' geometry, and the session's and error pages' answers in a
Litestar test client (the component tests run them against the real services)."""

import re
import uuid
from typing import Any

import pytest
from huddle_gateway.addresses import TrustedProxies
from huddle_gateway.auth import AccessTokens
from huddle_gateway.problems import EXCEPTION_HANDLERS, problem
from huddle_gateway.settings import GatewaySettings
from huddle_gateway.web import web_routes
from huddle_gateway.web.charts import bar_chart
from huddle_gateway.web.errors import with_error_pages
from huddle_gateway.web.forms import problem_to_errors, render_page
from huddle_gateway.web.session import COOKIE, require_member, safe_next, sign_in
from litestar import Request, Response, get
from litestar.datastructures import State
from litestar.response import Template
from litestar.testing import create_test_client

pytestmark = pytest.mark.unit

SECRET = "a-test-secret-that-is-long-enough-to-pass-the-checks-0123456789"


@pytest.mark.parametrize(
    "given",
    [
        None,
        "",
        "networks",
        "//elsewhere.example/x",
        "/\\elsewhere.example",
        "https://elsewhere.example/",
        "javascript:alert(1)",
        "/ok\r\nSet-Cookie: x=1",
        "/path\\with-backslash",
    ],
)
def test_next_never_leaves_the_site(given: str | None) -> None:
    assert safe_next(given) == "/me"


@pytest.mark.parametrize("given", ["/", "/networks/net-1", "/invitations/abc?from=email"])
def test_next_keeps_a_path_of_this_site(given: str) -> None:
    assert safe_next(given) == given


def test_a_problem_becomes_the_summary_and_the_messages_beside_fields() -> None:
    exc = problem(
        422,
        "Invalid request",
        "The request failed validation.",
        type_="invalid",
        errors=[
            {"field": "password", "message": "String should have at least 12 characters"},
            {"field": "name", "message": "Value error, the name has no visible character"},
            {"field": "body", "message": "Something about the whole form"},
        ],
    )
    summary, fields = problem_to_errors(exc, {"name": "organisation_name"})
    assert fields == {
        "password": "Enter at least 12 characters",
        "organisation_name": "the name has no visible character",
        "body": "Something about the whole form",
    }
    assert summary[0] == {"text": "Enter at least 12 characters", "href": "#password"}
    assert summary[1]["href"] == "#organisation_name"


def test_a_problem_without_fields_is_summarised_by_its_detail() -> None:
    exc = problem(409, "Conflict", "An account with this email already exists.", type_="conflict")
    assert problem_to_errors(exc) == ([{"text": exc.detail}], {})


def test_bars_are_as_long_as_their_numbers() -> None:
    chart = bar_chart("c", "Members", [("A", 10), ("B", 5), ("C", 0)])
    widths = [bar.bar_width for bar in chart.bars]
    assert widths[0] == 2 * widths[1] and widths[2] == 0
    assert widths[0] <= chart.width - 40  # room left for the number
    assert chart.description == "A: 10; B: 5; C: 0."
    assert len({bar.bar_y for bar in chart.bars}) == 3  # one row each


def test_a_chart_of_nothing_still_draws() -> None:
    chart = bar_chart("c", "Members", [("A", 0)])
    assert chart.bars[0].bar_width == 0 and chart.height > 0


# --- In a test client ------------------------------------------------------------------


@get("/private")
async def private(request: Request[Any, Any, Any]) -> Template:
    caller = require_member(request)
    return render_page("pages/errors/other.jinja", {"heading": f"Hello {caller.member_id}"})


@get("/forbidden")
async def forbidden() -> None:
    raise problem(403, "Forbidden", "Only the chair may do this.", type_="forbidden")


@get("/unavailable")
async def unavailable() -> None:
    raise problem(
        503, "Service unavailable", "The membership service is not running.", type_="unavailable"
    )


@get("/broken")
async def broken() -> None:
    raise RuntimeError("a bug")


@get("/api/v1/broken")
async def api_broken() -> None:
    raise RuntimeError("a bug")


@get("/issue")
async def issue(request: Request[Any, Any, Any]) -> Response[str]:
    response = Response("signed in")
    sign_in(request, response, request.app.state.tokens.issue(uuid.uuid4()))
    return response


def client(**options: Any) -> Any:
    settings = GatewaySettings(HUDDLE_JWT_SECRET=SECRET)
    web = web_routes(settings)
    tokens = AccessTokens(SECRET, 900, "test")
    return create_test_client(
        route_handlers=[private, forbidden, unavailable, broken, api_broken, issue, web.assets],
        template_config=web.templates,
        csrf_config=web.csrf,
        exception_handlers=with_error_pages(EXCEPTION_HANDLERS),
        state=State({"trusted_proxies": TrustedProxies(), "tokens": tokens}),
        raise_server_exceptions=False,
        **options,
    ), tokens


def test_a_page_for_members_sends_a_visitor_to_sign_in_and_back() -> None:
    test_client, tokens = client()
    with test_client:
        response = test_client.get("/private?tab=2", follow_redirects=False)
        assert response.status_code == 303
        assert response.headers["location"] == "/sign-in?next=/private%3Ftab%3D2"
        test_client.cookies.set(COOKIE, tokens.issue(member := uuid.uuid4()))
        page = test_client.get("/private")
        assert page.status_code == 200 and f"Hello {member}" in page.text


def test_an_expired_token_is_no_sign_in() -> None:
    test_client, _ = client()
    expired = AccessTokens(SECRET, 1, "test")
    with test_client:
        token = expired.issue(uuid.uuid4())
        import time

        time.sleep(1.1)
        test_client.cookies.set(COOKIE, token)
        assert test_client.get("/private", follow_redirects=False).status_code == 303


def test_refusals_and_failures_on_pages_are_pages() -> None:
    test_client, _ = client()
    with test_client:
        forbidden_page = test_client.get("/forbidden")
        missing = test_client.get("/nothing-here")
        failed = test_client.get("/broken")
        down = test_client.get("/unavailable")
        api = test_client.get("/api/v1/broken")
    assert forbidden_page.status_code == 403
    assert forbidden_page.headers["content-type"].startswith("text/html")
    assert "Only the chair may do this." in forbidden_page.text
    assert missing.status_code == 404 and "Page not found" in missing.text
    assert failed.status_code == 500 and "a bug" not in failed.text
    assert "Traceback" not in failed.text
    assert api.status_code == 500
    assert down.status_code == 503 and "the service is unavailable" in down.text
    assert api.headers["content-type"].startswith("application/problem+json")


def test_error_pages_carry_the_pages_content_policy() -> None:
    test_client, _ = client()
    with test_client:
        page = test_client.get("/nothing-here")
    assert "script-src 'self'" in page.headers["content-security-policy"]
    assert not re.search(r"<script>|<script [^>]*>[^<]", page.text)  # nothing inline


def test_the_session_cookie_is_secure_over_tls_only() -> None:
    test_client, _ = client(base_url="https://testserver.local")
    with test_client:
        cookie = test_client.get("/issue").headers["set-cookie"]
    assert "Secure" in cookie and "HttpOnly" in cookie and "SameSite=lax" in cookie
    plain_client, _ = client()
    with plain_client:
        assert "Secure" not in plain_client.get("/issue").headers["set-cookie"]
