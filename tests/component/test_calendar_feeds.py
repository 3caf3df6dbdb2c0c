"""The calendar feeds against the API: the gateway, membership and scheduling in-process on
real NATS and FerretDB. Each feed is read as a calendar app reads it (parsed with icalendar,
expanded with recurring-ical-events) and must give exactly the occurrences the API lists,
in UTC, for a weekly series over the March 2027 change to BST with one Friday cancelled and
one moved.
"""

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import icalendar
import pytest
import recurring_ical_events
from support import eventually
from web_support import Person, Site, web_site

pytestmark = pytest.mark.component

LONDON = ZoneInfo("Europe/London")
# Fridays 5 March to 23 April 2027 at 13:00 London; the clocks go forward on 28 March.
FIRST = datetime(2027, 3, 5, 13, 0, tzinfo=LONDON)
RULE = "FREQ=WEEKLY;BYDAY=FR;COUNT=8"
CANCELLED = datetime(2027, 3, 19, 13, 0, tzinfo=LONDON)  # GMT
MOVED = datetime(2027, 4, 2, 13, 0, tzinfo=LONDON)  # BST, moved to 15:30
MOVED_TO = "2027-04-02T15:30:00"
SINGLE = datetime(2027, 4, 14, 10, 0, tzinfo=LONDON)
FULL = datetime(2027, 4, 20, 11, 0, tzinfo=LONDON)  # one place, the chair's: member waits
WINDOW = (datetime(2027, 3, 1, tzinfo=UTC), datetime(2027, 5, 1, tzinfo=UTC))
LINK = "https://meet.example.org/friday-huddle"


def name(moment: datetime) -> str:
    """An occurrence's name as a path carries it (UTC, Z: no '+' to escape)."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass
class World:
    site: Site
    chair: Person  # an instance admin, chair of the networks they create
    member: Person
    slug: str
    series_id: str
    single_id: str

    @property
    def api(self) -> httpx.AsyncClient:
        return self.site.client


async def _created(site: Site, chair: Person, slug: str, body: dict[str, Any]) -> str:
    async def made() -> httpx.Response | None:
        # The network reaches scheduling as an event: until then it is not there.
        response = await site.client.post(
            f"/api/v1/networks/{slug}/sessions", json=body, headers=chair.headers
        )
        return response if response.status_code == 201 else None

    return str((await eventually(made)).json()["id"])


@pytest.fixture(scope="module")
async def world(
    tmp_path_factory: pytest.TempPathFactory, mongodb_url: str, nats_credentials: Any
) -> AsyncIterator[World]:
    async with web_site(
        tmp_path_factory, mongodb_url, nats_credentials, "membership", "scheduling"
    ) as site:
        chair, member = await asyncio.gather(site.person(admin=True), site.person(name="Mo Member"))
        slug = await site.network(chair, "open")
        joined = await site.client.post(
            f"/api/v1/networks/{slug}/join",
            json={"accepted_ground_rules": True},
            headers=member.headers,
        )
        assert joined.status_code in (200, 201), joined.text
        series_id = await _created(
            site,
            chair,
            slug,
            {
                "title": "Friday huddle",
                "format": "discussion",
                "starts_at": FIRST.replace(tzinfo=None).isoformat(),
                "duration_minutes": 60,
                "time_zone": "Europe/London",
                "rrule": RULE,
                "joining_link": LINK,
            },
        )
        single_id = await _created(
            site,
            chair,
            slug,
            {
                "title": "Regional meeting",
                "format": "speaker_session",
                "attendance": "in_person",
                "venue": {"name": "Leeds General Infirmary", "address": "Great George St"},
                "starts_at": SINGLE.replace(tzinfo=None).isoformat(),
                "duration_minutes": 90,
            },
        )
        full_id = await _created(
            site,
            chair,
            slug,
            {
                "title": "Focus group",
                "format": "focus_group",
                "starts_at": FULL.replace(tzinfo=None).isoformat(),
                "duration_minutes": 60,
                "capacity": 1,
            },
        )
        for person, state in ((chair, "registered"), (member, "waitlisted")):
            placed = await site.client.post(
                f"/api/v1/sessions/{full_id}/registrations", json={}, headers=person.headers
            )
            assert placed.json()["status"] == state, placed.text
        # The member takes places on three Fridays, one of which is then cancelled and
        # another moved; and on the single session.
        for occurrence in (FIRST, CANCELLED, MOVED):
            placed = await site.client.post(
                f"/api/v1/sessions/{series_id}/registrations",
                json={"occurrence_start": name(occurrence)},
                headers=member.headers,
            )
            assert placed.json()["status"] == "registered", placed.text
        placed = await site.client.post(
            f"/api/v1/sessions/{single_id}/registrations", json={}, headers=member.headers
        )
        assert placed.json()["status"] == "registered", placed.text
        cancelled = await site.client.delete(
            f"/api/v1/sessions/{series_id}/occurrences/{name(CANCELLED)}", headers=chair.headers
        )
        assert cancelled.status_code in (200, 204), cancelled.text
        moved = await site.client.patch(
            f"/api/v1/sessions/{series_id}/occurrences/{name(MOVED)}",
            json={"starts_at": MOVED_TO},
            headers=chair.headers,
        )
        assert moved.status_code == 200, moved.text
        yield World(site, chair, member, slug, series_id, single_id)


async def listed(world: World, headers: dict[str, str]) -> list[dict[str, Any]]:
    response = await world.api.get(
        f"/api/v1/networks/{world.slug}/sessions",
        params={"from": name(WINDOW[0]), "to": name(WINDOW[1])},
        headers=headers,
    )
    assert response.status_code == 200, response.text
    items: list[dict[str, Any]] = response.json()["items"]
    return items


def api_occurrences(items: list[dict[str, Any]]) -> list[tuple[datetime, str, str]]:
    return sorted(
        (
            datetime.fromisoformat(item["starts_at"]).astimezone(UTC),
            item["status"],
            item["title"],
        )
        for item in items
    )


def feed_occurrences(document: bytes) -> list[tuple[datetime, str, str]]:
    """As a calendar app shows them: STATUS read as scheduled or cancelled."""
    calendar = icalendar.Calendar.from_ical(document)
    found = []
    for event in recurring_ical_events.of(calendar).between(*WINDOW):
        status = "cancelled" if str(event.get("STATUS")) == "CANCELLED" else "scheduled"
        title = str(event["SUMMARY"]).removeprefix("Cancelled: ")
        found.append((event.decoded("DTSTART").astimezone(UTC), status, title))
    return sorted(found)


def assert_well_formed(response: httpx.Response) -> icalendar.Calendar:
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/calendar")
    assert response.headers["etag"].startswith('"')
    calendar = icalendar.Calendar.from_ical(response.content)
    events = calendar.walk("VEVENT")
    assert events
    for event in events:
        assert str(event["UID"]).endswith("@huddle")
        assert "DTSTAMP" in event
    used = {str(event["DTSTART"].params["TZID"]) for event in events}
    zones = [str(zone["TZID"]) for zone in calendar.walk("VTIMEZONE")]
    assert sorted(zones) == sorted(used) == ["Europe/London"]
    return calendar


async def test_the_network_feed_gives_exactly_the_listed_occurrences(world: World) -> None:
    items = await listed(world, {})
    want = api_occurrences(items)
    assert len(want) == 10  # eight Fridays, the single session and the focus group
    assert (CANCELLED.astimezone(UTC), "cancelled", "Friday huddle") in want
    moved_to = datetime.fromisoformat(MOVED_TO).replace(tzinfo=LONDON).astimezone(UTC)
    assert (moved_to, "scheduled", "Friday huddle") in want
    # 13:00 GMT is 13:00 UTC; 13:00 BST is 12:00 UTC.
    assert {start.hour for start, _, title in want if title == "Friday huddle"} == {13, 12, 14}

    feed = await world.api.get(f"/api/v1/networks/{world.slug}/calendar.ics")  # anonymous
    calendar = assert_well_formed(feed)
    assert feed_occurrences(feed.content) == want
    assert LINK.encode() not in feed.content  # never joining links in a network feed
    overrides = [event for event in calendar.walk("VEVENT") if "RECURRENCE-ID" in event]
    assert sorted(event.decoded("RECURRENCE-ID") for event in overrides) == [CANCELLED, MOVED]
    assert "Leeds General Infirmary" in str(
        next(e for e in calendar.walk("VEVENT") if "Regional" in str(e["SUMMARY"]))["LOCATION"]
    )


async def test_the_feeds_etag_answers_304_and_a_change_changes_it(world: World) -> None:
    path = f"/api/v1/networks/{world.slug}/calendar.ics"
    first = await world.api.get(path)
    etag = first.headers["etag"]
    again = await world.api.get(path)
    assert again.headers["etag"] == etag and again.content == first.content
    unchanged = await world.api.get(path, headers={"If-None-Match": etag})
    assert unchanged.status_code == 304 and unchanged.content == b""
    other = await world.api.get(path, headers={"If-None-Match": '"something-else"'})
    assert other.status_code == 200


async def test_the_personal_feed_gives_the_occurrences_i_hold_a_place_on(world: World) -> None:
    mine = [
        item
        for item in await listed(world, world.member.headers)
        if item["my_registration"] == "registered"
    ]
    want = api_occurrences(mine)
    # Three Fridays (one cancelled, one moved) and the single session; not the focus group
    # they wait for.
    assert len(want) == 4
    made = await world.api.post("/api/v1/me/calendar-token", headers=world.member.headers)
    assert made.status_code == 201, made.text
    path = f"/api/v1/calendar/{made.json()['token']}.ics"

    feed = await world.api.get(path)  # as a calendar app: no sign-in
    calendar = assert_well_formed(feed)
    assert feed_occurrences(feed.content) == want
    assert LINK.encode() in feed.content  # theirs: with the joining link
    (master,) = [
        e
        for e in calendar.walk("VEVENT")
        if "RRULE" in e and str(e["UID"]) == f"session-{world.series_id}@huddle"
    ]
    left_out = sorted(moment.dt for exdate in _list(master["EXDATE"]) for moment in exdate.dts)
    assert len(left_out) == 5  # the Fridays they hold no place on
    unchanged = await world.api.get(path, headers={"If-None-Match": feed.headers["etag"]})
    assert unchanged.status_code == 304

    revoked = await world.api.delete("/api/v1/me/calendar-token", headers=world.member.headers)
    assert revoked.status_code == 204
    gone = await world.api.get(path)
    assert gone.status_code == 404
    assert gone.headers["content-type"].startswith("application/problem+json")
    assert (await world.api.get("/api/v1/calendar/" + "x" * 43 + ".ics")).status_code == 404


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


async def test_a_new_token_replaces_the_old_one(world: World) -> None:
    first = await world.api.post("/api/v1/me/calendar-token", headers=world.member.headers)
    second = await world.api.post("/api/v1/me/calendar-token", headers=world.member.headers)
    old, new = (f"/api/v1/calendar/{r.json()['token']}.ics" for r in (first, second))
    assert (await world.api.get(old)).status_code == 404
    assert (await world.api.get(new)).status_code == 200


async def test_who_may_read_a_networks_feed(world: World) -> None:
    hidden = await world.site.network(world.chair, "invite_only")
    approval = await world.site.network(world.chair, "approval")
    for slug in (hidden, approval):  # until scheduling knows them, they are not there
        await eventually(
            lambda slug=slug: _answers(world, f"/api/v1/networks/{slug}/calendar.ics", 200)
        )
    assert (await world.api.get(f"/api/v1/networks/{hidden}/calendar.ics")).status_code == 404
    assert (await world.api.get(f"/api/v1/networks/{approval}/calendar.ics")).status_code == 403
    missing = await world.api.get("/api/v1/networks/no-such-network/calendar.ics")
    assert missing.status_code == 404


async def _answers(world: World, path: str, status: int) -> bool:
    """The chair (a member of every network they made) is answered ``status``."""
    response = await world.api.get(path, headers=world.chair.headers)
    return response.status_code == status


async def test_add_to_calendar_shows_the_link_only_to_those_the_page_shows_it(
    world: World,
) -> None:
    path = f"/api/v1/sessions/{world.series_id}/occurrences/{name(MOVED)}/calendar.ics"
    mine = await world.api.get(path, headers=world.member.headers)
    assert mine.status_code == 200 and mine.headers["content-type"].startswith("text/calendar")
    (event,) = icalendar.Calendar.from_ical(mine.content).walk("VEVENT")
    moved_to = datetime.fromisoformat(MOVED_TO).replace(tzinfo=LONDON)
    assert event.decoded("DTSTART") == moved_to
    assert LINK.encode() in mine.content  # they registered
    anyone = await world.api.get(path)
    assert anyone.status_code == 200 and LINK.encode() not in anyone.content
    not_one = f"/api/v1/sessions/{world.series_id}/occurrences/2027-03-06T13:00:00Z/calendar.ics"
    assert (await world.api.get(not_one)).status_code == 404
