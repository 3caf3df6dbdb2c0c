"""The sessions pages in a Litestar test client, the scheduling service stood in for by a
fake that answers each RPC subject with the contract's shapes and records what it was
sent (the component tests run the same pages against the real service). What these check
is the page's own work: what a form sends, what an answer shows, where a refusal goes."""

import re
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from huddle_gateway.addresses import TrustedProxies
from huddle_gateway.auth import AccessTokens
from huddle_gateway.problems import EXCEPTION_HANDLERS, problem
from huddle_gateway.rpc import Rpc
from huddle_gateway.settings import GatewaySettings
from huddle_gateway.web import web_routes
from huddle_gateway.web.errors import with_error_pages
from huddle_gateway.web.pages import sessions as pages
from huddle_gateway.web.session import COOKIE, provide_web_caller
from huddle_shared.contracts import networks as network_contract
from huddle_shared.contracts import registrations as places
from huddle_shared.contracts import sessions as contract
from litestar.datastructures import State
from litestar.di import Provide
from litestar.testing import TestClient, create_test_client

pytestmark = pytest.mark.unit

SECRET = "a-test-secret-that-is-long-enough-to-pass-the-checks-0123456789"
SLUG = "patient-safety-management-network"
SESSION_ID = uuid.uuid4()
NEXT_FRIDAY = (datetime.now(UTC) + timedelta(days=7)).replace(
    hour=13, minute=0, second=0, microsecond=0
)
_CSRF = re.compile(r'name="_csrf_token" value="([^"]+)"')


def session_view(**changes: Any) -> dict[str, Any]:
    view = {
        "id": str(SESSION_ID),
        "slug": SLUG,
        "network_name": "Patient Safety Management Network",
        "title": "Friday huddle",
        "description": "Questions, practice and learning.",
        "format": "discussion",
        "attendance": "online",
        "venue": None,
        "starts_at": NEXT_FRIDAY.isoformat(),
        "time_zone": "Europe/London",
        "duration_minutes": 60,
        "capacity": 100,
        "registration": True,
        "rrule": "FREQ=WEEKLY;BYDAY=FR;COUNT=52",
        "joining_link": None,
        "agenda": "Welcome\nOpen discussion",
        "speakers": [
            {"member_id": None, "name": "Dr Ada Guest", "organisation": "A university", "topic": ""}
        ],
        "recorded": False,
        "not_recorded": True,
        "ground_rules": ["We do not record sessions."],
        "open_to_networks": [],
        "may_organise": False,
        "created_at": datetime.now(UTC).isoformat(),
    }
    return {**view, **changes}


def occurrence_view(start: datetime = NEXT_FRIDAY, **changes: Any) -> dict[str, Any]:
    view = {
        "id": str(SESSION_ID),
        "slug": SLUG,
        "title": "Friday huddle",
        "format": "discussion",
        "attendance": "online",
        "occurrence_start": start.isoformat(),
        "starts_at": start.isoformat(),
        "ends_at": (start + timedelta(hours=1)).isoformat(),
        "time_zone": "Europe/London",
        "status": "scheduled",
        "registered": 12,
        "waitlisted": 0,
        "capacity": 100,
        "my_registration": None,
    }
    return {**view, **changes}


class FakeService:
    """Answers by subject; ``refuse[subject]`` raises that problem instead."""

    def __init__(self) -> None:
        self.sent: list[tuple[str, dict[str, Any]]] = []
        self.session = session_view()
        self.occurrences = [occurrence_view(), occurrence_view(NEXT_FRIDAY + timedelta(days=7))]
        self.refuse: dict[str, Exception] = {}

    def answer(self, subject: str, body: dict[str, Any]) -> Any:
        self.sent.append((subject, body))
        if subject in self.refuse:
            raise self.refuse[subject]
        answers: dict[str, Any] = {
            contract.GET_SESSION: self.session,
            contract.LIST_SESSIONS: {"items": self.occurrences, "may_organise": True},
            contract.LIST_UPCOMING: {"items": self.occurrences},
            contract.CREATE_SESSION: self.session,
            contract.UPDATE_SESSION: self.session,
            contract.CHANGE_OCCURRENCE: self.occurrences[0],
            contract.CANCEL_OCCURRENCE: {},
            contract.OCCURRENCE_FILE: {"ics": "BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n", "etag": "x"},
            contract.CREATE_CALENDAR_TOKEN: {
                "token": "t" * 32,
                "created_at": datetime.now(UTC).isoformat(),
            },
            contract.REVOKE_CALENDAR_TOKEN: {},
            places.REGISTER: {"status": "waitlisted", "position": 3},
            places.CANCEL_REGISTRATION: {},
            places.MY_REGISTRATIONS: {"items": []},
            places.LIST_REGISTRATIONS: {
                "registered": 90,
                "waitlisted": 0,
                "capacity": 100,
                "listed": [],
            },
            places.RECORD_ATTENDANCE: {"attended": 70, "registered": 90},
            places.GIVE_FEEDBACK: {"rating": 4},
            places.FEEDBACK_SUMMARY: {
                "responses": 3,
                "enough_to_show": False,
                "message": "not enough responses to show without identifying people",
            },
            network_contract.GET_NETWORK: {
                "slug": SLUG,
                "name": "Patient Safety Management Network",
                "purpose": "",
                "parent_slug": None,
                "visibility": "open",
                "allowed_member_types": [],
                "ground_rules": [],
                "glossary": {},
                "region": None,
                "created_at": datetime.now(UTC).isoformat(),
                "my_role": "chair",
            },
            network_contract.LIST_NETWORKS: [],
        }
        return answers[subject]

    def bodies(self, subject: str) -> list[dict[str, Any]]:
        return [body for sent, body in self.sent if sent == subject]


class FakeRpc(Rpc):
    def __init__(self, service: FakeService) -> None:  # no NATS: the fake answers
        self.service = service

    async def send(self, subject: str, request: Any) -> Any:
        body = request.model_dump(mode="json") if hasattr(request, "model_dump") else request
        return self.service.answer(subject, dict(body))

    async def call(self, view: Any, subject: str, request: Any) -> Any:
        return view.model_validate(await self.send(subject, request))

    async def call_list(self, view: Any, subject: str, request: Any) -> Any:
        return [view.model_validate(item) for item in await self.send(subject, request)]


def site(service: FakeService) -> tuple[TestClient[Any], AccessTokens]:
    settings = GatewaySettings(HUDDLE_JWT_SECRET=SECRET)
    web = web_routes(settings)
    tokens = AccessTokens(SECRET, 900, "test")
    return create_test_client(
        route_handlers=pages.HANDLERS,
        dependencies={
            "rpc": Provide(lambda: FakeRpc(service), sync_to_thread=False),
            "caller": Provide(provide_web_caller),
        },
        template_config=web.templates,
        csrf_config=web.csrf,
        exception_handlers=with_error_pages(EXCEPTION_HANDLERS),
        state=State({"trusted_proxies": TrustedProxies(), "tokens": tokens}),
        raise_server_exceptions=False,
    ), tokens


def text(html: str) -> str:
    return " ".join(re.sub(r"<[^>]+>", " ", html).split())


def signed_in(client: TestClient[Any], tokens: AccessTokens) -> None:
    client.cookies.set(COOKIE, tokens.issue(uuid.uuid4()))


def post(client: TestClient[Any], form_path: str, action: str, data: dict[str, Any]) -> Any:
    token = _CSRF.search(client.get(form_path).text)
    assert token, f"no form on {form_path}"
    return client.post(action, data={**data, "_csrf_token": token.group(1)}, follow_redirects=False)


def test_the_session_page_shows_not_recorded_the_agenda_and_a_register_button() -> None:
    service = FakeService()
    client, tokens = site(service)
    with client:
        signed_in(client, tokens)
        page = client.get(f"/sessions/{SESSION_ID}")
    assert page.status_code == 200
    body = text(page.text)
    assert 'id="not-recorded"' in page.text and "Not recorded" in body
    assert "Every week on Friday, 52 times" in body
    assert "Register for this session" in body
    assert "Open discussion" in body and "Dr Ada Guest" in body
    assert "1pm to 2pm" in body
    assert "calendar.google.com/calendar/render" in page.text
    assert "/calendar.ics?occurrence=" in page.text
    assert "For organisers" not in body  # the service did not say may_organise


def test_a_visitor_is_asked_to_sign_in_to_register_and_sees_no_form() -> None:
    client, _ = site(FakeService())
    with client:
        page = client.get(f"/sessions/{SESSION_ID}")
    assert page.status_code == 200
    assert "Sign in to register" in page.text and "/register" not in page.text


def test_registering_on_a_full_session_says_the_waitlist_position() -> None:
    service = FakeService()
    client, tokens = site(service)
    path = f"/sessions/{SESSION_ID}?occurrence={pages.occurrence_name(NEXT_FRIDAY)}"
    with client:
        signed_in(client, tokens)
        done = post(
            client,
            path,
            f"/sessions/{SESSION_ID}/register",
            {"occurrence": pages.occurrence_name(NEXT_FRIDAY)},
        )
        assert done.status_code == 303
        assert "done=waitlisted" in done.headers["location"]
        shown = client.get(done.headers["location"])
    (sent,) = service.bodies(places.REGISTER)
    assert sent["session_id"] == str(SESSION_ID)
    assert datetime.fromisoformat(sent["occurrence_start"]) == NEXT_FRIDAY
    assert "you are on the waitlist" in text(shown.text)


def test_the_service_refusing_a_registration_is_shown_on_the_session_page() -> None:
    service = FakeService()
    service.refuse[places.REGISTER] = problem(
        403, "Forbidden", "Only members of the network can register.", type_="forbidden"
    )
    client, tokens = site(service)
    with client:
        signed_in(client, tokens)
        refused = post(client, f"/sessions/{SESSION_ID}", f"/sessions/{SESSION_ID}/register", {})
    assert refused.status_code == 403
    assert "There is a problem" in refused.text
    assert "Only members of the network can register." in refused.text


def test_an_occurrence_that_is_not_there_is_a_page_not_found() -> None:
    client, tokens = site(FakeService())
    with client:
        signed_in(client, tokens)
        missing = client.get(f"/sessions/{SESSION_ID}?occurrence=2020-01-03T13:00:00Z")
        garbled = client.get(f"/sessions/{SESSION_ID}?occurrence=yesterday")
    assert missing.status_code == 404 and garbled.status_code == 404


def test_creating_a_series_sends_the_repeat_choices_as_a_rule() -> None:
    service = FakeService()
    client, tokens = site(service)
    form = {
        "title": "Regional Patient Safety Partner meeting",
        "format": "peer_support",
        "attendance": "online",
        "starts_at-day": "7",
        "starts_at-month": "1",
        "starts_at-year": "2027",
        "starts_at-time": "14:00",
        "duration_minutes": "60",
        "time_zone": "Europe/London",
        "repeat": "monthly",
        "every": "2",
        "ordinal": "1",
        "weekday": "TH",
        "ends": "count",
        "count": "6",
        "registration": "yes",
        "capacity": "",
        "speaker-0-name": "Sam Guest",
        "speaker-0-organisation": "A charity",
        "speaker-0-topic": "",
        "speaker-1-name": "",
    }
    new = f"/networks/{SLUG}/sessions/new"
    with client:
        signed_in(client, tokens)
        created = post(client, new, new, form)
    assert created.status_code == 303, created.text
    (sent,) = service.bodies(contract.CREATE_SESSION)
    assert sent["rrule"] == "FREQ=MONTHLY;INTERVAL=2;BYDAY=1TH;COUNT=6"
    assert sent["starts_at"] == "2027-01-07T14:00:00"
    assert sent["capacity"] is None and sent["duration_minutes"] == 60
    assert sent["speakers"] == [
        {"name": "Sam Guest", "organisation": "A charity", "topic": "", "agreed_to_be_named": False}
    ]
    contract.CreateSession.model_validate(sent)  # the shape the service reads


def test_a_date_that_is_no_date_is_the_forms_own_message_and_nothing_is_sent() -> None:
    service = FakeService()
    client, tokens = site(service)
    new = f"/networks/{SLUG}/sessions/new"
    with client:
        signed_in(client, tokens)
        refused = post(
            client,
            new,
            new,
            {
                "title": "x",
                "starts_at-day": "31",
                "starts_at-month": "2",
                "starts_at-year": "2027",
                "starts_at-time": "13:00",
                "repeat": "none",
            },
        )
    assert refused.status_code == 422
    assert 'href="#starts_at-day"' in refused.text and "Enter a real date" in refused.text
    assert not service.bodies(contract.CREATE_SESSION)


def test_the_services_refusal_of_a_rule_is_shown_beside_the_repeat_choices() -> None:
    service = FakeService()
    service.refuse[contract.CREATE_SESSION] = problem(
        422,
        "Invalid request",
        "The request failed validation.",
        type_="invalid",
        errors=[{"field": "rrule", "message": "Value error, the rule must end"}],
    )
    client, tokens = site(service)
    new = f"/networks/{SLUG}/sessions/new"
    with client:
        signed_in(client, tokens)
        refused = post(
            client,
            new,
            new,
            {
                "title": "Weekly",
                "starts_at-day": "5",
                "starts_at-month": "3",
                "starts_at-year": "2027",
                "starts_at-time": "13:00",
                "repeat": "as_written",
                "rrule": "FREQ=WEEKLY",
            },
        )
    assert refused.status_code == 422
    assert 'href="#repeat"' in refused.text and "the rule must end" in refused.text
    assert 'value="Weekly"' in refused.text  # what was typed is kept


def test_editing_sends_only_what_changed() -> None:
    service = FakeService()
    service.session = session_view(may_organise=True)
    client, tokens = site(service)
    edit = f"/sessions/{SESSION_ID}/edit"
    with client:
        signed_in(client, tokens)
        # What the browser sends back: the boxes as the page filled them, one changed.
        values = pages.form_of_session(contract.SessionView.model_validate(service.session))
        values["title"] = "Friday afternoon huddle"
        done = post(client, edit, edit, values)
    assert done.status_code == 303, done.text
    (sent,) = service.bodies(contract.UPDATE_SESSION)
    assert sent == {"session_id": str(SESSION_ID), "title": "Friday afternoon huddle"}


def test_only_organisers_see_the_edit_form() -> None:
    client, tokens = site(FakeService())
    with client:
        signed_in(client, tokens)
        page = client.get(f"/sessions/{SESSION_ID}/edit")
    assert page.status_code == 403


def test_cancelling_this_and_the_following_dates() -> None:
    service = FakeService()
    service.session = session_view(may_organise=True)
    client, tokens = site(service)
    name = pages.occurrence_name(NEXT_FRIDAY)
    cancel = f"/sessions/{SESSION_ID}/occurrence/cancel?occurrence={name}"
    with client:
        signed_in(client, tokens)
        page = client.get(cancel)
        assert "This session and all the ones after it" in page.text
        done = post(
            client,
            cancel,
            f"/sessions/{SESSION_ID}/occurrence/cancel",
            {"occurrence": name, "scope": "this_and_following"},
        )
    assert done.status_code == 303
    (sent,) = service.bodies(contract.CANCEL_OCCURRENCE)
    assert sent["scope"] == "this_and_following"
    assert datetime.fromisoformat(sent["occurrence_start"]) == NEXT_FRIDAY


def test_feedback_rating_and_the_services_refusal_of_a_second_one() -> None:
    service = FakeService()
    client, tokens = site(service)
    name = pages.occurrence_name(NEXT_FRIDAY)
    path = f"/sessions/{SESSION_ID}/feedback?occurrence={name}"
    action = f"/sessions/{SESSION_ID}/feedback"
    with client:
        signed_in(client, tokens)
        unrated = post(client, path, action, {"occurrence": name})
        given = post(client, path, action, {"occurrence": name, "rating": "4", "comment": "Good"})
        service.refuse[places.GIVE_FEEDBACK] = problem(
            409, "Conflict", "You have given feedback on this session already.", type_="conflict"
        )
        again = post(client, path, action, {"occurrence": name, "rating": "5"})
    assert unrated.status_code == 422 and "Choose a rating" in unrated.text
    assert given.status_code == 200 and "Thank you for your feedback" in given.text
    assert service.bodies(places.GIVE_FEEDBACK)[0]["rating"] == 4
    assert again.status_code == 409 and "given feedback on this session already" in again.text


def test_the_feedback_summary_says_when_there_are_not_enough_responses() -> None:
    client, tokens = site(FakeService())
    with client:
        signed_in(client, tokens)
        page = client.get(f"/sessions/{SESSION_ID}/feedback/summary")
    assert page.status_code == 200
    assert "Not enough responses to show without identifying people" in page.text


def test_the_feedback_summary_shows_the_ratings_and_comments_when_there_are_enough() -> None:
    service = FakeService()
    client, tokens = site(service)
    service.refuse = {}
    summary = {
        "responses": 9,
        "enough_to_show": True,
        "distribution": {"5": 4, "4": 3, "3": 2},
        "comments": ["Really useful."],
    }
    original = service.answer

    def answer(subject: str, body: dict[str, Any]) -> Any:
        return summary if subject == places.FEEDBACK_SUMMARY else original(subject, body)

    service.answer = answer  # type: ignore[method-assign]
    with client:
        signed_in(client, tokens)
        page = client.get(f"/sessions/{SESSION_ID}/feedback/summary")
    body = text(page.text)
    assert "9 responses" in body and "Really useful." in body
    assert "5 - Excellent" in body and "<svg" in page.text


def test_attendance_as_a_count() -> None:
    service = FakeService()
    service.session = session_view(may_organise=True)
    client, tokens = site(service)
    name = pages.occurrence_name(NEXT_FRIDAY)
    path = f"/sessions/{SESSION_ID}/attendance?occurrence={name}"
    with client:
        signed_in(client, tokens)
        done = post(
            client,
            path,
            f"/sessions/{SESSION_ID}/attendance",
            {"occurrence": name, "how": "count", "count": "70"},
        )
    assert done.status_code == 200 and "70 came, of 90 registered" in text(done.text)
    assert service.bodies(places.RECORD_ATTENDANCE)[0]["count"] == 70


def test_the_calendar_file_is_a_download() -> None:
    client, _ = site(FakeService())
    with client:
        response = client.get(f"/sessions/{SESSION_ID}/calendar.ics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/calendar")
    assert "attachment" in response.headers["content-disposition"]


def test_the_calendar_feed_address_is_shown_once_made() -> None:
    client, tokens = site(FakeService())
    with client:
        signed_in(client, tokens)
        made = post(client, "/sessions/calendar-feed", "/sessions/calendar-feed", {})
        revoked = post(client, "/sessions/calendar-feed", "/sessions/calendar-feed/revoke", {})
    assert made.status_code == 200
    assert f"/api/v1/calendar/{'t' * 32}.ics" in made.text
    assert "no longer works" in revoked.text


def test_the_sessions_pages_need_a_member_except_reading() -> None:
    client, _ = site(FakeService())
    with client:
        for path in ("/sessions", "/sessions/calendar-feed", f"/networks/{SLUG}/sessions/new"):
            response = client.get(path, follow_redirects=False)
            assert response.status_code == 303, path
            assert response.headers["location"].startswith("/sign-in?next=")
        assert client.get(f"/networks/{SLUG}/sessions").status_code == 200


def test_upcoming_and_a_networks_list() -> None:
    client, tokens = site(FakeService())
    with client:
        signed_in(client, tokens)
        upcoming = client.get("/sessions")
        network = client.get(f"/networks/{SLUG}/sessions")
    assert upcoming.status_code == 200 and "Friday huddle" in upcoming.text
    assert "Create a session" in network.text  # the service says this member organises
    assert f"/api/v1/networks/{SLUG}/calendar.ics" in network.text


@pytest.mark.parametrize(
    ("hour", "minute", "words"),
    [(13, 0, "1pm"), (9, 30, "9:30am"), (12, 0, "midday"), (0, 0, "midnight")],
)
def test_times_read_as_the_nhs_writes_them(hour: int, minute: int, words: str) -> None:
    assert pages.clock(datetime(2027, 3, 5, hour, minute)) == words


def test_attendance_by_ticking_names_when_everyone_with_a_place_is_listed() -> None:
    service = FakeService()
    service.session = session_view(may_organise=True)
    people = [str(uuid.uuid4()), str(uuid.uuid4())]
    listed = {
        "registered": 2,
        "waitlisted": 0,
        "capacity": 6,
        "listed": [
            {"member_id": people[0], "display_name": "Ada One", "status": "registered"},
            {"member_id": people[1], "display_name": "Ben Two", "status": "registered"},
        ],
    }
    original = service.answer

    def answer(subject: str, body: dict[str, Any]) -> Any:
        if subject == places.LIST_REGISTRATIONS:
            service.sent.append((subject, body))
            return listed
        return original(subject, body)

    service.answer = answer  # type: ignore[method-assign]
    client, tokens = site(service)
    name = pages.occurrence_name(NEXT_FRIDAY)
    path = f"/sessions/{SESSION_ID}/attendance?occurrence={name}"
    with client:
        signed_in(client, tokens)
        page = client.get(path)
        assert "Ada One" in page.text and "Tick everyone who came" in page.text
        post(
            client,
            path,
            f"/sessions/{SESSION_ID}/attendance",
            {"occurrence": name, "how": "names", "attended": [people[1]]},
        )
    assert service.bodies(places.RECORD_ATTENDANCE)[0]["attended"] == [people[1]]


@pytest.mark.parametrize(
    ("message", "words"),
    [
        ("Input should be a valid integer, unable to parse string as an integer", "whole number"),
        ("Input should be greater than or equal to 5", "Enter 5 or more"),
        ("Input should be less than or equal to 1440", "Enter 1440 or less"),
        ("Input should be a valid URL, relative URL without a base", "starts with https://"),
        ("Input should be a valid datetime, invalid date separator", "real date and time"),
    ],
)
def test_the_session_forms_commonest_refusals_read_plainly(message: str, words: str) -> None:
    exc = problem(
        422,
        "Invalid request",
        "The request failed validation.",
        type_="invalid",
        errors=[{"field": "capacity", "message": message}],
    )
    _, fields = pages.problem_to_errors(exc)
    assert words in fields["capacity"]


def test_the_error_summary_says_which_box_it_means() -> None:
    """The summary is read apart from the form: "Enter this information" names its box;
    beside the box the message stays as it is."""
    exc = problem(
        422,
        "Invalid request",
        "The request failed validation.",
        type_="invalid",
        errors=[
            {"field": "title", "message": "String should have at least 1 character"},
            {"field": "speakers.1.name", "message": "Field required"},
            {"field": "somewhere_else", "message": "Something is wrong"},
        ],
    )
    summary, fields = pages.problem_to_errors(exc, pages.SESSION_FIELDS)
    assert [item["text"] for item in summary] == [
        "Title: enter this information",
        "Speaker 2, name: enter this information",
        "Something is wrong",
    ]
    assert fields["title"] == "Enter this information"
