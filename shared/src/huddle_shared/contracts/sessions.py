"""Sessions' contracts (owned by the scheduling service): sessions, series and their
occurrences, calendar feeds, and the events that say what changed.

An occurrence is named by the session's id and its ``occurrence_start``: the instant the
series' rule gave it (iCalendar's RECURRENCE-ID). Moving an occurrence changes its
``starts_at``, never its name, so registrations and notes keep pointing at it. Times people
type are wall-clock times in the session's ``time_zone``; times Huddle answers carry their
UTC offset.
"""

from enum import StrEnum
from typing import Annotated
from uuid import UUID
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import (
    AfterValidator,
    AnyHttpUrl,
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    NaiveDatetime,
    StringConstraints,
    model_validator,
)

from huddle_shared.contracts.common import Slug
from huddle_shared.contracts.envelope import EventPayload
from huddle_shared.contracts.membership import EventName, Name
from huddle_shared.contracts.rpc import rpc_subject

SERVICE = "scheduling"
DEFAULT_TIME_ZONE = "Europe/London"

Title = Name
Text = Annotated[str, StringConstraints(strip_whitespace=True, max_length=5000)]
ShortText = Annotated[str, StringConstraints(strip_whitespace=True, max_length=500)]
# RFC 5545 RRULE text without the "RRULE:" prefix, e.g. "FREQ=WEEKLY;BYDAY=FR;COUNT=10".
# Whether it parses and ends (COUNT or UNTIL) is the service's rule, answered as a 422.
RRuleText = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=6, max_length=500, to_upper=True)
]
MAX_OPEN_TO_NETWORKS = 50
MAX_SPEAKERS = 50


def _known_time_zone(name: str) -> str:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"{name!r} is not a time zone name such as Europe/London") from None
    return name


TimeZoneName = Annotated[str, StringConstraints(max_length=64), AfterValidator(_known_time_zone)]


class SessionFormat(StrEnum):
    DISCUSSION = "discussion"
    SPEAKER_SESSION = "speaker_session"
    FOCUS_GROUP = "focus_group"
    PEER_SUPPORT = "peer_support"
    SYMPOSIUM = "symposium"


class Attendance(StrEnum):
    """Where a session happens."""

    ONLINE = "online"
    IN_PERSON = "in_person"
    BOTH = "both"  # at a venue, and online for those who cannot come


class OccurrenceStatus(StrEnum):
    SCHEDULED = "scheduled"
    CANCELLED = "cancelled"


class RegistrationState(StrEnum):
    REGISTERED = "registered"
    WAITLISTED = "waitlisted"


class ChangeScope(StrEnum):
    """Which occurrences of a series a change or cancellation applies to."""

    THIS = "this"
    THIS_AND_FOLLOWING = "this_and_following"


class Venue(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: Name
    address: ShortText
    access_notes: ShortText = Field(default="", description="Step-free access, parking, loops")


class Speaker(BaseModel):
    """A member of the network (``member_id``) or a guest (``name``, ``organisation``). A guest
    who has not agreed to be named is shown as "a guest speaker" and never named in events."""

    model_config = ConfigDict(extra="forbid")

    member_id: UUID | None = None
    name: Name | None = None
    organisation: ShortText = ""
    agreed_to_be_named: bool = False
    topic: ShortText = ""

    @model_validator(mode="after")
    def _member_or_guest(self) -> "Speaker":
        if (self.member_id is None) == (self.name is None):
            raise ValueError("a speaker is either a member (member_id) or a guest (name)")
        return self


# --- Requests -----------------------------------------------------------------------------


class SessionFields(BaseModel):
    """A session as its organiser describes it (the body of ``POST .../sessions``)."""

    model_config = ConfigDict(extra="forbid")

    title: Title
    description: Text = ""
    format: SessionFormat = SessionFormat.DISCUSSION
    attendance: Attendance = Attendance.ONLINE
    venue: Venue | None = Field(default=None, description="Required when in person or both")
    starts_at: NaiveDatetime = Field(description="Wall-clock time in time_zone, no offset")
    duration_minutes: int = Field(ge=5, le=24 * 60)
    time_zone: TimeZoneName = DEFAULT_TIME_ZONE
    capacity: int | None = Field(default=None, ge=1, le=100_000, description="None: no limit")
    registration: bool = Field(
        default=True,
        description="Whether members register; without, every member sees the joining link",
    )
    rrule: RRuleText | None = Field(default=None, description="RFC 5545 RRULE; must end")
    joining_link: AnyHttpUrl | None = None
    agenda: Text = ""
    speakers: list[Speaker] = Field(default_factory=list, max_length=MAX_SPEAKERS)
    recorded: bool = Field(
        default=False, description="Refused when the network's ground rules forbid recording"
    )
    open_to_networks: list[Slug] = Field(
        default_factory=list,
        max_length=MAX_OPEN_TO_NETWORKS,
        description="Other networks whose members may see and register for it",
    )


class CreateSession(SessionFields):
    slug: Slug = Field(description="The network the session belongs to")


class SessionChanges(BaseModel):
    """What a change to the whole session or series may set; fields left out stay."""

    model_config = ConfigDict(extra="forbid")

    title: Title | None = None
    description: Text | None = None
    format: SessionFormat | None = None
    attendance: Attendance | None = None
    venue: Venue | None = None
    starts_at: NaiveDatetime | None = None
    duration_minutes: int | None = Field(default=None, ge=5, le=24 * 60)
    time_zone: TimeZoneName | None = None
    capacity: int | None = Field(default=None, ge=1, le=100_000)
    registration: bool | None = None
    rrule: RRuleText | None = None
    joining_link: AnyHttpUrl | None = None
    agenda: Text | None = None
    speakers: list[Speaker] | None = Field(default=None, max_length=MAX_SPEAKERS)
    recorded: bool | None = None
    open_to_networks: list[Slug] | None = Field(default=None, max_length=MAX_OPEN_TO_NETWORKS)


class UpdateSession(SessionChanges):
    session_id: UUID


class GetSession(BaseModel):
    model_config = ConfigDict(extra="forbid")

    session_id: UUID


class OccurrenceChanges(BaseModel):
    """What may differ for one occurrence (or this and the following ones)."""

    model_config = ConfigDict(extra="forbid")

    title: Title | None = None
    description: Text | None = None
    starts_at: NaiveDatetime | None = Field(default=None, description="Wall-clock, no offset")
    duration_minutes: int | None = Field(default=None, ge=5, le=24 * 60)
    attendance: Attendance | None = None
    venue: Venue | None = None
    capacity: int | None = Field(default=None, ge=1, le=100_000)
    joining_link: AnyHttpUrl | None = None
    agenda: Text | None = None
    speakers: list[Speaker] | None = Field(default=None, max_length=MAX_SPEAKERS)


class ChangeOccurrence(OccurrenceChanges):
    session_id: UUID
    occurrence_start: AwareDatetime
    scope: ChangeScope = ChangeScope.THIS


class CancelOccurrence(BaseModel):
    model_config = ConfigDict(extra="forbid")

    session_id: UUID
    occurrence_start: AwareDatetime
    scope: ChangeScope = ChangeScope.THIS


class ListSessions(BaseModel):
    """A network's occurrences between ``from`` and ``to`` (defaults: now, a year ahead)."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    slug: Slug
    from_: AwareDatetime | None = Field(default=None, alias="from")
    to: AwareDatetime | None = None


class ListUpcoming(BaseModel):
    """The caller's occurrences across all their networks (and sessions opened to them)."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    from_: AwareDatetime | None = Field(default=None, alias="from")
    to: AwareDatetime | None = None


# --- Views --------------------------------------------------------------------------------


class SpeakerView(BaseModel):
    member_id: UUID | None
    name: str = Field(
        description='"a guest speaker" for a guest who did not agree to be named (their name '
        "only to the session's organisers, who gave it)"
    )
    organisation: str
    topic: str
    agreed_to_be_named: bool = Field(
        default=True, description="A guest's say on being named (a member: always true)"
    )


class SessionView(BaseModel):
    id: UUID
    slug: str = Field(description="The network it belongs to")
    network_name: str
    title: str
    description: str
    format: SessionFormat
    attendance: Attendance
    venue: Venue | None
    starts_at: AwareDatetime = Field(description="The first occurrence, with its UTC offset")
    time_zone: str
    duration_minutes: int
    capacity: int | None
    registration: bool
    rrule: str | None
    joining_link: str | None = Field(description="Only for those who may join")
    agenda: str
    speakers: list[SpeakerView]
    recorded: bool
    not_recorded: bool = Field(description="The network never records its sessions")
    ground_rules: list[str]
    open_to_networks: list[str]
    may_organise: bool = Field(description="Whether the caller may change it")
    created_at: AwareDatetime


class OccurrenceView(BaseModel):
    id: UUID = Field(description="The session's id")
    slug: str
    title: str
    format: SessionFormat
    attendance: Attendance
    occurrence_start: AwareDatetime = Field(description="Names the occurrence (with offset)")
    starts_at: AwareDatetime = Field(description="When it happens; differs if it was moved")
    ends_at: AwareDatetime
    time_zone: str
    status: OccurrenceStatus
    registered: int
    waitlisted: int
    capacity: int | None
    my_registration: RegistrationState | None = None


class OccurrenceList(BaseModel):
    items: list[OccurrenceView]
    may_organise: bool = Field(
        default=False,
        description="A network's listing: the caller may create and change its sessions",
    )


# --- Calendar feeds -----------------------------------------------------------------------


class NetworkFeed(BaseModel):
    model_config = ConfigDict(extra="forbid")

    slug: Slug


class PersonalFeed(BaseModel):
    model_config = ConfigDict(extra="forbid")

    token: Annotated[str, StringConstraints(min_length=20, max_length=200)]


class OccurrenceFile(BaseModel):
    """One occurrence as a single-event calendar file ("Add to calendar")."""

    model_config = ConfigDict(extra="forbid")

    session_id: UUID
    occurrence_start: AwareDatetime | None = None


class Calendar(BaseModel):
    """An iCalendar document and the tag the gateway answers ``If-None-Match`` with."""

    ics: str
    etag: str


class CalendarTokenView(BaseModel):
    token: str = Field(description="Put in the feed's address; shown when created")
    created_at: AwareDatetime


# --- Events -------------------------------------------------------------------------------


class SchedulingEvent(EventPayload, producer=SERVICE):
    """Base of the events the scheduling service publishes."""


class NamedSpeakerV1(BaseModel):
    """A speaker as other services may know them: members by id, guests only if they agreed
    to be named (notes' identifier check looks for these names)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    member_id: UUID | None
    name: EventName | None
    organisation: Annotated[str, StringConstraints(max_length=500)]


class SessionScheduledV1(SchedulingEvent, event_type="session.scheduled", version=1):
    session_id: UUID
    slug: str
    title: EventName
    format: SessionFormat
    starts_at: AwareDatetime
    time_zone: str
    duration_minutes: int
    rrule: str | None
    open_to_networks: list[str]
    speakers: list[NamedSpeakerV1]


class SessionUpdatedV1(SessionScheduledV1, event_type="session.updated", version=1):
    """The whole session as it now is."""


class SessionCancelledV1(SchedulingEvent, event_type="session.cancelled", version=1):
    """The whole session or series is cancelled."""

    session_id: UUID
    slug: str


class OccurrenceChangedV1(SchedulingEvent, event_type="session.occurrence_changed", version=1):
    session_id: UUID
    slug: str
    occurrence_start: AwareDatetime
    starts_at: AwareDatetime
    duration_minutes: int
    title: EventName


class OccurrenceCancelledV1(SchedulingEvent, event_type="session.occurrence_cancelled", version=1):
    session_id: UUID
    slug: str
    occurrence_start: AwareDatetime


SESSION_EVENTS: tuple[type[EventPayload], ...] = (
    SessionScheduledV1,
    SessionUpdatedV1,
    SessionCancelledV1,
    OccurrenceChangedV1,
    OccurrenceCancelledV1,
)

# --- RPC ----------------------------------------------------------------------------------

CREATE_SESSION = rpc_subject(SERVICE, "sessions.create")
LIST_SESSIONS = rpc_subject(SERVICE, "sessions.list")
LIST_UPCOMING = rpc_subject(SERVICE, "sessions.upcoming")
GET_SESSION = rpc_subject(SERVICE, "sessions.get")
UPDATE_SESSION = rpc_subject(SERVICE, "sessions.update")
DELETE_SESSION = rpc_subject(SERVICE, "sessions.delete")
CHANGE_OCCURRENCE = rpc_subject(SERVICE, "sessions.occurrences.change")
CANCEL_OCCURRENCE = rpc_subject(SERVICE, "sessions.occurrences.cancel")
NETWORK_FEED = rpc_subject(SERVICE, "calendar.network_feed")
PERSONAL_FEED = rpc_subject(SERVICE, "calendar.personal_feed")
OCCURRENCE_FILE = rpc_subject(SERVICE, "calendar.occurrence_file")
CREATE_CALENDAR_TOKEN = rpc_subject(SERVICE, "calendar.tokens.create")
REVOKE_CALENDAR_TOKEN = rpc_subject(SERVICE, "calendar.tokens.revoke")
