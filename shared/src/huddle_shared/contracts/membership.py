"""Membership's contracts: its events, its RPC operations, their requests and views."""

import re
from datetime import datetime
from enum import StrEnum
from typing import Annotated, Literal
from uuid import UUID

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    ConfigDict,
    EmailStr,
    Field,
    StringConstraints,
    field_validator,
    model_validator,
)

from huddle_shared.contracts.envelope import EventPayload
from huddle_shared.contracts.rpc import rpc_subject
from huddle_shared.contracts.text import readable_name

SERVICE = "membership"


class OrganisationKind(StrEnum):
    NHS_TRUST = "nhs_trust"
    INTEGRATED_CARE_BOARD = "integrated_care_board"
    INDEPENDENT_SECTOR_PROVIDER = "independent_sector_provider"
    CHARITY = "charity"
    UNIVERSITY = "university"
    NATIONAL_BODY = "national_body"
    OTHER = "other"


class Region(StrEnum):
    """NHS England's seven regions."""

    NORTH_EAST_AND_YORKSHIRE = "north_east_and_yorkshire"
    NORTH_WEST = "north_west"
    MIDLANDS = "midlands"
    EAST_OF_ENGLAND = "east_of_england"
    LONDON = "london"
    SOUTH_EAST = "south_east"
    SOUTH_WEST = "south_west"


class MemberType(StrEnum):
    STAFF = "staff"
    PATIENT_SAFETY_PARTNER = "patient_safety_partner"
    RESEARCHER = "researcher"
    NATIONAL_OBSERVER = "national_observer"


# Names people type and others read (people, organisations, networks, API tokens): NFC, no
# control or invisible formatting characters, something visible (see ``contracts.text``).
Name = Annotated[
    str, StringConstraints(min_length=1, max_length=200), AfterValidator(readable_name)
]
OdsCode = Annotated[
    str, StringConstraints(strip_whitespace=True, to_upper=True, pattern=r"^[A-Za-z0-9]{3,10}$")
]
Password = Annotated[str, StringConstraints(min_length=12, max_length=256)]

# Caps on what travels in events, so that no event can outgrow NATS's 1 MiB message limit
# (the outbox dead-letters one that does). Generous: the same as, or above, the requests'.
EventName = Annotated[str, StringConstraints(max_length=200)]
EventCode = Annotated[str, StringConstraints(max_length=40)]
EventTopic = Annotated[str, StringConstraints(max_length=80)]
MAX_TOPICS = 30

TOPICS_DESCRIPTION = "The topics the member named on their profile"
LISTED_AS_EXPERT_DESCRIPTION = (
    "Consent to be listed as a person who knows: found by topic and region, and sent "
    "contact requests through Huddle (never the email address, unless they accept one)"
)


# --- Events -------------------------------------------------------------------------------


class MembershipEvent(EventPayload, producer=SERVICE):
    """Base of the events the membership service publishes."""


class OrganisationRegisteredV1(MembershipEvent, event_type="organisation.registered", version=1):
    organisation_id: UUID
    name: EventName
    kind: OrganisationKind
    region: Region | None
    ods_code: EventCode | None


class MemberRegisteredV1(MembershipEvent, event_type="member.registered", version=1, personal=True):
    """Carries the display name (notes keeps it to redact it later) and never the email."""

    member_id: UUID
    display_name: EventName
    member_type: MemberType
    organisation_id: UUID
    organisation_kind: OrganisationKind
    region: Region | None
    registered_at: AwareDatetime
    listed_in_directory: bool = Field(
        default=False, description="Consent to be named in member lists (e.g. who registered)"
    )
    # Services decide rights from their own data: scheduling lets instance admins organise.
    is_instance_admin: bool = False
    topics: list[EventTopic] = Field(
        default_factory=list, max_length=MAX_TOPICS, description=TOPICS_DESCRIPTION
    )
    listed_as_expert: bool = Field(default=False, description=LISTED_AS_EXPERT_DESCRIPTION)


class MemberProfileUpdatedV1(
    MembershipEvent, event_type="member.profile_updated", version=1, personal=True
):
    """Carries the (possibly new) display name: notes must redact the current one too."""

    member_id: UUID
    display_name: EventName
    member_type: MemberType
    listed_in_directory: bool = Field(
        default=False, description="Consent to be named in member lists (e.g. who registered)"
    )
    topics: list[EventTopic] = Field(
        default_factory=list, max_length=MAX_TOPICS, description=TOPICS_DESCRIPTION
    )
    listed_as_expert: bool = Field(default=False, description=LISTED_AS_EXPERT_DESCRIPTION)


class MemberStatusChangedV1(
    MembershipEvent, event_type="member.status_changed", version=1, personal=True
):
    member_id: UUID
    status: EventCode


class MemberInstanceAdminChangedV1(
    MembershipEvent, event_type="member.instance_admin_changed", version=1, personal=True
):
    """The member became (or stopped being) an instance administrator."""

    member_id: UUID
    is_instance_admin: bool


class MemberErasedV1(MembershipEvent, event_type="member.erased", version=1):
    """The member asked to be forgotten: every service removes what it holds about them."""

    member_id: UUID


EVENTS: tuple[type[EventPayload], ...] = (
    OrganisationRegisteredV1,
    MemberRegisteredV1,
    MemberProfileUpdatedV1,
    MemberStatusChangedV1,
    MemberInstanceAdminChangedV1,
    MemberErasedV1,
)


# --- RPC ----------------------------------------------------------------------------------

REGISTER_ORGANISATION = rpc_subject(SERVICE, "organisations.register")
GET_ORGANISATION = rpc_subject(SERVICE, "organisations.get")
SEARCH_ORGANISATIONS = rpc_subject(SERVICE, "organisations.search")
REGISTER_ACCOUNT = rpc_subject(SERVICE, "accounts.register")
GET_MEMBER = rpc_subject(SERVICE, "members.get")
SET_MEMBER_STATUS = rpc_subject(SERVICE, "members.set_status")
SET_MEMBER_TYPE = rpc_subject(SERVICE, "members.set_type")
GET_ME = rpc_subject(SERVICE, "me.get")
UPDATE_ME = rpc_subject(SERVICE, "me.update")
SIGN_IN = rpc_subject(SERVICE, "auth.sign_in")
# The gateway renews a web sign-in's token: is the member it names still active?
RENEW_SIGN_IN = rpc_subject(SERVICE, "auth.renew")
CREATE_API_TOKEN = rpc_subject(SERVICE, "auth.api_tokens.create")
REVOKE_API_TOKEN = rpc_subject(SERVICE, "auth.api_tokens.revoke")
VERIFY_API_TOKEN = rpc_subject(SERVICE, "auth.api_tokens.verify")
STATS = rpc_subject(SERVICE, "stats")
FIND_MEMBER = rpc_subject(SERVICE, "members.find")
LIST_API_TOKENS = rpc_subject(SERVICE, "auth.api_tokens.list")
API_TOKEN_PREFIX = "hud_"  # noqa: S105 - a marker, not a secret
# What membership issues: the prefix and 32 random bytes, URL-safe base64 without padding.
API_TOKEN_FORMAT = re.compile(re.escape(API_TOKEN_PREFIX) + r"[A-Za-z0-9_-]{43}")


class RegisterOrganisation(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: Name
    kind: OrganisationKind
    region: Region | None = None
    ods_code: OdsCode | None = Field(
        default=None, description="Organisation Data Service code; unique when given"
    )


class RegisterAccount(BaseModel):
    model_config = ConfigDict(extra="forbid")

    email: EmailStr
    password: Password = Field(description="At least 12 characters; stored only as a hash")
    display_name: Name
    organisation_id: UUID
    job_title: Annotated[str, StringConstraints(strip_whitespace=True, max_length=200)] = ""
    member_type: MemberType = Field(
        description="national_observer is granted by an instance administrator, not chosen here"
    )

    @field_validator("member_type")
    @classmethod
    def _not_granted_at_sign_up(cls, member_type: MemberType) -> MemberType:
        if member_type == MemberType.NATIONAL_OBSERVER:
            raise ValueError(
                "national_observer is granted by an instance administrator; register as "
                "another type and ask them"
            )
        return member_type


Topic = Annotated[str, StringConstraints(strip_whitespace=True, min_length=2, max_length=80)]


class UpdateProfile(BaseModel):
    """A member edits their own profile; fields left out stay as they are."""

    model_config = ConfigDict(extra="forbid")

    display_name: Name | None = None
    job_title: Annotated[str, StringConstraints(strip_whitespace=True, max_length=200)] | None = (
        None
    )
    topics: list[Topic] | None = Field(default=None, max_length=MAX_TOPICS)
    listed_in_directory: bool | None = None
    contactable: bool | None = None
    listed_as_expert: bool | None = Field(default=None, description=LISTED_AS_EXPERT_DESCRIPTION)


class SetMemberStatus(BaseModel):
    """Instance admins suspend a member (with a reason) or reinstate them."""

    model_config = ConfigDict(extra="forbid")

    member_id: UUID
    status: Literal["active", "suspended"]
    reason: Annotated[str, StringConstraints(strip_whitespace=True, max_length=1000)] = ""


class SetMemberType(BaseModel):
    """Instance admins change what kind of member someone is (the only way to become a
    national observer)."""

    model_config = ConfigDict(extra="forbid")

    member_id: UUID
    member_type: MemberType


class SignIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    email: Annotated[str, StringConstraints(strip_whitespace=True, min_length=3, max_length=320)]
    password: Annotated[str, StringConstraints(min_length=1, max_length=256)]


class SignedIn(BaseModel):
    member_id: UUID


class CreateApiToken(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: Name
    scopes: list[Annotated[str, StringConstraints(pattern=r"^[a-z]+(:[a-z]+)*$")]] = Field(
        min_length=1, max_length=20
    )


class ApiTokenCreated(BaseModel):
    id: str
    name: str
    scopes: list[str]
    token: str = Field(description="Shown only once; stored only as a hash")
    created_at: datetime


class VerifyApiToken(BaseModel):
    model_config = ConfigDict(extra="forbid")

    token: Annotated[str, StringConstraints(max_length=200)]


class ApiTokenIdentity(BaseModel):
    id: str
    scopes: list[str]


PAGE_SIZE = 50
MAX_PAGE_SIZE = 200
MAX_OFFSET = 1_000_000  # far past any directory; a bigger skip would overflow the database's


class SearchOrganisations(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name_prefix: Annotated[str, StringConstraints(strip_whitespace=True, max_length=100)] = ""
    kind: OrganisationKind | None = None
    region: Region | None = None
    limit: int = Field(default=PAGE_SIZE, ge=1, le=MAX_PAGE_SIZE)
    offset: int = Field(default=0, ge=0, le=MAX_OFFSET)


class OrganisationPage(BaseModel):
    items: list["OrganisationView"]
    total: int


class Stats(BaseModel):
    members: int
    organisations: int
    networks: int
    members_by_organisation_kind: dict[str, int]
    members_by_region: dict[str, int]
    # Grows with every change to the figures: the same revision, the same figures (ETag).
    revision: int = 0


class OrganisationView(BaseModel):
    id: UUID
    name: str
    kind: OrganisationKind
    region: Region | None
    ods_code: str | None
    created_at: datetime


class MemberView(BaseModel):
    """A member as other members may see them: only those who agreed to be listed."""

    id: UUID
    display_name: str
    job_title: str
    organisation_id: UUID
    member_type: MemberType
    status: str
    registered_at: datetime


class ListedMemberView(MemberView):
    topics: list[str] = Field(default_factory=list)
    email: str | None = Field(default=None, description="Only when the member is contactable")


class AccountView(MemberView):
    """What the member themself sees of their account."""

    email: str
    topics: list[str] = Field(default_factory=list)
    listed_in_directory: bool = False
    contactable: bool = False
    listed_as_expert: bool = Field(default=False, description=LISTED_AS_EXPERT_DESCRIPTION)
    is_instance_admin: bool = False


class FindMember(BaseModel):
    """Instance admins look a member up by their email address (to suspend or reinstate),
    or by their id (to read again the member they acted on, whatever their email is now)."""

    model_config = ConfigDict(extra="forbid")

    email: (
        Annotated[str, StringConstraints(strip_whitespace=True, min_length=3, max_length=320)]
        | None
    ) = None
    member_id: UUID | None = None

    @model_validator(mode="after")
    def _one_of_them(self) -> "FindMember":
        if (self.email is None) == (self.member_id is None):
            raise ValueError("Give either email or member_id")
        return self


class AdminMemberView(MemberView):
    """A member as an instance administrator sees them: with their email and why they were
    suspended, whatever they consented to share with other members."""

    email: str
    status_reason: str = ""
    is_instance_admin: bool = False


class ApiTokenSummary(BaseModel):
    """An API token as instance admins see it afterwards: never the token itself."""

    id: str
    name: str
    scopes: list[str]
    created_at: datetime
    revoked_at: datetime | None = None
