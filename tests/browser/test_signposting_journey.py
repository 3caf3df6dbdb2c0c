"""The directory of support in Chromium, on the demo data (issue 13): a member finds
psychological support for a family harmed in the North West, opens a result and prints it
for them; a curator edits an entry and sees the change in its history. Every page on the
way passes ``check_page`` (axe-core, a title, no acronyms)."""

import re
import uuid

from browser_kit import (
    Huddle,
    OpenPage,
    check_page,
    follow,
    national_member_email,
    sign_in,
)
from playwright.async_api import Page, expect

# The page's print is replaced before the click, so the test sees it asked for and no
# dialogue opens (headless Chromium has none to show).
STUB_PRINT = (
    "() => { window.huddlePrinted = 0; window.print = () => { window.huddlePrinted += 1; }; }"
)


async def find_support_for_a_family_in_the_north_west(page: Page) -> None:
    await follow(page, page.get_by_role("link", name="Find support"))
    await check_page(page)
    await page.get_by_label("Category").select_option(label="Counselling and psychological support")
    await page.get_by_label("Area").select_option(label="North West (the whole region)")
    await page.get_by_label("Who is it for?").select_option(label="Families and carers")
    await follow(page, page.get_by_role("button", name="Search"))
    await check_page(page)


async def test_a_member_finds_psychological_support_for_a_harmed_family_and_prints_it(
    open_page: OpenPage, huddle: Huddle
) -> None:
    page = await open_page()
    await sign_in(page, national_member_email(), huddle.password)
    await find_support_for_a_family_in_the_north_west(page)

    results = page.locator(".huddle-support__item")
    assert await results.count() > 0, await page.content()
    first = results.first
    await expect(first).to_contain_text("Last checked")
    await expect(first).to_contain_text("Families and carers")
    name = (await first.get_by_role("link").inner_text()).strip()

    await follow(page, first.get_by_role("link"))
    await check_page(page)
    await expect(page.get_by_role("heading", level=1)).to_have_text(name)
    await expect(page.get_by_role("heading", name="How to access it")).to_be_visible()

    await follow(page, page.get_by_role("button", name="Print for a patient or family"))
    await check_page(page)
    assert re.search(r"/support/services/[0-9a-f-]+/print$", page.url), page.url
    await expect(page.get_by_role("heading", level=1)).to_have_text(name)
    await page.evaluate(STUB_PRINT)
    await page.get_by_role("button", name="Print this page").click()
    assert await page.evaluate("() => window.huddlePrinted") == 1

    # On paper: the entry and its contact details, without the page's buttons and links.
    await page.emulate_media(media="print")
    await expect(page.get_by_role("button", name="Print this page")).to_be_hidden()
    await expect(page.get_by_role("link", name="Back to the entry")).to_be_hidden()
    await expect(page.get_by_role("heading", name="Contact")).to_be_visible()
    await expect(page.get_by_role("heading", level=1)).to_be_visible()


async def test_a_curator_edits_an_entry_and_sees_the_change_in_its_history(
    open_page: OpenPage, huddle: Huddle
) -> None:
    page = await open_page()
    await sign_in(page, huddle.admin_email, huddle.admin_password)  # an admin curates
    await find_support_for_a_family_in_the_north_west(page)
    await follow(page, page.locator(".huddle-support__item").first.get_by_role("link"))

    await follow(page, page.get_by_role("link", name="Edit this entry"))
    await check_page(page)
    description = page.get_by_label("Description", exact=True)
    added = f"Evening sessions from January ({uuid.uuid4().hex[:6]})."
    await description.fill((await description.input_value()).strip() + " " + added)
    await follow(page, page.get_by_role("button", name="Save the entry"))
    await check_page(page)
    await expect(page.get_by_text("Your changes are saved")).to_be_visible()
    await expect(page.get_by_text(added)).to_be_visible()

    await follow(page, page.get_by_role("link", name="History of changes"))
    await check_page(page)
    newest = page.locator(".huddle-history > li").first
    await expect(newest).to_contain_text("Changed by")
    await expect(newest.get_by_role("row", name=re.compile("Description"))).to_contain_text(added)
