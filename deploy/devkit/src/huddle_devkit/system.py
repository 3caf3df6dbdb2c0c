"""The whole system as separate processes: one per service, plus the gateway."""

import os
import sys
from pathlib import Path

from huddle_shared import services


def service_modules() -> dict[str, str]:
    """Every service from the one list, then the gateway in front of them."""
    return {**{spec.name: spec.package for spec in services.SERVICES}, "gateway": "huddle_gateway"}


def command(service: str) -> list[str]:
    return [sys.executable, "-m", service_modules()[service]]


def environment(
    *, nats_url: str, mongodb_url: str, gateway_port: int, extra: dict[str, str] | None = None
) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        {
            "NATS_URL": nats_url,
            "MONGODB_URL": mongodb_url,
            "GATEWAY_HOST": "127.0.0.1",
            "GATEWAY_PORT": str(gateway_port),
            "PYTHONUNBUFFERED": "1",
        }
    )
    env.update(extra or {})
    # The address the pages' links (invitations) carry; an operator's own setting wins.
    env.setdefault("HUDDLE_PUBLIC_URL", f"http://127.0.0.1:{gateway_port}")
    return env


def for_process(env: dict[str, str], service: str, credentials: Path | None) -> dict[str, str]:
    """``env`` with ``service``'s own NATS credentials: its nkey seed in ``credentials``
    (see ``huddle_devkit.nats_auth``; None: NATS without authentication)."""
    if credentials is None:
        return env
    from huddle_devkit.nats_auth import Credentials

    return {**env, "NATS_NKEY_SEED_FILE": str(Credentials(credentials).seed_file(service))}
