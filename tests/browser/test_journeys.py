"""People's journeys through the web app, in Chromium, against the whole running system
(``make run`` with the demo data). Every page a journey reaches passes ``check_page``:
axe-core finds nothing serious or critical, and no acronym outside the allow-list shows."""

import asyncio
import json
import re
import time
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from browser_kit import (
    Huddle,
    Keyboard,
    OpenPage,
    check_page,
    follow,
    register_by_api,
    sign_in,
    start_at_top,
    unique_email,
)
from huddle_devkit import demo
from playwright.async_api import Page, expect

PASSWORD = "a long journey password"
NETWORKS = {network.slug: network.name for network in demo.NETWORKS}
OPEN_SLUG = demo.OPEN_SPIN_OFF
OPEN_NETWORK = NETWORKS[OPEN_SLUG]
APPROVAL_NETWORK = demo.APPROVAL_SPIN_OFF
INVITE_ONLY_NETWORK = demo.INVITE_ONLY_SPIN_OFF
INVITE_ONLY_NAME = NETWORKS[INVITE_ONLY_NETWORK]


async def test_an_anonymous_visitor_sees_the_infographic(page: Page) -> None:
    await page.goto("/")
    await check_page(page)
    await expect(page.get_by_role("heading", name="Huddle in numbers")).to_be_visible()
    figures = page.locator(".huddle-figures__item")
    await expect(figures).to_have_count(3)
    for index, what in enumerate(("members", "organisations", "networks")):
        text = await figures.nth(index).inner_text()
        number, word = re.fullmatch(r"(\d+)\s+(\w+)", text.strip()).groups()  # type: ignore[union-attr]
        assert word == what and int(number) > 0, text
    # Two charts, each an image with a name, and its numbers in a table beside it.
    charts = page.get_by_role("img", name=re.compile("Members by"))
    await expect(charts).to_have_count(2)
    for caption in ("Members by kind of organisation", "Members by region"):
        table = page.get_by_role("table", name=re.compile(caption))
        await expect(table).to_be_visible()
        assert await table.locator("tbody tr").count() > 1
    # The networks anyone may find, and how to join them; the invite-only one stays hidden
    # (membership's rule for a visitor).
    for network in demo.NETWORKS:
        card = page.get_by_role("link", name=network.name, exact=True)
        if network.slug == INVITE_ONLY_NETWORK:
            await expect(card).to_have_count(0)
        else:
            await expect(card).to_be_visible()
    await expect(
        page.get_by_text("Networks that are by invitation only are not listed.")
    ).to_be_visible()
    await follow(page, page.get_by_role("link", name="Networks", exact=True))
    await check_page(page)
    await expect(page.get_by_role("link", name=OPEN_NETWORK)).to_be_visible()
    await expect(page.get_by_text(INVITE_ONLY_NAME)).to_have_count(0)


async def create_account(
    page: Page, email: str, name: str, member_type: str, start: str | None = "/create-account"
) -> None:
    """Create an account through the pages: find the organisation, then one's details
    (``start=None``: from the page the browser is on, reached by a link)."""
    if start:
        await page.goto(start)
    await check_page(page)
    await page.get_by_label("Organisation name").fill("Leeds")
    await follow(page, page.get_by_role("button", name="Search"))
    await check_page(page)
    await page.get_by_label("Leeds Teaching Hospitals NHS Trust").check()
    await follow(page, page.get_by_role("button", name="Continue"))
    await check_page(page)
    await expect(page.get_by_text("Leeds Teaching Hospitals NHS Trust")).to_be_visible()
    await page.get_by_label("Your name").fill(name)
    await page.get_by_label(member_type, exact=True).check()
    await page.get_by_label("Email address").fill(email)
    await page.get_by_label("Password", exact=True).fill(PASSWORD)
    await follow(page, page.get_by_role("button", name="Create account"))
    await page.wait_for_load_state()


async def sign_out(page: Page) -> None:
    await page.goto("/sign-out")
    await check_page(page)
    await follow(page, page.get_by_role("button", name="Sign out"))
    await page.wait_for_load_state()


async def test_a_refused_sign_up_shows_the_services_message_beside_the_field(
    page: Page,
) -> None:
    """The service's refusal (a password too short) is the page's error message."""
    await page.goto("/create-account?new_organisation=true")
    await page.get_by_label("Password", exact=True).fill("short")
    await follow(page, page.get_by_role("button", name="Create account"))
    await check_page(page)
    assert (await page.title()).startswith("Error: ")
    summary = page.locator(".nhsuk-error-summary")
    await expect(summary).to_be_visible()
    await expect(summary).to_be_focused()  # nhsuk-frontend moves the focus to it
    assert await page.locator(".nhsuk-error-message").count() >= 1


async def test_a_new_patient_safety_partner_creates_an_account_reads_the_ground_rules_and_joins_an_open_network(
    page: Page,
) -> None:
    email = unique_email("partner")
    await create_account(page, email, "Jo Partner", "Patient Safety Partner")
    await expect(page.get_by_role("link", name="Sign out")).to_be_visible()
    await sign_out(page)
    await expect(page.get_by_role("link", name="Sign in")).to_be_visible()
    await sign_in(page, email, PASSWORD)
    await check_page(page)
    await expect(page.get_by_role("link", name="Sign out")).to_be_visible()

    await follow(page, page.get_by_role("link", name="Networks", exact=True))
    await check_page(page)
    await follow(page, page.get_by_role("link", name=OPEN_NETWORK).first)
    await check_page(page)
    await expect(page.get_by_role("heading", name="Ground rules")).to_be_visible()
    await follow(page, page.get_by_role("button", name="Join this network"))
    await check_page(page)
    # The ground rules come first, and joining asks the person to accept them.
    await expect(page.get_by_role("heading", name="Read the ground rules first")).to_be_visible()
    await expect(page.locator("#ground-rules-list li").first).to_be_visible()
    await follow(page, page.get_by_role("button", name="Join this network"))
    await check_page(page)
    await expect(page.locator(".nhsuk-error-summary")).to_be_visible()
    await page.get_by_label("I have read the ground rules and I will keep them").check()
    await follow(page, page.get_by_role("button", name="Join this network"))
    await check_page(page)
    await expect(
        page.get_by_role("heading", name=f"You have joined {OPEN_NETWORK}")
    ).to_be_visible()
    await follow(page, page.get_by_role("link", name=f"Go to {OPEN_NETWORK}"))
    await expect(page.get_by_text("You are a member of this network")).to_be_visible()


async def join(page: Page, slug: str, message: str = "") -> None:
    """From the network's page: read the ground rules, accept them, send."""
    await page.goto(f"/networks/{slug}")
    await check_page(page)
    await follow(page, page.get_by_role("button", name=re.compile(r"join this network", re.I)))
    await check_page(page)
    await page.get_by_label("I have read the ground rules and I will keep them").check()
    if message:
        await page.get_by_label(re.compile("Why would you like to join")).fill(message)
    await follow(
        page, page.get_by_role("button", name=re.compile("Send my request|Join this network"))
    )
    await check_page(page)


async def test_asking_to_join_an_approval_network_and_a_chair_approves_from_the_admin_page(
    open_page: OpenPage, huddle: Huddle
) -> None:
    partner, chair = await open_page(), await open_page()
    email, name = unique_email("asks"), f"Sam Asks {time.time_ns() % 100000}"
    await create_account(partner, email, name, "Patient Safety Partner")
    await join(partner, APPROVAL_NETWORK, message="I am a Patient Safety Partner in Leeds.")
    await expect(partner.get_by_role("heading", name="Request sent")).to_be_visible()
    await partner.goto(f"/networks/{APPROVAL_NETWORK}")
    await expect(partner.get_by_text("You have asked to join")).to_be_visible()

    # The demo's instance administrator created the networks, so chairs them.
    await sign_in(chair, huddle.admin_email, huddle.admin_password)
    await chair.goto(f"/networks/{APPROVAL_NETWORK}")
    await follow(chair, chair.get_by_role("link", name="Manage this network"))
    await check_page(chair)
    request = chair.locator(".nhsuk-card").filter(
        has=chair.get_by_role("heading", name=name, exact=True)
    )
    await expect(request.get_by_text("I am a Patient Safety Partner in Leeds.")).to_be_visible()
    await request.get_by_label(re.compile("Message to")).fill("Welcome to the network.")
    await follow(chair, request.get_by_role("button", name="Approve"))
    await check_page(chair)
    await expect(chair.get_by_role("heading", name=name, exact=True)).to_have_count(0)

    await partner.goto(f"/networks/{APPROVAL_NETWORK}")
    await check_page(partner)
    await expect(partner.get_by_text("You are a member of this network")).to_be_visible()


async def test_a_chair_invites_by_email_and_the_invitee_accepts_from_the_link(
    open_page: OpenPage, huddle: Huddle
) -> None:
    chair, invitee = await open_page(), await open_page()
    email = unique_email("invited")
    await sign_in(chair, huddle.admin_email, huddle.admin_password)
    await chair.goto(f"/networks/{INVITE_ONLY_NETWORK}/admin")
    await check_page(chair)
    await chair.get_by_label("Email address of the person to invite").fill(email)
    await follow(chair, chair.get_by_role("button", name="Make an invitation"))
    await check_page(chair)
    link = await chair.locator("main a[href*='/invitations/']").get_attribute("href")
    assert link and "/invitations/" in link, link

    # The invitee has no account yet: from the link, create one, and come back to it.
    await invitee.goto(link)
    await check_page(invitee)
    await follow(invitee, invitee.get_by_role("link", name="Create an account").last)
    await create_account(invitee, email, "Ali Invited", "Member of staff", start=None)
    await invitee.wait_for_url(re.compile(r"/invitations/"))
    await check_page(invitee)
    await expect(
        invitee.get_by_role("heading", name=re.compile("Invitation to join"))
    ).to_be_visible()
    await invitee.get_by_label("I have read the ground rules and I will keep them").check()
    await follow(invitee, invitee.get_by_role("button", name="Accept the invitation"))
    await check_page(invitee)
    await invitee.goto(f"/networks/{INVITE_ONLY_NETWORK}")
    await check_page(invitee)
    await expect(invitee.get_by_text("You are a member of this network")).to_be_visible()

    # The chair sees the invitation accepted.
    await chair.goto(f"/networks/{INVITE_ONLY_NETWORK}/admin")
    row = chair.get_by_role("row").filter(has_text=email)
    await expect(row).to_contain_text("Accepted")


async def test_a_member_downloads_their_data_and_deletes_their_account(page: Page) -> None:
    email = unique_email("leaving")
    await create_account(page, email, "Pat Leaving", "Researcher")
    await page.goto("/me")
    await check_page(page)
    async with page.expect_download() as downloading:
        await page.get_by_role("link", name="Download my data").click()
    download = await downloading.value
    saved = Path(await download.path())
    exported = json.loads(await asyncio.to_thread(saved.read_text, "utf-8"))
    assert email in json.dumps(exported)

    await follow(page, page.get_by_role("link", name="Delete my account"))
    await check_page(page)
    await expect(page.get_by_text("your email address, name, job title and topics")).to_be_visible()
    await follow(page, page.get_by_role("button", name="Delete my account"))
    await check_page(page)
    await expect(page.get_by_role("heading", name="Your account has been deleted")).to_be_visible()
    await expect(page.get_by_role("link", name="Sign in")).to_be_visible()  # signed out

    await sign_in(page, email, PASSWORD)
    await check_page(page)
    await expect(page.locator(".nhsuk-error-summary")).to_be_visible()


async def test_a_member_cannot_open_an_invitation_only_network_they_do_not_belong_to(
    page: Page, huddle: Huddle
) -> None:
    email = unique_email("outsider")
    await register_by_api(huddle.url, email, PASSWORD, "Robin Outside", "staff")
    await sign_in(page, email, PASSWORD)
    await page.goto("/networks")
    await check_page(page)
    await expect(page.get_by_role("link", name=OPEN_NETWORK)).to_be_visible()
    await expect(page.get_by_role("link", name=INVITE_ONLY_NAME)).to_have_count(0)

    response = await page.goto(f"/networks/{INVITE_ONLY_NETWORK}")
    assert response is not None and response.status == 404
    await check_page(page)
    await expect(page.get_by_role("heading", level=1)).to_contain_text(
        re.compile("not found", re.I)
    )
    await expect(page.get_by_text(INVITE_ONLY_NAME)).to_have_count(0)


async def test_signing_in_and_joining_a_network_with_the_keyboard_alone(
    open_page: OpenPage, huddle: Huddle
) -> None:
    email = unique_email("keys")
    await register_by_api(huddle.url, email, PASSWORD, "Kim Keys", "staff")
    page = await open_page()
    await page.goto("/")
    keys = Keyboard(page)
    first = await keys.tab_to("Skip to main content")
    assert first["href"] == "#maincontent"
    await keys.activate("Sign in")
    await page.wait_for_url(re.compile(r"/sign-in"))
    await check_page(page)
    await keys.fill("Email address", email)
    await keys.fill("Password", PASSWORD)
    await keys.activate("Sign in")
    await page.wait_for_load_state()
    await expect(page.get_by_role("link", name="Sign out")).to_be_visible()

    await start_at_top(page)
    await keys.activate("Networks")
    await page.wait_for_url(re.compile(r"/networks$"))
    await check_page(page)
    await keys.activate(OPEN_NETWORK)
    await page.wait_for_url(re.compile(rf"/networks/{OPEN_SLUG}$"))
    await check_page(page)
    await keys.activate("Join this network")
    await page.wait_for_url(re.compile(r"/join$"))
    await check_page(page)
    await keys.check("I have read the ground rules")
    await keys.activate("Join this network")
    await page.wait_for_load_state()
    await check_page(page)
    await expect(
        page.get_by_role("heading", name=f"You have joined {OPEN_NETWORK}")
    ).to_be_visible()


# --- Sessions ------------------------------------------------------------------------------

WEEKLY = demo.WEEKLY_TITLE
LONDON_ZONE = "Europe/London"


def next_friday_words() -> str:
    """How the pages write the coming Friday's date ("Friday 4 December 2026")."""
    now = datetime.now(ZoneInfo(LONDON_ZONE))
    days = (4 - now.weekday()) % 7
    if days == 0 and now.hour >= 13:
        days = 7  # today's has started: the next one is a week on
    friday = (now + timedelta(days=days)).date()
    return f"{friday:%A} {friday.day} {friday:%B %Y}"


async def test_a_member_finds_next_fridays_session_registers_and_adds_it_to_their_calendar(
    page: Page, huddle: Huddle
) -> None:
    import icalendar

    email = unique_email("friday")
    await register_by_api(huddle.url, email, PASSWORD, "Fran Friday", "staff")
    await sign_in(page, email, PASSWORD)
    await join(page, demo.NATIONAL_SLUG)

    await follow(page, page.get_by_role("link", name="Sessions", exact=True))
    await check_page(page)
    friday = next_friday_words()
    card = page.locator(".huddle-sessions__item").filter(has_text=WEEKLY).filter(has_text=friday)
    await follow(page, card.first.get_by_role("link", name=WEEKLY))
    await check_page(page)
    await expect(page.get_by_role("heading", name=WEEKLY, level=1)).to_be_visible()
    await expect(page.locator("#not-recorded")).to_contain_text("Not recorded")
    await expect(page.get_by_text(f"{friday}, 1pm to 2pm")).to_be_visible()

    await follow(page, page.get_by_role("button", name="Register for this session"))
    await check_page(page)
    await expect(page.get_by_text("You have a place at this session.")).to_be_visible()
    await expect(page.get_by_role("button", name="Cancel my place")).to_be_visible()
    await expect(page.get_by_role("link", name="Join the session online")).to_be_visible()

    async with page.expect_download() as downloading:
        await page.get_by_role("link", name="Download it for your calendar").click()
    download = await downloading.value
    saved = await asyncio.to_thread(Path(await download.path()).read_bytes)
    (event,) = icalendar.Calendar.from_ical(saved).walk("VEVENT")
    assert str(event["SUMMARY"]) == WEEKLY
    start = event.decoded("DTSTART").astimezone(ZoneInfo(LONDON_ZONE))
    assert f"{start:%A} {start.day} {start:%B %Y}" == friday
    assert (start.hour, start.minute) == (13, 0)
    google = await page.get_by_role("link", name="Add it to Google Calendar").get_attribute("href")
    assert google and google.startswith("https://calendar.google.com/calendar/render?")

    # It is among their registrations now.
    await follow(page, page.get_by_role("link", name="Sessions", exact=True))
    await expect(page.locator("#my-registrations + ul")).to_contain_text(WEEKLY)


async def test_a_chair_cancels_one_friday_and_the_networks_feed_shows_it_cancelled(
    page: Page, huddle: Huddle
) -> None:
    import httpx
    import icalendar

    await sign_in(page, huddle.admin_email, huddle.admin_password)
    await page.goto(f"/networks/{demo.NATIONAL_SLUG}/sessions")
    await check_page(page)
    fridays = page.locator(".huddle-sessions__item").filter(has_text=WEEKLY)
    # Three weeks on: no other journey registers for it.
    await follow(page, fridays.nth(3).get_by_role("link", name=WEEKLY))
    await check_page(page)
    occurrence = page.url.split("occurrence=", 1)[1].split("&", 1)[0]
    await follow(page, page.get_by_role("link", name="Cancel this date"))
    await check_page(page)
    await page.get_by_label("Only this session").check()
    await follow(page, page.get_by_role("button", name="Cancel the session"))
    await check_page(page)
    await expect(page.get_by_text("This session has been cancelled")).to_be_visible()

    # The week after is still on.
    await page.goto(f"/networks/{demo.NATIONAL_SLUG}/sessions")
    await expect(fridays.nth(3)).to_contain_text("Cancelled")
    await expect(fridays.nth(4)).not_to_contain_text("Cancelled")

    cancelled_at = datetime.fromisoformat(occurrence.replace("Z", "+00:00"))
    async with httpx.AsyncClient(base_url=huddle.url, timeout=30) as client:
        feed = await client.get(f"/api/v1/networks/{demo.NATIONAL_SLUG}/calendar.ics")
    assert feed.status_code == 200 and feed.headers["content-type"].startswith("text/calendar")
    calendar = icalendar.Calendar.from_ical(feed.content)
    # A cancelled override's title says so too ("Cancelled: ...", for apps ignoring STATUS).
    weekly = [
        e
        for e in calendar.walk("VEVENT")
        if str(e.get("SUMMARY")).removeprefix("Cancelled: ") == WEEKLY
    ]
    overrides = [e for e in weekly if e.get("RECURRENCE-ID") is not None]
    cancelled = [
        e
        for e in overrides
        if e.decoded("RECURRENCE-ID") == cancelled_at and str(e.get("STATUS")) == "CANCELLED"
    ]
    excluded = [
        moment.dt
        for e in weekly
        if e.get("EXDATE") is not None
        for group in (e["EXDATE"] if isinstance(e["EXDATE"], list) else [e["EXDATE"]])
        for moment in group.dts
    ]
    assert cancelled or cancelled_at in excluded, feed.text[:2000]
