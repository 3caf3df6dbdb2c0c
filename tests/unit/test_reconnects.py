import asyncio

import pytest
from huddle_shared.messaging import reconnects

pytestmark = pytest.mark.unit


class Connection:
    """What the watch reads of a nats-py connection."""

    def __init__(self) -> None:
        self.stats = {"reconnects": 0}
        self.is_closed = False


async def test_each_reconnect_rebuilds_once_and_a_failed_rebuild_does_not_end_the_watch(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(reconnects, "RECONNECT_CHECK_SECONDS", 0.01)
    connection = Connection()
    calls: list[int] = []

    async def rebuild() -> None:
        calls.append(connection.stats["reconnects"])
        if len(calls) == 1:
            raise RuntimeError("the store is down too")

    task = reconnects.on_reconnect(connection, rebuild, name="a test model")
    await asyncio.sleep(0.05)
    assert calls == []
    for reconnect in (1, 2):
        connection.stats["reconnects"] = reconnect
        await asyncio.sleep(0.05)
    assert calls == [1, 2]
    connection.is_closed = True
    await asyncio.wait_for(task, 1)
