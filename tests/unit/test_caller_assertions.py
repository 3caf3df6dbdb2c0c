"""Caller assertions: what the gateway signs, a service accepts only for that very request."""

import base64
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ec import SECP256R1, generate_private_key
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from huddle_devkit.caller_keys import ensure_caller_keys
from huddle_shared.contracts.rpc import Caller, RpcRequest
from huddle_shared.messaging.caller_assertions import (
    CallerKeyError,
    CallerNotVerified,
    CallerSigner,
    CallerVerifier,
    key_id,
    load_private_key,
    load_public_key,
)

pytestmark = pytest.mark.unit

INSTANCE = "north-west"
SUBJECT = "rpc.membership.me.get"
ADMIN = uuid.UUID("0190c3a0-0000-7000-8000-0000000000ad")


def message(**changes: Any) -> dict[str, Any]:
    """An RPC message as the gateway builds it, before signing."""
    fields: dict[str, Any] = {
        "caller": Caller(member_id=ADMIN, scopes=("read",), address="10.0.0.7"),
        "body": {"name": "Ada", "limit": 5, "nested": {"b": [1, 2.5, None], "a": "é"}},
        "deadline": datetime.now(UTC) + timedelta(seconds=5),
        "idempotency_key": "key-1",
    }
    fields.update(changes)
    return RpcRequest(**fields).model_dump(mode="json", exclude={"caller_assertion"})


@pytest.fixture(scope="module")
def gateway_key() -> Ed25519PrivateKey:
    return Ed25519PrivateKey.generate()


@pytest.fixture(scope="module")
def signer(gateway_key: Ed25519PrivateKey) -> CallerSigner:
    return CallerSigner(gateway_key, INSTANCE)


@pytest.fixture(scope="module")
def verifier(gateway_key: Ed25519PrivateKey) -> CallerVerifier:
    return CallerVerifier([gateway_key.public_key()], INSTANCE)


def signed(signer: CallerSigner, subject: str = SUBJECT, **changes: Any) -> dict[str, Any]:
    return signer.signed(subject, message(**changes), lifetime_seconds=5)


def refusal(verifier: CallerVerifier, subject: str, sent: Any) -> str:
    with pytest.raises(CallerNotVerified) as refused:
        verifier.verify(subject, sent)
    return refused.value.reason


def test_a_signed_request_gives_the_caller_it_names(
    signer: CallerSigner, verifier: CallerVerifier
) -> None:
    caller = verifier.verify(SUBJECT, signed(signer))
    assert caller == Caller(member_id=ADMIN, scopes=("read",), address="10.0.0.7")


def test_the_body_is_bound_as_json_values_not_key_order(
    signer: CallerSigner, verifier: CallerVerifier
) -> None:
    sent = signed(signer)
    sent["body"] = dict(reversed(list(sent["body"].items())))  # the same JSON object
    assert verifier.verify(SUBJECT, sent).member_id == ADMIN


def test_a_request_without_an_assertion_is_refused(verifier: CallerVerifier) -> None:
    # The attack of issue 8: a raw request naming the admin, with no signing key.
    attack = {"caller": {"member_id": str(ADMIN)}, "body": {}}
    assert refusal(verifier, SUBJECT, attack) == "no caller assertion"
    assert refusal(verifier, SUBJECT, {**attack, "caller_assertion": ""}) == "no caller assertion"
    assert "malformed" in refusal(verifier, SUBJECT, {**attack, "caller_assertion": "x.y.z"})
    assert "not a JSON object" in refusal(verifier, SUBJECT, ["not", "an", "object"])


def test_an_oversized_or_deeply_nested_header_is_refused_as_malformed(
    verifier: CallerVerifier,
) -> None:
    """Not a RecursionError escaping the check (the sender would wait for no answer)."""
    attack = {"caller": {"member_id": str(ADMIN)}, "body": {}}
    deep = base64.urlsafe_b64encode(b"[" * 3000).decode().rstrip("=")  # within the size limit
    assert "malformed" in refusal(verifier, SUBJECT, {**attack, "caller_assertion": deep + ".a.b"})
    huge = "e30." + "a" * 10_000 + ".b"
    assert "malformed" in refusal(verifier, SUBJECT, {**attack, "caller_assertion": huge})


def test_another_key_is_refused_even_when_it_claims_the_trusted_key_id(
    signer: CallerSigner, verifier: CallerVerifier, gateway_key: Ed25519PrivateKey
) -> None:
    intruder = CallerSigner(Ed25519PrivateKey.generate(), INSTANCE)
    assert "does not trust" in refusal(verifier, SUBJECT, signed(intruder))
    sent = message()
    claims = jwt.decode(
        signer.sign(SUBJECT, sent, lifetime_seconds=5), options={"verify_signature": False}
    )
    forged = jwt.encode(
        claims,
        Ed25519PrivateKey.generate(),
        algorithm="EdDSA",
        headers={"kid": key_id(gateway_key.public_key())},
    )
    assert "not valid" in refusal(verifier, SUBJECT, {**sent, "caller_assertion": forged})


def test_other_algorithms_are_refused(signer: CallerSigner, verifier: CallerVerifier) -> None:
    sent = message()
    valid = signer.sign(SUBJECT, sent, lifetime_seconds=5)
    claims = jwt.decode(valid, options={"verify_signature": False})
    kid = jwt.get_unverified_header(valid)["kid"]
    unsigned = jwt.encode(claims, None, algorithm="none", headers={"kid": kid})  # type: ignore[arg-type]
    hmac = jwt.encode(claims, "a shared secret of some length!!", algorithm="HS256")
    for token in (unsigned, hmac):
        assert refusal(verifier, SUBJECT, {**sent, "caller_assertion": token})


def test_an_expired_assertion_is_refused(signer: CallerSigner, verifier: CallerVerifier) -> None:
    sent = message()
    old = signer.sign(SUBJECT, sent, lifetime_seconds=5, now=time.time() - 60)
    assert refusal(verifier, SUBJECT, {**sent, "caller_assertion": old}) == "assertion expired"


def test_an_assertion_living_too_long_is_refused(
    signer: CallerSigner, verifier: CallerVerifier
) -> None:
    sent = signer.signed(SUBJECT, message(), lifetime_seconds=3600)
    assert "longer" in refusal(verifier, SUBJECT, sent)


def test_another_instance_is_refused(signer: CallerSigner, gateway_key: Ed25519PrivateKey) -> None:
    elsewhere = CallerVerifier([gateway_key.public_key()], "south-east")
    assert "audience" in refusal(elsewhere, SUBJECT, signed(signer)).lower()


def test_a_replay_on_another_subject_is_refused(
    signer: CallerSigner, verifier: CallerVerifier
) -> None:
    sent = signed(signer, "rpc.membership.me.get")
    reason = refusal(verifier, "rpc.membership.me.erase", sent)
    assert reason == "assertion is for another subject"


@pytest.mark.parametrize(
    "body",
    [
        {"name": "Eve", "limit": 5, "nested": {"b": [1, 2.5, None], "a": "é"}},
        {"name": "Ada", "limit": 5, "nested": {"b": [1, 2.5, None], "a": "é"}, "role": "admin"},
        {"name": "Ada", "limit": 5.0, "nested": {"b": [1, 2.5, None], "a": "é"}},
        {"name": "Ada", "limit": True, "nested": {"b": [1, 2.5, None], "a": "é"}},
        {},
    ],
)
def test_another_body_is_refused(
    signer: CallerSigner, verifier: CallerVerifier, body: dict[str, Any]
) -> None:
    sent = {**signed(signer), "body": body}
    assert refusal(verifier, SUBJECT, sent) == "assertion is for another body"


@pytest.mark.parametrize(
    "caller",
    [
        {"member_id": str(uuid.uuid4()), "scopes": ["read"], "address": "10.0.0.7"},
        {"member_id": str(ADMIN), "scopes": ["read", "admin"], "address": "10.0.0.7"},
        {"member_id": str(ADMIN), "scopes": ["read"], "address": "10.0.0.8"},
        {"member_id": str(ADMIN), "scopes": ["read"], "address": "10.0.0.7", "api_token_id": "t"},
        {"member_id": str(ADMIN)},
    ],
)
def test_a_tampered_caller_is_refused(
    signer: CallerSigner, verifier: CallerVerifier, caller: dict[str, Any]
) -> None:
    sent = {**signed(signer), "caller": caller}
    assert refusal(verifier, SUBJECT, sent) == "assertion is for another caller"


def test_a_later_deadline_or_another_idempotency_key_is_refused(
    signer: CallerSigner, verifier: CallerVerifier
) -> None:
    later = (datetime.now(UTC) + timedelta(hours=1)).isoformat()
    reason = refusal(verifier, SUBJECT, {**signed(signer), "deadline": later})
    assert reason == "assertion is for another deadline"
    reason = refusal(verifier, SUBJECT, {**signed(signer), "idempotency_key": "key-2"})
    assert reason == "assertion is for another idempotency key"


def test_any_configured_key_verifies_so_keys_can_be_rotated(gateway_key: Ed25519PrivateKey) -> None:
    new_key = Ed25519PrivateKey.generate()
    during = CallerVerifier([gateway_key.public_key(), new_key.public_key()], INSTANCE)
    after = CallerVerifier([new_key.public_key()], INSTANCE)
    old_gateway, new_gateway = CallerSigner(gateway_key, INSTANCE), CallerSigner(new_key, INSTANCE)
    assert during.verify(SUBJECT, signed(old_gateway)).member_id == ADMIN
    assert during.verify(SUBJECT, signed(new_gateway)).member_id == ADMIN
    assert after.verify(SUBJECT, signed(new_gateway)).member_id == ADMIN
    assert "does not trust" in refusal(after, SUBJECT, signed(old_gateway))


def test_key_files_made_by_the_devkit_load_and_are_made_once(tmp_path: Path) -> None:
    keys = ensure_caller_keys(tmp_path / "secrets")
    assert keys.private_key.stat().st_mode & 0o077 == 0, "the private key is for its owner only"
    first = keys.private_key.read_bytes()
    assert ensure_caller_keys(tmp_path / "secrets").private_key.read_bytes() == first
    signer = CallerSigner.from_file(keys.private_key, INSTANCE)
    verifier = CallerVerifier.from_files([keys.public_key], INSTANCE)
    assert verifier.verify(SUBJECT, signed(signer)).member_id == ADMIN


def test_keys_that_are_missing_or_not_ed25519_are_refused_clearly(tmp_path: Path) -> None:
    with pytest.raises(CallerKeyError, match="cannot be read"):
        load_private_key(tmp_path / "missing.pem")
    ec = generate_private_key(SECP256R1())
    (tmp_path / "ec.pem").write_bytes(
        ec.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    (tmp_path / "ec.pub").write_bytes(
        ec.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
    )
    with pytest.raises(CallerKeyError, match="not an Ed25519 private key"):
        load_private_key(tmp_path / "ec.pem")
    with pytest.raises(CallerKeyError, match="not an Ed25519 public key"):
        load_public_key(tmp_path / "ec.pub")
    with pytest.raises(CallerKeyError, match="cannot be read"):
        load_public_key(tmp_path / "ec.pem")  # a private key where the public one belongs
    with pytest.raises(CallerKeyError):
        CallerVerifier([], INSTANCE)


async def test_a_service_refuses_to_start_without_verify_keys() -> None:
    from huddle_membership.bootstrap import bootstrap
    from huddle_shared.config import ServiceSettings

    runtime = bootstrap(ServiceSettings(HUDDLE_CALLER_VERIFY_KEY_FILES=""))
    with pytest.raises(CallerKeyError, match="HUDDLE_CALLER_VERIFY_KEY_FILES is not set"):
        await runtime.start()  # before connecting to anything


def test_the_gateway_refuses_to_start_without_a_signing_key() -> None:
    from huddle_gateway.app import create_app
    from huddle_gateway.settings import GatewaySettings

    with pytest.raises(CallerKeyError, match="HUDDLE_CALLER_SIGNING_KEY_FILE is not set"):
        create_app(GatewaySettings(HUDDLE_CALLER_SIGNING_KEY_FILE=None))


def test_every_rpc_route_of_every_service_is_checked_and_only_health_is_exempt() -> None:
    from importlib import import_module

    from huddle_shared.config import ServiceSettings
    from huddle_shared.contracts.rpc import health_subject
    from huddle_shared.messaging.rpc import CallerCheck
    from huddle_shared.services import SERVICES

    for spec in SERVICES:
        runtime = import_module(f"{spec.package}.bootstrap").bootstrap(ServiceSettings())
        check = CallerCheck(None, service=spec.name)
        assert runtime.routes, spec.name
        assert all(check.applies_to(route.subject) for route in runtime.routes)
        assert not check.applies_to(health_subject(spec.name))
        assert check.applies_to("rpc.elsewhere.anything")
        assert not check.applies_to(f"events.{spec.name}.member.registered")


async def test_the_check_refuses_everything_without_keys_and_a_body_that_is_not_json(
    signer: CallerSigner, verifier: CallerVerifier
) -> None:
    from huddle_shared.messaging.rpc import CallerCheck

    class Decoded:  # the part of FastStream's message the check reads
        def __init__(self, value: Any) -> None:
            self.value = value

        async def decode(self) -> Any:
            if isinstance(self.value, Exception):
                raise self.value
            return self.value

    good = Decoded(signed(signer))
    keyless = CallerCheck(None, service="membership")
    assert await keyless.refusal(good, SUBJECT) == "this service has no caller verify keys"  # type: ignore[arg-type]
    check = CallerCheck(verifier, service="membership")
    assert await check.refusal(good, SUBJECT) is None  # type: ignore[arg-type]
    broken = Decoded(ValueError("not JSON"))
    assert await check.refusal(broken, SUBJECT) == "the message is not JSON"  # type: ignore[arg-type]
    text = Decoded("just text")
    assert await check.refusal(text, SUBJECT) == "the message is not a JSON object"  # type: ignore[arg-type]


# --- The token itself: a standard EdDSA JWT, read strictly ------------------------------------


def claims_of(token: str) -> dict[str, Any]:
    return jwt.decode(token, options={"verify_signature": False})


def pyjwt_token(key: Ed25519PrivateKey, claims: dict[str, Any], **header: Any) -> str:
    """A token as PyJWT signs it (as the gateway did before decision 0021's update)."""
    return jwt.encode(
        claims, key, algorithm="EdDSA", headers={"kid": key_id(key.public_key()), **header}
    )


def test_the_token_is_the_jwt_pyjwt_makes_and_pyjwt_verifies_it(
    signer: CallerSigner, verifier: CallerVerifier, gateway_key: Ed25519PrivateKey
) -> None:
    sent = signed(signer)
    token = sent["caller_assertion"]
    claims = jwt.decode(
        token,
        gateway_key.public_key(),
        algorithms=["EdDSA"],
        audience=INSTANCE,
        issuer="huddle-gateway",
        options={"require": ["iss", "aud", "iat", "exp", "rpc", "body_sha256"]},
    )
    assert claims["rpc"] == SUBJECT and claims["caller"] == sent["caller"]
    assert pyjwt_token(gateway_key, claims) == token  # byte for byte (Ed25519 is deterministic)


def test_a_token_signed_by_pyjwt_verifies(
    signer: CallerSigner, verifier: CallerVerifier, gateway_key: Ed25519PrivateKey
) -> None:
    sent = signed(signer)
    claims = claims_of(sent["caller_assertion"])
    # Another header layout than this module writes (no typ; then typ first): the slow path.
    for header in ({"typ": None}, {"typ": "JWT", "kid": key_id(gateway_key.public_key())}):
        token = pyjwt_token(gateway_key, claims, **header)
        assert verifier.verify(SUBJECT, {**sent, "caller_assertion": token}).member_id == ADMIN


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def test_hmac_keyed_with_the_public_key_and_alg_none_are_refused(
    signer: CallerSigner, verifier: CallerVerifier, gateway_key: Ed25519PrivateKey
) -> None:
    """Algorithm confusion: a verifier that let the token pick the algorithm would accept an
    HS256 token whose secret is the (public) verify key, or one with no signature at all."""
    import hashlib
    import hmac

    sent = signed(signer)
    payload = sent["caller_assertion"].split(".")[1]
    kid = key_id(gateway_key.public_key())
    public = gateway_key.public_key()
    secrets = [
        public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw),
        public.public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        ),
    ]
    for alg in ("HS256", "none", "ES256", "EdDSA "):
        header = _b64(f'{{"alg":"{alg}","kid":"{kid}","typ":"JWT"}}'.encode())
        signing_input = f"{header}.{payload}"
        signatures = [
            _b64(hmac.new(secret, signing_input.encode(), hashlib.sha256).digest())
            for secret in secrets
        ] + [""]
        for signature in signatures:
            token = f"{signing_input}.{signature}"
            reason = refusal(verifier, SUBJECT, {**sent, "caller_assertion": token})
            assert reason == "assertion not valid (The specified alg value is not allowed)"


def test_header_parameters_that_change_how_a_jws_reads_are_refused(
    signer: CallerSigner, verifier: CallerVerifier, gateway_key: Ed25519PrivateKey
) -> None:
    sent = signed(signer)
    claims = claims_of(sent["caller_assertion"])
    for header in ({"crit": ["exp"]}, {"b64": True, "crit": ["b64"]}, {"typ": "at+jwt"}):
        token = pyjwt_token(gateway_key, claims, **header)
        reason = refusal(verifier, SUBJECT, {**sent, "caller_assertion": token})
        assert reason == "assertion not valid (header parameters this service does not accept)"


def test_a_tampered_token_is_refused_however_it_is_changed(
    signer: CallerSigner, verifier: CallerVerifier
) -> None:
    sent = signed(signer)
    header, payload, signature = sent["caller_assertion"].split(".")
    flipped = payload[:-3] + ("A" if payload[-3] != "A" else "B") + payload[-2:]
    cases = {
        f"{header}.{flipped}.{signature}": "assertion not valid (Signature verification failed)",
        f"{header}.{payload}.{signature[:-4]}": "assertion not valid (Signature verification failed)",
        f"{header}.{payload}": "malformed assertion",
        f"{header}.{payload}.{signature}.{signature}": "malformed assertion",
        # Lenient base64 would skip these characters and read the very same signature.
        f"{header}.{payload}.{signature[:40]}!{signature[40:]}": "malformed assertion",
        f"{header}.{payload}.{signature[:40]}!!!!{signature[40:]}": "malformed assertion",
        f"{header}.{payload}.{signature[:40]}\n\n{signature[40:]}==": "malformed assertion",
        f"{header}.{payload}.{signature}==": "malformed assertion",
        f"{header}.{payload}.{signature[:40]}+{signature[41:]}": "malformed assertion",
        f"{header}.{payload}.{signature[:40]}/{signature[41:]}": "malformed assertion",
        # Not ASCII at all (a lone surrogate cannot even be encoded to UTF-8).
        f"{header}.{payload}\ud800.{signature}": "malformed assertion",
        f"{header}.{payload}é.{signature}": "malformed assertion",
    }
    for token, reason in cases.items():
        assert refusal(verifier, SUBJECT, {**sent, "caller_assertion": token}) == reason, token


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"iat": "0"}, "Issued At claim (iat) must be an integer."),
        ({"iat": True}, "Issued At claim (iat) must be an integer."),
        ({"iat": 1.5}, "Issued At claim (iat) must be an integer."),
        ({"exp": "9999999999"}, "Expiration Time claim (exp) must be an integer."),
        ({"nbf": "soon"}, "Not Before claim (nbf) must be an integer."),
        ({"iss": "someone-else"}, "Invalid issuer"),
        ({"aud": [INSTANCE, "south-east"]}, "Audience doesn't match"),
        ({"aud": None}, 'Token is missing the "aud" claim'),
        ({"rpc": None}, 'Token is missing the "rpc" claim'),
        ({"body_sha256": None}, 'Token is missing the "body_sha256" claim'),
    ],
)
def test_claims_are_checked_as_pyjwt_checked_them(
    signer: CallerSigner,
    verifier: CallerVerifier,
    gateway_key: Ed25519PrivateKey,
    change: dict[str, Any],
    reason: str,
) -> None:
    sent = signed(signer)
    claims = {**claims_of(sent["caller_assertion"]), **change}
    token = pyjwt_token(gateway_key, {k: v for k, v in claims.items() if v is not None})
    assert refusal(verifier, SUBJECT, {**sent, "caller_assertion": token}) == (
        f"assertion not valid ({reason})"
    )


def test_a_payload_that_is_not_a_json_object_is_refused_once_signed(
    verifier: CallerVerifier, gateway_key: Ed25519PrivateKey
) -> None:
    header = _b64(
        f'{{"alg":"EdDSA","kid":"{key_id(gateway_key.public_key())}","typ":"JWT"}}'.encode()
    )
    for payload, reason in ((b"[1, 2]", "must be a json object"), (b"{nope", "Invalid payload")):
        signing_input = f"{header}.{_b64(payload)}"
        token = f"{signing_input}.{_b64(gateway_key.sign(signing_input.encode()))}"
        assert reason in refusal(verifier, SUBJECT, {**message(), "caller_assertion": token})


def test_a_message_with_nan_or_infinity_is_refused_not_crashed(
    signer: CallerSigner, verifier: CallerVerifier
) -> None:
    sent = signed(signer)
    for value in (float("nan"), float("inf")):
        tampered = {**sent, "body": {**sent["body"], "limit": value}}
        assert refusal(verifier, SUBJECT, tampered) == "the message is not plain JSON"


def test_a_bound_value_that_differs_only_in_its_json_type_is_refused(
    signer: CallerSigner, verifier: CallerVerifier
) -> None:
    """``1``, ``1.0`` and ``true`` are equal in Python, not in JSON (nor to a handler)."""
    sent = signer.signed(SUBJECT, {**message(), "idempotency_key": 1}, lifetime_seconds=5)
    for other in (1.0, True):
        reason = refusal(verifier, SUBJECT, {**sent, "idempotency_key": other})
        assert reason == "assertion is for another idempotency key"


def test_an_assertion_issued_in_the_future_is_refused(
    signer: CallerSigner, verifier: CallerVerifier, gateway_key: Ed25519PrivateKey
) -> None:
    sent = signed(signer)
    now = int(time.time())
    for change, reason in (
        ({"iat": now + 60, "exp": now + 65}, "The token is not yet valid (iat)"),
        ({"nbf": now + 60}, "The token is not yet valid (nbf)"),
    ):
        token = pyjwt_token(gateway_key, {**claims_of(sent["caller_assertion"]), **change})
        assert refusal(verifier, SUBJECT, {**sent, "caller_assertion": token}) == (
            f"assertion not valid ({reason})"
        )
