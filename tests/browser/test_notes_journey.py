"""The notes journey in Chromium, against the whole running system with the demo data: a
note-taker drafts notes that name a member, their trust, a ward and a patient's NHS number,
sees all four marked, fixes them in one click and then all at once, and sends them for a
second reader; a facilitator approves them from the review queue; a member reads them in the
library; a member of another network cannot open them. Every page passes ``check_page``."""

import re

import httpx
from browser_kit import Huddle, OpenPage, check_page, follow, register_by_api, sign_in, unique_email
from huddle_devkit import demo
from playwright.async_api import expect

PASSWORD = "a long journey password"
NHS_NUMBER = "943 476 5919"  # passes the Modulus 11 check
WARD = "Ward 36"


async def member_of_another_network(url: str) -> str:
    """An account that belongs to the education network only (a spin-off of the national)."""
    email = unique_email("elsewhere")
    await register_by_api(url, email, PASSWORD, "Ellis Elsewhere", "staff")
    async with httpx.AsyncClient(base_url=url, timeout=30) as client:
        token = await client.post("/api/v1/auth/token", json={"email": email, "password": PASSWORD})
        headers = {"Authorization": f"Bearer {token.json()['access_token']}"}
        joined = await client.post(
            f"/api/v1/networks/{demo.OPEN_SPIN_OFF}/join",
            json={"accepted_ground_rules": True},
            headers=headers,
        )
        assert joined.status_code in (200, 201), joined.text
    return email


async def test_notes_are_drafted_fixed_reviewed_published_and_read_only_by_members(
    open_page: OpenPage, huddle: Huddle
) -> None:
    _, members = demo.scaled(1)
    note_taker, facilitator = demo.note_people(members)
    named = demo.network_plan(members).joins[demo.NATIONAL_SLUG][0]  # a member of the network
    title = f"Learning from a double dose {unique_email('n').split('@')[0][-6:]}"
    body = (
        f"{named.display_name} from {named.organisation} told us about a dose given twice on "
        f"{WARD}. The patient's NHS number, {NHS_NUMBER}, was on both charts.\n\n"
        "- Keep one chart for each patient\n- Check at the bedside"
    )

    # The note-taker writes, saves, and sees what the check found, marked in the text.
    writer = await open_page()
    await sign_in(writer, note_taker.email, huddle.password)
    await writer.goto(f"/networks/{demo.NATIONAL_SLUG}")
    await follow(writer, writer.get_by_role("link", name="Read the network's notes"))
    await check_page(writer)
    await follow(writer, writer.get_by_role("button", name="Write notes"))
    await check_page(writer)
    await writer.get_by_label("Title").fill(title)
    await writer.get_by_label("Notes", exact=True).fill(body)
    await writer.get_by_label("Medication safety").check()
    await follow(writer, writer.get_by_role("button", name="Save and check"))
    await check_page(writer)
    marks = writer.locator("mark.huddle-finding")
    marked = " | ".join(await marks.all_inner_texts())
    for identifying in (named.display_name, named.organisation, WARD, NHS_NUMBER):
        assert identifying in marked, f"{identifying!r} not marked in: {marked}"
    count = await marks.count()
    assert count >= 4

    # One click fixes one finding; "use every suggestion" the rest.
    first = writer.locator(".huddle-findings li").first
    await follow(writer, first.get_by_role("button"))
    await check_page(writer)
    await expect(writer.get_by_text("The suggestion has replaced the text.")).to_be_visible()
    await expect(marks).to_have_count(count - 1)
    await follow(writer, writer.get_by_role("button", name="Use every suggestion"))
    await check_page(writer)
    await expect(marks).to_have_count(0)
    text = await writer.get_by_label("Notes", exact=True).input_value()
    for identifying in (named.display_name, named.organisation, NHS_NUMBER):
        assert identifying not in text, text
    await follow(writer, writer.get_by_role("button", name="Send for a second reader"))
    await check_page(writer)
    await expect(writer.get_by_text("Your notes are waiting for a second reader.")).to_be_visible()
    note_path = re.sub(r"\?.*$", "", writer.url.removeprefix(huddle.url))

    # The facilitator finds them in the review queue (the header offers it) and approves.
    reviewer = await open_page()
    await sign_in(reviewer, facilitator.email, huddle.password)
    await follow(reviewer, reviewer.get_by_role("link", name="Notes to review"))
    await check_page(reviewer)
    waiting = reviewer.locator(".huddle-notes__item", has=reviewer.get_by_role("link", name=title))
    await expect(waiting.locator(".nhsuk-tag").first).to_have_text("Waiting for a second reader")
    await follow(reviewer, reviewer.get_by_role("link", name=title))
    await check_page(reviewer)
    await follow(reviewer, reviewer.get_by_role("button", name="Approve and publish"))
    await check_page(reviewer)
    await expect(reviewer.get_by_text("published in the network's library")).to_be_visible()

    # A member finds them in the library and reads them.
    member = await open_page()
    await sign_in(member, named.email, huddle.password)
    await member.goto(f"/networks/{demo.NATIONAL_SLUG}/notes")
    await check_page(member)
    await member.get_by_label("Words to look for").fill("double dose")
    await follow(member, member.get_by_role("button", name="Search"))
    await check_page(member)
    await follow(member, member.get_by_role("link", name=title))
    await check_page(member)
    await expect(member.get_by_role("heading", level=1)).to_have_text(title)
    await expect(member.get_by_text("Keep one chart for each patient")).to_be_visible()

    # A member of another network cannot open them, nor learn their title.
    outsider = await open_page()
    await sign_in(outsider, await member_of_another_network(huddle.url), PASSWORD)
    response = await outsider.goto(note_path)
    assert response is not None and response.status in (403, 404), response
    await check_page(outsider)
    await expect(outsider.get_by_text(title)).to_have_count(0)
