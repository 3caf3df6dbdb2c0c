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

# (file name, path, who looks: None for an anonymous visitor, "member", "note_taker",
# "facilitator" or "admin")
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
    ("library", f"/networks/{demo.NATIONAL_SLUG}/notes", "member"),
    ("note-editor", "{draft}", "note_taker"),
    ("review-queue", "/notes/review", "facilitator"),
    ("network-admin", f"/networks/{demo.APPROVAL_SPIN_OFF}/admin", "admin"),
    ("admin", "/admin", "admin"),
    (
        "find-support",
        "/support?area=region:north_west&audience=families_and_carers",
        "member",
    ),
    ("support-print", "{support}/print", "member"),
    ("people-who-know", "/people-who-know?topic=psychological+support&region=north_west", "member"),
    ("ask-for-signposting", "/ask-for-signposting", "member"),
    ("support-suggestions", "/support/suggestions", "admin"),
    ("curators", "/admin/curators", "admin"),
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


async def draft_editor(url: str, email: str, password: str) -> str:
    """The editor of the demo's draft in progress (its findings marked), as its note-taker."""
    import httpx

    async with httpx.AsyncClient(base_url=url, timeout=30) as client:
        token = await client.post("/api/v1/auth/token", json={"email": email, "password": password})
        token.raise_for_status()
        headers = {"Authorization": f"Bearer {token.json()['access_token']}"}
        drafts = await client.get(
            f"/api/v1/networks/{demo.NATIONAL_SLUG}/notes",
            params={"state": "draft"},
            headers=headers,
        )
        drafts.raise_for_status()
    return f"/notes/{drafts.json()['items'][0]['id']}/edit"


async def support_page(url: str, email: str, password: str) -> str:
    """The first entry a family in the North West finds (ids are made at load)."""
    import httpx

    async with httpx.AsyncClient(base_url=url, timeout=30) as client:
        signed_in = await client.post(
            "/api/v1/auth/token", json={"email": email, "password": password}
        )
        signed_in.raise_for_status()
        headers = {"Authorization": f"Bearer {signed_in.json()['access_token']}"}
        query = {"area": "region:north_west", "audience": "families_and_carers", "per_page": 1}
        found = await client.get("/api/v1/signposting/services", params=query, headers=headers)
        found.raise_for_status()
    return f"/support/services/{found.json()['items'][0]['id']}"


async def take(browser: Browser, huddle: Huddle, folder: Path) -> list[Path]:
    _, members = demo.scaled(1)
    note_taker, facilitator = demo.note_people(members)
    found = {
        "weekly": await weekly_page(huddle.url),
        "draft": await draft_editor(huddle.url, note_taker.email, huddle.password),
        "support": await support_page(huddle.url, national_member_email(), huddle.password),
    }
    people = {
        "member": (national_member_email(), huddle.password),
        "note_taker": (note_taker.email, huddle.password),
        "facilitator": (facilitator.email, huddle.password),
        "admin": (huddle.admin_email, huddle.admin_password),
    }
    written: list[Path] = []
    for width, viewport in WIDTHS.items():
        for who in (None, *people):
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
