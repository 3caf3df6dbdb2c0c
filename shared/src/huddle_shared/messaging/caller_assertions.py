"""Caller assertions: the gateway signs who is calling with each RPC, services verify it.

A service trusts ``RpcRequest.caller`` only when ``RpcRequest.caller_assertion`` holds a
short-lived compact JWT (EdDSA, Ed25519) from a key it was configured with, that names this
instance as its audience and binds this very request: its subject, the caller exactly as
sent, a SHA-256 of its body, its deadline and its idempotency key. So a process that may
send RPCs over NATS but holds no signing key cannot act as a member, and a captured
assertion replayed on another subject, with another body or later is refused.

The assertion travels inside the message, so it cannot cover its own bytes: it covers the
message's JSON values as decoded from the bytes received (the body as canonical JSON), which
are the very values the handler's validation gets. See docs/decisions/0021.
"""

import base64
import hashlib
import json
import math
import time
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from huddle_shared.contracts.rpc import Caller

ALGORITHM = "EdDSA"
ISSUER = "huddle-gateway"
# Allowed difference between the gateway's clock and a service's (keep hosts on NTP).
CLOCK_SKEW_SECONDS = 2
# However the gateway is configured, a service accepts no assertion that lives longer.
MAX_LIFETIME_SECONDS = 300
# An assertion is a few hundred characters; anything longer is not one (``RpcRequest``
# allows 4096), and is refused before any of it is decoded.
MAX_ASSERTION_CHARS = 4096
# Claims that bind the assertion to one request (beside iss, aud, iat and exp).
SUBJECT_CLAIM = "rpc"
CALLER_CLAIM = "caller"
BODY_CLAIM = "body_sha256"
DEADLINE_CLAIM = "deadline"
IDEMPOTENCY_KEY_CLAIM = "idempotency_key"
_BOUND = {
    SUBJECT_CLAIM: "subject",
    CALLER_CLAIM: "caller",
    BODY_CLAIM: "body",
    DEADLINE_CLAIM: "deadline",
    IDEMPOTENCY_KEY_CLAIM: "idempotency key",
}


class CallerKeyError(ValueError):
    """A configured key file is missing or is not an Ed25519 key of the expected kind."""


class CallerNotVerified(Exception):
    """The request's caller assertion is missing or does not hold for this request."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def _canonical(value: Any) -> bytes:
    """One byte string per JSON value: sorted keys, no spaces, UTF-8."""
    return json.dumps(
        value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
    ).encode()


def body_hash(body: Any) -> str:
    digest = hashlib.sha256(_canonical(body)).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def key_id(public_key: Ed25519PublicKey) -> str:
    """A short fingerprint of the public key, so a service picks the key without trying each."""
    raw = public_key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return base64.urlsafe_b64encode(hashlib.sha256(raw).digest()[:12]).decode()


def _binding(subject: str, message: Mapping[str, Any]) -> dict[str, Any]:
    """What the assertion binds, from the message's JSON values (missing fields are null)."""
    return {
        SUBJECT_CLAIM: subject,
        CALLER_CLAIM: message.get("caller"),
        BODY_CLAIM: body_hash(message.get("body")),
        DEADLINE_CLAIM: message.get("deadline"),
        IDEMPOTENCY_KEY_CLAIM: message.get("idempotency_key"),
    }


def _unverified_key_id(token: str) -> str:
    """The ``kid`` the token's header names, only to pick the key that then verifies it
    (read here rather than by PyJWT, which would decode the token twice)."""
    try:
        segment = token.split(".", 1)[0]
        header = json.loads(base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4)))
    except (ValueError, RecursionError):  # a header nested deeply enough to exhaust the stack
        raise CallerNotVerified("malformed assertion") from None
    kid = header.get("kid") if isinstance(header, dict) else None
    return kid if isinstance(kid, str) else ""


# --- Keys -------------------------------------------------------------------------------------


def load_private_key(path: Path | str) -> Ed25519PrivateKey:
    try:
        key = serialization.load_pem_private_key(Path(path).read_bytes(), password=None)
    except (OSError, ValueError, TypeError) as exc:
        raise CallerKeyError(f"caller signing key {path}: cannot be read ({exc})") from exc
    if not isinstance(key, Ed25519PrivateKey):
        raise CallerKeyError(f"caller signing key {path}: not an Ed25519 private key")
    return key


def load_public_key(path: Path | str) -> Ed25519PublicKey:
    try:
        key = serialization.load_pem_public_key(Path(path).read_bytes())
    except (OSError, ValueError, TypeError) as exc:
        raise CallerKeyError(f"caller verify key {path}: cannot be read ({exc})") from exc
    if not isinstance(key, Ed25519PublicKey):
        raise CallerKeyError(f"caller verify key {path}: not an Ed25519 public key")
    return key


def key_files(setting: str) -> list[Path]:
    """``HUDDLE_CALLER_VERIFY_KEY_FILES``: comma-separated paths (blanks ignored)."""
    return [Path(part.strip()) for part in setting.split(",") if part.strip()]


# --- Signing (the gateway) ---------------------------------------------------------------------


class CallerSigner:
    def __init__(self, private_key: Ed25519PrivateKey, audience: str) -> None:
        self._key = private_key
        self._headers = {"kid": key_id(private_key.public_key())}
        self.audience = audience

    @classmethod
    def from_file(cls, path: Path | str, audience: str) -> "CallerSigner":
        return cls(load_private_key(path), audience)

    def sign(
        self,
        subject: str,
        message: Mapping[str, Any],
        *,
        lifetime_seconds: float,
        now: float | None = None,
    ) -> str:
        """An assertion for ``message`` (the RPC's JSON values, as they will be sent)."""
        issued = time.time() if now is None else now
        claims = {
            "iss": ISSUER,
            "aud": self.audience,
            "iat": int(issued),
            "exp": math.ceil(issued + lifetime_seconds),
            **_binding(subject, message),
        }
        return jwt.encode(claims, self._key, algorithm=ALGORITHM, headers=self._headers)

    def signed(
        self, subject: str, message: Mapping[str, Any], *, lifetime_seconds: float
    ) -> dict[str, Any]:
        """``message`` with its ``caller_assertion``."""
        assertion = self.sign(subject, message, lifetime_seconds=lifetime_seconds)
        return {**message, "caller_assertion": assertion}


# --- Verifying (each service) ------------------------------------------------------------------


class CallerVerifier:
    """Accepts an assertion signed by any one of ``public_keys`` (several during a rotation)."""

    def __init__(self, public_keys: Iterable[Ed25519PublicKey], audience: str) -> None:
        self._keys = {key_id(key): key for key in public_keys}
        if not self._keys:
            raise CallerKeyError("no caller verify keys")
        self.audience = audience

    @classmethod
    def from_files(cls, paths: Sequence[Path | str], audience: str) -> "CallerVerifier":
        return cls([load_public_key(path) for path in paths], audience)

    def verify(self, subject: str, message: Any) -> Caller:
        """The caller ``message`` may act as on ``subject``; raises ``CallerNotVerified``."""
        if not isinstance(message, Mapping):
            raise CallerNotVerified("the message is not a JSON object")
        token = message.get("caller_assertion")
        if not isinstance(token, str) or not token:
            raise CallerNotVerified("no caller assertion")
        if len(token) > MAX_ASSERTION_CHARS:
            raise CallerNotVerified("malformed assertion")
        key = self._keys.get(_unverified_key_id(token))
        if key is None:
            raise CallerNotVerified("signed by a key this service does not trust")
        try:
            claims = jwt.decode(
                token,
                key,
                algorithms=[ALGORITHM],
                audience=self.audience,
                issuer=ISSUER,
                leeway=CLOCK_SKEW_SECONDS,
                options={"require": ["iss", "aud", "iat", "exp", SUBJECT_CLAIM, BODY_CLAIM]},
            )
        except jwt.ExpiredSignatureError:
            raise CallerNotVerified("assertion expired") from None
        except jwt.InvalidTokenError as exc:
            raise CallerNotVerified(f"assertion not valid ({exc})") from None
        if claims["exp"] - claims["iat"] > MAX_LIFETIME_SECONDS:
            raise CallerNotVerified("assertion lives longer than a service accepts")
        try:
            expected = _binding(subject, message)
            for name, value in expected.items():
                if _canonical(claims.get(name)) != _canonical(value):
                    raise CallerNotVerified(f"assertion is for another {_BOUND[name]}")
        except ValueError:  # NaN or Infinity in the body: no JSON the gateway sends
            raise CallerNotVerified("the message is not plain JSON") from None
        try:
            return Caller.model_validate(message.get("caller") or {})
        except ValueError:
            raise CallerNotVerified("the caller is not valid") from None
