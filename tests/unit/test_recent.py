"""The gateway's short-lived values: one refresh at a time, never older than max_age."""

import asyncio

import pytest
from huddle_gateway.recent import MAX_AGE_SECONDS, Recent
from huddle_gateway.routes.directory import none_match


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


async def test_many_waiting_requests_share_one_refresh() -> None:
    calls = 0
    release = asyncio.Event()

    async def fetch() -> int:
        nonlocal calls
        calls += 1
        await release.wait()
        return calls

    recent = Recent(fetch, 1.0)
    waiting = [asyncio.create_task(recent.get()) for _ in range(50)]
    await asyncio.sleep(0)
    release.set()
    assert await asyncio.gather(*waiting) == [1] * 50
    assert calls == 1


async def test_a_value_is_kept_no_longer_than_max_age() -> None:
    clock, calls = Clock(), 0

    async def fetch() -> int:
        nonlocal calls
        calls += 1
        return calls

    recent = Recent(fetch, 0.5, clock=clock)
    assert await recent.get() == 1
    clock.now += 0.49
    assert await recent.get() == 1
    clock.now += 0.02
    assert await recent.get() == 2


async def test_a_failure_is_not_kept() -> None:
    outcomes: list[Exception | int] = [RuntimeError("down"), 7]

    async def fetch() -> int:
        outcome = outcomes.pop(0)
        if isinstance(outcome, Exception):
            raise outcome
        return outcome

    recent = Recent(fetch, 1.0)
    with pytest.raises(RuntimeError):
        await recent.get()
    assert await recent.get() == 7


async def test_a_value_keep_refuses_is_asked_again() -> None:
    answers = ["not ready", "ready", "never asked"]

    async def fetch() -> str:
        return answers.pop(0)

    recent = Recent(fetch, 1.0, keep=lambda value: value == "ready")
    assert await recent.get() == "not ready"
    assert await recent.get() == "ready"
    assert await recent.get() == "ready"


async def test_a_client_that_goes_away_does_not_cancel_the_refresh_for_others() -> None:
    release = asyncio.Event()

    async def fetch() -> str:
        await release.wait()
        return "figures"

    recent = Recent(fetch, 1.0)
    leaving = asyncio.create_task(recent.get())
    staying = asyncio.create_task(recent.get())
    await asyncio.sleep(0)
    leaving.cancel()
    release.set()
    assert await staying == "figures"


def test_nothing_is_kept_longer_than_a_second() -> None:
    async def fetch() -> int:
        return 1

    with pytest.raises(ValueError, match="max_age"):
        Recent(fetch, MAX_AGE_SECONDS + 0.1)


@pytest.mark.parametrize(
    ("header", "modified"),
    [
        (None, True),
        ('"abc"', False),
        ('W/"abc"', False),
        ('"x", "abc"', False),
        ("*", False),
        ('"abd"', True),
        ("abc", True),  # not a quoted entity tag
    ],
)
def test_if_none_match(header: str | None, modified: bool) -> None:
    assert none_match(header, '"abc"') is modified
