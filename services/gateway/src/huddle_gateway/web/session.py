"""The web app's sign-in: a cookie holding the access token the API would give, and nothing
else (no name, no email). The same token, verified the same way (``AccessTokens``), so a
page acts for exactly the member the API would.

The token lives 15 minutes; a page asked for past half its life renews it (``SessionRenewal``)
once membership says the member is still active, up to ``HUDDLE_WEB_SESSION_SECONDS`` after
signing in. A member membership says is suspended or gone is signed out there and then.
"""

import logging
import time
from ipaddress import ip_address
from typing import Any
from urllib.parse import quote, urlsplit

from huddle_shared.contracts import membership as membership_contract
from huddle_shared.contracts.common import Empty
from huddle_shared.contracts.rpc import Caller
from litestar import Request, Response
from litestar.datastructures import Cookie, MutableScopeHeaders
from litestar.enums import ScopeType
from litestar.exceptions import HTTPException
from litestar.middleware import ASGIMiddleware
from litestar.plugins.problem_details import ProblemDetailsException
from litestar.types import ASGIApp, Message, Receive, Scope, Send

from huddle_gateway.auth import AccessTokens, client_address
from huddle_gateway.rpc import ServiceClient

log = logging.getLogger(__name__)

COOKIE = "huddle_session"
DEFAULT_NEXT = "/me"
# This request's token after renewal (in the request's scope state): a new token, or ""
# when membership ended the sign-in (the request is then anonymous).
RENEWED_TOKEN = "huddle_renewed_token"  # noqa: S105 - a state key, not a secret
SIGNED_OUT = ""


class SignInRequired(HTTPException):
    """A page needs a signed-in member: the web app's handler redirects to the sign-in page."""

    status_code = 401

    def __init__(self, next_path: str) -> None:
        super().__init__(detail="Sign in to see this page.")
        self.next_path = next_path


def _tokens(request: Request[Any, Any, Any]) -> AccessTokens:
    tokens: AccessTokens = request.app.state.tokens
    return tokens


def caller_of(request: Request[Any, Any, Any]) -> Caller:
    """The signed-in member, or an anonymous caller when there is no cookie or its token is
    invalid or has expired (then the pages that need a member send to sign-in)."""
    address = client_address(request)
    token = request.scope.get("state", {}).get(RENEWED_TOKEN, request.cookies.get(COOKIE))
    if not token:
        return Caller(address=address)
    try:
        member_id = _tokens(request).verify(token)
    except Exception:
        return Caller(address=address)
    return Caller(member_id=member_id, address=address)


async def provide_web_caller(request: Request[Any, Any, Any]) -> Caller:
    """The web app's ``caller`` dependency: from the cookie, never an Authorization header."""
    return caller_of(request)


def this_path(request: Request[Any, Any, Any]) -> str:
    query = request.url.query
    return request.url.path + (f"?{query}" if query else "")


def sign_in_address(next_path: str) -> str:
    return f"/sign-in?next={quote(safe_next(next_path), safe='/')}"


def require_member(request: Request[Any, Any, Any]) -> Caller:
    """The signed-in member; otherwise a redirect to sign-in that comes back here."""
    caller = caller_of(request)
    if caller.member_id is None:
        raise SignInRequired(this_path(request))
    return caller


def is_secure(request: Request[Any, Any, Any]) -> bool:
    # TLS seen by the gateway itself, or by a trusted proxy that says so.
    if request.url.scheme == "https":
        return True
    if request.headers.get("x-forwarded-proto", "") != "https" or request.client is None:
        return False
    try:
        peer = ip_address(request.client.host)
    except ValueError:
        return False
    trusted: bool = request.app.state.trusted_proxies.trusts(peer)
    return trusted


def session_cookie(request: Request[Any, Any, Any], token: str, max_age: int) -> Cookie:
    return Cookie(
        key=COOKIE,
        value=token,
        max_age=max_age,
        path="/",
        httponly=True,
        samesite="lax",
        secure=is_secure(request),
    )


def sign_in(request: Request[Any, Any, Any], response: Response[Any], token: str) -> None:
    response.cookies.append(session_cookie(request, token, _tokens(request).lifetime_seconds))


def sign_out(response: Response[Any]) -> None:
    response.delete_cookie(COOKIE, path="/")


def safe_next(value: str | None) -> str:
    """Only a path inside this site: never another host (``//host``, ``/\\host``, a scheme),
    never a control character. Anything else is the default, the member's own page."""
    if not value or not value.startswith("/") or value.startswith(("//", "/\\")):
        return DEFAULT_NEXT
    if any(ord(ch) < 0x20 or ch == "\\" for ch in value):
        return DEFAULT_NEXT
    parts = urlsplit(value)
    if parts.scheme or parts.netloc:
        return DEFAULT_NEXT
    return value


# --- Renewing a sign-in ---------------------------------------------------------------------


async def renewal(request: Request[Any, Any, Any]) -> tuple[str, int] | None:
    """The request's token renewed, with its life in seconds; ``(SIGNED_OUT, 0)`` when
    membership says the member may no longer be signed in; None when nothing changes (no
    token, not due yet, past the sign-in's limit, or membership did not answer: the token
    holds until it expires)."""
    token = request.cookies.get(COOKIE)
    if not token:
        return None
    tokens = _tokens(request)
    try:
        session = tokens.session(token)
    except Exception:  # invalid or expired: the pages treat the visitor as signed out
        return None
    if not tokens.due_for_renewal(session):
        return None
    limit: int = request.app.state.web_session_seconds
    if time.time() >= session.signed_in_at + limit:
        return None  # the sign-in's limit: the token runs out, and they sign in again
    services: ServiceClient = request.app.state.services
    caller = Caller(member_id=session.member_id, address=client_address(request))
    try:
        await services.call(membership_contract.RENEW_SIGN_IN, Empty(), caller)
    except ProblemDetailsException as exc:
        if exc.status_code in (401, 403, 404):  # suspended or erased: signed out now
            return SIGNED_OUT, 0
        log.warning("a web sign-in was not renewed: membership did not answer")
        return None
    renewed = tokens.renewed(session, session_seconds=limit)
    if renewed is None:
        return None
    return renewed, int(tokens.session(renewed).expires_at - time.time())


def _sets_session_cookie(message: Message) -> bool:
    prefix = f"{COOKIE}=".encode()
    headers: list[tuple[bytes, bytes]] = list(message.get("headers") or [])  # type: ignore[call-overload]
    return any(
        name.lower() == b"set-cookie" and value.startswith(prefix) for name, value in headers
    )


class SessionRenewal(ASGIMiddleware):
    """On the pages' router: renews a web sign-in's token before the page runs (so the page
    acts with it), and sets the cookie on the page's answer, unless the page sets the
    session cookie itself (signing in or out)."""

    scopes = (ScopeType.HTTP,)

    async def handle(self, scope: Scope, receive: Receive, send: Send, next_app: ASGIApp) -> None:
        request: Request[Any, Any, Any] = Request(scope)
        renewed = await renewal(request)
        if renewed is None:
            await next_app(scope, receive, send)
            return
        token, max_age = renewed
        scope.setdefault("state", {})[RENEWED_TOKEN] = token
        cookie = session_cookie(request, token, max_age)

        async def send_with_cookie(message: Message) -> None:
            if message["type"] == "http.response.start" and not _sets_session_cookie(message):
                name, value = cookie.to_encoded_header()
                MutableScopeHeaders.from_message(message).add(name.decode(), value.decode())
            await send(message)

        await next_app(scope, receive, send_with_cookie)
