"""Every secret an instance needs, made once into one directory and kept there.

``make run`` uses ``var/secrets``; for Compose or another deployment an operator runs
``python -m huddle_devkit secrets DIR`` and hands each process only its own files:

- ``jwt_secret``: signs members' access tokens (the gateway's ``HUDDLE_JWT_SECRET``);
- ``caller-signing-key.pem`` (gateway only) and ``caller-verify-key.pem`` (every service);
- ``nats/<principal>.nk``: each process's NATS nkey seed, and ``nats/auth.conf``, the
  users and permissions NATS includes (public keys only).
"""

import os
from dataclasses import dataclass
from pathlib import Path

from huddle_devkit import caller_keys, nats_auth
from huddle_devkit.jwt_secret import ensure_jwt_secret


@dataclass(frozen=True)
class InstanceSecrets:
    jwt_secret: str
    caller_keys: caller_keys.CallerKeys
    nats: nats_auth.Credentials


def ensure_instance_secrets(directory: Path) -> InstanceSecrets:
    directory.mkdir(mode=0o700, parents=True, exist_ok=True)
    return InstanceSecrets(
        jwt_secret=ensure_jwt_secret(directory / "jwt_secret"),
        caller_keys=caller_keys.ensure_caller_keys(directory),
        nats=nats_auth.generate(directory / "nats"),
    )


def give_to(directory: Path, uid: int) -> None:
    """Make the private files readable by ``uid`` (the containers' user), as root."""
    for path in [directory, directory / "nats", *directory.glob("*"), *directory.glob("nats/*")]:
        os.chown(path, uid, uid)
