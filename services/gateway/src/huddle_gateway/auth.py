"""Authentication at the gateway: who is calling. What they may do is each service's call.

Members sign in for a short-lived signed access token (a JWT); machine clients send a
long-lived API token (``hud_…``) that membership verifies against its stored hash.
"""

import logging
import secrets
import time
from dataclasses import dataclass
from uuid import UUID

import jwt
from cachetools import LRUCache
from huddle_shared.contracts import membership as contract
from huddle_shared.contracts.rpc import ANONYMOUS, Caller
from litestar import Request
from litestar.datastructures import State
from litestar.di import NamedDependency, Provide

from huddle_gateway import signing_secret
from huddle_gateway.addresses import TrustedProxies
from huddle_gateway.problems import problem
from huddle_gateway.rpc import ServiceClient

log = logging.getLogger(__name__)

ALGORITHM = "HS256"

# Tokens verified lately, each with its expiry (about 0.3 KiB each): verifying one costed a
# sixth of the gateway's time per signed-in read (docs/decisions/0026).
VERIFIED_TOKENS = 10_000


class WeakSigningSecret(ValueError):
    """The configured secret could be guessed: the gateway does not start with it."""


@dataclass(frozen=True)
class TokenSession:
    """What a verified access token says: whose it is, its life, and when they signed in
    (``auth_time``, carried over when a web sign-in's token is renewed)."""

    member_id: UUID
    issued_at: float
    expires_at: float
    signed_in_at: float


def unauthenticated(detail: str) -> Exception:
    exc = problem(401, "Sign-in required", detail, type_="unauthenticated")
    exc.headers = {"WWW-Authenticate": 'Bearer realm="huddle"'}
    return exc


class AccessTokens:
    """Issues and verifies members' access tokens."""

    def __init__(
        self,
        secret: str | None,
        lifetime_seconds: int,
        audience: str,
        *,
        local_development: bool = False,
    ) -> None:
        if not secret:
            log.warning("HUDDLE_JWT_SECRET is not set: tokens end with this process")
            secret = secrets.token_urlsafe(48)
        weakness = signing_secret.weakness(secret)
        if weakness and not local_development:
            raise WeakSigningSecret(
                f"HUDDLE_JWT_SECRET is refused: {weakness}. Generate one with "
                "`python3 -c 'import secrets; print(secrets.token_urlsafe(48))'` "
                "(or set HUDDLE_LOCAL_DEVELOPMENT=true on a machine only you can reach)."
            )
        if weakness:
            log.warning("HUDDLE_JWT_SECRET is weak (%s): allowed for local development", weakness)
        self._secret = secret
        self.lifetime_seconds = lifetime_seconds
        self._audience = f"huddle:{audience}"
        self._verified: LRUCache[str, TokenSession] = LRUCache(VERIFIED_TOKENS)

    def issue(self, member_id: UUID) -> str:
        """A token for a member who has just signed in."""
        now = int(time.time())
        return self._encode(member_id, now, now + self.lifetime_seconds, now)

    def _encode(self, member_id: UUID, now: int, expires: int, signed_in_at: int) -> str:
        claims = {
            "sub": str(member_id),
            "iat": now,
            "exp": expires,
            "auth_time": signed_in_at,
            "aud": self._audience,
            "iss": "huddle-gateway",
        }
        return jwt.encode(claims, self._secret, algorithm=ALGORITHM)

    def due_for_renewal(self, session: TokenSession) -> bool:
        """Past half its life: a page request now gets a fresh one (web sign-ins only)."""
        return time.time() >= session.issued_at + (session.expires_at - session.issued_at) / 2

    def renewed(self, session: TokenSession, *, session_seconds: int) -> str | None:
        """A fresh token for the same sign-in, living no later than ``session_seconds``
        after signing in; None once that is past (the person signs in again). Only for a
        member membership has just said is still active."""
        now = int(time.time())
        ends = int(session.signed_in_at) + session_seconds
        if now >= ends:
            return None
        return self._encode(
            session.member_id,
            now,
            min(now + self.lifetime_seconds, ends),
            int(session.signed_in_at),
        )

    def verify(self, token: str) -> UUID:
        """The member the token names."""
        return self.session(token).member_id

    def session(self, token: str) -> TokenSession:
        """What the token says, once verified. A token verified before is not verified
        again until it expires: its signature, audience and issuer cannot have changed, and
        its expiry is checked here as PyJWT checks it (expired once ``exp`` is not in the
        future)."""
        known = self._verified.get(token)
        if known is not None:
            if time.time() < known.expires_at:
                return known
            del self._verified[token]
        session = self._verified_claims(token)
        self._verified[token] = session
        return session

    def _verified_claims(self, token: str) -> TokenSession:
        try:
            claims = jwt.decode(
                token,
                self._secret,
                algorithms=[ALGORITHM],
                audience=self._audience,
                issuer="huddle-gateway",
                options={"require": ["sub", "exp", "iat"]},
            )
            member_id = UUID(claims["sub"])
            issued_at, expires = float(claims["iat"]), float(claims["exp"])
            signed_in_at = float(claims.get("auth_time", issued_at))
        except (jwt.PyJWTError, ValueError, TypeError):
            raise unauthenticated("The access token is invalid or has expired.") from None
        # A token signed with our secret may still claim a longer life than we give (PyJWT
        # itself refuses one issued in the future).
        if expires - issued_at > self.lifetime_seconds:
            raise unauthenticated("The access token claims a longer life than this gateway gives.")
        if signed_in_at > issued_at:
            raise unauthenticated("The access token is invalid or has expired.")
        return TokenSession(member_id, issued_at, expires, signed_in_at)


def client_address(request: Request[object, object, State]) -> str | None:
    """The client's address, read through trusted proxies only (``huddle_gateway.addresses``)."""
    proxies: TrustedProxies = request.app.state.trusted_proxies
    peer = request.client.host if request.client else None
    return proxies.client_address(peer, request.headers.getall("x-forwarded-for", []))


async def provide_caller(
    request: Request[object, object, State],
    services: NamedDependency[ServiceClient],
    tokens: NamedDependency[AccessTokens],
) -> Caller:
    """The caller of this request: anonymous, a signed-in member, or a machine client."""
    address = client_address(request)
    header = request.headers.get("authorization")
    if not header:
        return Caller(address=address)
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise unauthenticated("Send 'Authorization: Bearer <token>'.")
    token = token.strip()
    if token.startswith(contract.API_TOKEN_PREFIX):
        if not contract.API_TOKEN_FORMAT.fullmatch(token):  # no call for what cannot be one
            raise unauthenticated("The API token is not valid or has been revoked.")
        identity = contract.ApiTokenIdentity.model_validate(
            await services.call(contract.VERIFY_API_TOKEN, contract.VerifyApiToken(token=token))
        )
        return Caller(api_token_id=identity.id, scopes=tuple(identity.scopes), address=address)
    return Caller(member_id=tokens.verify(token), address=address)


# For the routes anyone may call that act for no one (registering, reading an organisation):
# they call as ANONYMOUS, and a token sent to them is not even read.
AS_ANONYMOUS = {"caller": Provide(lambda: ANONYMOUS, sync_to_thread=False)}
