"""The session page's "Add it to Google Calendar" address, built from the session's view
(presentation only: the times in UTC, never the joining link)."""

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import parse_qs, urlsplit
from zoneinfo import ZoneInfo

import pytest
from huddle_gateway.web.pages.sessions import google_calendar_link
from huddle_shared.contracts import sessions as contract

pytestmark = pytest.mark.unit

LONDON = ZoneInfo("Europe/London")
SESSION_ID = uuid.uuid4()
PAGE = f"https://huddle.example.org/sessions/{SESSION_ID}?occurrence=2027-04-02T12:00:00Z"


def session(**changes: Any) -> contract.SessionView:
    view: dict[str, Any] = {
        "id": SESSION_ID,
        "slug": "psmn",
        "network_name": "Patient Safety Management Network",
        "title": "Friday huddle",
        "description": "",
        "format": "discussion",
        "attendance": "online",
        "venue": None,
        "starts_at": datetime(2027, 3, 5, 13, 0, tzinfo=LONDON),
        "time_zone": "Europe/London",
        "duration_minutes": 60,
        "capacity": None,
        "registration": True,
        "rrule": "FREQ=WEEKLY;BYDAY=FR;COUNT=8",
        "joining_link": "https://meet.example.org/secret-room",
        "agenda": "",
        "speakers": [],
        "recorded": False,
        "not_recorded": True,
        "ground_rules": [],
        "open_to_networks": [],
        "may_organise": False,
        "created_at": datetime(2027, 1, 4, tzinfo=UTC),
    }
    return contract.SessionView.model_validate({**view, **changes})


def occurrence(start: datetime, **changes: Any) -> contract.OccurrenceView:
    view: dict[str, Any] = {
        "id": SESSION_ID,
        "slug": "psmn",
        "title": "Friday huddle (moved)",
        "format": "discussion",
        "attendance": "online",
        "occurrence_start": start,
        "starts_at": start,
        "ends_at": start + timedelta(minutes=90),
        "time_zone": "Europe/London",
        "status": "scheduled",
        "registered": 0,
        "waitlisted": 0,
        "capacity": None,
    }
    return contract.OccurrenceView.model_validate({**view, **changes})


def query_of(link: str) -> dict[str, str]:
    parts = urlsplit(link)
    assert (parts.scheme, parts.netloc, parts.path) == (
        "https",
        "calendar.google.com",
        "/calendar/render",
    )
    return {name: values[0] for name, values in parse_qs(parts.query).items()}


def test_the_link_has_the_occurrences_title_and_its_times_in_utc_in_summer_time() -> None:
    start = datetime(2027, 4, 2, 13, 0, tzinfo=LONDON)  # BST: 12:00 UTC
    query = query_of(google_calendar_link(session(), occurrence(start), PAGE))
    assert query["action"] == "TEMPLATE"
    assert query["text"] == "Friday huddle (moved)"
    assert query["dates"] == "20270402T120000Z/20270402T133000Z"
    assert query["location"] == "Online"
    assert PAGE in query["details"]
    assert "Patient Safety Management Network" in query["details"]


def test_in_winter_the_wall_clock_time_is_utc() -> None:
    start = datetime(2027, 3, 19, 13, 0, tzinfo=LONDON)  # GMT
    query = query_of(google_calendar_link(session(), occurrence(start), PAGE))
    assert query["dates"] == "20270319T130000Z/20270319T143000Z"


def test_never_the_joining_link_and_the_venue_where_there_is_one() -> None:
    start = datetime(2027, 3, 19, 13, 0, tzinfo=LONDON)
    venue = {"name": "Leeds General Infirmary", "address": "Great George St, Leeds"}
    shown = session(attendance="in_person", venue=venue)
    link = google_calendar_link(shown, occurrence(start, attendance="in_person"), PAGE)
    assert "secret-room" not in link
    assert query_of(link)["location"] == "Leeds General Infirmary, Great George St, Leeds"
