"""Sessions and series, forwarded to the scheduling service.

The bodies are the contracts' HTTP shapes without what the path names (the network, the
session, the occurrence). An occurrence of a series is named in its path by
``occurrence_start``: ISO 8601 with its UTC offset, as the listing gives it (``+`` may be
sent as ``%2B``). The service decides who may, and whether the session or occurrence exists.
"""

from typing import Annotated, Any
from uuid import UUID

from huddle_shared.contracts import sessions as contract
from litestar import Controller, delete, get, patch, post
from litestar.di import NamedDependency
from litestar.params import FromPath, JSONBody, QueryParameter
from pydantic import BaseModel, Field

from huddle_gateway.rpc import Rpc

WINDOW = "Occurrences starting from `from` (default: now) to `to` (default: a year later)"
SCOPE = "`this` occurrence only, or `this_and_following`"


class OccurrenceChangeBody(contract.OccurrenceChanges):
    scope: contract.ChangeScope = Field(default=contract.ChangeScope.THIS, description=SCOPE)


def _fields(model: BaseModel | None, *, unset: bool = False) -> dict[str, Any]:
    if model is None:
        return {}
    return model.model_dump(mode="json", exclude_unset=unset, by_alias=True)


def _window(start: str | None, end: str | None) -> dict[str, str]:
    return {name: moment for name, moment in (("from", start), ("to", end)) if moment is not None}


# ``from`` and ``to`` go to the service as given: it parses them (an instant needs its UTC
# offset), and its refusal names the parameter as sent (``from``), not a Python name here.
_INSTANT = {"format": "date-time"}


class NetworkSessionsController(Controller):
    path = "/api/v1/networks/{slug:str}/sessions"
    tags = ["sessions"]

    @get(
        "/",
        summary="A network's sessions, one item per occurrence",
        description=f"{WINDOW}, earliest first, with each occurrence's counts. Anyone may "
        "list an open network's sessions; an approval network's are for its members (403); "
        "an invite-only network does not exist to others (404).",
    )
    async def list_sessions(
        self,
        slug: FromPath[str],
        rpc: NamedDependency[Rpc],
        start: Annotated[
            str | None,
            QueryParameter(name="from", description=WINDOW, schema_extra=_INSTANT),
        ] = None,
        end: Annotated[str | None, QueryParameter(name="to", schema_extra=_INSTANT)] = None,
    ) -> contract.OccurrenceList:
        body = {"slug": slug, **_window(start, end)}
        return await rpc.call(contract.OccurrenceList, contract.LIST_SESSIONS, body)

    @post(
        "/",
        summary="Organisers: schedule a session or a series",
        description="`starts_at` is a wall-clock time in `time_zone` (default Europe/London); "
        "`rrule` (RFC 5545, e.g. `FREQ=WEEKLY;BYDAY=FR;COUNT=10`) makes it a series and must "
        "end (COUNT or UNTIL). The network's chairs and facilitators and instance admins "
        "only (403). A network whose ground rules say sessions are never recorded refuses "
        "`recorded` (422).",
        status_code=201,
    )
    async def create(
        self,
        slug: FromPath[str],
        data: JSONBody[contract.SessionFields],
        idempotent_rpc: NamedDependency[Rpc],
    ) -> contract.SessionView:
        body = {**_fields(data), "slug": slug}
        return await idempotent_rpc.call(contract.SessionView, contract.CREATE_SESSION, body)


class SessionController(Controller):
    path = "/api/v1/sessions"
    tags = ["sessions"]

    @get(
        "/{session_id:uuid}",
        summary="One session or series",
        description="The joining link only for members who registered (or every member, "
        "when the session has no registration) and organisers.",
    )
    async def read(
        self, session_id: FromPath[UUID], rpc: NamedDependency[Rpc]
    ) -> contract.SessionView:
        body = {"session_id": str(session_id)}
        return await rpc.call(contract.SessionView, contract.GET_SESSION, body)

    @patch(
        "/{session_id:uuid}",
        summary="Organisers: change a whole session or series",
        description="Fields left out stay. A capacity below the places already taken on an "
        "occurrence still to come is refused (422); a larger one promotes from the waitlist.",
    )
    async def update(
        self,
        session_id: FromPath[UUID],
        data: JSONBody[contract.SessionChanges],
        idempotent_rpc: NamedDependency[Rpc],
    ) -> contract.SessionView:
        body = {**_fields(data, unset=True), "session_id": str(session_id)}
        return await idempotent_rpc.call(contract.SessionView, contract.UPDATE_SESSION, body)

    @delete(
        "/{session_id:uuid}",
        summary="Organisers: call off a whole session or series",
        status_code=204,
    )
    async def remove(self, session_id: FromPath[UUID], rpc: NamedDependency[Rpc]) -> None:
        await rpc.send(contract.DELETE_SESSION, {"session_id": str(session_id)})

    @patch(
        "/{session_id:uuid}/occurrences/{occurrence_start:str}",
        summary="Organisers: change one occurrence, or it and the following",
        description="Answers the occurrences changed. 404 for an occurrence the series "
        "does not have.",
    )
    async def change_occurrence(
        self,
        session_id: FromPath[UUID],
        occurrence_start: FromPath[str],
        data: JSONBody[OccurrenceChangeBody],
        idempotent_rpc: NamedDependency[Rpc],
    ) -> contract.OccurrenceList:
        body = {
            **_fields(data, unset=True),
            "session_id": str(session_id),
            "occurrence_start": occurrence_start,
        }
        subject = contract.CHANGE_OCCURRENCE
        return await idempotent_rpc.call(contract.OccurrenceList, subject, body)

    @delete(
        "/{session_id:uuid}/occurrences/{occurrence_start:str}",
        summary="Organisers: cancel one occurrence, or it and the following",
        description="It stays listed, as cancelled (calendars show it so). 404 for an "
        "occurrence the series does not have.",
        status_code=204,
    )
    async def cancel_occurrence(
        self,
        session_id: FromPath[UUID],
        occurrence_start: FromPath[str],
        rpc: NamedDependency[Rpc],
        # As given: the service refuses an unknown scope under its own name, ``scope``
        # (``scope`` itself is a name Litestar keeps for the ASGI scope).
        change_scope: Annotated[
            str,
            QueryParameter(
                name="scope",
                description=SCOPE,
                schema_extra={"enum": [scope.value for scope in contract.ChangeScope]},
            ),
        ] = contract.ChangeScope.THIS.value,
    ) -> None:
        body = {
            "session_id": str(session_id),
            "occurrence_start": occurrence_start,
            "scope": change_scope,
        }
        await rpc.send(contract.CANCEL_OCCURRENCE, body)


class MySessionsController(Controller):
    path = "/api/v1/me/sessions"
    tags = ["sessions"]

    @get(
        "/",
        summary="Sessions across my networks, one item per occurrence",
        description=f"{WINDOW}: my networks' sessions and those opened to them.",
    )
    async def upcoming(
        self,
        rpc: NamedDependency[Rpc],
        start: Annotated[
            str | None,
            QueryParameter(name="from", description=WINDOW, schema_extra=_INSTANT),
        ] = None,
        end: Annotated[str | None, QueryParameter(name="to", schema_extra=_INSTANT)] = None,
    ) -> contract.OccurrenceList:
        body = _window(start, end)
        return await rpc.call(contract.OccurrenceList, contract.LIST_UPCOMING, body)


SESSION_HANDLERS = (NetworkSessionsController, SessionController, MySessionsController)
