"""Calendar feeds, "add to calendar" files and the personal feed's token, forwarded to the
scheduling service. The gateway only speaks HTTP here: the service decides who may read
what and writes the iCalendar text; the gateway answers it as ``text/calendar`` with its
``ETag``, and a 304 when the client already has it.

Calendar apps poll a subscribed feed without signing in: the network feed answers what an
anonymous caller may see (a signed-in caller's token is still read), and the personal feed
is found by the unguessable token in its address, so it calls as no one.
"""

from typing import Any
from uuid import UUID

from huddle_shared.contracts import sessions as contract
from huddle_shared.contracts.common import Empty
from huddle_shared.contracts.rpc import Caller
from litestar import Request, Response, delete, get, post
from litestar.datastructures import State
from litestar.di import NamedDependency
from litestar.openapi.datastructures import ResponseSpec
from litestar.params import FromPath

from huddle_gateway.auth import AS_ANONYMOUS
from huddle_gateway.problems import problem
from huddle_gateway.routes.directory import none_match
from huddle_gateway.rpc import Rpc

MEDIA_TYPE = "text/calendar; charset=utf-8"
# Calendar apps poll every few minutes to hours; a revalidation with the ETag is cheap.
FEED_MAX_AGE = 300
ICS_SUFFIX = ".ics"

_NOT_MODIFIED = ResponseSpec(None, description="Not modified: the calendar is unchanged")
_CALENDAR = ResponseSpec(
    str, description="An iCalendar (RFC 5545) document", media_type="text/calendar"
)


def _calendar_response(
    request: Request[Any, Any, State],
    calendar: contract.Calendar,
    *,
    cache_control: str,
    file_name: str | None = None,
) -> Response[Any]:
    headers = {"ETag": calendar.etag, "Cache-Control": cache_control, "Vary": "Authorization"}
    if file_name is not None:
        headers["Content-Disposition"] = f'attachment; filename="{file_name}"'
    if not none_match(request.headers.get("if-none-match"), calendar.etag):
        not_modified: Any = None  # a 304 has no body
        return Response(not_modified, status_code=304, headers=headers)
    return Response(calendar.ics.encode(), media_type=MEDIA_TYPE, headers=headers)


@get(
    "/api/v1/networks/{slug:str}/calendar.ics",
    tags=["calendar"],
    summary="A network's sessions as a calendar feed",
    description="Anyone may subscribe to an open network's feed; for other networks, only "
    "their members (signed in): 403 for an approval network, 404 for an invite-only one. "
    "Never joining links. Send the `ETag` back as `If-None-Match` for a 304.",
    responses={200: _CALENDAR, 304: _NOT_MODIFIED},
)
async def network_feed(
    slug: FromPath[str],
    request: Request[Any, Any, State],
    caller: NamedDependency[Caller],
    rpc: NamedDependency[Rpc],
) -> Response[Any]:
    calendar = await rpc.call(contract.Calendar, contract.NETWORK_FEED, {"slug": slug})
    # The same for every anonymous caller, so a shared cache may keep it.
    visibility = "public" if caller.is_anonymous else "private"
    cache_control = f"{visibility}, max-age={FEED_MAX_AGE}"
    return _calendar_response(request, calendar, cache_control=cache_control)


@get(
    "/api/v1/calendar/{file_name:str}",
    tags=["calendar"],
    summary="My registered sessions as a calendar feed, at `/api/v1/calendar/{token}.ics`",
    description="The token (from `POST /api/v1/me/calendar-token`) is the only credential: "
    "the feed has my sessions' joining links. 404 for a token that is unknown or revoked.",
    responses={200: _CALENDAR, 304: _NOT_MODIFIED},
    dependencies=AS_ANONYMOUS,
)
async def personal_feed(
    file_name: FromPath[str], request: Request[Any, Any, State], rpc: NamedDependency[Rpc]
) -> Response[Any]:
    if not file_name.endswith(ICS_SUFFIX):
        detail = "A calendar feed's address ends in .ics."
        raise problem(404, "Not found", detail, type_="not-found")
    body = {"token": file_name.removesuffix(ICS_SUFFIX)}
    calendar = await rpc.call(contract.Calendar, contract.PERSONAL_FEED, body)
    return _calendar_response(request, calendar, cache_control=f"private, max-age={FEED_MAX_AGE}")


async def _occurrence_file(
    request: Request[Any, Any, State], rpc: Rpc, session_id: UUID, occurrence_start: str | None
) -> Response[Any]:
    body: dict[str, Any] = {"session_id": str(session_id)}
    if occurrence_start is not None:
        body["occurrence_start"] = occurrence_start
    calendar = await rpc.call(contract.Calendar, contract.OCCURRENCE_FILE, body)
    return _calendar_response(
        request, calendar, cache_control="private, no-cache", file_name="session.ics"
    )


@get(
    "/api/v1/sessions/{session_id:uuid}/occurrences/{occurrence_start:str}/calendar.ics",
    tags=["calendar"],
    summary="Add one occurrence to my calendar (a single-event .ics file)",
    description="`occurrence_start` names the occurrence (ISO 8601 with its UTC offset, as "
    "listed). As the session page shows it: the joining link only to those who may see it. "
    "404 for an occurrence that does not exist.",
    responses={200: _CALENDAR, 304: _NOT_MODIFIED},
)
async def occurrence_file(
    session_id: FromPath[UUID],
    occurrence_start: FromPath[str],
    request: Request[Any, Any, State],
    rpc: NamedDependency[Rpc],
) -> Response[Any]:
    return await _occurrence_file(request, rpc, session_id, occurrence_start)


@get(
    "/api/v1/sessions/{session_id:uuid}/calendar.ics",
    tags=["calendar"],
    summary="Add a single session to my calendar (a single-event .ics file)",
    description="For a series, name the occurrence: `.../occurrences/{occurrence_start}/"
    "calendar.ics`; here its first.",
    responses={200: _CALENDAR, 304: _NOT_MODIFIED},
)
async def session_file(
    session_id: FromPath[UUID], request: Request[Any, Any, State], rpc: NamedDependency[Rpc]
) -> Response[Any]:
    return await _occurrence_file(request, rpc, session_id, None)


@post(
    "/api/v1/me/calendar-token",
    tags=["calendar"],
    summary="A new address for my personal calendar feed",
    description="Answers the token once (it is kept only as a hash): the feed is "
    "`/api/v1/calendar/{token}.ics`. Creating another replaces it: the old address stops "
    "working at once.",
    status_code=201,
)
async def create_calendar_token(rpc: NamedDependency[Rpc]) -> contract.CalendarTokenView:
    return await rpc.call(contract.CalendarTokenView, contract.CREATE_CALENDAR_TOKEN, Empty())


@delete(
    "/api/v1/me/calendar-token",
    tags=["calendar"],
    summary="Revoke my personal calendar feed's address",
    description="The feed then answers 404. Revoking when there is none changes nothing.",
    status_code=204,
)
async def revoke_calendar_token(rpc: NamedDependency[Rpc]) -> None:
    await rpc.send(contract.REVOKE_CALENDAR_TOKEN, Empty())


CALENDAR_HANDLERS = [
    network_feed,
    personal_feed,
    occurrence_file,
    session_file,
    create_calendar_token,
    revoke_calendar_token,
]
