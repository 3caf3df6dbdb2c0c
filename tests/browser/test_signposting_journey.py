"""Signposting in Chromium, on the demo data (issue 13). The member's journey: find
psychological support for a family harmed in the North West, open a result and print it for
them; then find a person who knows (by topic and region, from the menu) and send a contact
request; the expert signs in and accepts it; the member then sees the expert's email
address, and not before. And a curator edits an entry and sees the change in its history.
Every page on the way passes ``check_page`` (axe-core, a title, no acronyms)."""

import re
import time
import uuid
from collections import Counter

from browser_kit import (
    Huddle,
    OpenPage,
    check_page,
    follow,
    register_by_api,
    sign_in,
    unique_email,
)
from huddle_devkit import demo
from playwright.async_api import Page, expect

PASSWORD = "a long journey password"
TOPIC = "Psychological support after harm"
REGION, REGION_NAME = "north_west", "North West"

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


def demo_expert() -> demo.DemoMember:
    """A demo person who knows about the topic in the region, whose name is theirs alone."""
    regions = {organisation.name: organisation.region for organisation in demo.ORGANISATIONS}
    names = Counter(member.display_name for member in demo.EXPERTS)
    return next(
        expert
        for expert in demo.EXPERTS
        if regions[expert.organisation] == REGION
        and TOPIC in expert.topics
        and names[expert.display_name] == 1
    )


async def print_support_for_a_family(page: Page) -> None:
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
    await page.emulate_media(media="screen")
    await follow(page, page.get_by_role("link", name="Back to the entry"))


async def contact_a_person_who_knows(
    member: Page, expert_page: Page, expert: demo.DemoMember, asker_name: str, password: str
) -> None:
    await follow(member, member.get_by_role("link", name="People who know", exact=True))
    await check_page(member)
    await member.get_by_label("Topic").fill("psychological support")
    await member.get_by_label("Region").select_option(label=REGION_NAME)
    await follow(member, member.get_by_role("button", name="Search"))
    await check_page(member)
    await follow(member, member.get_by_role("link", name=expert.display_name, exact=True))
    await check_page(member)
    await expect(
        member.get_by_role("heading", name=f"Contact {expert.display_name}")
    ).to_be_visible()
    message = "A family harmed in our care asks where to find psychological support."
    await member.get_by_label("Your message").fill(message)
    await follow(member, member.get_by_role("button", name="Send contact request"))
    await check_page(member)
    sent = member.locator(".huddle-contact-request").filter(has_text=message)
    await expect(sent).to_contain_text("Waiting for an answer")
    await expect(member.get_by_text(expert.email)).to_have_count(0)

    await sign_in(expert_page, expert.email, password, "/contact-requests")
    await check_page(expert_page)
    received = expert_page.locator(".huddle-contact-request").filter(
        has=expert_page.get_by_role("heading", name=f"From {asker_name}")
    )
    await expect(received).to_contain_text(message)
    await follow(
        expert_page, received.get_by_role("button", name="Accept and share my email address")
    )
    await check_page(expert_page)
    await expect(expert_page.get_by_text("You accepted the request.")).to_be_visible()

    await member.goto("/contact-requests")
    await check_page(member)
    await expect(sent).to_contain_text("Accepted")
    await expect(sent.get_by_role("link", name=expert.email)).to_be_visible()


async def test_a_member_prints_support_for_a_harmed_family_and_reaches_a_person_who_knows(
    open_page: OpenPage, huddle: Huddle
) -> None:
    expert = demo_expert()
    asker, asker_name = unique_email("asks-for-support"), f"Sam Seeker {time.time_ns() % 100000}"
    await register_by_api(huddle.url, asker, PASSWORD, asker_name, "staff")
    member, expert_page = await open_page(), await open_page()
    await sign_in(member, asker, PASSWORD)
    await check_page(member)

    await print_support_for_a_family(member)
    await contact_a_person_who_knows(member, expert_page, expert, asker_name, huddle.password)


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
