"""The kit's own checks catch what they are for, on a page made to break each of them
(served from a made-up origin by the browser itself; no system needed)."""

import pytest
from browser_kit import (
    AccessibilityViolations,
    Keyboard,
    acronyms_in,
    acronyms_on,
    axe,
    reflow_faults,
    watch,
)
from playwright.async_api import Browser, Page

ORIGIN = "http://kit-check.invalid"
POLICY = "default-src 'self'; script-src 'self'; style-src 'self'"
BAD_PAGE = """<!DOCTYPE html><html lang="en"><head><title>A bad page</title></head><body>
<main><h1>Report to the ICB</h1>
<p>Under PSIRF, <abbr title="Patient Safety Partners">PSPs</abbr> and NHS staff
<span data-user-content>(quoted: HSSIB)</span> meet.</p>
<form><input type="text" name="unlabelled"><button type="submit">Send</button></form>
<img src="/x.png">
<script>document.title = 'inline scripts are refused';</script>
</main></body></html>"""
GOOD_PAGE = """<!DOCTYPE html><html lang="en"><head><title>A good page</title></head><body>
<main><h1>Sign in</h1><form>
<label for="email">Email address</label><input id="email" name="email" type="email">
<button type="submit">Sign in</button></form></main></body></html>"""


# At 320 pixels: a table pushed wide by an address that cannot wrap, and a box that hides
# what does not fit; beside them what may stay (a visually hidden caption, a skip link, a
# table scrolling inside its own box).
NARROW = {"width": 320, "height": 640}
INLINE_STYLES = "default-src 'self'; style-src 'unsafe-inline'"  # these pages' own styles
HIDDEN = (
    "position:absolute;width:1px;height:1px;overflow:hidden;clip:rect(0 0 0 0);"
    "clip-path:inset(50%);white-space:nowrap"
)
REFLOWING = f"""<!DOCTYPE html><html lang="en"><head><title>Narrow</title></head><body>
<a href="#main" style="{HIDDEN}">Skip to main content, a long way past the edge</a>
<main id="main"><p>Short words wrap.</p>
<div style="overflow-x:auto"><table><tr><td>averyveryverylongunbreakablewordthatscrolls
insideitsownbox@example.org</td></tr></table></div>
<p style="{HIDDEN}">A caption only screen readers hear, far wider than the page</p>
</main></body></html>"""
CUT_OFF = REFLOWING.replace(
    "<p>Short words wrap.</p>",
    '<table id="members"><tr><td>someone.with.a.long.name@averylongdomainname.example.org</td></tr>'
    '</table><div class="cut" style="overflow:hidden;width:100px;white-space:nowrap">'
    "Words that do not fit are hidden</div>",
)


async def served(
    browser: Browser, body: str, viewport: dict[str, int] | None = None, policy: str = POLICY
) -> tuple[Page, list[str]]:
    context = await browser.new_context(viewport=viewport)  # type: ignore[arg-type]
    page = await context.new_page()
    seen = await watch(page)
    await page.route(
        f"{ORIGIN}/page",
        lambda route: route.fulfill(
            body=body, content_type="text/html", headers={"Content-Security-Policy": policy}
        ),
    )
    await page.goto(f"{ORIGIN}/page")
    return page, seen.console


async def test_axe_fails_on_serious_violations_and_passes_a_clean_page(browser: Browser) -> None:
    page, _ = await served(browser, BAD_PAGE)
    with pytest.raises(AccessibilityViolations) as failed:
        await axe(page)
    assert "image-alt" in str(failed.value) and "label" in str(failed.value)
    assert await axe(page, known=frozenset({"image-alt", "label"})) is not None

    page, _ = await served(browser, GOOD_PAGE)
    await axe(page)


async def test_the_policy_refusal_of_an_inline_script_is_seen(browser: Browser) -> None:
    page, console = await served(browser, BAD_PAGE)
    assert await page.title() == "A bad page"  # the inline script did not run
    assert any("Content Security Policy" in line for line in console), console


async def test_acronyms_outside_the_allow_list_are_found(browser: Browser) -> None:
    page, _ = await served(browser, BAD_PAGE)
    # Explained (<abbr title>) and quoted (data-user-content) text is not the interface's.
    assert await acronyms_on(page, frozenset({"NHS"})) == {"ICB", "PSIRF"}
    assert acronyms_in("Email jo.ICB@nhs.net, NHS and UK", frozenset({"NHS", "UK"})) == set()


async def test_the_keyboard_reaches_labelled_fields_and_says_where_it_went(
    browser: Browser,
) -> None:
    page, _ = await served(browser, GOOD_PAGE)
    keys = Keyboard(page, max_tabs=6)
    await keys.fill("Email address", "jo@example.org")
    assert await page.input_value("#email") == "jo@example.org"
    with pytest.raises(AssertionError, match="Tab never reached 'Password'"):
        await keys.tab_to("Password")


async def test_reflow_faults_name_what_is_past_the_edge_or_cut_off(browser: Browser) -> None:
    page, _ = await served(browser, REFLOWING, NARROW, INLINE_STYLES)
    faults = await reflow_faults(page)
    assert faults == [], faults

    page, _ = await served(browser, CUT_OFF, NARROW, INLINE_STYLES)
    faults = await reflow_faults(page)
    assert any(fault.startswith("the page is") for fault in faults), faults
    assert any("<table#members>" in fault and "past the viewport" in fault for fault in faults)
    assert any("<div.cut>" in fault and "cuts off its content" in fault for fault in faults)
    # The table's cells are past the edge because it is: only the table is named.
    assert not any(fault.startswith("<td>") for fault in faults), faults
