"""Registrations, attendance and feedback, forwarded to the scheduling service.

The bodies here are the requests' HTTP shapes, without the session the path names. An
occurrence of a series is named by ``occurrence_start`` (ISO 8601 with its offset, as the
session listing gives it); a single session needs none. The service decides everything
else: who may, whether the occurrence exists, whether it has ended.
"""

from typing import Any
from uuid import UUID

from huddle_shared.contracts import registrations as contract
from litestar import Controller, delete, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery, JSONBody
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from huddle_gateway.rpc import Rpc

OCCURRENCE_START = (
    "Which occurrence of a series (ISO 8601 with its UTC offset, as listed); "
    "not needed for a single session"
)


class OccurrenceBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    occurrence_start: AwareDatetime | None = Field(default=None, description=OCCURRENCE_START)


class AttendanceBody(OccurrenceBody):
    attended: list[UUID] | None = Field(default=None, description="Who attended, by member id")
    count: int | None = Field(default=None, description="Or only how many (large sessions)")


class FeedbackBody(OccurrenceBody):
    rating: int = Field(description="1 to 5")
    comment: str = Field(default="", description="Optional; never shown with a name")


def _request(session_id: UUID, body: BaseModel | None, **more: Any) -> dict[str, Any]:
    fields = body.model_dump(mode="json", exclude_unset=True) if body is not None else {}
    return {
        **fields,
        **{k: v for k, v in more.items() if v is not None},
        "session_id": str(session_id),
    }


class SessionRegistrationController(Controller):
    path = "/api/v1/sessions"
    tags = ["registrations"]

    @post(
        "/{session_id:uuid}/registrations",
        summary="Register for a session (or one occurrence of a series)",
        description='A place: `{"status": "registered"}`; when full, the waitlist: '
        '`{"status": "waitlisted", "position": N}`. Registering again answers the same, '
        "without a second place. Members of the session's network or of a network it is "
        "opened to only (403); 409 for a cancelled or past occurrence or a session without "
        "registration; 404 for an occurrence that does not exist.",
        status_code=200,
    )
    async def register(
        self,
        session_id: FromPath[UUID],
        idempotent_rpc: NamedDependency[Rpc],
        data: JSONBody[OccurrenceBody | None] = None,
    ) -> contract.RegistrationResult:
        body = _request(session_id, data)
        return await idempotent_rpc.call(contract.RegistrationResult, contract.REGISTER, body)

    @delete(
        "/{session_id:uuid}/registrations",
        summary="Cancel my registration (or my place on the waitlist)",
        description="The first on the waitlist then gets the place. Cancelling what I do not "
        "hold changes nothing (204 all the same); 409 once the occurrence has started.",
        status_code=204,
    )
    async def cancel(
        self,
        session_id: FromPath[UUID],
        rpc: NamedDependency[Rpc],
        occurrence_start: FromQuery[str | None] = None,
    ) -> None:
        body = _request(session_id, None, occurrence_start=occurrence_start)
        await rpc.send(contract.CANCEL_REGISTRATION, body)

    @get(
        "/{session_id:uuid}/registrations",
        summary="Organisers: who registered for an occurrence",
        description="Counts, and the names of those registered or waiting who agreed to be "
        "listed; never email addresses. The network's chairs and facilitators and instance "
        "admins only (403).",
    )
    async def registrations(
        self,
        session_id: FromPath[UUID],
        rpc: NamedDependency[Rpc],
        occurrence_start: FromQuery[str | None] = None,
    ) -> contract.RegistrationList:
        body = _request(session_id, None, occurrence_start=occurrence_start)
        return await rpc.call(contract.RegistrationList, contract.LIST_REGISTRATIONS, body)

    @post(
        "/{session_id:uuid}/attendance",
        summary="Organisers: record who attended, or how many",
        description="Either `attended` (member ids) or `count`. Recording again replaces the "
        "record; `session.completed` carries the counts only. 409 before it started.",
        status_code=200,
    )
    async def attendance(
        self,
        session_id: FromPath[UUID],
        data: JSONBody[AttendanceBody],
        idempotent_rpc: NamedDependency[Rpc],
    ) -> contract.AttendanceRecorded:
        body = _request(session_id, data)
        subject = contract.RECORD_ATTENDANCE
        return await idempotent_rpc.call(contract.AttendanceRecorded, subject, body)

    @post(
        "/{session_id:uuid}/feedback",
        summary="Give feedback on an occurrence I attended",
        description="A rating from 1 to 5 and an optional comment, once (a second is 409), "
        "after the occurrence ended (409 before). Only those recorded as attended, or who "
        "held a place when only a count was recorded (403).",
        status_code=201,
    )
    async def feedback(
        self,
        session_id: FromPath[UUID],
        data: JSONBody[FeedbackBody],
        idempotent_rpc: NamedDependency[Rpc],
    ) -> contract.FeedbackGiven:
        body = _request(session_id, data)
        return await idempotent_rpc.call(contract.FeedbackGiven, contract.GIVE_FEEDBACK, body)

    @get(
        "/{session_id:uuid}/feedback/summary",
        summary="Organisers: the feedback on a session or one occurrence",
        description="The distribution of ratings and the comments (never with a name) only "
        "from 8 responses; below, only how many responded and the message "
        '"not enough responses to show without identifying people".',
    )
    async def feedback_summary(
        self,
        session_id: FromPath[UUID],
        rpc: NamedDependency[Rpc],
        occurrence_start: FromQuery[str | None] = None,
    ) -> contract.FeedbackSummary:
        body = _request(session_id, None, occurrence_start=occurrence_start)
        return await rpc.call(contract.FeedbackSummary, contract.FEEDBACK_SUMMARY, body)


class MyRegistrationsController(Controller):
    path = "/api/v1/me/registrations"
    tags = ["registrations"]

    @get("/", summary="My registrations, upcoming first")
    async def mine(self, rpc: NamedDependency[Rpc]) -> contract.MyRegistrations:
        return await rpc.call(contract.MyRegistrations, contract.MY_REGISTRATIONS, {})
