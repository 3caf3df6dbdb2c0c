"""Registrations' contracts (owned by the scheduling service): places and waitlists,
attendance, feedback and reminders.

An occurrence is named as in ``contracts.sessions``: the session's id and its
``occurrence_start`` (required for a series; a single session's is its start).
"""

from typing import Annotated
from uuid import UUID

from pydantic import (
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    model_validator,
)

from huddle_shared.contracts.envelope import EventPayload
from huddle_shared.contracts.membership import EventName
from huddle_shared.contracts.rpc import rpc_subject
from huddle_shared.contracts.sessions import SERVICE, RegistrationState, SchedulingEvent

Comment = Annotated[str, StringConstraints(strip_whitespace=True, max_length=2000)]
# Below this many responses, feedback is shown only as "not enough responses to show
# without identifying people".
FEEDBACK_THRESHOLD = 8


class OccurrenceRef(BaseModel):
    model_config = ConfigDict(extra="forbid")

    session_id: UUID
    occurrence_start: AwareDatetime | None = Field(
        default=None, description="Which occurrence of a series; not needed for a single session"
    )


class Register(OccurrenceRef):
    pass


class CancelRegistration(OccurrenceRef):
    pass


class RecordAttendance(OccurrenceRef):
    """Who attended, or for a large session only how many."""

    attended: list[UUID] | None = Field(default=None, max_length=10_000)
    count: int | None = Field(default=None, ge=0, le=100_000)

    @model_validator(mode="after")
    def _names_or_count(self) -> "RecordAttendance":
        if (self.attended is None) == (self.count is None):
            raise ValueError("give either who attended (attended) or how many (count)")
        return self


class GiveFeedback(OccurrenceRef):
    rating: int = Field(ge=1, le=5)
    comment: Comment = ""


class FeedbackSummaryRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    session_id: UUID
    occurrence_start: AwareDatetime | None = Field(
        default=None, description="One occurrence; all of them when left out"
    )


class RegistrationResult(BaseModel):
    """``{"status": "registered"}`` or ``{"status": "waitlisted", "position": N}``."""

    status: RegistrationState
    position: int | None = Field(
        default=None,
        description="Place on the waitlist, from 1 (left out for a place)",
        exclude_if=lambda position: position is None,
    )


class MyRegistration(BaseModel):
    session_id: UUID
    slug: str
    title: str
    occurrence_start: AwareDatetime
    starts_at: AwareDatetime
    status: RegistrationState
    position: int | None = None


class MyRegistrations(BaseModel):
    items: list[MyRegistration]


class ListRegistrations(OccurrenceRef):
    """Organisers: who registered for one occurrence."""


class ListedRegistration(BaseModel):
    member_id: UUID
    display_name: str
    status: RegistrationState
    position: int | None = None


class RegistrationList(BaseModel):
    registered: int
    waitlisted: int
    capacity: int | None
    listed: list[ListedRegistration] = Field(
        description="Only members who agreed to be listed; never an email address"
    )


class AttendanceRecorded(BaseModel):
    attended: int
    registered: int


class FeedbackSummary(BaseModel):
    responses: int
    enough_to_show: bool
    message: str | None = Field(
        default=None,
        description='"not enough responses to show without identifying people" below 8',
    )
    distribution: dict[int, int] | None = Field(default=None, description="Rating -> count")
    comments: list[str] | None = Field(default=None, description="Never with a name")


class FeedbackGiven(BaseModel):
    rating: int


# --- Events -------------------------------------------------------------------------------


class RegisteredV1(SchedulingEvent, event_type="session.registered", version=1, personal=True):
    member_id: UUID
    session_id: UUID
    slug: str
    occurrence_start: AwareDatetime
    status: RegistrationState
    position: int | None


class RegistrationCancelledV1(
    SchedulingEvent, event_type="session.registration_cancelled", version=1, personal=True
):
    member_id: UUID
    session_id: UUID
    slug: str
    occurrence_start: AwareDatetime


class WaitlistPromotedV1(
    SchedulingEvent, event_type="session.waitlist_promoted", version=1, personal=True
):
    """A place freed and the first on the waitlist now has it."""

    member_id: UUID
    session_id: UUID
    slug: str
    occurrence_start: AwareDatetime


class SessionCompletedV1(SchedulingEvent, event_type="session.completed", version=1):
    """Attendance was recorded: counts only, never who."""

    session_id: UUID
    slug: str
    format: str
    occurrence_start: AwareDatetime
    registered: int
    waitlisted: int
    attended: int


class FeedbackGivenV1(SchedulingEvent, event_type="session.feedback_given", version=1):
    """A rating, never who gave it and never the comment."""

    session_id: UUID
    slug: str
    format: str
    occurrence_start: AwareDatetime
    rating: int


class ReminderDueV1(SchedulingEvent, event_type="session.reminder_due", version=1, personal=True):
    """What a notifier needs to remind one member of one occurrence, and no more."""

    member_id: UUID
    session_id: UUID
    slug: str
    title: EventName
    occurrence_start: AwareDatetime
    starts_at: AwareDatetime
    time_zone: str
    offset_minutes: int = Field(description="How long before the start this reminder is for")
    path: str = Field(description="The session's page on this instance, e.g. /sessions/{id}")


REGISTRATION_EVENTS: tuple[type[EventPayload], ...] = (
    RegisteredV1,
    RegistrationCancelledV1,
    WaitlistPromotedV1,
    SessionCompletedV1,
    FeedbackGivenV1,
    ReminderDueV1,
)

# --- RPC ----------------------------------------------------------------------------------

REGISTER = rpc_subject(SERVICE, "registrations.create")
CANCEL_REGISTRATION = rpc_subject(SERVICE, "registrations.cancel")
MY_REGISTRATIONS = rpc_subject(SERVICE, "registrations.mine")
LIST_REGISTRATIONS = rpc_subject(SERVICE, "registrations.list")
RECORD_ATTENDANCE = rpc_subject(SERVICE, "attendance.record")
GIVE_FEEDBACK = rpc_subject(SERVICE, "feedback.give")
FEEDBACK_SUMMARY = rpc_subject(SERVICE, "feedback.summary")
