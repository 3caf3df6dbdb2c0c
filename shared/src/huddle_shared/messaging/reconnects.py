"""Noticing NATS reconnects on a connection someone else opened (FastStream's), for core
subscriptions: a core subscription misses whatever was published while the connection was
down, so whoever keeps state from one must rebuild it after a reconnect.

nats-py reports reconnects only through a callback given at connect time; the broker owns
that, so this watches the connection's reconnect count instead.
"""

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Any

log = logging.getLogger(__name__)

RECONNECT_CHECK_SECONDS = 1.0

_watches: set[asyncio.Task[None]] = set()


def on_reconnect(
    connection: Any, rebuild: Callable[[], Awaitable[None]], *, name: str
) -> asyncio.Task[None]:
    """Call ``rebuild`` after each reconnect of ``connection`` until it closes. The task is
    kept alive here; a failing rebuild is logged and the watch goes on."""

    async def watch() -> None:
        seen = connection.stats["reconnects"]
        while not connection.is_closed:
            await asyncio.sleep(RECONNECT_CHECK_SECONDS)
            if connection.stats["reconnects"] != seen:
                seen = connection.stats["reconnects"]
                log.info("NATS reconnected: rebuilding %s", name)
                try:
                    await rebuild()
                except Exception:
                    log.warning("rebuilding %s after a reconnect failed", name, exc_info=True)

    task = asyncio.create_task(watch(), name=f"{name}-reconnects")
    _watches.add(task)
    task.add_done_callback(_watches.discard)
    return task
