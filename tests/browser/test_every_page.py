"""Every page of the web app, rendered in Chromium for the people who can see it: each has
a title that says where you are, no serious or critical axe-core violation, and no acronym
in its visible text outside ``huddle_gateway.web.words.ALLOWED_ACRONYMS``. At 320 CSS
pixels wide (a 1280-pixel window at 400% zoom, WCAG 2.2's reflow criterion) no page scrolls
sideways and nothing on it is cut off."""

from browser_kit import (
    Huddle,
    OpenPage,
    check_page,
    national_member_email,
    reflow_faults,
    register_by_api,
    sign_in,
    unique_email,
)
from huddle_devkit import demo
from playwright.async_api import Page

PASSWORD = "a long every-page password"
SLUGS = [network.slug for network in demo.NETWORKS]
ANONYMOUS = [
    "/",
    "/networks",  # the networks anyone may find
    "/sign-in",
    "/forgotten-password",
    "/create-account",
    "/create-account?organisation_name=Leeds",
    "/create-account?new_organisation=true",
    "/invitations/not-a-real-token",
    "/no-such-page",
]
MEMBER = [
    "/",
    "/sign-out",
    "/me",
    "/me/delete",
    "/networks",
    *(f"/networks/{slug}" for slug in SLUGS[:3]),
    *(f"/networks/{slug}/join" for slug in SLUGS[1:3]),
    "/invitations/not-a-real-token",
    "/sessions",
    "/sessions/calendar-feed",
    f"/networks/{demo.NATIONAL_SLUG}/sessions",
    f"/networks/{demo.NATIONAL_SLUG}/sessions?past=yes",
    f"/networks/{demo.INVITE_ONLY_SPIN_OFF}",  # not theirs: the not-found page
    "/admin",  # not an administrator: the page that says so
    "/support",
    "/support?area=region:north_west&audience=families_and_carers",
    "/support/suggestions",  # not a curator: the page that says so
    "/people-who-know",
    "/people-who-know?topic=bereavement&region=north_west",
    "/contact-requests",
    "/ask-for-signposting",
]
ADMIN = [
    "/networks",
    *(f"/networks/{slug}" for slug in SLUGS),
    *(f"/networks/{slug}/admin" for slug in SLUGS),
    f"/networks/{demo.NATIONAL_SLUG}/leave",
    "/admin",
    "/admin/organisations",
    "/admin/networks/new",
    "/admin/members",
    "/admin/tokens",
    "/admin/curators",
    f"/networks/{demo.NATIONAL_SLUG}/sessions/new",
    "/support/services/new",
    "/support/suggestions",
    "/support/stale",
]


async def session_paths(url: str, admin_email: str, admin_password: str) -> dict[str, list[str]]:
    """The demo's sessions' pages (their ids are made at load): for a member, and for an
    organiser, the weekly series' next Friday and a past one, the focus group, the
    symposium."""
    from datetime import UTC, datetime, timedelta

    import httpx

    async with httpx.AsyncClient(base_url=url, timeout=30) as client:
        signed = await client.post(
            "/api/v1/auth/token", json={"email": admin_email, "password": admin_password}
        )
        signed.raise_for_status()
        headers = {"Authorization": f"Bearer {signed.json()['access_token']}"}
        now = datetime.now(UTC)
        listed = {}
        for name, start, end in (
            ("coming", now, now + timedelta(days=120)),
            ("past", now - timedelta(days=60), now),
        ):
            response = await client.get(
                f"/api/v1/networks/{demo.NATIONAL_SLUG}/sessions",
                params={"from": start.isoformat(), "to": end.isoformat()},
                headers=headers,
            )
            response.raise_for_status()
            listed[name] = response.json()["items"]

    def page(item: dict[str, object], suffix: str = "") -> str:
        moment = datetime.fromisoformat(str(item["occurrence_start"])).astimezone(UTC)
        return f"/sessions/{item['id']}{suffix}?occurrence={moment:%Y-%m-%dT%H:%M:%SZ}"

    weekly = [i for i in listed["coming"] if i["title"] == demo.WEEKLY_TITLE]
    past = [i for i in listed["past"] if i["title"] == demo.WEEKLY_TITLE]
    others = [i for i in listed["coming"] if i["title"] != demo.WEEKLY_TITLE]
    member = [page(weekly[0]), page(past[-1]), *(page(i) for i in others)]
    organiser = [
        *member,
        f"/sessions/{weekly[0]['id']}/edit",
        page(weekly[0], "/occurrence/change"),
        page(weekly[0], "/occurrence/cancel"),
        page(past[-1], "/attendance"),
        page(past[-1], "/feedback/summary"),
        page(past[0], "/feedback/summary"),  # too few responses, the longest ago of those
    ]
    return {"member": member, "organiser": organiser}


async def visit_each(page: Page, paths: list[str]) -> None:
    failures = []
    for path in paths:
        response = await page.goto(path)
        assert response is not None and response.status < 500, (path, response)
        try:
            await check_page(page)
        except AssertionError as failed:
            failures.append(f"{path}: {failed}")
    assert not failures, "\n\n".join(failures)


async def test_every_page_an_anonymous_visitor_can_reach(page: Page) -> None:
    await visit_each(page, ANONYMOUS)


async def test_every_page_a_member_can_reach(page: Page, huddle: Huddle) -> None:
    email = unique_email("every-page")
    await register_by_api(huddle.url, email, PASSWORD, "Eve Page", "staff")
    await sign_in(page, email, PASSWORD)
    paths = await session_paths(huddle.url, huddle.admin_email, huddle.admin_password)
    await visit_each(page, MEMBER + paths["member"])


async def test_every_page_an_instance_administrator_can_reach(
    open_page: OpenPage, huddle: Huddle
) -> None:
    page = await open_page()
    await sign_in(page, huddle.admin_email, huddle.admin_password)
    paths = await session_paths(huddle.url, huddle.admin_email, huddle.admin_password)
    await visit_each(page, ADMIN + paths["organiser"])


# 400% zoom of a 1280-pixel window. Tables may scroll within themselves; the page may not,
# and nothing may be cut off at its edge (``reflow_faults``).
ZOOMED = {"width": 320, "height": 640}


async def reflow_of_each(page: Page, paths: list[str]) -> list[str]:
    faults = []
    for path in paths:
        await page.goto(path)
        faults += [f"{path}: {fault}" for fault in await reflow_faults(page)]
    return faults


async def test_no_page_scrolls_sideways_or_cuts_off_at_400_percent_zoom(
    open_page: OpenPage, huddle: Huddle
) -> None:
    page = await open_page(ZOOMED)
    faults = await reflow_of_each(page, ANONYMOUS)
    email = unique_email("zoomed")
    await register_by_api(huddle.url, email, PASSWORD, "Zoe Zoom", "staff")
    await sign_in(page, email, PASSWORD)
    faults += await reflow_of_each(page, MEMBER)
    # A member of the networks sees their members' names, job titles and email addresses.
    member = await open_page(ZOOMED)
    await sign_in(member, national_member_email(), huddle.password)
    faults += await reflow_of_each(member, [f"/networks/{demo.NATIONAL_SLUG}", "/me"])
    admin = await open_page(ZOOMED)
    await sign_in(admin, huddle.admin_email, huddle.admin_password)
    faults += await reflow_of_each(admin, ADMIN)
    assert not faults, "at 320 pixels wide:\n" + "\n".join(faults)
