"""The people part of issue 13's journey, in Chromium against the whole running system
(``make run`` with the demo data): a member finds a person who knows by topic and region
(from the menu) and sends a contact request; the expert signs in and accepts it; the member
then sees the expert's email address, and not before. Every page passes ``check_page``."""

import time
from collections import Counter

from browser_kit import Huddle, OpenPage, check_page, follow, register_by_api, sign_in, unique_email
from huddle_devkit import demo
from playwright.async_api import expect

PASSWORD = "a long journey password"
TOPIC = "Psychological support after harm"
REGION, REGION_NAME = "north_west", "North West"


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


async def test_a_member_contacts_a_person_who_knows_and_sees_their_email_once_they_accept(
    open_page: OpenPage, huddle: Huddle
) -> None:
    expert = demo_expert()
    asker, asker_name = unique_email("asks-who-knows"), f"Sam Seeker {time.time_ns() % 100000}"
    await register_by_api(huddle.url, asker, PASSWORD, asker_name, "staff")
    member, expert_page = await open_page(), await open_page()

    await sign_in(member, asker, PASSWORD)
    await check_page(member)
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

    await sign_in(expert_page, expert.email, huddle.password, "/contact-requests")
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
