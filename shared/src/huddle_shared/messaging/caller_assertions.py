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

The JWS is made and checked here directly, not through PyJWT: on every RPC, PyJWT's
general machinery (options, a per-character base64 check, the header decoded twice, a JSON
encoder built per call) cost as much as the signature itself. The Ed25519 signing and
verifying are libsodium's (PyNaCl), about twice as fast here as OpenSSL's through
``cryptography``, which still reads the key files. The tokens are the same standard EdDSA
JWTs (Ed25519 is deterministic: the same key signs the same bytes alike; PyJWT verifies
them and they verify PyJWT's, which the unit tests check), and this accepts only what it
needs: header ``alg`` EdDSA, a ``kid`` it trusts and ``typ`` JWT; the claims below,
``iat``/``exp`` as integers; one audience. See docs/decisions/0021.
"""

import base64
import binascii
import hashlib
import json
import math
import time
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from nacl.exceptions import BadSignatureError
from nacl.signing import SigningKey, VerifyKey

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
_REQUIRED = ("iss", "aud", "iat", "exp", SUBJECT_CLAIM, BODY_CLAIM)
# The protected header parameters a verifier accepts (anything else, e.g. ``crit`` or
# ``b64``, changes how a JWS is read: refused rather than half understood).
_HEADER_PARAMETERS = frozenset({"alg", "kid", "typ"})
_ED25519_SIGNATURE_BYTES = 64

# Built once: ``json.dumps`` with options builds an encoder per call.
_canonical_encoder = json.JSONEncoder(
    sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
)
_compact_encoder = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False, allow_nan=False)
# base64url to standard base64, byte for byte; any byte outside the base64url alphabet
# (``+``, ``/``, ``=``, anything else) becomes ``!``, which strict decoding refuses.
_ALPHABET = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
_FROM_URLSAFE = bytes(
    byte if byte in _ALPHABET else {ord("-"): ord("+"), ord("_"): ord("/")}.get(byte, ord("!"))
    for byte in range(256)
)


class CallerKeyError(ValueError):
    """A configured key file is missing or is not an Ed25519 key of the expected kind."""


class CallerNotVerified(Exception):
    """The request's caller assertion is missing or does not hold for this request."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def _canonical(value: Any) -> bytes:
    """One byte string per JSON value: sorted keys, no spaces, UTF-8."""
    return _canonical_encoder.encode(value).encode()


def body_hash(body: Any) -> str:
    return _b64encode(hashlib.sha256(_canonical(body)).digest())


def key_id(public_key: Ed25519PublicKey) -> str:
    """A short fingerprint of the public key, so a service picks the key without trying each."""
    digest = hashlib.sha256(_raw_public(public_key)).digest()
    return base64.urlsafe_b64encode(digest[:12]).decode()


def _b64encode(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _b64decode(segment: str) -> bytes:
    """base64url without padding, strictly: any other character raises ``ValueError``
    (lenient decoding would skip it, so two tokens could read the same)."""
    padded = segment.encode().translate(_FROM_URLSAFE) + b"=" * (-len(segment) % 4)
    return binascii.a2b_base64(padded, strict_mode=True)  # binascii.Error is a ValueError


def _raw_public(key: Ed25519PublicKey) -> bytes:
    return key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def _header_segment(kid: str) -> str:
    """The header as the signer writes it, byte for byte as PyJWT writes the same header
    (sorted keys, no spaces), so a verifier recognises it without decoding it."""
    header = {"alg": ALGORITHM, "kid": kid, "typ": "JWT"}
    return _b64encode(_canonical(header))


def _same(signed: Any, sent: Any) -> bool:
    """The same JSON value: ``5``, ``5.0`` and ``true`` differ (Python's ``==`` says not)."""
    if type(signed) is str and type(sent) is str:  # the usual case, without encoding
        return signed == sent
    return _canonical(signed) == _canonical(sent)


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
        seed = private_key.private_bytes(
            serialization.Encoding.Raw,
            serialization.PrivateFormat.Raw,
            serialization.NoEncryption(),
        )
        self._key = SigningKey(seed)  # the same key, in libsodium's form
        self._header = _header_segment(key_id(private_key.public_key()))
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
            SUBJECT_CLAIM: subject,
            CALLER_CLAIM: message.get("caller"),
            BODY_CLAIM: body_hash(message.get("body")),
            DEADLINE_CLAIM: message.get("deadline"),
            IDEMPOTENCY_KEY_CLAIM: message.get("idempotency_key"),
        }
        payload = _b64encode(_compact_encoder.encode(claims).encode())
        signing_input = f"{self._header}.{payload}"
        signature = self._key.sign(signing_input.encode("ascii")).signature
        return f"{signing_input}.{_b64encode(signature)}"

    def signed(
        self, subject: str, message: Mapping[str, Any], *, lifetime_seconds: float
    ) -> dict[str, Any]:
        """``message`` with its ``caller_assertion``."""
        assertion = self.sign(subject, message, lifetime_seconds=lifetime_seconds)
        return {**message, "caller_assertion": assertion}


# --- Verifying (each service) ------------------------------------------------------------------


def _not_valid(why: str) -> CallerNotVerified:
    # Worded as PyJWT worded them when it checked the tokens (see docs/decisions/0021).
    return CallerNotVerified(f"assertion not valid ({why})")


class CallerVerifier:
    """Accepts an assertion signed by any one of ``public_keys`` (several during a rotation)."""

    def __init__(self, public_keys: Iterable[Ed25519PublicKey], audience: str) -> None:
        self._keys = {key_id(key): VerifyKey(_raw_public(key)) for key in public_keys}
        if not self._keys:
            raise CallerKeyError("no caller verify keys")
        # The header each trusted key's signer writes: the usual token's key in one lookup.
        self._by_header = {_header_segment(kid): key for kid, key in self._keys.items()}
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
        if len(token) > MAX_ASSERTION_CHARS or not token.isascii():  # base64url and dots only
            raise CallerNotVerified("malformed assertion")
        signing_input, _, signature_segment = token.rpartition(".")
        header, _, payload = signing_input.partition(".")
        if not payload or "." in payload:
            raise CallerNotVerified("malformed assertion")
        key = self._by_header.get(header)
        if key is None:
            key = self._key_for_header(header)
        try:
            signature = _b64decode(signature_segment)
        except ValueError:
            raise CallerNotVerified("malformed assertion") from None
        if len(signature) != _ED25519_SIGNATURE_BYTES:
            raise _not_valid("Signature verification failed")
        try:
            # The claims are read only once signed: nothing unsigned is parsed beyond the header.
            key.verify(signing_input.encode(), signature)
        except BadSignatureError:
            raise _not_valid("Signature verification failed") from None
        try:
            claims = json.loads(_b64decode(payload))
        except (ValueError, RecursionError):
            raise _not_valid("Invalid payload string") from None
        if not isinstance(claims, dict):
            raise _not_valid("Invalid payload string: must be a json object")
        self._check_claims(claims, time.time())
        try:
            _check_binding(claims, subject, message)
        except (ValueError, RecursionError):  # NaN or Infinity: no JSON the gateway sends
            raise CallerNotVerified("the message is not plain JSON") from None
        try:
            return Caller.model_validate(message.get("caller") or {})
        except ValueError:
            raise CallerNotVerified("the caller is not valid") from None

    def _key_for_header(self, segment: str) -> VerifyKey:
        """The trusted key a header other than our signer's own names, if it is acceptable."""
        try:
            header = json.loads(_b64decode(segment))
        except (ValueError, RecursionError):  # a header nested deeply enough to exhaust the stack
            raise CallerNotVerified("malformed assertion") from None
        if not isinstance(header, dict):
            raise CallerNotVerified("malformed assertion")
        kid = header.get("kid")
        key = self._keys.get(kid) if isinstance(kid, str) else None
        if key is None:
            raise CallerNotVerified("signed by a key this service does not trust")
        if header.get("alg") != ALGORITHM:  # e.g. ``none``, or HS256 keyed with the public key
            raise _not_valid("The specified alg value is not allowed")
        if not header.keys() <= _HEADER_PARAMETERS or header.get("typ", "JWT") != "JWT":
            raise _not_valid("header parameters this service does not accept")
        return key

    def _check_claims(self, claims: dict[str, Any], now: float) -> None:
        """Issuer, audience and lifetime, as PyJWT's ``decode`` checked them with our options."""
        for claim in _REQUIRED:
            if claims.get(claim) is None:
                raise _not_valid(f'Token is missing the "{claim}" claim')
        issued, expires = claims["iat"], claims["exp"]
        if type(issued) is not int:  # not a bool, a float or a string either
            raise _not_valid("Issued At claim (iat) must be an integer.")
        if issued > now + CLOCK_SKEW_SECONDS:
            raise _not_valid("The token is not yet valid (iat)")
        if "nbf" in claims:
            not_before = claims["nbf"]
            if type(not_before) is not int:
                raise _not_valid("Not Before claim (nbf) must be an integer.")
            if not_before > now + CLOCK_SKEW_SECONDS:
                raise _not_valid("The token is not yet valid (nbf)")
        if type(expires) is not int:
            raise _not_valid("Expiration Time claim (exp) must be an integer.")
        if expires <= now - CLOCK_SKEW_SECONDS:
            raise CallerNotVerified("assertion expired")
        if claims["iss"] != ISSUER:
            raise _not_valid("Invalid issuer")
        if claims["aud"] != self.audience:  # one audience: a list of instances is none of them
            raise _not_valid("Audience doesn't match")
        if expires - issued > MAX_LIFETIME_SECONDS:
            raise CallerNotVerified("assertion lives longer than a service accepts")


def _check_binding(claims: dict[str, Any], subject: str, message: Mapping[str, Any]) -> None:
    """Each bound value against the message (missing fields are null); raises ``ValueError``
    for a message with NaN or Infinity, which canonical JSON refuses."""
    if not _same(claims[SUBJECT_CLAIM], subject):
        raise CallerNotVerified("assertion is for another subject")
    if not _same(claims.get(CALLER_CLAIM), message.get("caller")):
        raise CallerNotVerified("assertion is for another caller")
    if not _same(claims[BODY_CLAIM], body_hash(message.get("body"))):
        raise CallerNotVerified("assertion is for another body")
    if not _same(claims.get(DEADLINE_CLAIM), message.get("deadline")):
        raise CallerNotVerified("assertion is for another deadline")
    if not _same(claims.get(IDEMPOTENCY_KEY_CLAIM), message.get("idempotency_key")):
        raise CallerNotVerified("assertion is for another idempotency key")
