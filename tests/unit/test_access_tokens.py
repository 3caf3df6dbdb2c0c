"""Access tokens at the gateway: a token verified once is trusted until it expires, and only
as verified; a refused token is refused every time."""

import time
from uuid import uuid4

import jwt
import pytest
from huddle_gateway import auth
from huddle_gateway.auth import AccessTokens
from litestar.exceptions import HTTPException

SECRET = "a signing secret long and random enough for the gateway 0123456789"


def tokens(lifetime: int = 900) -> AccessTokens:
    return AccessTokens(SECRET, lifetime, "north-west")


def test_a_token_verified_once_is_not_decoded_again(monkeypatch: pytest.MonkeyPatch) -> None:
    issuer = tokens()
    member = uuid4()
    token = issuer.issue(member)
    decoded = []
    real = jwt.decode
    monkeypatch.setattr(jwt, "decode", lambda *a, **k: decoded.append(1) or real(*a, **k))

    assert [issuer.verify(token) for _ in range(3)] == [member] * 3
    assert len(decoded) == 1


def test_a_remembered_token_is_refused_once_it_expires() -> None:
    issuer = tokens(lifetime=1)
    token = issuer.issue(uuid4())
    expires = jwt.decode(token, options={"verify_signature": False})["exp"]
    issuer.verify(token)

    time.sleep(max(0.0, expires - time.time()) + 0.05)
    with pytest.raises(HTTPException) as refused:
        issuer.verify(token)
    assert refused.value.status_code == 401


def test_a_refused_token_is_refused_every_time_and_remembered_tokens_change_nothing() -> None:
    issuer = tokens()
    good = issuer.issue(uuid4())
    issuer.verify(good)
    header, claims, signature = good.split(".")
    tampered = f"{header}.{claims}.{signature[:-2]}{'AA' if signature[-2:] != 'AA' else 'BB'}"
    other_instance = AccessTokens(SECRET, 900, "south-east").issue(uuid4())

    for token in (tampered, other_instance, tampered, other_instance):
        with pytest.raises(HTTPException) as refused:
            issuer.verify(token)
        assert refused.value.status_code == 401
    assert tampered not in issuer._verified and other_instance not in issuer._verified


def test_the_remembered_tokens_are_bounded() -> None:
    issuer = tokens()
    for _ in range(auth.VERIFIED_TOKENS + 5):
        issuer.verify(issuer.issue(uuid4()))
    assert len(issuer._verified) == auth.VERIFIED_TOKENS
