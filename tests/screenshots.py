"""``make screenshots``: PNGs of the web app's main pages at desktop and phone widths.

Starts the whole system as ``make run`` does, on free ports with its own state and the demo
data, signs in as people of the demo, and writes ``<page>-desktop.png`` and
``<page>-phone.png`` into the folder given (docs/screenshots/).
"""

import asyncio
import sys
import tempfile
from pathlib import Path
from urllib.parse import urlsplit

from browser_kit import (
    DESKTOP,
    PHONE,
    Huddle,
    launch,
    national_member_email,
    running_huddle,
    sign_in,
)
from huddle_devkit import demo
from playwright.async_api import Browser, async_playwright

# (file name, path, who looks: None for an anonymous visitor, "member" or "admin")
PAGES: list[tuple[str, str, str | None]] = [
    ("home", "/", None),
    ("sign-in", "/sign-in", None),
    ("create-account", "/create-account", None),
    ("networks", "/networks", "member"),
    ("network", f"/networks/{demo.NATIONAL_SLUG}", "member"),
    ("profile", "/me", "member"),
    ("sessions", "/sessions", "member"),
    ("network-sessions", f"/networks/{demo.NATIONAL_SLUG}/sessions", "member"),
    ("session", "{weekly}", "member"),
    ("new-session", f"/networks/{demo.NATIONAL_SLUG}/sessions/new", "admin"),
    ("network-admin", f"/networks/{demo.APPROVAL_SPIN_OFF}/admin", "admin"),
    ("admin", "/admin", "admin"),
]
WIDTHS = {"desktop": DESKTOP, "phone": PHONE}
TALLEST = 2600


async def weekly_page(url: str) -> str:
    """The next Friday's session page (the demo's ids are made at load; the national
    network is open, so its sessions are listed to anyone)."""
    from datetime import UTC, datetime

    import httpx

    async with httpx.AsyncClient(base_url=url, timeout=30) as client:
        listed = await client.get(f"/api/v1/networks/{demo.NATIONAL_SLUG}/sessions")
        listed.raise_for_status()
    item = next(i for i in listed.json()["items"] if i["title"] == demo.WEEKLY_TITLE)
    moment = datetime.fromisoformat(item["occurrence_start"]).astimezone(UTC)
    return f"/sessions/{item['id']}?occurrence={moment:%Y-%m-%dT%H:%M:%SZ}"


async def take(browser: Browser, huddle: Huddle, folder: Path) -> list[Path]:
    found = {"weekly": await weekly_page(huddle.url)}
    people = {
        "member": (national_member_email(), huddle.password),
        "admin": (huddle.admin_email, huddle.admin_password),
    }
    written: list[Path] = []
    for width, viewport in WIDTHS.items():
        for who in (None, "member", "admin"):
            context = await browser.new_context(base_url=huddle.url, viewport=viewport)  # type: ignore[arg-type]
            page = await context.new_page()
            if who is not None:
                await sign_in(page, *people[who])
            for name, path, viewer in PAGES:
                if viewer != who:
                    continue
                path = path.format(**found)
                response = await page.goto(path)
                status = response.status if response else 0
                if urlsplit(page.url).path != urlsplit(path).path or status >= 400:
                    raise SystemExit(f"{path} answered {status} at {page.url}: no screenshot")
                target = folder / f"{name}-{width}.png"
                # The whole page, down to at most TALLEST pixels (a long roster is cut).
                height = min(await page.evaluate("document.body.scrollHeight"), TALLEST)
                clip = {"x": 0, "y": 0, "width": viewport["width"], "height": height}
                await page.screenshot(path=str(target), full_page=True, clip=clip)  # type: ignore[arg-type]
                written.append(target)
                print(f"{target} ({path}, {status})", flush=True)
            await context.close()
    return written


async def main(folder: Path) -> None:
    with (
        tempfile.TemporaryDirectory(prefix="huddle-screenshots-") as root,
        running_huddle(Path(root)) as huddle,
    ):
        async with async_playwright() as playwright:
            browser = await launch(playwright)
            try:
                await take(browser, huddle, folder)
            finally:
                await browser.close()


if __name__ == "__main__":
    target = Path(sys.argv[1] if len(sys.argv) > 1 else "docs/screenshots")
    target.mkdir(parents=True, exist_ok=True)
    asyncio.run(main(target))
