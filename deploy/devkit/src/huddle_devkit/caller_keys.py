"""The gateway's caller signing key pair for local runs, made once under ``var/secrets/``.

The gateway signs the caller of each RPC with the private key; every service verifies with
the public key (docs/decisions/0021). ``make run`` reuses the pair on later runs. In
production the operator makes the pair (docs/operators-guide.md, "Caller signing key").
"""

import os
from dataclasses import dataclass
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

PRIVATE_KEY_NAME = "caller-signing-key.pem"
PUBLIC_KEY_NAME = "caller-verify-key.pem"


@dataclass(frozen=True)
class CallerKeys:
    private_key: Path
    public_key: Path

    def gateway_environment(self) -> dict[str, str]:
        return {"HUDDLE_CALLER_SIGNING_KEY_FILE": str(self.private_key)}

    def service_environment(self) -> dict[str, str]:
        return {"HUDDLE_CALLER_VERIFY_KEY_FILES": str(self.public_key)}

    def environment(self) -> dict[str, str]:
        """Both, for an environment the gateway and the services share (tests)."""
        return {**self.gateway_environment(), **self.service_environment()}


def ensure_caller_keys(directory: Path) -> CallerKeys:
    """The key pair in ``directory``: made the first time, read as it is afterwards."""
    keys = CallerKeys(directory / PRIVATE_KEY_NAME, directory / PUBLIC_KEY_NAME)
    if keys.private_key.exists() and keys.public_key.exists():
        return keys
    directory.mkdir(parents=True, exist_ok=True)
    private = Ed25519PrivateKey.generate()
    private_pem = private.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    public_pem = private.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    # Readable by this user only; written before the public half, so a pair never mismatches.
    fd = os.open(keys.private_key, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as file:
        file.write(private_pem)
    keys.public_key.write_bytes(public_pem)
    return keys
