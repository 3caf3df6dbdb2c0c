import asyncio

import pytest
from huddle_shared.storage.locks import KeyedLocks

pytestmark = pytest.mark.unit


async def test_holders_of_one_key_take_turns_and_other_keys_do_not_wait() -> None:
    locks, order = KeyedLocks(), []

    async def work(key: str, name: str) -> None:
        async with locks.hold(key):
            order.append(f"{name} in")
            await asyncio.sleep(0.01)
            order.append(f"{name} out")

    await asyncio.gather(work("a", "first"), work("a", "second"), work("b", "other"))
    assert order.index("first out") < order.index("second in")
    assert order.index("other in") < order.index("first out")
    assert locks._entries == {}  # nothing kept once unused


async def test_the_holder_may_take_its_lock_again() -> None:
    locks = KeyedLocks()
    async with locks.hold("a"), locks.hold("a"):
        pass
    assert locks._entries == {}
