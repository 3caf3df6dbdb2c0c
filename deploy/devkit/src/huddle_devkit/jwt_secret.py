"""The secret that signs members' access tokens on a local run: random, made once.

``make run`` keeps it in ``var/secrets/jwt_secret`` (readable by its owner only), so that
sign-ins outlive a restart; delete the file to sign everyone out.
"""

import os
import secrets
from pathlib import Path

from huddle_devkit.paths import var_dir


def secret_path() -> Path:
    return var_dir() / "secrets" / "jwt_secret"


def ensure_jwt_secret(path: Path | None = None) -> str:
    """The stored secret, or a new random one (48 bytes) stored first."""
    path = path or secret_path()
    if path.exists():
        return path.read_text().strip()
    path.parent.mkdir(parents=True, exist_ok=True)
    secret = secrets.token_urlsafe(48)
    # Created readable by its owner only, and never overwritten (two runs at once keep one).
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "w") as file:
        file.write(secret + "\n")
    return secret
