"""Calendar feeds against the API: the gateway, membership and scheduling on real NATS and
FerretDB. A feed, parsed back with ``icalendar`` and expanded with ``recurring-ical-events``,
gives exactly the occurrences the API lists, in UTC, for a weekly series across the clocks
going forward (28 March 2027), with one Friday cancelled and one moved."""

import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import icalendar
import pytest
import recurring_ical_events
from support import eventually
from web_support import Person, Site, web_site

pytestmark = pytest.mark.component

WINDOW = {"from": "2027-03-01T00:00:00+00:00", "to": "2027-05-01T00:00:00+00:00"}
SERIES = {
    "title": "Friday huddle",
    "format": "discussion",
    "starts_at": "2027-03-05T13:00:00",  # GMT; from 2 April, BST
    "duration_minutes": 60,
    "time_zone": "Europe/London",
    "rrule": "FREQ=WEEKLY;BYDAY=FR;COUNT=8",
    "registration": True,
    "joining_link": "https://meet.example.org/friday-feeds",
}
CANCELLED = "2027-03-19T13:00:00+00:00"
MOVED = "2027-04-09T12:00:00+00:00"  # 13:00 BST, moved to 15:00 BST


@pytest.fixture(scope="module")
async def site(
    tmp_path_factory: pytest.TempPathFactory, mongodb_url: str, nats_credentials: Any
) -> AsyncIterator[Site]:
    async with web_site(
        tmp_path_factory, mongodb_url, nats_credentials, "membership", "scheduling"
    ) as site:
        yield site


async def _made(site: Site, chair: Person, slug: str, body: dict[str, Any]) -> str:
    async def created() -> str | None:
        response = await site.client.post(
            f"/api/v1/networks/{slug}/sessions", json=body, headers=chair.headers
        )
        return str(response.json()["id"]) if response.status_code == 201 else None

    return await eventually(created)  # the network reaches scheduling as an event


async def _join(site: Site, slug: str, member: Person) -> None:
    joined = await site.client.post(
        f"/api/v1/networks/{slug}/join",
        json={"accepted_ground_rules": True},
        headers=member.headers,
    )
    assert joined.status_code == 200, joined.text


def _expanded(document: bytes, session_id: str) -> list[tuple[datetime, str]]:
    calendar = icalendar.Calendar.from_ical(document)
    start, end = (datetime.fromisoformat(WINDOW[k]) for k in ("from", "to"))
    return sorted(
        (event.decoded("DTSTART").astimezone(UTC), str(event.get("STATUS", "CONFIRMED")))
        for event in recurring_ical_events.of(calendar).between(start, end)
        if str(event["UID"]).startswith(f"session-{session_id}")
    )


def _listed(items: list[dict[str, Any]], session_id: str) -> list[tuple[datetime, str]]:
    return sorted(
        (
            datetime.fromisoformat(item["starts_at"]).astimezone(UTC),
            "CANCELLED" if item["status"] == "cancelled" else "CONFIRMED",
        )
        for item in items
        if item["id"] == session_id
    )


def _well_formed(document: bytes) -> icalendar.Calendar:
    calendar = icalendar.Calendar.from_ical(document)
    events = calendar.walk("VEVENT")
    assert events and all("UID" in e and "DTSTAMP" in e for e in events)
    used = {e["DTSTART"].params.get("TZID") for e in events} - {None}
    assert used <= {str(tz["TZID"]) for tz in calendar.walk("VTIMEZONE")}
    return calendar


async def test_the_feeds_give_the_occurrences_the_api_lists_across_a_clock_change(
    site: Site,
) -> None:
    chair, member = await site.person(admin=True), await site.person(name="Fay Feeds")
    slug = await site.network(chair)
    await _join(site, slug, member)
    session_id = await _made(site, chair, slug, SERIES)
    path = f"/api/v1/sessions/{session_id}/occurrences"
    cancel = await site.client.delete(f"{path}/{CANCELLED}", headers=chair.headers)
    assert cancel.status_code == 204, cancel.text
    move = await site.client.patch(
        f"{path}/{MOVED}", json={"starts_at": "2027-04-09T15:00:00"}, headers=chair.headers
    )
    assert move.status_code == 200, move.text

    listed = await site.client.get(f"/api/v1/networks/{slug}/sessions", params=WINDOW)
    api = _listed(listed.json()["items"], session_id)
    assert len(api) == 8 and ("CANCELLED" in {status for _, status in api})
    hours = {moment.hour for moment, _ in api}
    assert hours == {13, 12, 14}  # 13:00 GMT, 13:00 BST, and the moved one at 15:00 BST

    feed = await site.client.get(f"/api/v1/networks/{slug}/calendar.ics")
    assert feed.status_code == 200 and feed.headers["content-type"].startswith("text/calendar")
    _well_formed(feed.content)
    assert _expanded(feed.content, session_id) == api
    assert b"friday-feeds" not in feed.content  # never a joining link in a network's feed
    again = await site.client.get(
        f"/api/v1/networks/{slug}/calendar.ics", headers={"If-None-Match": feed.headers["etag"]}
    )
    assert again.status_code == 304

    # The member's own feed: the Fridays they hold places on, with the joining link.
    held = ["2027-03-12T13:00:00+00:00", "2027-04-02T12:00:00+00:00", MOVED]
    for start in held:
        registered = await site.client.post(
            f"/api/v1/sessions/{session_id}/registrations",
            json={"occurrence_start": start},
            headers=member.headers,
        )
        assert registered.json() == {"status": "registered"}, registered.text
    made = await site.client.post("/api/v1/me/calendar-token", headers=member.headers)
    assert made.status_code == 201, made.text
    address = f"/api/v1/calendar/{made.json()['token']}.ics"
    personal = await site.client.get(address)
    assert personal.status_code == 200, personal.text
    _well_formed(personal.content)
    mine = [entry for entry in api if entry[0].isoformat() != CANCELLED]
    wanted = {datetime.fromisoformat(s) for s in held[:2]} | {datetime(2027, 4, 9, 14, tzinfo=UTC)}
    assert _expanded(personal.content, session_id) == [e for e in mine if e[0] in wanted]
    assert b"friday-feeds" in personal.content

    revoked = await site.client.delete("/api/v1/me/calendar-token", headers=member.headers)
    assert revoked.status_code == 204
    assert (await site.client.get(address)).status_code == 404


async def test_a_single_occurrence_file_and_who_may_read_feeds(site: Site) -> None:
    chair, member = await site.person(admin=True), await site.person(name="Olu Other")
    hidden = await site.network(chair, "invite_only")
    approval = await site.network(chair, "approval")
    await _made(site, chair, hidden, {**SERIES, "rrule": None})
    await _made(site, chair, approval, {**SERIES, "rrule": None})
    async with site.visitor() as visitor:
        assert (await visitor.get(f"/api/v1/networks/{hidden}/calendar.ics")).status_code == 404
        assert (await visitor.get(f"/api/v1/networks/{approval}/calendar.ics")).status_code == 403
        unknown = f"/api/v1/calendar/{uuid.uuid4().hex}{uuid.uuid4().hex}.ics"
        assert (await visitor.get(unknown)).status_code == 404

    open_slug = await site.network(chair)
    session_id = await _made(site, chair, open_slug, {**SERIES, "rrule": None})
    file = await site.client.get(f"/api/v1/sessions/{session_id}/calendar.ics")
    assert file.status_code == 200 and "attachment" in file.headers["content-disposition"]
    (event,) = _well_formed(file.content).walk("VEVENT")
    assert event.decoded("DTSTART").astimezone(UTC) == datetime(2027, 3, 5, 13, tzinfo=UTC)
    assert b"friday-feeds" not in file.content  # anonymous: no joining link
    # A member of the network, not registered: still no link; the organiser sees it.
    await _join(site, open_slug, member)
    as_member = await site.client.get(
        f"/api/v1/sessions/{session_id}/calendar.ics", headers=member.headers
    )
    assert as_member.status_code == 200 and b"friday-feeds" not in as_member.content
    as_chair = await site.client.get(
        f"/api/v1/sessions/{session_id}/calendar.ics", headers=chair.headers
    )
    assert b"friday-feeds" in as_chair.content
    missing = await site.client.get(
        f"/api/v1/sessions/{session_id}/occurrences/2027-03-06T13:00:00+00:00/calendar.ics"
    )
    assert missing.status_code == 404
    assert missing.headers["content-type"].startswith("application/problem+json")
