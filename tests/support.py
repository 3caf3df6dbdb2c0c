"""Helpers shared by tests: running services in-process, waiting for conditions."""

import asyncio
import contextlib
import secrets
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

from huddle_shared.config import ServiceSettings
from huddle_shared.runtime import ServiceRuntime

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
    from huddle_gateway.settings import GatewaySettings

    port = free_port()
    app = create_app(GatewaySettings(GATEWAY_PORT=port, **settings))
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_config=None, lifespan="on")
    )
    task = asyncio.create_task(server.serve())
    try:
        await eventually(lambda: _started(server), timeout=10)
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await task


async def _started(server: Any) -> bool:
    return bool(server.started)
