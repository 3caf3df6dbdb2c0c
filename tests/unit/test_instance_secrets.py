"""``python -m huddle_devkit secrets``: every secret of an instance, made once, kept private."""

import stat
from pathlib import Path

import pytest
from huddle_devkit.instance_secrets import ensure_instance_secrets
from huddle_shared.services import service_names

pytestmark = pytest.mark.unit


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_every_secret_is_made_once_and_only_its_owner_reads_the_private_ones(
    tmp_path: Path,
) -> None:
    directory = tmp_path / "secrets"
    first = ensure_instance_secrets(directory)
    private = [
        directory / "jwt_secret",
        directory / "caller-signing-key.pem",
        *(directory / "nats" / f"{name}.nk" for name in [*service_names(), "gateway"]),
    ]
    for path in private:
        assert mode(path) == 0o600, path
    assert mode(directory) == 0o700
    assert "nkey" in (directory / "nats" / "auth.conf").read_text()
    before = {path: path.read_bytes() for path in private}

    again = ensure_instance_secrets(directory)
    assert again.jwt_secret == first.jwt_secret
    assert {path: path.read_bytes() for path in private} == before  # kept, not made again
