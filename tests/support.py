"""Helpers shared by tests: running services in-process, waiting for conditions."""

import asyncio
import atexit
import contextlib
import functools
import json
import os
import secrets
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import nats
from huddle_devkit.caller_keys import CallerKeys, ensure_caller_keys
from huddle_devkit.paths import ferretdb_binary
from huddle_shared.config import ServiceSettings
from huddle_shared.messaging.broker import connection_options
from huddle_shared.messaging.caller_assertions import CallerSigner
from huddle_shared.runtime import ServiceRuntime

# The instance the services of ``settings_for`` and the gateway of ``gateway_server`` serve:
# the audience of the gateway's caller assertions.
TEST_INSTANCE = "test-instance"


@functools.cache
def caller_keys() -> CallerKeys:
    """One caller signing key pair for the whole test run (the gateway's, in production)."""
    directory = Path(tempfile.mkdtemp(prefix="huddle-caller-keys-"))
    atexit.register(shutil.rmtree, directory, ignore_errors=True)
    return ensure_caller_keys(directory)


@functools.cache
def _test_signer(instance_id: str) -> CallerSigner:
    return CallerSigner.from_file(caller_keys().private_key, instance_id)


def signed(
    subject: str,
    message: dict[str, Any],
    *,
    instance_id: str = TEST_INSTANCE,
    lifetime_seconds: float = 30.0,
) -> bytes:
    """A raw RPC message as the gateway sends it: with a caller assertion from the test key.

    Tests that send RPCs over NATS themselves use it, as the gateway would."""
    signer = _test_signer(instance_id)
    return json.dumps(signer.signed(subject, message, lifetime_seconds=lifetime_seconds)).encode()


# The directory of the NATS principals' seeds (see tests/conftest.py).
CREDENTIALS_ENV = "HUDDLE_TEST_NATS_CREDENTIALS"
DEVKIT = "devkit"


def test_credentials() -> Path | None:
    configured = os.environ.get(CREDENTIALS_ENV)
    return Path(configured) if configured else None


def seed_file(principal: str) -> str | None:
    """``principal``'s nkey seed, or None when the tests' NATS has no authentication."""
    directory = test_credentials()
    return str(directory / f"{principal}.nk") if directory else None


def as_devkit() -> dict[str, Any]:
    """``create_broker`` options for a test's own broker: the devkit principal."""
    return {"nkey_seed_file": seed_file(DEVKIT), "principal": DEVKIT}


async def connect_nats(url: str, principal: str = DEVKIT, **options: Any) -> Any:
    """A raw nats-py client as ``principal`` (tests: the devkit, with every right)."""
    return await nats.connect(url, **connection_options(principal, seed_file(principal)), **options)


# A random signing secret for the gateways tests start (the gateway refuses weak ones).
JWT_SECRET = secrets.token_urlsafe(48)


async def set_fields(collection: Any, doc_id: Any, fields: dict[str, Any]) -> None:
    """Test set-up that writes a service's document directly, under the document's lock, as
    its own writers do: the service may still be clearing the document's outbox just after
    a reply, and FerretDB v1 would let one of two concurrent updates undo the other."""
    from huddle_shared.storage.locks import document_locks

    async with document_locks.hold((collection.database.name, collection.name, doc_id)):
        await collection.update_one({"_id": doc_id}, {"$set": fields})


async def eventually(
    check: Callable[[], Awaitable[Any]], *, timeout: float = 10.0, interval: float = 0.05
) -> Any:
    """Poll ``check`` until it returns something truthy; fail with its last value."""
    deadline = time.monotonic() + timeout
    last: Any = None
    while time.monotonic() < deadline:
        last = await check()
        if last:
            return last
        await asyncio.sleep(interval)
    raise AssertionError(f"condition not met within {timeout}s (last value: {last!r})")


@contextlib.asynccontextmanager
async def started(runtime: ServiceRuntime) -> AsyncIterator[ServiceRuntime]:
    await runtime.start()
    try:
        yield runtime
    finally:
        await runtime.stop()


@contextlib.asynccontextmanager
async def services(
    settings_for: Callable[[str], ServiceSettings], *names: str
) -> AsyncIterator[dict[str, ServiceRuntime]]:
    """Start the named services in this process, each with its own database."""
    from importlib import import_module

    runtimes: dict[str, ServiceRuntime] = {}
    async with contextlib.AsyncExitStack() as stack:
        for name in names:
            bootstrap = import_module(f"huddle_{name}.bootstrap").bootstrap
            runtimes[name] = await stack.enter_async_context(started(bootstrap(settings_for(name))))
        yield runtimes


@contextlib.asynccontextmanager
async def gateway_server(**settings: Any) -> AsyncIterator[str]:
    """The gateway served by uvicorn on a free port in this event loop; yields its URL."""
    import uvicorn
    from huddle_devkit.servers import free_port
    from huddle_gateway.app import create_app
    from huddle_gateway.server import server_config
    from huddle_gateway.settings import GatewaySettings

    settings.setdefault("HUDDLE_INSTANCE_ID", TEST_INSTANCE)
    settings.setdefault("HUDDLE_CALLER_SIGNING_KEY_FILE", caller_keys().private_key)
    settings.setdefault("NATS_NKEY_SEED_FILE", seed_file("gateway"))
    gateway_settings = GatewaySettings(
        GATEWAY_HOST="127.0.0.1", GATEWAY_PORT=free_port(), **settings
    )
    server = uvicorn.Server(server_config(create_app(gateway_settings), gateway_settings))
    port = gateway_settings.port
    task = asyncio.create_task(server.serve())
    try:
        await eventually(lambda: _started(server), timeout=10)
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await task


async def _started(server: Any) -> bool:
    return bool(server.started)


def start_make_run(root: Path, ports: dict[str, str]) -> "subprocess.Popen[str]":
    """``make run``'s launcher (``python -m huddle_devkit run``) with ``root/var`` as its
    state and ``ports`` (``HUDDLE_NATS_PORT``, ``HUDDLE_NATS_MONITOR_PORT``,
    ``HUDDLE_FERRETDB_PORT``, ``GATEWAY_PORT``), starting its own servers; in its own
    process group, so a Ctrl-C (``os.killpg(pid, SIGINT)``) reaches it as in a terminal."""
    env = {
        **os.environ,
        **ports,
        "HUDDLE_ROOT": str(root),
        "FERRETDB_BIN": str(ferretdb_binary()),
        "HUDDLE_RUN_STARTED_AT": repr(time.time()),
    }
    for given in ("NATS_URL", "MONGODB_URL", "HUDDLE_NATS_CREDENTIALS"):
        env.pop(given, None)
    return subprocess.Popen(
        [sys.executable, "-m", "huddle_devkit", "run"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
