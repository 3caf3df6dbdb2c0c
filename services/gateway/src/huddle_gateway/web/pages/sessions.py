"""The sessions pages: what is coming up, a network's sessions, a session (or one occurrence
of a series) with its places, calendar and joining link; organisers' forms to create and
change sessions and series, cancel an occurrence, record attendance and read feedback; a
member's feedback and their personal calendar feed.

Every rule is the scheduling service's: who may see, register, organise, what a valid
rule or capacity is, who may give feedback and when there are enough responses to show.
The pages turn a form into the contract's fields (a date from its three boxes, the repeat
choices into RRULE text) and show the service's answer or its refusal.
"""

import asyncio
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from urllib.parse import quote, urlencode
from uuid import UUID
from zoneinfo import ZoneInfo

from huddle_shared.contracts import networks as network_contract
from huddle_shared.contracts import registrations as places
from huddle_shared.contracts import sessions as contract
from huddle_shared.contracts.common import Empty
from litestar import Request, Response, get, post
from litestar.datastructures import FormMultiDict
from litestar.di import NamedDependency
from litestar.exceptions import NotFoundException
from litestar.params import FromPath
from litestar.plugins.problem_details import ProblemDetailsException
from litestar.response import Redirect, Template

from huddle_gateway.rpc import Rpc
from huddle_gateway.web import forms, recurrence
from huddle_gateway.web.charts import bar_chart
from huddle_gateway.web.forms import FormProblem, render_page
from huddle_gateway.web.session import caller_of, is_secure, require_member

PAGES = "pages/sessions/"
# The service's refusals a page shows beside its form; 401 sends to sign in, 5xx is the
# error page.
SHOWN_ON_THE_PAGE = {400, 403, 404, 409, 422, 429}
NO_STORE = {"Cache-Control": "no-store"}

# How the codes read (presentation only: the contracts say which exist).
FORMATS = {
    contract.SessionFormat.DISCUSSION: "Discussion",
    contract.SessionFormat.SPEAKER_SESSION: "Speaker session",
    contract.SessionFormat.FOCUS_GROUP: "Focus group",
    contract.SessionFormat.PEER_SUPPORT: "Peer support",
    contract.SessionFormat.SYMPOSIUM: "Symposium",
}
WHERE = {
    contract.Attendance.ONLINE: "Online",
    contract.Attendance.IN_PERSON: "In person",
    contract.Attendance.BOTH: "In person, and online for those who cannot come",
}
SCOPES = {
    contract.ChangeScope.THIS: "Only this session",
    contract.ChangeScope.THIS_AND_FOLLOWING: "This session and all the ones after it",
}
RATINGS = {1: "1 - Poor", 2: "2 - Fair", 3: "3 - Good", 4: "4 - Very good", 5: "5 - Excellent"}
WORDS = {
    "formats": FORMATS,
    "where": WHERE,
    "scopes": SCOPES,
    "ratings": RATINGS,
    "weekdays": recurrence.WEEKDAYS,
    "ordinals": recurrence.ORDINALS,
}

SPEAKER_SLOTS = 3  # blank speaker rows on a new form (and at least this many on an edit)
YEAR = timedelta(days=366)
NEAR = timedelta(days=45)  # the window that finds one occurrence, wherever it was moved


# --- Words for times -------------------------------------------------------------------------


def clock(moment: datetime) -> str:
    """13:00 as the NHS writes it: 1pm, 1:30pm, midday, midnight."""
    if (moment.hour, moment.minute) == (12, 0):
        return "midday"
    if (moment.hour, moment.minute) == (0, 0):
        return "midnight"
    hour = moment.hour % 12 or 12
    minutes = f":{moment.minute:02d}" if moment.minute else ""
    return f"{hour}{minutes}{'am' if moment.hour < 12 else 'pm'}"


def long_date(moment: datetime | date) -> str:
    return f"{moment:%A} {moment.day} {moment:%B %Y}"


def when(starts_at: datetime, ends_at: datetime, time_zone: str) -> str:
    """ "Friday 5 March 2027, 1pm to 2pm", in the session's own time zone (named unless it
    is the United Kingdom's)."""
    zone = ZoneInfo(time_zone)
    start, end = starts_at.astimezone(zone), ends_at.astimezone(zone)
    text = f"{long_date(start)}, {clock(start)} to {clock(end)}"
    if end.date() != start.date():
        text = f"{long_date(start)}, {clock(start)} to {long_date(end)}, {clock(end)}"
    if time_zone != contract.DEFAULT_TIME_ZONE:
        text += f" ({time_zone.replace('_', ' ')} time)"
    return text


def occurrence_name(moment: datetime) -> str:
    """An occurrence in an address: its UTC instant, with no "+" to encode."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def occurrence_path(session_id: UUID, occurrence_start: datetime | None, page: str = "") -> str:
    path = f"/sessions/{session_id}{page}"
    if occurrence_start is None:
        return path
    return f"{path}?occurrence={occurrence_name(occurrence_start)}"


def _parse_occurrence(text: str | None) -> datetime | None:
    """``?occurrence=``: an instant with its offset ("+" may arrive as a space); anything
    else names no occurrence, so the page is not found."""
    if not text:
        return None
    try:
        moment = datetime.fromisoformat(text.strip().replace(" ", "+"))
    except ValueError:
        raise NotFoundException() from None
    if moment.tzinfo is None:
        raise NotFoundException()
    return moment


# --- Reading from the service ---------------------------------------------------------------


async def _session(rpc: Rpc, session_id: UUID) -> contract.SessionView:
    return await rpc.call(contract.SessionView, contract.GET_SESSION, {"session_id": session_id})


async def _network_listing(
    rpc: Rpc, slug: str, start: datetime, end: datetime
) -> contract.OccurrenceList:
    body = {"slug": slug, "from": start.isoformat(), "to": end.isoformat()}
    return await rpc.call(contract.OccurrenceList, contract.LIST_SESSIONS, body)


async def _listing(
    rpc: Rpc, slug: str, start: datetime, end: datetime
) -> list[contract.OccurrenceView]:
    return (await _network_listing(rpc, slug, start, end)).items


async def _occurrences_of(
    rpc: Rpc, session: contract.SessionView, start: datetime, end: datetime
) -> list[contract.OccurrenceView]:
    """The session's occurrences in a window. Its network's listing, or, for a member of a
    network it was opened to (whom that network's listing refuses), the caller's own
    sessions across their networks, which the service says include it."""
    try:
        listed = await _listing(rpc, session.slug, start, end)
    except ProblemDetailsException as exc:
        if exc.status_code not in (403, 404) or not session.open_to_networks:
            raise
        window = {"from": start.isoformat(), "to": end.isoformat()}
        listed = (await rpc.call(contract.OccurrenceList, contract.LIST_UPCOMING, window)).items
    return [o for o in listed if o.id == session.id]


async def _network_or_none(rpc: Rpc, slug: str) -> network_contract.NetworkView | None:
    """The network, when the caller may see it (a visitor may not: the sessions of an open
    network are still theirs to read)."""
    try:
        return await rpc.call(
            network_contract.NetworkView, network_contract.GET_NETWORK, {"slug": slug}
        )
    except ProblemDetailsException as exc:
        if exc.status_code in (401, 403, 404, 422):
            return None
        raise


async def _occurrence(
    rpc: Rpc, session: contract.SessionView, at: datetime | None
) -> contract.OccurrenceView | None:
    """The occurrence ``at`` names (None: a single session's only one, or a series' next),
    as the listing gives it, with its counts and the caller's registration."""
    if at is None:
        if session.rrule:
            now = datetime.now(UTC)
            coming = await _occurrences_of(rpc, session, now, now + YEAR)
            if coming:
                return coming[0]
        at = session.starts_at
    near = await _occurrences_of(rpc, session, at - NEAR, at + NEAR)
    return next((o for o in near if o.occurrence_start == at), None)


async def _my_registration(
    rpc: Rpc, request: Request[Any, Any, Any], occurrence: contract.OccurrenceView | None
) -> places.MyRegistration | None:
    if occurrence is None or occurrence.my_registration is None:
        return None
    if caller_of(request).member_id is None:
        return None
    mine = await rpc.call(places.MyRegistrations, places.MY_REGISTRATIONS, Empty())
    return next(
        (
            r
            for r in mine.items
            if r.session_id == occurrence.id and r.occurrence_start == occurrence.occurrence_start
        ),
        None,
    )


# What each box is called in the error summary, which is read apart from the form: "Enter
# this information" says which box it means there.
BOX_NAMES = {
    "title": "Title",
    "description": "What it is about",
    "format": "Kind of session",
    "attendance": "Where it happens",
    "venue_name": "Name of the venue",
    "venue_address": "Address of the venue",
    "venue_access_notes": "Getting there and access",
    "starts_at-day": "Date",
    "starts_at-time": "Start time",
    "duration_minutes": "Length in minutes",
    "time_zone": "Time zone",
    "capacity": "Places",
    "registration": "Registering",
    "repeat": "How often",
    "joining_link": "Joining link",
    "agenda": "Agenda",
    "recorded": "Recording",
    "open_to_networks": "Other networks",
    "scope": "Which sessions",
    "count": "How many came",
    "attended": "Who came",
    "rating": "Rating",
    "comment": "Comment",
    **{
        f"speaker-{index}-{box}": f"Speaker {index + 1}, {words}"
        for index in range(contract.MAX_SPEAKERS)
        for box, words in (("name", "name"), ("organisation", "organisation"), ("topic", "topic"))
    },
}


def problem_to_errors(
    exc: ProblemDetailsException, fields: dict[str, str] | None = None
) -> tuple[list[dict[str, str]], dict[str, str]]:
    """The service's refusal as the page shows it; each summary line names its box."""
    return forms.problem_to_errors(exc, fields, BOX_NAMES)


def _shown(exc: ProblemDetailsException) -> bool:
    return exc.status_code in SHOWN_ON_THE_PAGE


def _site(request: Request[Any, Any, Any]) -> str:
    base = request.base_url
    scheme = "https" if is_secure(request) else base.scheme
    return f"{scheme}://{base.netloc}"


def google_calendar_link(
    session: contract.SessionView, occurrence: contract.OccurrenceView, page: str
) -> str:
    """Google Calendar's "add an event" address: the title, the times in UTC, the session's
    page (never the joining link: an address can be passed on)."""
    stamp = "%Y%m%dT%H%M%SZ"
    start, end = occurrence.starts_at.astimezone(UTC), occurrence.ends_at.astimezone(UTC)
    where = session.venue.name + ", " + session.venue.address if session.venue else "Online"
    query = {
        "action": "TEMPLATE",
        "text": occurrence.title,
        "dates": f"{start:{stamp}}/{end:{stamp}}",
        "details": f"{session.network_name}. Details and joining link: {page}",
        "location": where,
        "ctz": occurrence.time_zone,
    }
    return "https://calendar.google.com/calendar/render?" + urlencode(query)


def _row(occurrence: contract.OccurrenceView, network: str | None = None) -> dict[str, Any]:
    """One occurrence in a list, as the templates show it."""
    capacity = occurrence.capacity
    if occurrence.status == contract.OccurrenceStatus.CANCELLED:
        places_text = "Cancelled"
    elif capacity is None:
        places_text = f"{occurrence.registered} registered"
    else:
        left = max(capacity - occurrence.registered, 0)
        places_text = f"{left} of {capacity} places left" if left else "Full: waitlist open"
    return {
        "href": occurrence_path(occurrence.id, occurrence.occurrence_start),
        "title": occurrence.title,
        "when": when(occurrence.starts_at, occurrence.ends_at, occurrence.time_zone),
        "format": FORMATS[occurrence.format],
        "where": WHERE[occurrence.attendance],
        "cancelled": occurrence.status == contract.OccurrenceStatus.CANCELLED,
        "places": places_text,
        "mine": occurrence.my_registration.value if occurrence.my_registration else None,
        "network": network,
    }


# --- Lists ---------------------------------------------------------------------------------


@get("/sessions", name="sessions:upcoming")
async def upcoming_page(request: Request[Any, Any, Any], rpc: NamedDependency[Rpc]) -> Template:
    require_member(request)
    upcoming, mine, networks = await asyncio.gather(
        rpc.call(contract.OccurrenceList, contract.LIST_UPCOMING, {}),
        rpc.call(places.MyRegistrations, places.MY_REGISTRATIONS, Empty()),
        rpc.call_list(network_contract.NetworkView, network_contract.LIST_NETWORKS, Empty()),
    )
    names = {network.slug: network.name for network in networks}
    registrations = [
        {
            "href": occurrence_path(r.session_id, r.occurrence_start),
            "title": r.title,
            "when": f"{long_date(r.starts_at.astimezone(ZoneInfo(contract.DEFAULT_TIME_ZONE)))}, "
            f"{clock(r.starts_at.astimezone(ZoneInfo(contract.DEFAULT_TIME_ZONE)))}",
            "status": r.status.value,
            "position": r.position,
            "network": names.get(r.slug, ""),
        }
        for r in mine.items
        if r.starts_at >= datetime.now(UTC) - timedelta(hours=12)
    ]
    context = {
        "sessions": [_row(o, names.get(o.slug, "")) for o in upcoming.items],
        "registrations": registrations,
        "my_networks": [n for n in networks if n.my_role is not None],
        **WORDS,
    }
    return render_page(PAGES + "upcoming.jinja", context, headers=NO_STORE)


@get("/networks/{slug:str}/sessions", name="sessions:network")
async def network_sessions_page(
    request: Request[Any, Any, Any], slug: FromPath[str], rpc: NamedDependency[Rpc]
) -> Template:
    """Anyone may look at an open network's sessions; the service says who may see which."""
    past = request.query_params.get("past") == "yes"
    now = datetime.now(UTC)
    start, end = (now - YEAR, now) if past else (now, now + YEAR)
    try:
        listing, network = await asyncio.gather(
            _network_listing(rpc, slug, start, end), _network_or_none(rpc, slug)
        )
    except ProblemDetailsException as exc:
        if exc.status_code == 422:  # not a network's name at all
            raise NotFoundException() from None
        raise
    listed = list(reversed(listing.items)) if past else listing.items
    organiser = listing.may_organise  # the service's answer for this caller
    context = {
        "slug": slug,
        "network": network,
        "name": network.name if network else slug.replace("-", " ").capitalize(),
        "sessions": [_row(o) for o in listed],
        "past": past,
        "organiser": organiser,
        "feed": f"{_site(request)}/api/v1/networks/{slug}/calendar.ics",
        **WORDS,
    }
    return render_page(PAGES + "network.jinja", context)


# --- A session -------------------------------------------------------------------------------


@dataclass
class Shown:
    """What a session page shows, read once for its GET and for a refused form."""

    session: contract.SessionView
    occurrence: contract.OccurrenceView | None
    registration: places.MyRegistration | None
    coming: list[dict[str, Any]]


async def _shown_session(
    rpc: Rpc, request: Request[Any, Any, Any], session_id: UUID, at: datetime | None
) -> Shown:
    session = await _session(rpc, session_id)
    occurrence = await _occurrence(rpc, session, at)
    if at is not None and occurrence is None:
        raise NotFoundException()
    coming: list[dict[str, Any]] = []
    registration: places.MyRegistration | None
    if session.rrule:
        now = datetime.now(UTC)
        listed, registration = await asyncio.gather(
            _occurrences_of(rpc, session, now, now + timedelta(days=120)),
            _my_registration(rpc, request, occurrence),
        )
        coming = [_row(o) for o in listed][:8]
    else:
        registration = await _my_registration(rpc, request, occurrence)
    return Shown(session, occurrence, registration, coming)


def _session_page(
    request: Request[Any, Any, Any],
    shown: Shown,
    *,
    exc: ProblemDetailsException | None = None,
    status: int = 200,
) -> Template:
    session, occurrence = shown.session, shown.occurrence
    summary, errors = problem_to_errors(exc) if exc is not None else ([], {})
    signed_in = caller_of(request).member_id is not None
    page = ""
    started = ended = False
    google = ""
    if occurrence is not None:
        page = _site(request) + occurrence_path(session.id, occurrence.occurrence_start)
        now = datetime.now(UTC)
        started, ended = occurrence.starts_at <= now, occurrence.ends_at <= now
        google = google_calendar_link(session, occurrence, page)
    context = {
        "session": session,
        "occurrence": occurrence,
        "row": _row(occurrence) if occurrence else None,
        "when": when(occurrence.starts_at, occurrence.ends_at, occurrence.time_zone)
        if occurrence
        else "",
        "repeats": recurrence.describe(session.rrule),
        "registration": shown.registration,
        "coming": shown.coming,
        "signed_in_member": signed_in,
        "started": started,
        "ended": ended,
        "occurrence_value": occurrence_name(occurrence.occurrence_start) if occurrence else "",
        "query": f"?occurrence={occurrence_name(occurrence.occurrence_start)}"
        if occurrence
        else "",
        "ics": occurrence_path(
            session.id, occurrence.occurrence_start if occurrence else None, "/calendar.ics"
        ),
        "google": google,
        "done": request.query_params.get("done", ""),
        "sign_in_next": quote(
            occurrence_path(session.id, occurrence.occurrence_start if occurrence else None),
            safe="/",
        ),
        "error_summary": summary,
        "errors": errors,
        **WORDS,
    }
    return render_page(PAGES + "session.jinja", context, status=status, headers=NO_STORE)


@get("/sessions/{session_id:uuid}", name="sessions:session")
async def session_page(
    request: Request[Any, Any, Any], session_id: FromPath[UUID], rpc: NamedDependency[Rpc]
) -> Template:
    at = _parse_occurrence(request.query_params.get("occurrence"))
    return _session_page(request, await _shown_session(rpc, request, session_id, at))


async def _occurrence_of_form(request: Request[Any, Any, Any]) -> tuple[FormMultiDict, str]:
    form = await request.form()
    return form, str(form.get("occurrence") or "")


def _back_to(session_id: UUID, occurrence: str, done: str = "") -> Redirect:
    query = {k: v for k, v in (("occurrence", occurrence), ("done", done)) if v}
    suffix = f"?{urlencode(query)}" if query else ""
    return Redirect(f"/sessions/{session_id}{suffix}", status_code=303)


async def _refused_on_session(
    request: Request[Any, Any, Any],
    rpc: Rpc,
    session_id: UUID,
    occurrence: str,
    exc: ProblemDetailsException,
) -> Template:
    if not _shown(exc):
        raise exc
    shown = await _shown_session(rpc, request, session_id, _parse_occurrence(occurrence))
    return _session_page(request, shown, exc=exc, status=exc.status_code)


def _occurrence_body(session_id: UUID, occurrence: str) -> dict[str, Any]:
    body: dict[str, Any] = {"session_id": str(session_id)}
    if occurrence:
        body["occurrence_start"] = occurrence
    return body


@post("/sessions/{session_id:uuid}/register", name="sessions:register")
async def register(
    request: Request[Any, Any, Any], session_id: FromPath[UUID], rpc: NamedDependency[Rpc]
) -> Template | Redirect:
    require_member(request)
    _, occurrence = await _occurrence_of_form(request)
    try:
        result = await rpc.call(
            places.RegistrationResult, places.REGISTER, _occurrence_body(session_id, occurrence)
        )
    except ProblemDetailsException as exc:
        return await _refused_on_session(request, rpc, session_id, occurrence, exc)
    return _back_to(session_id, occurrence, result.status.value)


@post("/sessions/{session_id:uuid}/cancel-registration", name="sessions:cancel-registration")
async def cancel_registration(
    request: Request[Any, Any, Any], session_id: FromPath[UUID], rpc: NamedDependency[Rpc]
) -> Template | Redirect:
    require_member(request)
    _, occurrence = await _occurrence_of_form(request)
    try:
        await rpc.send(places.CANCEL_REGISTRATION, _occurrence_body(session_id, occurrence))
    except ProblemDetailsException as exc:
        return await _refused_on_session(request, rpc, session_id, occurrence, exc)
    return _back_to(session_id, occurrence, "cancelled")


@get("/sessions/{session_id:uuid}/calendar.ics", name="sessions:calendar-file")
async def calendar_file(
    request: Request[Any, Any, Any], session_id: FromPath[UUID], rpc: NamedDependency[Rpc]
) -> Response[str]:
    """ "Add to calendar": the occurrence as a single-event file, made by the service (with
    the joining link only for whoever may see it)."""
    at = _parse_occurrence(request.query_params.get("occurrence"))
    body: dict[str, Any] = {"session_id": str(session_id)}
    if at is not None:
        body["occurrence_start"] = at.isoformat()
    made = await rpc.call(contract.Calendar, contract.OCCURRENCE_FILE, body)
    return Response(
        made.ics,
        media_type="text/calendar; charset=utf-8",
        headers={
            "Content-Disposition": 'attachment; filename="huddle-session.ics"',
            "Cache-Control": "no-store",
        },
    )


# --- Creating and changing a session or series ------------------------------------------------


def _wall_clock(form: dict[str, str], name: str) -> str:
    """Three date boxes and a time box as the contract's wall-clock time, no offset."""
    try:
        day = date(
            int(form.get(f"{name}-year", "")),
            int(form.get(f"{name}-month", "")),
            int(form.get(f"{name}-day", "")),
        )
    except ValueError:
        raise FormProblem(f"{name}-day", "Enter a real date, like 5 3 2027") from None
    typed = form.get(f"{name}-time", "").strip().lower().replace(".", ":")
    try:
        hours, _, minutes = typed.partition(":")
        at = time(int(hours), int(minutes or 0))
    except ValueError:
        raise FormProblem(
            f"{name}-time", "Enter a time using the 24-hour clock, like 13:00"
        ) from None
    return datetime.combine(day, at).isoformat()


def _number_or_text(text: str) -> int | str | None:
    """A number box: blank is none, a whole number is a number, anything else goes as typed
    for the service to refuse."""
    text = text.strip()
    if not text:
        return None
    return int(text) if text.isdigit() else text


def _speakers(form: dict[str, str]) -> list[dict[str, Any]]:
    speakers = []
    index = 0
    while f"speaker-{index}-name" in form or f"speaker-{index}-member_id" in form:
        prefix = f"speaker-{index}-"
        name = form.get(prefix + "name", "").strip()
        member_id = form.get(prefix + "member_id", "").strip()
        organisation = form.get(prefix + "organisation", "")
        topic = form.get(prefix + "topic", "")
        index += 1
        if not any(typed.strip() for typed in (name, member_id, organisation, topic)):
            continue  # a row left blank; one half filled in goes for the service to refuse
        speaker: dict[str, Any] = {"organisation": organisation, "topic": topic}
        if member_id:
            speaker["member_id"] = member_id
        else:
            speaker["name"] = name
            speaker["agreed_to_be_named"] = form.get(prefix + "named") == "yes"
        speakers.append(speaker)
    return speakers


def session_fields(form: dict[str, str], networks: list[str]) -> dict[str, Any]:
    """The form as ``SessionFields``: every box as typed, the service checks them."""
    attendance = form.get("attendance", contract.Attendance.ONLINE.value)
    venue_typed = {
        "name": form.get("venue_name", ""),
        "address": form.get("venue_address", ""),
        "access_notes": form.get("venue_access_notes", ""),
    }
    in_person = attendance != contract.Attendance.ONLINE.value
    try:
        rrule = recurrence.to_rrule(recurrence.Repeat.from_form(form))
    except recurrence.RepeatError as refused:
        raise FormProblem(refused.field, str(refused)) from None
    return {
        "title": form.get("title", ""),
        "description": form.get("description", ""),
        "format": form.get("format", contract.SessionFormat.DISCUSSION.value),
        "attendance": attendance,
        "venue": venue_typed if in_person or any(venue_typed.values()) else None,
        "starts_at": _wall_clock(form, "starts_at"),
        "duration_minutes": _number_or_text(form.get("duration_minutes", "")),
        "time_zone": form.get("time_zone", "").strip() or contract.DEFAULT_TIME_ZONE,
        "capacity": _number_or_text(form.get("capacity", "")),
        "registration": form.get("registration", "yes") == "yes",
        "rrule": rrule,
        "joining_link": form.get("joining_link", "").strip() or None,
        "agenda": form.get("agenda", ""),
        "speakers": _speakers(form),
        "recorded": form.get("recorded") == "yes",
        "open_to_networks": networks,
    }


def form_of_session(session: contract.SessionView) -> dict[str, str]:
    """A session as its edit form's boxes."""
    start = session.starts_at.astimezone(ZoneInfo(session.time_zone))
    choice = recurrence.from_rrule(session.rrule, start.date())
    values = {
        "title": session.title,
        "description": session.description,
        "format": session.format.value,
        "attendance": session.attendance.value,
        "venue_name": session.venue.name if session.venue else "",
        "venue_address": session.venue.address if session.venue else "",
        "venue_access_notes": session.venue.access_notes if session.venue else "",
        "starts_at-day": str(start.day),
        "starts_at-month": str(start.month),
        "starts_at-year": str(start.year),
        "starts_at-time": f"{start:%H:%M}",
        "duration_minutes": str(session.duration_minutes),
        "time_zone": session.time_zone,
        "capacity": "" if session.capacity is None else str(session.capacity),
        "registration": "yes" if session.registration else "no",
        "joining_link": session.joining_link or "",
        "agenda": session.agenda,
        "recorded": "yes" if session.recorded else "",
        **_repeat_values(choice),
    }
    for index, speaker in enumerate(session.speakers):
        prefix = f"speaker-{index}-"
        values[prefix + "name"] = speaker.name
        values[prefix + "organisation"] = speaker.organisation
        values[prefix + "topic"] = speaker.topic
        if speaker.member_id:
            values[prefix + "member_id"] = str(speaker.member_id)
        elif speaker.agreed_to_be_named:
            values[prefix + "named"] = "yes"
    return values


def _repeat_values(choice: recurrence.Repeat) -> dict[str, str]:
    return {
        recurrence.REPEAT: choice.repeat,
        recurrence.EVERY: choice.every,
        recurrence.WEEKDAY: choice.weekday,
        recurrence.ORDINAL: choice.ordinal,
        recurrence.ENDS: choice.ends,
        recurrence.COUNT: choice.count,
        "rrule": choice.as_written,
        **{f"{recurrence.UNTIL}-{part}": value for part, value in choice.until.items()},
    }


def _new_form_values(today: date) -> dict[str, str]:
    return {
        "format": contract.SessionFormat.DISCUSSION.value,
        "attendance": contract.Attendance.ONLINE.value,
        "time_zone": contract.DEFAULT_TIME_ZONE,
        "duration_minutes": "60",
        "registration": "yes",
        **_repeat_values(recurrence.Repeat.starting(today)),
    }


# Where a problem's field is typed on the form.
SESSION_FIELDS = {
    "starts_at": "starts_at-day",
    "rrule": recurrence.REPEAT,
    "venue": "venue_name",
    "venue.name": "venue_name",
    "venue.address": "venue_address",
    "venue.access_notes": "venue_access_notes",
    **{
        f"speakers.{index}{part}": f"speaker-{index}-{box}"
        for index in range(contract.MAX_SPEAKERS)
        for part, box in ((".name", "name"), (".organisation", "organisation"), ("", "name"))
    },
}


def _speaker_rows(values: dict[str, str]) -> int:
    typed = sum(1 for key in values if key.startswith("speaker-") and key.endswith("-name"))
    return max(SPEAKER_SLOTS, typed + 2)


async def _other_networks(rpc: Rpc, slug: str) -> list[network_contract.NetworkView]:
    networks = await rpc.call_list(
        network_contract.NetworkView, network_contract.LIST_NETWORKS, Empty()
    )
    return [network for network in networks if network.slug != slug]


def _session_form(
    *,
    action: str,
    heading: str,
    back: str,
    network_name: str,
    values: dict[str, str],
    open_to: list[str],
    networks: list[network_contract.NetworkView],
    summary: list[dict[str, str]] | None = None,
    errors: dict[str, str] | None = None,
    editing: bool = False,
    status: int = 200,
) -> Template:
    context = {
        "action": action,
        "heading": heading,
        "back": back,
        "network_name": network_name,
        "values": values,
        "open_to": open_to,
        "networks": networks,
        "speaker_rows": _speaker_rows(values),
        # The rule it has, in words: RRULE's own text is full of acronyms.
        "rule_in_words": recurrence.describe(values.get("rrule") or None),
        "editing": editing,
        "error_summary": summary or [],
        "errors": errors or {},
        **WORDS,
    }
    return render_page(PAGES + "form.jinja", context, status=status)


@get("/networks/{slug:str}/sessions/new", name="sessions:new")
async def new_session_page(
    request: Request[Any, Any, Any], slug: FromPath[str], rpc: NamedDependency[Rpc]
) -> Template:
    require_member(request)
    network = await _network_or_none(rpc, slug)
    if network is None:
        raise NotFoundException()
    return _session_form(
        action=f"/networks/{slug}/sessions/new",
        heading="Create a session",
        back=f"/networks/{slug}/sessions",
        network_name=network.name,
        values=_new_form_values(datetime.now(UTC).date()),
        open_to=[],
        networks=await _other_networks(rpc, slug),
    )


@post("/networks/{slug:str}/sessions/new", name="sessions:create")
async def create_session(
    request: Request[Any, Any, Any], slug: FromPath[str], rpc: NamedDependency[Rpc]
) -> Template | Redirect:
    require_member(request)
    form = await request.form()
    values = {key: value for key, value in form.items() if isinstance(value, str)}
    open_to = [str(v) for v in form.getall("open_to_networks", [])]
    network = await _network_or_none(rpc, slug)
    if network is None:
        raise NotFoundException()

    async def again(summary: list[dict[str, str]], errors: dict[str, str], status: int) -> Template:
        return _session_form(
            action=f"/networks/{slug}/sessions/new",
            heading="Create a session",
            back=f"/networks/{slug}/sessions",
            network_name=network.name,
            values=values,
            open_to=open_to,
            networks=await _other_networks(rpc, slug),
            summary=summary,
            errors=errors,
            status=status,
        )

    try:
        body = {"slug": slug, **session_fields(values, open_to)}
    except FormProblem as problem:
        return await again(*problem.errors(), 422)
    try:
        created = await rpc.call(contract.SessionView, contract.CREATE_SESSION, body)
    except ProblemDetailsException as exc:
        if not _shown(exc):
            raise
        return await again(*problem_to_errors(exc, SESSION_FIELDS), exc.status_code)
    return Redirect(f"/sessions/{created.id}?done=created", status_code=303)


def changed(new: dict[str, Any], old: dict[str, Any]) -> dict[str, Any]:
    """Only what the person changed: a change sends the fields it sets, the rest stay."""
    return {key: value for key, value in new.items() if old.get(key) != value}


async def _organised(rpc: Rpc, session_id: UUID) -> contract.SessionView:
    session = await _session(rpc, session_id)
    if not session.may_organise:  # the service's own answer for this caller
        raise ProblemDetailsException(
            status_code=403, detail="Only the session's organisers can do this."
        )
    return session


@get("/sessions/{session_id:uuid}/edit", name="sessions:edit")
async def edit_session_page(
    request: Request[Any, Any, Any], session_id: FromPath[UUID], rpc: NamedDependency[Rpc]
) -> Template:
    require_member(request)
    session = await _organised(rpc, session_id)
    return _session_form(
        action=f"/sessions/{session_id}/edit",
        heading="Change the session" if not session.rrule else "Change the whole series",
        back=f"/sessions/{session_id}",
        network_name=session.network_name,
        values=form_of_session(session),
        open_to=list(session.open_to_networks),
        networks=await _other_networks(rpc, session.slug),
        editing=True,
    )


@post("/sessions/{session_id:uuid}/edit", name="sessions:update")
async def update_session(
    request: Request[Any, Any, Any], session_id: FromPath[UUID], rpc: NamedDependency[Rpc]
) -> Template | Redirect:
    require_member(request)
    form = await request.form()
    values = {key: value for key, value in form.items() if isinstance(value, str)}
    open_to = [str(v) for v in form.getall("open_to_networks", [])]
    session = await _organised(rpc, session_id)

    async def again(summary: list[dict[str, str]], errors: dict[str, str], status: int) -> Template:
        return _session_form(
            action=f"/sessions/{session_id}/edit",
            heading="Change the session" if not session.rrule else "Change the whole series",
            back=f"/sessions/{session_id}",
            network_name=session.network_name,
            values=values,
            open_to=open_to,
            networks=await _other_networks(rpc, session.slug),
            summary=summary,
            errors=errors,
            editing=True,
            status=status,
        )

    try:
        new = session_fields(values, open_to)
    except FormProblem as problem:
        return await again(*problem.errors(), 422)
    old = session_fields(form_of_session(session), list(session.open_to_networks))
    changes = changed(new, old)
    if changes:
        try:
            await rpc.send(contract.UPDATE_SESSION, {"session_id": str(session_id), **changes})
        except ProblemDetailsException as exc:
            if not _shown(exc):
                raise
            return await again(*problem_to_errors(exc, SESSION_FIELDS), exc.status_code)
    return Redirect(f"/sessions/{session_id}?done=changed", status_code=303)


# --- One occurrence: change or cancel -------------------------------------------------------


async def _organised_occurrence(
    rpc: Rpc, request: Request[Any, Any, Any], session_id: UUID, occurrence: str | None = None
) -> tuple[contract.SessionView, contract.OccurrenceView]:
    session = await _organised(rpc, session_id)
    at = _parse_occurrence(occurrence or request.query_params.get("occurrence"))
    found = await _occurrence(rpc, session, at)
    if found is None:
        raise NotFoundException()
    return session, found


def _occurrence_values(
    session: contract.SessionView, occurrence: contract.OccurrenceView
) -> dict[str, str]:
    start = occurrence.starts_at.astimezone(ZoneInfo(occurrence.time_zone))
    minutes = int((occurrence.ends_at - occurrence.starts_at).total_seconds() // 60)
    return {
        "title": occurrence.title,
        "starts_at-day": str(start.day),
        "starts_at-month": str(start.month),
        "starts_at-year": str(start.year),
        "starts_at-time": f"{start:%H:%M}",
        "duration_minutes": str(minutes),
        "capacity": "" if occurrence.capacity is None else str(occurrence.capacity),
        "joining_link": session.joining_link or "",
        "agenda": session.agenda,
    }


def occurrence_fields(form: dict[str, str]) -> dict[str, Any]:
    return {
        "title": form.get("title", ""),
        "starts_at": _wall_clock(form, "starts_at"),
        "duration_minutes": _number_or_text(form.get("duration_minutes", "")),
        "capacity": _number_or_text(form.get("capacity", "")),
        "joining_link": form.get("joining_link", "").strip() or None,
        "agenda": form.get("agenda", ""),
    }


def _occurrence_page(
    template: str,
    session: contract.SessionView,
    occurrence: contract.OccurrenceView,
    values: dict[str, str],
    *,
    summary: list[dict[str, str]] | None = None,
    errors: dict[str, str] | None = None,
    status: int = 200,
    extra: dict[str, Any] | None = None,
) -> Template:
    context = {
        "session": session,
        "occurrence": occurrence,
        "when": when(occurrence.starts_at, occurrence.ends_at, occurrence.time_zone),
        "occurrence_value": occurrence_name(occurrence.occurrence_start),
        "back": occurrence_path(session.id, occurrence.occurrence_start),
        "values": values,
        "error_summary": summary or [],
        "errors": errors or {},
        **(extra or {}),
        **WORDS,
    }
    return render_page(PAGES + template, context, status=status)


@get("/sessions/{session_id:uuid}/occurrence/change", name="sessions:change-occurrence")
async def change_occurrence_page(
    request: Request[Any, Any, Any], session_id: FromPath[UUID], rpc: NamedDependency[Rpc]
) -> Template:
    require_member(request)
    session, occurrence = await _organised_occurrence(rpc, request, session_id)
    values = {**_occurrence_values(session, occurrence), "scope": contract.ChangeScope.THIS.value}
    return _occurrence_page("change_occurrence.jinja", session, occurrence, values)


@post("/sessions/{session_id:uuid}/occurrence/change", name="sessions:change-occurrence-send")
async def change_occurrence(
    request: Request[Any, Any, Any], session_id: FromPath[UUID], rpc: NamedDependency[Rpc]
) -> Template | Redirect:
    require_member(request)
    form = await request.form()
    values = {key: value for key, value in form.items() if isinstance(value, str)}
    session, occurrence = await _organised_occurrence(
        rpc, request, session_id, values.get("occurrence", "")
    )
    try:
        new = occurrence_fields(values)
    except FormProblem as problem:
        summary, errors = problem.errors()
        return _occurrence_page(
            "change_occurrence.jinja",
            session,
            occurrence,
            values,
            summary=summary,
            errors=errors,
            status=422,
        )
    changes = changed(new, occurrence_fields(_occurrence_values(session, occurrence)))
    body = {
        "session_id": str(session_id),
        "occurrence_start": occurrence.occurrence_start.isoformat(),
        "scope": values.get("scope", contract.ChangeScope.THIS.value),
        **changes,
    }
    if changes:
        try:
            await rpc.send(contract.CHANGE_OCCURRENCE, body)
        except ProblemDetailsException as exc:
            if not _shown(exc):
                raise
            summary, errors = problem_to_errors(exc, {"starts_at": "starts_at-day"})
            return _occurrence_page(
                "change_occurrence.jinja",
                session,
                occurrence,
                values,
                summary=summary,
                errors=errors,
                status=exc.status_code,
            )
    return _back_to(session_id, occurrence_name(occurrence.occurrence_start), "changed")


@get("/sessions/{session_id:uuid}/occurrence/cancel", name="sessions:cancel-occurrence")
async def cancel_occurrence_page(
    request: Request[Any, Any, Any], session_id: FromPath[UUID], rpc: NamedDependency[Rpc]
) -> Template:
    require_member(request)
    session, occurrence = await _organised_occurrence(rpc, request, session_id)
    values = {"scope": contract.ChangeScope.THIS.value}
    return _occurrence_page("cancel_occurrence.jinja", session, occurrence, values)


@post("/sessions/{session_id:uuid}/occurrence/cancel", name="sessions:cancel-occurrence-send")
async def cancel_occurrence(
    request: Request[Any, Any, Any], session_id: FromPath[UUID], rpc: NamedDependency[Rpc]
) -> Template | Redirect:
    require_member(request)
    form = await request.form()
    values = {key: value for key, value in form.items() if isinstance(value, str)}
    session, occurrence = await _organised_occurrence(
        rpc, request, session_id, values.get("occurrence", "")
    )
    body = {
        "session_id": str(session_id),
        "occurrence_start": occurrence.occurrence_start.isoformat(),
        "scope": values.get("scope", contract.ChangeScope.THIS.value),
    }
    try:
        await rpc.send(contract.CANCEL_OCCURRENCE, body)
    except ProblemDetailsException as exc:
        if not _shown(exc):
            raise
        summary, errors = problem_to_errors(exc)
        return _occurrence_page(
            "cancel_occurrence.jinja",
            session,
            occurrence,
            values,
            summary=summary,
            errors=errors,
            status=exc.status_code,
        )
    return _back_to(
        session_id, occurrence_name(occurrence.occurrence_start), "cancelled-occurrence"
    )


# --- Attendance and feedback -----------------------------------------------------------------


async def _who_registered(rpc: Rpc, occurrence: contract.OccurrenceView) -> places.RegistrationList:
    body = {
        "session_id": str(occurrence.id),
        "occurrence_start": occurrence.occurrence_start.isoformat(),
    }
    return await rpc.call(places.RegistrationList, places.LIST_REGISTRATIONS, body)


def _attendance_extra(
    registrations: places.RegistrationList,
    recorded: places.AttendanceRecorded | None = None,
    ticked: list[str] | None = None,
) -> dict[str, Any]:
    """Ticking names works only when everyone who has a place agreed to be listed (a count
    otherwise: a name not shown cannot be ticked)."""
    holders = [r for r in registrations.listed if r.status == contract.RegistrationState.REGISTERED]
    return {
        "recorded": recorded,
        "registrations": registrations,
        "holders": holders,
        "may_tick": bool(holders) and len(holders) == registrations.registered,
        "ticked": ticked or [],
    }


@get("/sessions/{session_id:uuid}/attendance", name="sessions:attendance")
async def attendance_page(
    request: Request[Any, Any, Any], session_id: FromPath[UUID], rpc: NamedDependency[Rpc]
) -> Template:
    require_member(request)
    session, occurrence = await _organised_occurrence(rpc, request, session_id)
    registrations = await _who_registered(rpc, occurrence)
    values = {"how": "names" if _attendance_extra(registrations)["may_tick"] else "count"}
    return _occurrence_page(
        "attendance.jinja", session, occurrence, values, extra=_attendance_extra(registrations)
    )


@post("/sessions/{session_id:uuid}/attendance", name="sessions:attendance-send")
async def record_attendance(
    request: Request[Any, Any, Any], session_id: FromPath[UUID], rpc: NamedDependency[Rpc]
) -> Template:
    require_member(request)
    form = await request.form()
    values = {key: value for key, value in form.items() if isinstance(value, str)}
    ticked = [str(v) for v in form.getall("attended", [])]
    session, occurrence = await _organised_occurrence(
        rpc, request, session_id, values.get("occurrence", "")
    )
    registrations = await _who_registered(rpc, occurrence)

    def again(summary: list[dict[str, str]], errors: dict[str, str], status: int) -> Template:
        return _occurrence_page(
            "attendance.jinja",
            session,
            occurrence,
            values,
            summary=summary,
            errors=errors,
            status=status,
            extra=_attendance_extra(registrations, ticked=ticked),
        )

    body: dict[str, Any] = {
        "session_id": str(session_id),
        "occurrence_start": occurrence.occurrence_start.isoformat(),
    }
    if values.get("how") == "names":
        body["attended"] = ticked
    else:
        body["count"] = _number_or_text(values.get("count", ""))
        if body["count"] is None:
            message = "Enter how many people came"
            return again([{"text": message, "href": "#count"}], {"count": message}, 422)
    try:
        recorded = await rpc.call(places.AttendanceRecorded, places.RECORD_ATTENDANCE, body)
    except ProblemDetailsException as exc:
        if not _shown(exc):
            raise
        return again(*problem_to_errors(exc), exc.status_code)
    return _occurrence_page(
        "attendance.jinja",
        session,
        occurrence,
        values,
        extra=_attendance_extra(registrations, recorded),
    )


@get("/sessions/{session_id:uuid}/feedback", name="sessions:feedback")
async def feedback_page(
    request: Request[Any, Any, Any], session_id: FromPath[UUID], rpc: NamedDependency[Rpc]
) -> Template:
    require_member(request)
    at = _parse_occurrence(request.query_params.get("occurrence"))
    shown = await _shown_session(rpc, request, session_id, at)
    if shown.occurrence is None:
        raise NotFoundException()
    return _feedback_form(shown.session, shown.occurrence, {})


def _feedback_form(
    session: contract.SessionView,
    occurrence: contract.OccurrenceView,
    values: dict[str, str],
    *,
    summary: list[dict[str, str]] | None = None,
    errors: dict[str, str] | None = None,
    given: places.FeedbackGiven | None = None,
    status: int = 200,
) -> Template:
    return _occurrence_page(
        "feedback.jinja",
        session,
        occurrence,
        values,
        summary=summary,
        errors=errors,
        status=status,
        extra={"given": given},
    )


@post("/sessions/{session_id:uuid}/feedback", name="sessions:feedback-send")
async def give_feedback(
    request: Request[Any, Any, Any], session_id: FromPath[UUID], rpc: NamedDependency[Rpc]
) -> Template:
    require_member(request)
    form = await request.form()
    values = {key: value for key, value in form.items() if isinstance(value, str)}
    session = await _session(rpc, session_id)
    occurrence = await _occurrence(rpc, session, _parse_occurrence(values.get("occurrence")))
    if occurrence is None:
        raise NotFoundException()
    rating = values.get("rating", "")
    if not rating:
        message = "Choose a rating from 1 to 5"
        return _feedback_form(
            session,
            occurrence,
            values,
            summary=[{"text": message, "href": "#rating"}],
            errors={"rating": message},
            status=422,
        )
    body = {
        "session_id": str(session_id),
        "occurrence_start": occurrence.occurrence_start.isoformat(),
        "rating": _number_or_text(rating),
        "comment": values.get("comment", ""),
    }
    try:
        given = await rpc.call(places.FeedbackGiven, places.GIVE_FEEDBACK, body)
    except ProblemDetailsException as exc:
        if not _shown(exc):
            raise
        summary, errors = problem_to_errors(exc)
        return _feedback_form(
            session, occurrence, values, summary=summary, errors=errors, status=exc.status_code
        )
    return _feedback_form(session, occurrence, {}, given=given)


@get("/sessions/{session_id:uuid}/feedback/summary", name="sessions:feedback-summary")
async def feedback_summary_page(
    request: Request[Any, Any, Any], session_id: FromPath[UUID], rpc: NamedDependency[Rpc]
) -> Template:
    """What members said, as the service allows it to be shown (enough responses, never
    with a name)."""
    require_member(request)
    session = await _session(rpc, session_id)
    at = _parse_occurrence(request.query_params.get("occurrence"))
    body: dict[str, Any] = {"session_id": str(session_id)}
    occurrence = None
    if at is not None:
        occurrence = await _occurrence(rpc, session, at)
        if occurrence is None:
            raise NotFoundException()
        body["occurrence_start"] = at.isoformat()
    summary = await rpc.call(places.FeedbackSummary, places.FEEDBACK_SUMMARY, body)
    chart = None
    rows: list[list[dict[str, str]]] = []
    if summary.enough_to_show and summary.distribution is not None:
        counts = [
            (RATINGS[r], summary.distribution.get(r, 0)) for r in sorted(RATINGS, reverse=True)
        ]
        chart = bar_chart("ratings", "Ratings given", counts)
        rows = [[{"text": label}, {"text": str(n), "format": "numeric"}] for label, n in counts]
    context = {
        "session": session,
        "occurrence": occurrence,
        "when": when(occurrence.starts_at, occurrence.ends_at, occurrence.time_zone)
        if occurrence
        else "",
        "back": occurrence_path(session.id, occurrence.occurrence_start if occurrence else None),
        "summary": summary,
        "chart": chart,
        "rows": rows,
        **WORDS,
    }
    return render_page(PAGES + "feedback_summary.jinja", context, headers=NO_STORE)


# --- My calendar feed -------------------------------------------------------------------------


def _feed_page(
    request: Request[Any, Any, Any],
    *,
    token: contract.CalendarTokenView | None = None,
    revoked: bool = False,
    exc: ProblemDetailsException | None = None,
    status: int = 200,
) -> Template:
    summary, errors = problem_to_errors(exc) if exc is not None else ([], {})
    address = f"{_site(request)}/api/v1/calendar/{token.token}.ics" if token else ""
    context = {
        "address": address,
        "webcal": address.replace("https://", "webcal://", 1).replace("http://", "webcal://", 1),
        "revoked": revoked,
        "error_summary": summary,
        "errors": errors,
    }
    return render_page(PAGES + "calendar_feed.jinja", context, status=status, headers=NO_STORE)


@get("/sessions/calendar-feed", name="sessions:calendar-feed")
async def calendar_feed_page(request: Request[Any, Any, Any]) -> Template:
    require_member(request)
    return _feed_page(request)


@post("/sessions/calendar-feed", name="sessions:calendar-feed-create")
async def create_calendar_feed(
    request: Request[Any, Any, Any], rpc: NamedDependency[Rpc]
) -> Template:
    require_member(request)
    try:
        token = await rpc.call(contract.CalendarTokenView, contract.CREATE_CALENDAR_TOKEN, Empty())
    except ProblemDetailsException as exc:
        if not _shown(exc):
            raise
        return _feed_page(request, exc=exc, status=exc.status_code)
    return _feed_page(request, token=token)


@post("/sessions/calendar-feed/revoke", name="sessions:calendar-feed-revoke")
async def revoke_calendar_feed(
    request: Request[Any, Any, Any], rpc: NamedDependency[Rpc]
) -> Template:
    require_member(request)
    try:
        await rpc.send(contract.REVOKE_CALENDAR_TOKEN, Empty())
    except ProblemDetailsException as exc:
        if not _shown(exc):
            raise
        return _feed_page(request, exc=exc, status=exc.status_code)
    return _feed_page(request, revoked=True)


HANDLERS: list[Any] = [
    upcoming_page,
    network_sessions_page,
    session_page,
    register,
    cancel_registration,
    calendar_file,
    new_session_page,
    create_session,
    edit_session_page,
    update_session,
    change_occurrence_page,
    change_occurrence,
    cancel_occurrence_page,
    cancel_occurrence,
    attendance_page,
    record_attendance,
    feedback_page,
    give_feedback,
    feedback_summary_page,
    calendar_feed_page,
    create_calendar_feed,
    revoke_calendar_feed,
]
