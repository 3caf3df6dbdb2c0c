"""Fixtures for the browser layer: one whole system for the session (``make run`` on free
ports, with the demo data), one Chromium, and a fresh page (a person of its own) per use.

Without Chromium these tests fail, saying how to install it: they are never skipped."""

from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from browser_kit import (
    DESKTOP,
    Huddle,
    KitError,
    OpenPage,
    Watched,
    chromium,
    launch,
    running_huddle,
    watch,
)
from playwright.async_api import Browser, Page, Playwright, async_playwright

HERE = Path(__file__).parent
# Starting the system and loading the demo data take a minute or two on a busy machine;
# pytest-timeout counts a session fixture's set-up into the first test that needs it.
TIMEOUT_SECONDS = 600


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if HERE in Path(item.path).parents:
            item.add_marker(pytest.mark.browser)
            item.add_marker(pytest.mark.timeout(TIMEOUT_SECONDS))


@pytest.fixture(scope="session")
def chromium_binary() -> str:
    try:
        return chromium()
    except KitError as missing:
        message = str(missing)
    pytest.fail(message, pytrace=False)


@pytest.fixture(scope="session")
def huddle(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Huddle]:
    try:
        with running_huddle(tmp_path_factory.mktemp("huddle")) as system:
            yield system
    except KitError as failed:
        pytest.fail(str(failed), pytrace=False)


@pytest.fixture(scope="session")
async def playwright() -> AsyncIterator[Playwright]:
    async with async_playwright() as driver:
        yield driver


@pytest.fixture(scope="session")
async def browser(chromium_binary: str, playwright: Playwright) -> AsyncIterator[Browser]:
    launched = await launch(playwright)
    yield launched
    await launched.close()


@pytest.fixture
async def open_page(browser: Browser, huddle: Huddle) -> AsyncIterator[OpenPage]:
    """``await open_page()``: a page for one more person (its own cookies), at the system's
    address. Each fails the test at the end if the browser refused anything under the
    page's Content-Security-Policy or a script threw."""
    contexts = []
    watched: list[tuple[Page, Watched]] = []

    async def opened(viewport: dict[str, int] | None = None) -> Page:
        context = await browser.new_context(
            base_url=huddle.url,
            viewport=viewport or DESKTOP,  # type: ignore[arg-type]
            accept_downloads=True,
        )
        contexts.append(context)
        page = await context.new_page()
        page.set_default_timeout(15_000)
        watched.append((page, await watch(page)))
        return page

    yield opened
    problems = []
    for page, seen in watched:
        problems += [f"{page.url}: {line}" for line in seen.policy_violations()]
        problems += [f"{page.url}: script error: {error}" for error in seen.errors]
    for context in contexts:
        await context.close()
    assert not problems, "the browser reported:\n" + "\n".join(problems)


@pytest.fixture
async def page(open_page: OpenPage) -> Page:
    return await open_page()
