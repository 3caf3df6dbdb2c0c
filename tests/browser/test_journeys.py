"""People's journeys through the web app, in Chromium, against the whole running system
(``make run`` with the demo data). Every page a journey reaches passes ``check_page``:
axe-core finds nothing serious or critical, and no acronym outside the allow-list shows."""

import re

from browser_kit import Huddle, Keyboard, OpenPage, check_page, sign_in, unique_email
from playwright.async_api import Page, expect

PASSWORD = "a long journey password"


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
    # How many networks there are; which ones, once signed in (the service's rule).
    await expect(page.get_by_text("There are 4 networks.")).to_be_visible()


async def create_account(page: Page, email: str, name: str, member_type: str) -> None:
    """Create an account through the pages: find the organisation, then one's details."""
    await page.goto("/create-account")
    await check_page(page)
    await page.get_by_label("Organisation name").fill("Leeds")
    await page.get_by_role("button", name="Search").click()
    await check_page(page)
    await page.get_by_label("Leeds Teaching Hospitals NHS Trust").check()
    await page.get_by_role("button", name="Continue").click()
    await check_page(page)
    await expect(page.get_by_text("Leeds Teaching Hospitals NHS Trust")).to_be_visible()
    await page.get_by_label("Your name").fill(name)
    await page.get_by_label(member_type, exact=True).check()
    await page.get_by_label("Email address").fill(email)
    await page.get_by_label("Password", exact=True).fill(PASSWORD)
    await page.get_by_role("button", name="Create account").click()
    await page.wait_for_load_state()


async def sign_out(page: Page) -> None:
    await page.goto("/sign-out")
    await check_page(page)
    await page.get_by_role("button", name="Sign out").click()
    await page.wait_for_load_state()


async def test_a_refused_sign_up_shows_the_services_message_beside_the_field(
    page: Page,
) -> None:
    """The service's refusal (a password too short) is the page's error message."""
    await page.goto("/create-account?new_organisation=true")
    await page.get_by_label("Password", exact=True).fill("short")
    await page.get_by_role("button", name="Create account").click()
    await check_page(page)
    assert (await page.title()).startswith("Error: ")
    summary = page.locator(".nhsuk-error-summary")
    await expect(summary).to_be_visible()
    await expect(summary).to_be_focused()  # nhsuk-frontend moves the focus to it
    assert await page.locator(".nhsuk-error-message").count() >= 1


async def test_a_new_patient_safety_partner_creates_an_account_and_signs_in(
    page: Page, huddle: Huddle
) -> None:
    email = unique_email("partner")
    await create_account(page, email, "Jo Partner", "Patient Safety Partner")
    await expect(page.get_by_role("link", name="Sign out")).to_be_visible()
    await sign_out(page)
    await expect(page.get_by_role("link", name="Sign in")).to_be_visible()

    await sign_in(page, email, PASSWORD)
    await check_page(page)
    await expect(page.get_by_role("link", name="Sign out")).to_be_visible()


async def test_signing_in_with_the_keyboard_alone(open_page: OpenPage, huddle: Huddle) -> None:
    page = await open_page()
    await page.goto("/")
    keys = Keyboard(page)
    first = await keys.tab_to("Skip to main content")
    assert first["href"] == "#maincontent"
    await keys.activate("Sign in")
    await page.wait_for_url(re.compile(r"/sign-in"))
    await check_page(page)
    await keys.fill("Email address", huddle.admin_email)
    await keys.fill("Password", huddle.admin_password)
    await keys.activate("Sign in")
    await page.wait_for_load_state()
    await expect(page.get_by_role("link", name="Sign out")).to_be_visible()
