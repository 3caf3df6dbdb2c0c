"""Fixtures that give tests real servers.

- MongoDB protocol: ``MONGODB_URL`` when set, otherwise one FerretDB (SQLite) per test
  session on a free port; every test gets its own database names.
- NATS: ``NATS_URL`` when set (Huddle's streams are then emptied before each test),
  otherwise a fresh JetStream-enabled ``nats-server`` per test on a free port, with
  authentication: every service, the gateway and the tests' own clients (the ``devkit``
  principal) connect with their own nkey (``huddle_devkit.nats_auth``), generated once per
  session. With ``NATS_URL`` set, ``HUDDLE_TEST_NATS_CREDENTIALS`` names the directory of
  seeds that server was configured with (``python -m huddle_devkit.nats_auth DIR``, then
  include ``DIR/auth.conf``); without it, clients connect unauthenticated and the
  permission tests are skipped.
"""

import contextlib
import os
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest
from huddle_devkit import nats_auth
from huddle_devkit.servers import ferretdb_server, nats_server, running
from huddle_shared.config import ServiceSettings
from huddle_shared.messaging.topology import ensure_streams
from huddle_shared.services import all_streams
from nats.js.errors import NotFoundError
from support import CREDENTIALS_ENV, caller_keys, connect_nats, seed_file, test_credentials


def pytest_xdist_make_scheduler(config: pytest.Config, log: Any) -> Any:
    """For ``make test``'s two workers (pytest-xdist): a module's tests run on one worker, so
    a module-scoped world is built once; every browser test runs on one worker, so the whole
    system and its demo data start once."""
    from xdist.scheduler import LoadFileScheduling

    class ByModuleWithTheBrowserTestsTogether(LoadFileScheduling):
        def _split_scope(self, nodeid: str) -> str:
            module = super()._split_scope(nodeid)
            return "tests/browser" if module.startswith("tests/browser/") else module

    return ByModuleWithTheBrowserTestsTogether(config, log)


@pytest.fixture(scope="session")
def mongodb_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    configured = os.environ.get("MONGODB_URL")
    if configured:
        yield configured
        return
    with running(ferretdb_server(tmp_path_factory.mktemp("ferretdb"))) as server:
        yield server.url  # type: ignore[attr-defined]


@pytest.fixture(scope="session")
def nats_credentials(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path | None]:
    """The principals' seeds: the session's own, or those of the server ``NATS_URL`` names."""
    if os.environ.get("NATS_URL"):
        yield test_credentials()
        return
    directory = tmp_path_factory.mktemp("nats-credentials")
    nats_auth.generate(directory)
    os.environ[CREDENTIALS_ENV] = str(directory)  # the helpers in support.py read it
    try:
        yield directory
    finally:
        del os.environ[CREDENTIALS_ENV]


@pytest.fixture
async def nats_url(tmp_path: Path, nats_credentials: Path | None) -> AsyncIterator[str]:
    configured = os.environ.get("NATS_URL")
    if configured:
        await _empty_streams(configured)
        yield configured
        return
    with running(nats_server(tmp_path / "nats", credentials_dir=nats_credentials)) as server:
        yield server.url  # type: ignore[attr-defined]


async def _empty_streams(url: str) -> None:
    client = await connect_nats(url)
    js = client.jetstream()
    for spec in all_streams():
        with contextlib.suppress(NotFoundError):
            await js.delete_stream(spec.name)
    await ensure_streams(js)  # the provisioning step, as `make run` does it
    await client.close()


@pytest.fixture
def db_prefix() -> str:
    """Unique per test, so tests never see each other's data."""
    return f"t{uuid.uuid4().hex[:10]}"


@pytest.fixture
def settings_for(nats_url: str, mongodb_url: str, db_prefix: str):  # type: ignore[no-untyped-def]
    """``settings_for("notes")``: settings pointing a service at this test's servers, with
    the service's own NATS credentials."""

    def make(service: str) -> ServiceSettings:
        return ServiceSettings(
            NATS_URL=nats_url,
            MONGODB_URL=mongodb_url,
            MONGODB_DATABASE=f"{db_prefix}_{service}",
            HUDDLE_INSTANCE_ID="test-instance",
            HUDDLE_OUTBOX_RELAY_INTERVAL=0.2,
            HUDDLE_CALLER_VERIFY_KEY_FILES=str(caller_keys().public_key),
            NATS_NKEY_SEED_FILE=seed_file(service),
        )

    return make
