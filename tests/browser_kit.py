"""The browser-test kit: the whole system as ``make run`` starts it, Chromium driven by
Playwright, axe-core's accessibility check, keyboard-only steps and the acronym check.

Used by the journeys in tests/browser/ (through its conftest.py) and by ``make screenshots``
(tests/screenshots.py). Playwright drives Debian's Chromium (``make browser`` installs it);
Playwright's own browser download is never used.
"""

import contextlib
import os
import re
import shutil
import signal
import subprocess
import threading
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from huddle_devkit import demo
from huddle_devkit.servers import free_port
from playwright.async_api import Browser, ConsoleMessage, Locator, Page, Playwright, expect
from support import start_make_run

ROOT = Path(__file__).resolve().parent.parent
AXE_SCRIPT = ROOT / "node_modules" / "axe-core" / "axe.min.js"
# Served to the page from its own origin (see ``axe``), so the page's policy allows it.
AXE_PATH = "/__browser-tests__/axe.min.js"
INSTALL_HINT = (
    "Chromium is not installed: the browser tests need Debian's Chromium. Run `make browser` "
    "as root (it runs `apt-get install chromium`), or install the `chromium` package yourself; "
    "HUDDLE_CHROMIUM can name another Chromium binary."
)
DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 375, "height": 740}
# What ``make run``'s announcer prints once the demo data is in.
RUNNING = re.compile(r"Huddle is running at (http://\S+)")


# The ``open_page`` fixture: ``await open_page()`` is a page for one more person.
OpenPage = Callable[..., Awaitable[Page]]


class KitError(Exception):
    """The kit cannot run: what is missing, and how to get it."""


def chromium() -> str:
    """Debian's Chromium (or its headless shell), or a KitError saying how to install it."""
    found = (
        os.environ.get("HUDDLE_CHROMIUM")
        or shutil.which("chromium")
        or shutil.which("chromium-headless-shell")
    )
    if not found:
        raise KitError(INSTALL_HINT)
    return found


def axe_source() -> str:
    if not AXE_SCRIPT.exists():
        raise KitError(f"{AXE_SCRIPT} is missing: run `make assets` (npm ci installs axe-core)")
    return AXE_SCRIPT.read_text("utf-8")


async def launch(playwright: Playwright) -> Browser:
    return await playwright.chromium.launch(
        executable_path=chromium(), headless=True, args=["--disable-gpu", "--no-sandbox"]
    )


# --- The system ----------------------------------------------------------------------------


@dataclass
class Huddle:
    """``make run`` on free ports with its own state: every service, the gateway, the demo."""

    url: str
    admin_email: str = demo.DEMO_ADMIN_EMAIL
    admin_password: str = demo.DEMO_ADMIN_PASSWORD
    password: str = demo.DEMO_PASSWORD  # every demo member's
    lines: list[str] = field(default_factory=list)


@contextlib.contextmanager
def running_huddle(root: Path, timeout: float = 540.0) -> Iterator[Huddle]:
    """Start ``make run``'s launcher under ``root`` and wait until the demo data is loaded."""
    ports = {
        name: str(free_port())
        for name in (
            "HUDDLE_NATS_PORT",
            "HUDDLE_NATS_MONITOR_PORT",
            "HUDDLE_FERRETDB_PORT",
            "GATEWAY_PORT",
        )
    }
    process = start_make_run(root, ports)
    assert process.stdout is not None
    stdout = process.stdout
    lines: list[str] = []
    found = threading.Event()
    url: list[str] = []

    def read() -> None:  # the launcher prints until it stops; keep reading so it never blocks
        for line in stdout:
            lines.append(line.rstrip("\n"))
            if match := RUNNING.search(line):
                url.append(match.group(1))
                found.set()
        found.set()

    threading.Thread(target=read, daemon=True).start()
    try:
        if not found.wait(timeout) or not url:
            raise KitError("make run did not start:\n" + "\n".join(lines[-60:]))
        yield Huddle(url=url[0], lines=lines)
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGINT)  # Ctrl-C, as a person stops it
        try:
            process.wait(30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


# --- Watching a page -----------------------------------------------------------------------


@dataclass
class Watched:
    """What a page told its console: Content-Security-Policy refusals and script errors."""

    console: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    def policy_violations(self) -> list[str]:
        return [line for line in self.console if "Content Security Policy" in line]


async def watch(page: Page) -> Watched:
    """Record the page's console and uncaught errors; serve axe-core from the page's origin."""
    watched = Watched()

    def on_console(message: ConsoleMessage) -> None:
        watched.console.append(f"{message.type}: {message.text}")

    page.on("console", on_console)
    page.on("pageerror", lambda error: watched.errors.append(str(error)))
    source = axe_source()
    await page.route(
        f"**{AXE_PATH}",
        lambda route: route.fulfill(body=source, content_type="text/javascript"),
    )
    return watched


# --- Accessibility -------------------------------------------------------------------------

BLOCKING_IMPACTS = ("serious", "critical")


class AccessibilityViolations(AssertionError):
    pass


def describe_violations(violations: list[dict[str, Any]]) -> str:
    lines = []
    for violation in violations:
        lines.append(f"[{violation['impact']}] {violation['id']}: {violation['help']}")
        for node in violation["nodes"][:5]:
            lines.append(f"    at {', '.join(map(str, node['target']))}: {node['html'][:160]}")
    return "\n".join(lines)


async def axe_violations(page: Page) -> list[dict[str, Any]]:
    """axe-core's violations on the page as it is now (every rule axe runs by default).

    The script is loaded by a ``<script src>`` from the page's own origin (``watch`` routes
    that address), so the page's Content-Security-Policy needs no exception for it."""
    if not await page.evaluate("() => typeof window.axe !== 'undefined'"):
        await page.add_script_tag(url=AXE_PATH)
    result: dict[str, Any] = await page.evaluate(
        "() => axe.run(document, {resultTypes: ['violations']})"
    )
    return list(result["violations"])


async def axe(page: Page, known: frozenset[str] = frozenset()) -> list[dict[str, Any]]:
    """Fail on any serious or critical violation axe-core finds; return the lesser ones.

    ``known``: rules a page we do not write breaks (Swagger UI's), named where it is used."""
    violations = await axe_violations(page)
    blocking = [v for v in violations if v["impact"] in BLOCKING_IMPACTS and v["id"] not in known]
    if blocking:
        raise AccessibilityViolations(
            f"axe-core: {len(blocking)} serious or critical violation(s) on {page.url}:\n"
            + describe_violations(blocking)
        )
    return [v for v in violations if v["impact"] not in BLOCKING_IMPACTS]


# --- Acronyms ------------------------------------------------------------------------------

# Two or more capitals as a word of its own: "NHS", "ICB", "PSIRF", "PSPs". A code with
# digits in it ("RQ3", an organisation's code as an example) is not an acronym.
ACRONYM = re.compile(r"\b[A-Z]{2,}s?\b")
# Text the page shows from the people who use it (organisation names, a network's glossary,
# email addresses), not the interface's own words: marked up as <abbr title="…"> with its
# meaning, or quoted in an element with data-user-content. Everything else is checked.
VISIBLE_TEXT = """() => {
  const skip = (node) => node.closest('abbr[title], [data-user-content], code, pre');
  const parts = [document.title];
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    const parent = node.parentElement;
    if (!parent || skip(parent)) continue;
    if (!parent.checkVisibility({visibilityProperty: true, opacityProperty: false})) continue;
    parts.push(node.textContent);
  }
  for (const el of document.querySelectorAll('[aria-label], [title], [alt], [placeholder]')) {
    if (skip(el)) continue;
    for (const name of ['aria-label', 'alt', 'placeholder']) {
      if (el.hasAttribute(name)) parts.push(el.getAttribute(name));
    }
  }
  return parts.join('\\n');
}"""
EMAIL = re.compile(r"\S+@\S+")
MARKUP_AS_TEXT = re.compile(r"</?(p|strong|span|a|div|b|em|br)\b[^>]*>")


def acronyms_in(text: str, allowed: frozenset[str] | set[str]) -> set[str]:
    """The acronyms ``text`` has that ``allowed`` does not (email addresses aside)."""
    found = set(ACRONYM.findall(EMAIL.sub(" ", text)))
    return {word for word in found if word not in allowed and word.rstrip("s") not in allowed}


async def visible_text(page: Page) -> str:
    return str(await page.evaluate(VISIBLE_TEXT))


def allowed_acronyms() -> frozenset[str]:
    from huddle_gateway.web.words import ALLOWED_ACRONYMS

    return frozenset(ALLOWED_ACRONYMS)


async def acronyms_on(page: Page, allowed: frozenset[str] | None = None) -> set[str]:
    """The acronyms on the page the allow-list (``huddle_gateway.web.words``) lacks."""
    return acronyms_in(await visible_text(page), allowed or allowed_acronyms())


# --- Reflow (400% zoom, a phone) -----------------------------------------------------------

# WCAG 2.2's reflow criterion: at 320 CSS pixels nothing may need scrolling sideways, and
# nothing may be cut off instead. The document's own width misses the second: a box with
# overflow hidden, or a table wider than the wrapper that clips it, hides what it cuts. So
# every visible element is measured: its right edge past the viewport's, or (where its
# overflow is hidden or clipped) its content wider than its box. Visually hidden elements
# (the skip link, captions for screen readers: 1-pixel boxes, clipped) are not seen, so
# not measured; what scrolls inside its own scrolling box (a table in NHS.UK's scroll
# component) is measured by that box. Only the outermost element past the edge is named:
# its descendants are past it because it is.
REFLOW = """() => {
  const viewport = document.documentElement.clientWidth;
  const found = [];
  const hidden = (el, style, box) => style.clipPath !== 'none'
    || (style.clip && style.clip !== 'auto')
    || (box.width <= 1 && box.height <= 1 && style.overflow !== 'visible')
    || !el.checkVisibility({visibilityProperty: true});
  const name = (el) => {
    const classes = Array.from(el.classList).slice(0, 3).map((c) => '.' + c).join('');
    const id = el.id ? '#' + el.id : '';
    const text = (el.innerText || el.getAttribute('aria-label') || '').replace(/\\s+/g, ' ')
      .trim().slice(0, 60);
    return `<${el.tagName.toLowerCase()}${id}${classes}> "${text}"`;
  };
  const visit = (el, parentPast) => {
    const style = getComputedStyle(el);
    const box = el.getBoundingClientRect();
    if (hidden(el, style, box)) return;
    const past = box.width > 0 && box.right > viewport + 1;
    if (past && !parentPast) {
      found.push(`${name(el)} reaches ${Math.round(box.right)}px, past the viewport's ${viewport}px`);
    }
    const clipping = ['hidden', 'clip'].includes(style.overflowX);
    if (clipping && el.scrollWidth > el.clientWidth + 1) {
      found.push(`${name(el)} cuts off its content: ${el.scrollWidth}px in a ${el.clientWidth}px box`);
    }
    if (['auto', 'scroll'].includes(style.overflowX)) return;  // scrolls within itself
    for (const child of el.children) visit(child, parentPast || past);
  };
  if (document.documentElement.scrollWidth > viewport + 1) {
    found.push(`the page is ${document.documentElement.scrollWidth}px wide in a ${viewport}px viewport`);
  }
  visit(document.body, false);
  return found;
}"""


async def reflow_faults(page: Page) -> list[str]:
    """What on the page needs scrolling sideways or is cut off at its width (none: [])."""
    return list(await page.evaluate(REFLOW))


# --- Keyboard only -------------------------------------------------------------------------

FOCUSED = """() => {
  const el = document.activeElement;
  if (!el || el === document.body) return null;
  const labels = el.labels ? Array.from(el.labels).map((l) => l.innerText) : [];
  return {
    tag: el.tagName.toLowerCase(),
    type: el.getAttribute('type') || '',
    name: el.getAttribute('name') || '',
    text: (el.innerText || el.value || '').trim(),
    label: (labels.join(' ') || el.getAttribute('aria-label') || '').trim(),
    href: el.getAttribute('href') || '',
  };
}"""
# The focus is visible: NHS.UK's focus style is a yellow background and a thick underline
# (box-shadow) or an outline; the browser's default is an outline.
FOCUS_VISIBLE = """() => {
  const el = document.activeElement;
  const style = getComputedStyle(el);
  return (style.outlineStyle !== 'none' && parseFloat(style.outlineWidth) > 0)
    || style.boxShadow !== 'none';
}"""


class Keyboard:
    """Moves through a page with Tab, Shift+Tab, Enter and Space only, as a person using the
    keyboard does: finds each control by what it says, checks its focus can be seen."""

    def __init__(self, page: Page, max_tabs: int = 80) -> None:
        self.page = page
        self.max_tabs = max_tabs
        self.presses = 0

    async def focused(self) -> dict[str, str] | None:
        return await self.page.evaluate(FOCUSED)

    async def tab_to(self, wanted: str, *, backwards: bool = False) -> dict[str, str]:
        """Press Tab until the focused control's text, label or name contains ``wanted``."""
        seen: list[str] = []
        key = "Shift+Tab" if backwards else "Tab"
        for _ in range(self.max_tabs):
            await self.page.keyboard.press(key)
            self.presses += 1
            focused = await self.focused()
            if focused is None:
                continue
            described = " | ".join(
                value for value in (focused["text"], focused["label"], focused["name"]) if value
            )
            seen.append(f"{focused['tag']}: {described}")
            if wanted.lower() in described.lower():
                if not await self.page.evaluate(FOCUS_VISIBLE):
                    raise AssertionError(f"the focus on {described!r} cannot be seen")
                return focused
        raise AssertionError(
            f"Tab never reached {wanted!r} on {self.page.url}; focus went through:\n  "
            + "\n  ".join(seen)
        )

    async def activate(self, wanted: str) -> None:
        """Tab to a link or button and press Enter; wait for the page it leads to."""
        await self.tab_to(wanted)
        async with self.page.expect_navigation():
            await self.page.keyboard.press("Enter")

    async def fill(self, label: str, text: str) -> None:
        """Tab to the field labelled ``label`` and type ``text``."""
        await self.tab_to(label)
        await self.page.keyboard.type(text)

    async def check(self, label: str) -> None:
        """Tab to a checkbox or radio button and press Space."""
        await self.tab_to(label)
        await self.page.keyboard.press("Space")


async def start_at_top(page: Page) -> None:
    """Put the focus back at the start of the document, as a fresh page load leaves it."""
    await page.evaluate("() => { document.activeElement && document.activeElement.blur(); }")
    await page.evaluate("() => window.scrollTo(0, 0)")


@contextlib.asynccontextmanager
async def new_page(browser: Browser, viewport: dict[str, int] | None = None) -> AsyncIterator[Page]:
    """A page in a context of its own (its own cookies: one person)."""
    context = await browser.new_context(viewport=viewport or DESKTOP)  # type: ignore[arg-type]
    try:
        yield await context.new_page()
    finally:
        await context.close()


def national_member_email() -> str:
    """A demo member of the national network (password: ``Huddle.password``)."""
    _, members = demo.scaled(1)
    return demo.network_plan(members).joins[demo.NATIONAL_SLUG][0].email


def unique_email(prefix: str) -> str:
    return f"{prefix}-{time.time_ns()}@journeys.example.org"


async def follow(page: Page, target: Locator) -> None:
    """Click a link or a form's button and wait for the page it leads to."""
    async with page.expect_navigation():
        await target.click()


TITLE = re.compile(r"^.+ - Huddle$")


async def check_page(page: Page) -> None:
    """What every page a journey visits must pass: a title that says where you are, no
    serious or critical axe-core violation, and no acronym outside the allow-list."""
    await page.wait_for_load_state()
    # Waits (up to the page's timeout) rather than reads once: on a busy machine a click's
    # navigation can still be under way, titled by the browser, when the load state is met.
    await expect(page, f"{page.url}: a title saying where you are").to_have_title(TITLE)
    title = await page.title()
    await axe(page)
    text = await visible_text(page)
    # Markup escaped twice shows as text ("<strong>"): the page reads wrong.
    assert not MARKUP_AS_TEXT.search(text), f"markup shown as text on {page.url}: {text!r}"
    found = acronyms_in(text, allowed_acronyms())
    assert not found, f"acronyms on {page.url} ({title}): {sorted(found)}"


async def sign_in(page: Page, email: str, password: str, next_path: str = "") -> None:
    """Through the sign-in page, as a person does it."""
    await page.goto("/sign-in" + (f"?next={next_path}" if next_path else ""))
    await page.get_by_label("Email address").fill(email)
    await page.get_by_label("Password", exact=True).fill(password)
    await follow(page, page.get_by_role("button", name="Sign in", exact=True))


async def register_by_api(url: str, email: str, password: str, name: str, member_type: str) -> None:
    """Set-up for a journey that is not about signing up: an account made over the API."""
    import httpx

    async with httpx.AsyncClient(base_url=url, timeout=30) as client:
        found = await client.get("/api/v1/organisations", params={"name_prefix": "Leeds"})
        found.raise_for_status()
        organisation_id = found.json()["items"][0]["id"]
        account = {
            "email": email,
            "password": password,
            "display_name": name,
            "organisation_id": organisation_id,
            "member_type": member_type,
        }
        (await client.post("/api/v1/accounts", json=account)).raise_for_status()
