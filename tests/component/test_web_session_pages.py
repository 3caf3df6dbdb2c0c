"""The sessions pages against the app: the gateway, membership and scheduling in-process on
real NATS and FerretDB, httpx with cookies as a browser. Sessions are made through the
organiser's own form; each test has its own networks.

Each page: its happy path, the service's refusal shown on it, and what someone who may not
see it is answered (a visitor is sent to sign in; outsiders get the service's 403 or 404).
"""

import asyncio
import html
import re
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from html.parser import HTMLParser
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit
from zoneinfo import ZoneInfo

import httpx
import icalendar
import pytest
from support import eventually
from web_support import Person, Site, web_site

pytestmark = pytest.mark.component

LONDON = ZoneInfo("Europe/London")
FORM = {"Content-Type": "application/x-www-form-urlencoded"}
RULES = ["We do not record sessions.", "Hierarchy does not apply here."]


def text_of(response: httpx.Response) -> str:
    body = re.sub(r"<script.*?</script>", " ", response.text, flags=re.S)
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", body)).split())


class Forms(HTMLParser):
    """The forms of a page, each as a browser would send it untouched: its hidden fields,
    the boxes' values, the ticked radios and checkboxes, the chosen options, the text of
    its text areas."""

    def __init__(self) -> None:
        super().__init__()
        self.forms: dict[str, list[tuple[str, str]]] = {}
        self._fields: list[tuple[str, str]] | None = None
        self._text_area: str | None = None
        self._typed = ""
        self._select: str | None = None
        self._first_option: tuple[str, str] | None = None
        self._chosen = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = {name: value or "" for name, value in attrs}
        if tag == "form":
            self._fields = self.forms.setdefault(found.get("action", ""), [])
        if self._fields is None or "disabled" in found:
            return
        name = found.get("name", "")
        if tag == "input" and name:
            kind = found.get("type", "text")
            if kind in ("radio", "checkbox"):
                if "checked" in found:
                    self._fields.append((name, found.get("value", "on")))
            elif kind not in ("submit", "button", "file"):
                self._fields.append((name, found.get("value", "")))
        elif tag == "textarea" and name:
            self._text_area, self._typed = name, ""
        elif tag == "select" and name:
            self._select, self._first_option, self._chosen = name, None, False
        elif tag == "option" and self._select is not None:
            choice = (self._select, found.get("value", ""))
            if self._first_option is None:
                self._first_option = choice
            if "selected" in found and not self._chosen:
                self._fields.append(choice)
                self._chosen = True

    def handle_data(self, data: str) -> None:
        if self._text_area is not None:
            self._typed += data

    def handle_endtag(self, tag: str) -> None:
        if self._fields is None:
            return
        if tag == "textarea" and self._text_area is not None:
            self._fields.append((self._text_area, self._typed.removeprefix("\n")))
            self._text_area = None
        elif tag == "select" and self._select is not None:
            if not self._chosen and self._first_option is not None:
                self._fields.append(self._first_option)
            self._select = None
        elif tag == "form":
            self._fields = None


def form_on(page: httpx.Response, action: str) -> list[tuple[str, str]] | None:
    forms = Forms()
    forms.feed(page.text)
    return forms.forms.get(action)


@dataclass
class Browser:
    client: httpx.AsyncClient
    person: Person | None = None

    async def get(self, path: str) -> httpx.Response:
        return await self.client.get(path)

    async def submit(self, form_page: str, action: str, data: dict[str, Any]) -> httpx.Response:
        """Post the form on ``form_page`` that goes to ``action`` as a browser does: what the
        page filled in, with ``data`` typed over it (a list for a field sent more than once,
        such as ticked boxes)."""
        page = await self.client.get(form_page)
        fields = form_on(page, action)
        assert fields is not None, f"no form to {action} on {form_page}: {page.status_code}"
        sent = [(name, value) for name, value in fields if name not in data]
        for name, typed in data.items():
            sent += [(name, value) for value in (typed if isinstance(typed, list) else [typed])]
        return await self.client.post(action, content=urlencode(sent), headers=FORM)

    async def forge(self, action: str, data: dict[str, str]) -> httpx.Response:
        """A post no page of ours offered (a stale or hand-made one), with a good CSRF token
        (the sign-in form's)."""
        page = await self.client.get("/sign-in")
        fields = dict(form_on(page, "/sign-in") or [])
        assert "_csrf_token" in fields, page.text
        return await self.client.post(action, data={"_csrf_token": fields["_csrf_token"], **data})


@dataclass
class World:
    site: Site
    clients: list[httpx.AsyncClient] = field(default_factory=list)

    def browser(self, person: Person | None = None) -> Browser:
        client = httpx.AsyncClient(base_url=self.site.url, timeout=30, follow_redirects=False)
        self.clients.append(client)
        if person is not None:
            client.cookies.set("huddle_session", self.site.tokens.issue(uuid.UUID(person.id)))
        return Browser(client, person)

    async def network(self, chair: Person, visibility: str = "open") -> str:
        return await self.site.network(chair, visibility, ground_rules=RULES, never_recorded=True)

    async def join(self, slug: str, member: Person) -> None:
        joined = await self.site.client.post(
            f"/api/v1/networks/{slug}/join",
            json={"accepted_ground_rules": True},
            headers=member.headers,
        )
        assert joined.status_code in (200, 201), joined.text

    async def invite(self, slug: str, chair: Person, member: Person, role: str = "member") -> None:
        invited = await self.site.client.post(
            f"/api/v1/networks/{slug}/invitations",
            json={"email": member.email, "role": role},
            headers=chair.headers,
        )
        assert invited.status_code == 201, invited.text
        token = invited.json()["token"]
        accepted = await self.site.client.post(
            f"/api/v1/invitations/{token}/accept",
            json={"accepted_ground_rules": True},
            headers=member.headers,
        )
        assert accepted.status_code == 200, accepted.text


@pytest.fixture(scope="module")
async def world(
    tmp_path_factory: pytest.TempPathFactory, mongodb_url: str, nats_credentials: Any
) -> AsyncIterator[World]:
    async with web_site(
        tmp_path_factory, mongodb_url, nats_credentials, "membership", "scheduling"
    ) as site:
        world = World(site)
        try:
            yield world
        finally:
            await asyncio.gather(*(client.aclose() for client in world.clients))


@dataclass(frozen=True)
class Cast:
    chair: Person  # an instance admin, who chairs every network they create
    member: Person
    second: Person
    outsider: Person


@pytest.fixture(scope="module")
async def cast(world: World) -> Cast:
    chair, member, second, outsider = await asyncio.gather(
        world.site.person(admin=True),
        world.site.person(name="Mo Member"),
        world.site.person(name="Sam Second"),
        world.site.person(name="Otto Outside"),
    )
    return Cast(chair, member, second, outsider)


def next_friday(weeks: int = 1) -> datetime:
    today = datetime.now(LONDON).date()
    friday = today + timedelta(days=(4 - today.weekday()) % 7 or 7) + timedelta(weeks=weeks - 1)
    return datetime(friday.year, friday.month, friday.day, 13, 0, tzinfo=LONDON)


def session_form(start: datetime, **fields: Any) -> dict[str, Any]:
    return {
        "title": "Friday huddle",
        "format": "discussion",
        "attendance": "online",
        "starts_at-day": str(start.day),
        "starts_at-month": str(start.month),
        "starts_at-year": str(start.year),
        "starts_at-time": f"{start:%H:%M}",
        "duration_minutes": "60",
        "time_zone": "Europe/London",
        "registration": "yes",
        "repeat": "none",
        "joining_link": "https://meet.example.org/friday",
        "agenda": "Welcome\nOpen discussion",
        **fields,
    }


WEEKLY = {"repeat": "weekly", "weekday": "FR", "ends": "count", "count": "10"}


async def create(world: World, chair: Person, slug: str, form: dict[str, str]) -> str:
    """A session made through the organiser's form; its id from where the form leads."""
    browser = world.browser(chair)
    new = f"/networks/{slug}/sessions/new"

    async def made() -> httpx.Response | None:
        # The network reaches scheduling as an event: until then it is not there.
        response = await browser.submit(new, new, form)
        return response if response.status_code == 303 else None

    response = await eventually(made)
    location = response.headers["location"]
    assert location.startswith("/sessions/"), location
    return location.split("/")[2].split("?")[0]


def occurrence(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def assert_signs_in_first(response: httpx.Response, path: str) -> None:
    assert response.status_code == 303, response.text
    location = urlsplit(response.headers["location"])
    assert location.path == "/sign-in"
    assert parse_qs(location.query)["next"] == [path]


# --- Creating, listing, reading -----------------------------------------------------------------


async def test_a_chair_creates_a_weekly_series_and_a_member_reads_it(
    world: World, cast: Cast
) -> None:
    slug = await world.network(cast.chair)
    await world.join(slug, cast.member)
    session_id = await create(world, cast.chair, slug, session_form(next_friday(), **WEEKLY))

    member = world.browser(cast.member)
    listed = await eventually(lambda: _listed(member, slug, "Friday huddle"))
    assert listed.text.count("Friday huddle") >= 5  # one card a Friday
    page = await member.get(f"/sessions/{session_id}?occurrence={occurrence(next_friday())}")
    body = text_of(page)
    assert page.status_code == 200
    assert "Not recorded" in body and 'id="not-recorded"' in page.text
    assert "Every week on Friday, 10 times" in body
    assert "1pm to 2pm" in body and "Open discussion" in body
    assert "Register for this session" in body
    assert "We do not record sessions." in body  # the network's ground rules, shown with it
    # The joining link is for those who registered.
    assert "meet.example.org/friday" not in page.text
    # The network's page leads to them; /sessions lists them among the member's networks.
    network_page = await member.get(f"/networks/{slug}")
    assert f"/networks/{slug}/sessions" in network_page.text
    upcoming = await member.get("/sessions")
    assert upcoming.status_code == 200 and "Friday huddle" in upcoming.text


async def _listed(browser: Browser, slug: str, title: str) -> httpx.Response | None:
    page = await browser.get(f"/networks/{slug}/sessions")
    return page if page.status_code == 200 and title in page.text else None


async def test_the_services_refusal_of_a_rule_that_never_ends_is_shown_on_the_form(
    world: World, cast: Cast
) -> None:
    slug = await world.network(cast.chair)
    await create(world, cast.chair, slug, session_form(next_friday(), title="First"))
    chair = world.browser(cast.chair)
    new = f"/networks/{slug}/sessions/new"
    refused = await chair.submit(
        new, new, session_form(next_friday(), repeat="as_written", rrule="FREQ=WEEKLY;BYDAY=FR")
    )
    assert refused.status_code == 422, refused.text
    assert "There is a problem" in refused.text
    assert 'href="#repeat"' in refused.text or "nhsuk-error-summary" in refused.text
    assert 'value="Friday huddle"' in refused.text  # what was typed is kept
    recorded = await chair.submit(new, new, session_form(next_friday(), recorded="yes"))
    assert recorded.status_code in (409, 422), recorded.text  # never recorded: refused
    assert "nhsuk-error-summary" in recorded.text


async def test_who_may_see_the_sessions_pages(world: World, cast: Cast) -> None:
    open_slug = await world.network(cast.chair)
    hidden_slug = await world.network(cast.chair, "invite_only")
    await world.join(open_slug, cast.member)
    open_id = await create(world, cast.chair, open_slug, session_form(next_friday()))
    hidden_id = await create(world, cast.chair, hidden_slug, session_form(next_friday()))

    visitor = world.browser()
    for path in ("/sessions", "/sessions/calendar-feed", f"/networks/{open_slug}/sessions/new"):
        assert_signs_in_first(await visitor.get(path), path)
    # An open network's sessions are anyone's to read, never its joining link.
    page = await visitor.get(f"/sessions/{open_id}")
    assert page.status_code == 200, page.text
    assert "Sign in to register" in page.text and "meet.example.org" not in page.text
    # No form to register: a visitor is offered signing in; a post all the same (a stale
    # page, a hand-made form) is sent to sign in too.
    assert form_on(page, f"/sessions/{open_id}/register") is None
    refused = await visitor.forge(f"/sessions/{open_id}/register", {})
    assert_signs_in_first(refused, f"/sessions/{open_id}/register")

    outsider = world.browser(cast.outsider)
    assert (await outsider.get(f"/sessions/{hidden_id}")).status_code == 404
    assert (await outsider.get(f"/networks/{hidden_slug}/sessions")).status_code == 404
    # A member who does not organise: the organisers' pages are refused.
    member = world.browser(cast.member)
    edit = await member.get(f"/sessions/{open_id}/edit")
    assert edit.status_code == 403
    attendance = await member.get(f"/sessions/{open_id}/attendance")
    assert attendance.status_code == 403
    summary = await member.get(f"/sessions/{open_id}/feedback/summary")
    assert summary.status_code == 403
    assert (await member.get(f"/sessions/{uuid.uuid4()}")).status_code == 404


# --- Places --------------------------------------------------------------------------------------


async def test_registering_the_waitlist_and_a_place_coming_free(world: World, cast: Cast) -> None:
    slug = await world.network(cast.chair)
    await world.join(slug, cast.member)
    await world.join(slug, cast.second)
    session_id = await create(
        world, cast.chair, slug, session_form(next_friday(), title="Focus group", capacity="1")
    )
    page = f"/sessions/{session_id}"
    first, second = world.browser(cast.member), world.browser(cast.second)

    async def registered(browser: Browser) -> httpx.Response | None:
        response = await browser.submit(page, f"{page}/register", {})
        return response if response.status_code == 303 else None

    done = await eventually(lambda: registered(first))
    assert "done=registered" in done.headers["location"]
    shown = await first.get(done.headers["location"])
    assert "You have a place at this session." in shown.text
    assert "meet.example.org/friday" in shown.text  # registered: the joining link
    waiting = await eventually(lambda: registered(second))
    assert "done=waitlisted" in waiting.headers["location"]
    shown = await second.get(waiting.headers["location"])
    assert "You are on the waitlist, number 1" in text_of(shown)
    assert "Leave the waitlist" in shown.text

    cancelled = await first.submit(page, f"{page}/cancel-registration", {})
    assert cancelled.status_code == 303
    promoted = await eventually(lambda: _showing(second, page, "You have a place"))
    assert "Cancel my place" in promoted.text


async def _showing(browser: Browser, path: str, words: str) -> httpx.Response | None:
    page = await browser.get(path)
    return page if words in text_of(page) else None


async def test_registering_when_the_service_refuses_shows_why(world: World, cast: Cast) -> None:
    slug = await world.network(cast.chair)
    session_id = await create(world, cast.chair, slug, session_form(next_friday()))
    outsider = world.browser(cast.outsider)  # not a member of the network
    page = f"/sessions/{session_id}"
    refused = await outsider.submit(page, f"{page}/register", {})
    assert refused.status_code == 403, refused.text
    assert "There is a problem" in refused.text and "nhsuk-error-summary" in refused.text


# --- Organisers: one occurrence, the whole series --------------------------------------------


async def test_a_chair_cancels_one_friday_and_changes_another(world: World, cast: Cast) -> None:
    slug = await world.network(cast.chair)
    session_id = await create(world, cast.chair, slug, session_form(next_friday(), **WEEKLY))
    chair = world.browser(cast.chair)
    second = occurrence(next_friday(2))
    cancel = f"/sessions/{session_id}/occurrence/cancel?occurrence={second}"
    form = await chair.get(cancel)
    assert form.status_code == 200 and "This session and all the ones after it" in form.text
    done = await chair.submit(
        cancel, f"/sessions/{session_id}/occurrence/cancel", {"scope": "this"}
    )
    assert done.status_code == 303, done.text
    shown = await chair.get(done.headers["location"])
    assert "This session has been cancelled" in shown.text
    third = await chair.get(f"/sessions/{session_id}?occurrence={occurrence(next_friday(3))}")
    assert "This session has been cancelled" not in third.text
    listing = text_of(await chair.get(f"/networks/{slug}/sessions"))
    assert listing.count("Cancelled") == 1

    change = f"/sessions/{session_id}/occurrence/change?occurrence={occurrence(next_friday(3))}"
    moved = await chair.submit(
        change,
        f"/sessions/{session_id}/occurrence/change",
        {"scope": "this", "starts_at-time": "14:00", "title": "Friday huddle, later"},
    )
    assert moved.status_code == 303, moved.text
    shown = await chair.get(moved.headers["location"])
    assert "Friday huddle, later" in shown.text and "2pm to 3pm" in text_of(shown)
    # A cancelled Friday cannot be changed: the service's refusal, on the page.
    cancelled = f"/sessions/{session_id}/occurrence/change?occurrence={second}"
    refused = await chair.submit(
        cancelled, f"/sessions/{session_id}/occurrence/change", {"title": "Back on"}
    )
    assert refused.status_code == 409, refused.text
    problems_on(refused)
    # The fifth Friday and all after it.
    fifth = f"/sessions/{session_id}/occurrence/cancel?occurrence={occurrence(next_friday(5))}"
    done = await chair.submit(
        fifth, f"/sessions/{session_id}/occurrence/cancel", {"scope": "this_and_following"}
    )
    assert done.status_code == 303, done.text
    listing = text_of(await chair.get(f"/networks/{slug}/sessions"))
    assert listing.count("Cancelled") == 1 + 6  # the second, and the fifth to the tenth
    # The service's refusal on the change form: no such length.
    refused = await chair.submit(
        change, f"/sessions/{session_id}/occurrence/change", {"duration_minutes": "1"}
    )
    assert refused.status_code == 422 and "nhsuk-error-summary" in refused.text


async def test_a_chair_edits_the_whole_series(world: World, cast: Cast) -> None:
    slug = await world.network(cast.chair)
    session_id = await create(world, cast.chair, slug, session_form(next_friday(), **WEEKLY))
    chair = world.browser(cast.chair)
    edit = f"/sessions/{session_id}/edit"
    page = await chair.get(edit)
    assert page.status_code == 200 and 'value="Friday huddle"' in page.text
    form = session_form(next_friday(), **WEEKLY, title="Friday afternoon huddle")
    done = await chair.submit(edit, edit, form)
    assert done.status_code == 303, done.text
    assert "Friday afternoon huddle" in (await chair.get(f"/sessions/{session_id}")).text
    refused = await chair.submit(edit, edit, {**form, "title": ""})
    assert refused.status_code == 422 and "nhsuk-error-summary" in refused.text


# --- Attendance and feedback ------------------------------------------------------------------


async def test_attendance_then_feedback_once_and_the_summary_below_eight(
    world: World, cast: Cast
) -> None:
    """A series that began three weeks ago (an organiser recording history)."""
    slug = await world.network(cast.chair)
    await world.join(slug, cast.member)
    start = next_friday() - timedelta(weeks=3)
    session_id = await create(
        world,
        cast.chair,
        slug,
        session_form(start, **{**WEEKLY, "count": "6"}, title="History"),
    )
    chair, member = world.browser(cast.chair), world.browser(cast.member)
    held = occurrence(start)
    attendance = f"/sessions/{session_id}/attendance?occurrence={held}"
    page = await chair.get(attendance)
    assert page.status_code == 200, page.text
    no_count = await chair.submit(
        attendance, f"/sessions/{session_id}/attendance", {"how": "count", "count": ""}
    )
    assert no_count.status_code == 422 and "Enter how many people came" in no_count.text
    # Ticking someone the service does not know: its refusal on the page.
    refused = await chair.submit(
        attendance,
        f"/sessions/{session_id}/attendance",
        {"how": "names", "attended": str(cast.outsider.id)},
    )
    assert refused.status_code == 422, refused.text
    recorded = await chair.submit(
        attendance,
        f"/sessions/{session_id}/attendance",
        {"how": "names", "attended": str(cast.member.id)},
    )
    assert recorded.status_code == 200, recorded.text
    assert "Attendance recorded" in recorded.text

    feedback = f"/sessions/{session_id}/feedback?occurrence={held}"
    form = await member.get(feedback)
    assert form.status_code == 200 and "How would you rate it?" in form.text
    given = await member.submit(
        feedback, f"/sessions/{session_id}/feedback", {"rating": "4", "comment": "Useful."}
    )
    assert given.status_code == 200 and "Thank you for your feedback" in given.text
    again = await member.submit(feedback, f"/sessions/{session_id}/feedback", {"rating": "5"})
    assert again.status_code == 409 and "nhsuk-error-summary" in again.text
    # Someone who did not come: refused.
    outsider = await world.browser(cast.second).submit(
        feedback, f"/sessions/{session_id}/feedback", {"rating": "5"}
    )
    assert outsider.status_code in (403, 404)

    summary = await chair.get(f"/sessions/{session_id}/feedback/summary?occurrence={held}")
    assert summary.status_code == 200
    body = text_of(summary)
    assert "1 response" in body
    assert "Not enough responses to show without identifying people" in body
    assert "Useful." not in body


# --- Calendars ----------------------------------------------------------------------------------


async def test_add_to_calendar_and_the_personal_feed(world: World, cast: Cast) -> None:
    slug = await world.network(cast.chair)
    await world.join(slug, cast.member)
    session_id = await create(world, cast.chair, slug, session_form(next_friday(), **WEEKLY))
    member = world.browser(cast.member)
    friday = occurrence(next_friday())
    page = f"/sessions/{session_id}?occurrence={friday}"
    await eventually(lambda: _showing(member, page, "Register for this session"))
    await member.submit(page, f"/sessions/{session_id}/register", {})

    shown = await member.get(page)
    assert "calendar.google.com/calendar/render" in shown.text
    download = await member.get(f"/sessions/{session_id}/calendar.ics?occurrence={friday}")
    assert download.status_code == 200
    assert download.headers["content-type"].startswith("text/calendar")
    (event,) = icalendar.Calendar.from_ical(download.content).walk("VEVENT")
    assert event.decoded("DTSTART").astimezone(UTC) == next_friday().astimezone(UTC)

    made = await member.submit("/sessions/calendar-feed", "/sessions/calendar-feed", {})
    assert made.status_code == 200
    found = re.search(r"(/api/v1/calendar/[^\"<]+\.ics)", made.text)
    assert found, made.text
    feed = await world.site.client.get(found.group(1))
    assert feed.status_code == 200 and b"BEGIN:VEVENT" in feed.content
    revoked = await member.submit("/sessions/calendar-feed", "/sessions/calendar-feed/revoke", {})
    assert revoked.status_code == 200 and "no longer works" in revoked.text
    assert (await world.site.client.get(found.group(1))).status_code == 404


# --- What every page shows, and who sees it -----------------------------------------------------

# pydantic's own words, which a person should never read on a page
PROGRAMMERS_WORDS = re.compile(
    r"Input should|Value error|Field required|validation error|type=|String should|\{'"
)


def problems_on(response: httpx.Response) -> list[str]:
    """The error summary's messages, each checked to be in plain English."""
    found = re.search(r'nhsuk-error-summary__list">(.*?)</ul>', response.text, re.S)
    assert found, f"no error summary ({response.status_code})"
    messages = [
        " ".join(html.unescape(re.sub(r"<[^>]+>", " ", item)).split())
        for item in re.findall(r"<li>(.*?)</li>", found.group(1), re.S)
    ]
    assert messages and all(messages), response.text
    for message in messages:
        assert not PROGRAMMERS_WORDS.search(message), message
    return messages


async def test_the_refusals_read_in_plain_english(world: World, cast: Cast) -> None:
    slug = await world.network(cast.chair)
    chair = world.browser(cast.chair)
    new = f"/networks/{slug}/sessions/new"
    await create(world, cast.chair, slug, session_form(next_friday(), title="First"))
    for typed in (
        {"title": ""},
        {"duration_minutes": "1"},
        {"duration_minutes": "sixty"},
        {"capacity": "0"},
        {"joining_link": "meet.example.org"},
        {"time_zone": "Mars/Olympus"},
        {"repeat": "as_written", "rrule": "FREQ=SOMETIMES"},
        {"recorded": "yes"},
    ):
        refused = await chair.submit(new, new, session_form(next_friday(), **typed))
        assert refused.status_code in (409, 422), (typed, refused.text)
        problems_on(refused)


async def test_speakers_are_shown_and_an_unnamed_guest_is_not_named(
    world: World, cast: Cast
) -> None:
    slug = await world.network(cast.chair)
    speakers = {
        "format": "speaker_session",
        "speaker-0-name": "Dr Ada Guest",
        "speaker-0-named": "yes",
        "speaker-0-organisation": "Health Services Safety Investigations Body",
        "speaker-0-topic": "Learning from incidents",
        "speaker-1-name": "Shy Person",
        "speaker-1-organisation": "A hospital trust",
    }
    session_id = await create(world, cast.chair, slug, session_form(next_friday(), **speakers))
    page = text_of(await world.browser().get(f"/sessions/{session_id}")).replace(" ,", ",")
    assert "Speakers" in page and "Speaker session" in page
    assert (
        "Dr Ada Guest, Health Services Safety Investigations Body: Learning from incidents" in page
    )
    assert "Shy Person" not in page and "A guest speaker, A hospital trust" in page
    # The organisers named them: their edit keeps the name, and the guest unnamed to others.
    chair = world.browser(cast.chair)
    edit = f"/sessions/{session_id}/edit"
    form = await chair.get(edit)
    assert 'value="Shy Person"' in form.text
    assert dict(form_on(form, edit) or []).get("speaker-1-named") is None  # not ticked
    done = await chair.submit(edit, edit, {"speaker-1-topic": "Speaking up"})
    assert done.status_code == 303, done.text
    theirs = text_of(await chair.get(f"/sessions/{session_id}")).replace(" ,", ",")
    assert "Shy Person, A hospital trust: Speaking up (named only to organisers" in theirs
    page = text_of(await world.browser().get(f"/sessions/{session_id}")).replace(" ,", ",")
    assert "Shy Person" not in page and "A guest speaker, A hospital trust: Speaking up" in page
    # The service's refusal: a speaker with an organisation and no name.
    new = f"/networks/{slug}/sessions/new"
    refused = await chair.submit(
        new, new, session_form(next_friday(), **{"speaker-0-organisation": "Nameless Trust"})
    )
    assert refused.status_code == 422, refused.text
    problems_on(refused)


async def test_a_session_without_registration_shows_every_member_the_link(
    world: World, cast: Cast
) -> None:
    slug = await world.network(cast.chair)
    await world.join(slug, cast.member)
    session_id = await create(
        world, cast.chair, slug, session_form(next_friday(), registration="no")
    )
    page = f"/sessions/{session_id}"
    member = await eventually(
        lambda: _showing(world.browser(cast.member), page, "Join the session online")
    )
    assert "meet.example.org/friday" in member.text
    assert "There is no need to register" in text_of(member)
    assert form_on(member, f"{page}/register") is None
    # Not to a visitor, nor to someone outside the network, nor does registering work.
    for outside in (world.browser(), world.browser(cast.outsider)):
        shown = await outside.get(page)
        assert shown.status_code == 200 and "meet.example.org" not in shown.text
    refused = await world.browser(cast.member).forge(f"{page}/register", {})
    assert refused.status_code in (409, 422), refused.text
    problems_on(refused)


async def test_a_session_opened_to_another_network(world: World, cast: Cast) -> None:
    """The chair's forum opened to a regional network: its members find it among their
    sessions and register; the network it was not opened to is refused."""
    forum = await world.network(cast.chair, "approval")
    regional = await world.network(cast.chair, "approval")
    await world.invite(regional, cast.chair, cast.second)
    session_id = await create(
        world,
        cast.chair,
        forum,
        session_form(next_friday(), title="Specialists' forum", open_to_networks=[regional]),
    )
    guest = world.browser(cast.second)
    upcoming = await eventually(lambda: _showing(guest, "/sessions", "Specialists' forum"))
    assert upcoming.status_code == 200
    page = f"/sessions/{session_id}"
    shown = await guest.get(page)
    assert shown.status_code == 200 and "Members of other networks are welcome" in shown.text
    done = await guest.submit(page, f"{page}/register", {})
    assert done.status_code == 303 and "done=registered" in done.headers["location"]
    assert "meet.example.org/friday" in (await guest.get(done.headers["location"])).text
    # An approval network's sessions are refused to who is in neither network.
    outsider = world.browser(cast.outsider)
    assert (await outsider.get(page)).status_code == 403
    assert (await outsider.get(f"/networks/{forum}/sessions")).status_code == 403


async def test_the_calendar_feed_address_made_copied_and_stopped(world: World, cast: Cast) -> None:
    member = world.browser(cast.member)
    page = await member.get("/sessions/calendar-feed")
    assert page.status_code == 200 and "Get my calendar feed address" in page.text
    assert "feed-address" not in page.text  # shown only when made
    made = await member.submit("/sessions/calendar-feed", "/sessions/calendar-feed", {})
    assert made.status_code == 200, made.text
    address = _boxes(made)["feed-address"]
    assert re.fullmatch(r"http://127\.0\.0\.1:\d+/api/v1/calendar/[\w-]{20,}\.ics", address)
    assert "readonly" in made.text and address.replace("http://", "webcal://") in made.text
    assert 'data-huddle-copy="feed-address"' in made.text  # a button to copy it
    again = await member.submit("/sessions/calendar-feed", "/sessions/calendar-feed", {})
    assert _boxes(again)["feed-address"] != address  # a new one: the old stops working
    stopped = await member.submit("/sessions/calendar-feed", "/sessions/calendar-feed/revoke", {})
    assert stopped.status_code == 200 and "no longer works" in stopped.text
    assert "feed-address" not in stopped.text


def _boxes(page: httpx.Response) -> dict[str, str]:
    """The text boxes outside any form (such as an address to copy)."""
    return dict(re.findall(r'<input[^>]*name="([^"]+)"[^>]*value="([^"]*)"', page.text))


async def test_a_facilitator_organises_and_a_member_is_not_offered_to(
    world: World, cast: Cast
) -> None:
    """Not an instance admin: a facilitator of the network, as the service says."""
    slug = await world.network(cast.chair)
    facilitator = await world.site.person(name="Fay Facilitator")
    await world.invite(slug, cast.chair, facilitator, role="facilitator")
    await world.join(slug, cast.member)
    session_id = await create(world, facilitator, slug, session_form(next_friday(), **WEEKLY))
    page = f"/sessions/{session_id}?occurrence={occurrence(next_friday())}"
    theirs = await world.browser(facilitator).get(page)
    assert "For organisers" in theirs.text and "Record who came" in theirs.text
    assert "meet.example.org/friday" in theirs.text  # organisers have the link
    edit = await world.browser(facilitator).get(f"/sessions/{session_id}/edit")
    assert edit.status_code == 200
    members = await world.browser(cast.member).get(page)
    assert members.status_code == 200 and "For organisers" not in members.text
    listing = f"/networks/{slug}/sessions"
    assert "Create a session" in (await world.browser(facilitator).get(listing)).text
    assert "Create a session" not in (await world.browser(cast.member).get(listing)).text
    # A member posting an organiser's form all the same: the refusal, in words.
    refused = await world.browser(cast.member).forge(
        f"/sessions/{session_id}/occurrence/cancel", {"occurrence": occurrence(next_friday())}
    )
    assert refused.status_code == 403 and "You do not have permission" in refused.text


async def test_feedback_from_eight_shows_the_ratings_and_comments_without_names(
    world: World, cast: Cast
) -> None:
    slug = await world.network(cast.chair)
    people = await asyncio.gather(
        *(world.site.person(name=f"Attendee Number{n}") for n in range(8))
    )
    await asyncio.gather(*(world.join(slug, person) for person in people))
    start = next_friday() - timedelta(weeks=2)
    session_id = await create(world, cast.chair, slug, session_form(start, title="Held"))
    held = occurrence(start)
    chair = world.browser(cast.chair)
    attendance = f"/sessions/{session_id}/attendance?occurrence={held}"
    recorded = await chair.submit(
        attendance,
        f"/sessions/{session_id}/attendance",
        {"how": "names", "attended": [person.id for person in people]},
    )
    assert recorded.status_code == 200 and "Attendance recorded" in recorded.text
    feedback = f"/sessions/{session_id}/feedback?occurrence={held}"
    # Ticked as there without a place: the session page leads them to give feedback too.
    page = await world.browser(people[0]).get(f"/sessions/{session_id}?occurrence={held}")
    assert "This session has finished" in page.text and f'href="{feedback}"' in page.text
    for n, person in enumerate(people):
        given = await world.browser(person).submit(
            feedback,
            f"/sessions/{session_id}/feedback",
            {"rating": str(5 if n % 2 else 3), "comment": f"Comment number {n}."},
        )
        assert given.status_code == 200, given.text
    summary = await chair.get(f"/sessions/{session_id}/feedback/summary?occurrence={held}")
    body = text_of(summary)
    assert "8 responses" in body and "Not enough responses" not in body
    assert "5 - Excellent 4" in body and "3 - Good 4" in body and "1 - Poor 0" in body
    assert all(f"Comment number {n}." in body for n in range(8))
    assert "Attendee" not in body and "Number" not in body  # never with a name
    # A rating the service does not take: its refusal, in words.
    late = await world.site.person()
    await world.join(slug, late)
    refused = await world.browser(late).submit(
        feedback, f"/sessions/{session_id}/feedback", {"rating": "6"}
    )
    assert refused.status_code in (403, 422), refused.text
    problems_on(refused)
