"""Fixtures that give tests real servers.

- MongoDB protocol: ``MONGODB_URL`` when set, otherwise one FerretDB (SQLite) per test
  session on a free port; every test gets its own database names.
- NATS: ``NATS_URL`` when set (Huddle's streams are then emptied before each test),
  otherwise a fresh JetStream-enabled ``nats-server`` per test on a free port.
"""

import contextlib
import os
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import nats
import pytest
from huddle_devkit.servers import ferretdb_server, nats_server, running
from huddle_shared.config import ServiceSettings
from huddle_shared.services import all_streams
from nats.js.errors import NotFoundError
from support import caller_keys


@pytest.fixture(scope="session")
def mongodb_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    configured = os.environ.get("MONGODB_URL")
    if configured:
        yield configured
        return
    with running(ferretdb_server(tmp_path_factory.mktemp("ferretdb"))) as server:
        yield server.url  # type: ignore[attr-defined]


@pytest.fixture
async def nats_url(tmp_path: Path) -> AsyncIterator[str]:
    configured = os.environ.get("NATS_URL")
    if configured:
        await _empty_streams(configured)
        yield configured
        return
    with running(nats_server(tmp_path / "nats")) as server:
        yield server.url  # type: ignore[attr-defined]


async def _empty_streams(url: str) -> None:
    client = await nats.connect(url)
    js = client.jetstream()
    for spec in all_streams():
        with contextlib.suppress(NotFoundError):
            await js.delete_stream(spec.name)
    await client.close()


@pytest.fixture
def db_prefix() -> str:
    """Unique per test, so tests never see each other's data."""
    return f"t{uuid.uuid4().hex[:10]}"


@pytest.fixture
def settings_for(nats_url: str, mongodb_url: str, db_prefix: str):  # type: ignore[no-untyped-def]
    """``settings_for("notes")``: settings pointing a service at this test's servers."""

    def make(service: str) -> ServiceSettings:
        return ServiceSettings(
            NATS_URL=nats_url,
            MONGODB_URL=mongodb_url,
            MONGODB_DATABASE=f"{db_prefix}_{service}",
            HUDDLE_INSTANCE_ID="test-instance",
            HUDDLE_OUTBOX_RELAY_INTERVAL=0.2,
            HUDDLE_CALLER_VERIFY_KEY_FILES=str(caller_keys().public_key),
        )

    return make
