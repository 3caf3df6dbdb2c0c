import secrets
import stat

import pytest
from huddle_devkit.jwt_secret import ensure_jwt_secret
from huddle_gateway.auth import AccessTokens, WeakSigningSecret
from huddle_gateway.signing_secret import weakness

pytestmark = pytest.mark.unit

OLD_LOCAL_SECRET = "local-development-only-" + "0" * 24  # what `make run` used to set


@pytest.mark.parametrize(
    "secret",
    [
        OLD_LOCAL_SECRET,
        "changeme",
        "too short",
        "e" * 32,  # long enough, but one letter
        "bench-" * 8,  # a repeated word
        "ab" * 40,
        secrets.token_hex(8),  # random, but 8 bytes
    ],
    ids=["old-local", "changeme", "too-short", "one-letter", "repeated-word", "pattern", "8-bytes"],
)
def test_known_short_and_predictable_secrets_are_refused(secret: str) -> None:
    assert weakness(secret) is not None
    with pytest.raises(WeakSigningSecret, match="HUDDLE_JWT_SECRET is refused"):
        AccessTokens(secret, 900, "north-west")


def test_random_secrets_are_accepted_and_local_development_allows_a_weak_one() -> None:
    for secret in (secrets.token_urlsafe(32), secrets.token_hex(32), secrets.token_urlsafe(64)):
        assert weakness(secret) is None
        AccessTokens(secret, 900, "north-west")
    AccessTokens(OLD_LOCAL_SECRET, 900, "local", local_development=True)


def test_make_run_generates_its_secret_once_readable_by_its_owner_only(tmp_path) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "secrets" / "jwt_secret"
    first = ensure_jwt_secret(path)
    assert weakness(first) is None
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert ensure_jwt_secret(path) == first  # reused on the next run
    assert ensure_jwt_secret(tmp_path / "elsewhere") != first
