"""nats-py connection options per principal, without FastStream: the provisioning step and
``make run``'s launcher connect with these and so start without importing a broker."""

from pathlib import Path
from typing import Any


def inbox_prefix(principal: str) -> str:
    """Where ``principal``'s replies arrive. Each principal has its own, and NATS lets it
    subscribe to its own only (see ``huddle_devkit.nats_auth``), so no one reads another's."""
    return f"_INBOX_{principal}"


def deliver_prefix(principal: str) -> bytes:
    """The prefix nats-py's ``pull_subscribe`` puts before a fetch's reply subject (its
    default is the shared ``_INBOX.``, which no service may read)."""
    return f"{inbox_prefix(principal)}.".encode()


def seed_path(nkey_seed_file: str | Path) -> str:
    seed = Path(nkey_seed_file)
    if not seed.is_file():  # nats-py would only fail at connect, and retry for ever
        raise FileNotFoundError(f"NATS_NKEY_SEED_FILE {seed} does not exist")
    return str(seed)


def connection_options(principal: str, nkey_seed_file: str | Path | None) -> dict[str, Any]:
    """nats-py ``connect`` options for ``principal``: its inbox, and its nkey when given
    (unset: no NATS authentication, for a server that has none)."""
    options: dict[str, Any] = {"inbox_prefix": inbox_prefix(principal)}
    if nkey_seed_file is not None:
        options["nkeys_seed"] = seed_path(nkey_seed_file)
    return options
