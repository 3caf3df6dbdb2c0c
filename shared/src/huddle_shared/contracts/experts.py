"""Signposting's people who know, contact requests and signposting requests: their RPC
operations, requests, views and the gap event (the directory of support is in
``contracts.signposting``).

- People who know: members who consented (``listed_as_expert`` on their profile, from
  membership's events) are found by topic and region.
- Contact requests: a member sends one of them a short message; the expert accepts or
  declines. The expert's email address reaches the requester only once they accept, and
  only from the accept call (events never carry emails). Rate-limited per member.
- Signposting requests: a need (category, area, audience, free text) answered with ranked
  directory entries and people who know; the member says whether it helped. A request with
  no match, or marked unhelpful, is a gap: ``signposting.gap_recorded`` carries its
  category, area, audience and month, never the free text nor who asked.
"""

from datetime import date, datetime
from enum import StrEnum
from typing import Annotated
from uuid import UUID

from pydantic import BaseModel, ConfigDict, EmailStr, Field, StringConstraints

from huddle_shared.contracts.areas import AreaCode
from huddle_shared.contracts.envelope import EventPayload
from huddle_shared.contracts.membership import MemberType, Region
from huddle_shared.contracts.rpc import rpc_subject
from huddle_shared.contracts.signposting import SERVICE, Audience

# --- RPC ----------------------------------------------------------------------------------

FIND_EXPERTS = rpc_subject(SERVICE, "experts.find")
GET_EXPERT = rpc_subject(SERVICE, "experts.get")
SEND_CONTACT_REQUEST = rpc_subject(SERVICE, "contact_requests.send")
MY_CONTACT_REQUESTS = rpc_subject(SERVICE, "contact_requests.mine")
ACCEPT_CONTACT_REQUEST = rpc_subject(SERVICE, "contact_requests.accept")
DECLINE_CONTACT_REQUEST = rpc_subject(SERVICE, "contact_requests.decline")
CREATE_SIGNPOSTING_REQUEST = rpc_subject(SERVICE, "requests.create")
GET_SIGNPOSTING_REQUEST = rpc_subject(SERVICE, "requests.get")
RECORD_REQUEST_OUTCOME = rpc_subject(SERVICE, "requests.outcome")
NEED_CATEGORIES = rpc_subject(SERVICE, "requests.categories")

CONTACT_REQUESTS_PER_DAY = 5
MAX_EXPERTS = 50
MAX_TEXT = 1000

TopicQuery = Annotated[str, StringConstraints(strip_whitespace=True, max_length=80)]
ContactMessage = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=MAX_TEXT)
]
TaxonomyTermId = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)
]
NeedText = Annotated[str, StringConstraints(strip_whitespace=True, max_length=MAX_TEXT)]


class FindExperts(BaseModel):
    """Members only. Both filters optional: a topic matches any of an expert's topics that
    contains it (ignoring case); a region, experts whose organisation is in it."""

    model_config = ConfigDict(extra="forbid")

    topic: TopicQuery = ""
    region: Region | None = None
    limit: int = Field(default=MAX_EXPERTS, ge=1, le=MAX_EXPERTS)


class ExpertView(BaseModel):
    """A person who knows, as members see them: never their email address."""

    member_id: UUID
    display_name: str
    member_type: MemberType
    organisation: str = Field(description="Their organisation's name ('' if not known yet)")
    region: Region | None
    topics: list[str]


class ExpertList(BaseModel):
    items: list[ExpertView]


class SendContactRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    expert_id: UUID
    message: ContactMessage = Field(description="A short message: what you would like to ask")


class ContactRequestStatus(StrEnum):
    PENDING = "pending"
    ACCEPTED = "accepted"
    DECLINED = "declined"


class ContactRequestView(BaseModel):
    id: UUID
    requester_id: UUID
    requester_name: str
    expert_id: UUID
    expert_name: str
    message: str
    status: ContactRequestStatus
    created_at: datetime
    decided_at: datetime | None = None
    expert_email: str | None = Field(
        default=None,
        description="To the requester only, once the expert accepted; never otherwise",
    )


class MyContactRequests(BaseModel):
    sent: list[ContactRequestView]
    received: list[ContactRequestView]


class AcceptContactRequest(BaseModel):
    """The gateway adds the signed-in expert's own email address (from membership), which
    the requester then sees; nobody else's address can be given."""

    model_config = ConfigDict(extra="forbid")

    id: UUID
    expert_email: EmailStr


class DecideContactRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: UUID


class CreateSignpostingRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    category: TaxonomyTermId = Field(
        description="A support category from the taxonomy: its code (as `bereavement`) or id"
    )
    area: AreaCode = Field(description="national, region:<region> or icb:<board>")
    audience: Audience
    text: NeedText = Field(
        default="", description="The need in your own words; never leaves signposting"
    )


class NeedCategory(BaseModel):
    id: str
    name: str


class NeedCategories(BaseModel):
    items: list[NeedCategory]


class SupportEntry(BaseModel):
    """A directory entry that may meet the need (ranked; the directory's own view has more)."""

    id: str
    name: str
    organisation: str = ""
    description: str = ""
    last_checked_on: date | None = None


class GapReason(StrEnum):
    NO_MATCH = "no_match"
    UNHELPFUL = "unhelpful"


class SignpostingRequestView(BaseModel):
    """The requester's own request and its answer (the free text only to them)."""

    id: UUID
    category: str
    category_name: str
    area: str
    audience: Audience
    text: str
    created_at: datetime
    services: list[SupportEntry]
    experts: list[ExpertView]
    helped: bool | None = None
    gap_recorded: bool = False


class RecordRequestOutcome(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: UUID
    helped: bool


# --- Events -------------------------------------------------------------------------------

Month = Annotated[str, StringConstraints(pattern=r"^\d{4}-(0[1-9]|1[0-2])$")]


class SignpostingEvent(EventPayload, producer=SERVICE):
    """Base of the events the signposting service publishes."""


class SignpostingGapRecordedV1(SignpostingEvent, event_type="signposting.gap_recorded", version=1):
    """A need Huddle could not meet (no match, or marked unhelpful), for insights: never the
    free text, never who asked."""

    category: Annotated[str, StringConstraints(max_length=100)]
    area: Annotated[str, StringConstraints(max_length=100)]
    audience: Audience
    month: Month = Field(description="YYYY-MM (UTC) of the request")
    reason: GapReason


EXPERT_EVENTS: tuple[type[EventPayload], ...] = (SignpostingGapRecordedV1,)
