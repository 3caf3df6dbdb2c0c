"""The web app's sign-in: a cookie holding the access token the API would give, and nothing
else (no name, no email). The same token, verified the same way (``AccessTokens``), so a
page acts for exactly the member the API would.
"""

from ipaddress import ip_address
from typing import Any
from urllib.parse import quote, urlsplit

from huddle_shared.contracts.rpc import Caller
from litestar import Request, Response
from litestar.exceptions import HTTPException

from huddle_gateway.auth import AccessTokens, client_address

COOKIE = "huddle_session"
DEFAULT_NEXT = "/me"


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
    token = request.cookies.get(COOKIE)
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


def sign_in(request: Request[Any, Any, Any], response: Response[Any], token: str) -> None:
    response.set_cookie(
        COOKIE,
        token,
        max_age=_tokens(request).lifetime_seconds,
        path="/",
        httponly=True,
        samesite="lax",
        secure=is_secure(request),
    )


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
