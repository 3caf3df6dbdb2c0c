"""Networks' contracts (owned by the membership service): requests, views and events."""

from datetime import datetime
from enum import StrEnum
from typing import Annotated
from uuid import UUID

from pydantic import AwareDatetime, BaseModel, ConfigDict, EmailStr, Field, StringConstraints

from huddle_shared.contracts.common import Slug
from huddle_shared.contracts.envelope import EventPayload
from huddle_shared.contracts.membership import (
    SERVICE,
    EventName,
    MembershipEvent,
    MemberType,
    Name,
    Region,
)
from huddle_shared.contracts.rpc import rpc_subject

Text = Annotated[str, StringConstraints(strip_whitespace=True, max_length=2000)]
Acronym = Annotated[str, StringConstraints(strip_whitespace=True, min_length=2, max_length=20)]
Expansion = Annotated[str, StringConstraints(min_length=2, max_length=200)]
GroundRule = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=500)]
# A glossary travels whole in network.created and network.updated: at most
# 500 x (20 + 200) characters, far below NATS's 1 MiB message limit.
GLOSSARY_MAX_ENTRIES = 500
GROUND_RULES_MAX = 50
EventSlug = Annotated[str, StringConstraints(max_length=64)]
EventGroundRules = Annotated[
    list[Annotated[str, StringConstraints(max_length=500)]], Field(max_length=GROUND_RULES_MAX)
]
EventGlossary = Annotated[
    dict[Annotated[str, StringConstraints(max_length=20)], EventName],
    Field(max_length=GLOSSARY_MAX_ENTRIES),
]


class Visibility(StrEnum):
    OPEN = "open"  # anyone joins at once
    APPROVAL = "approval"  # a request waits for a network admin
    INVITE_ONLY = "invite_only"  # only with an invitation


class Role(StrEnum):
    CHAIR = "chair"
    FACILITATOR = "facilitator"
    NOTE_TAKER = "note_taker"
    MEMBER = "member"
    OBSERVER = "observer"


ADMIN_ROLES = frozenset({Role.CHAIR, Role.FACILITATOR})


class JoinStatus(StrEnum):
    ACTIVE = "active"
    PENDING = "pending"
    DECLINED = "declined"  # a network admin declined the request


class InvitationStatus(StrEnum):
    PENDING = "pending"  # sent, not used yet, still valid: the invitee may accept it
    WAITING = PENDING  # the same, as the invitee's own preview names it
    ACCEPTED = "accepted"
    EXPIRED = "expired"  # never used, and now past its date


# --- Events -------------------------------------------------------------------------------


class NetworkCreatedV1(MembershipEvent, event_type="network.created", version=1):
    slug: EventSlug
    name: EventName
    parent_slug: EventSlug | None
    visibility: Visibility
    region: Region | None
    # Scheduling shows the ground rules with every session and keeps "never recorded".
    # Defaults keep events published before these fields readable.
    ground_rules: EventGroundRules = Field(default_factory=list)
    never_recorded: bool = False
    # Notes' check expands its acronyms from the first note on; empty in older events.
    glossary: EventGlossary = Field(default_factory=dict)


class NetworkUpdatedV1(MembershipEvent, event_type="network.updated", version=1):
    slug: EventSlug
    name: EventName
    visibility: Visibility
    region: Region | None
    glossary: EventGlossary
    ground_rules: EventGroundRules = Field(default_factory=list)
    never_recorded: bool = False


class NetworkMemberJoinedV1(
    MembershipEvent, event_type="network.member_joined", version=1, personal=True
):
    slug: EventSlug
    member_id: UUID
    role: Role


class NetworkMemberRoleChangedV1(
    MembershipEvent, event_type="network.member_role_changed", version=1, personal=True
):
    slug: EventSlug
    member_id: UUID
    role: Role


class NetworkMemberLeftV1(
    MembershipEvent, event_type="network.member_left", version=1, personal=True
):
    slug: EventSlug
    member_id: UUID


class NetworkNeedsChairV1(MembershipEvent, event_type="network.needs_chair", version=1):
    """Erasure took the network's last chair and it had no facilitator to succeed them: an
    instance administrator must appoint a chair."""

    slug: str
    name: str


EVENTS: tuple[type[EventPayload], ...] = (
    NetworkCreatedV1,
    NetworkUpdatedV1,
    NetworkMemberJoinedV1,
    NetworkMemberRoleChangedV1,
    NetworkMemberLeftV1,
    NetworkNeedsChairV1,
)

# --- RPC ----------------------------------------------------------------------------------

CREATE_NETWORK = rpc_subject(SERVICE, "networks.create")
LIST_NETWORKS = rpc_subject(SERVICE, "networks.list")
LIST_NETWORKS_NEEDING_CHAIR = rpc_subject(SERVICE, "networks.needing_chair")
GET_NETWORK = rpc_subject(SERVICE, "networks.get")
UPDATE_NETWORK = rpc_subject(SERVICE, "networks.update")
JOIN_NETWORK = rpc_subject(SERVICE, "networks.join")
LIST_JOIN_REQUESTS = rpc_subject(SERVICE, "networks.join_requests.list")
DECIDE_JOIN_REQUEST = rpc_subject(SERVICE, "networks.join_requests.decide")
INVITE = rpc_subject(SERVICE, "networks.invitations.create")
ACCEPT_INVITATION = rpc_subject(SERVICE, "networks.invitations.accept")
READ_INVITATION = rpc_subject(SERVICE, "networks.invitations.read")
LIST_NETWORK_MEMBERS = rpc_subject(SERVICE, "networks.members.list")
CHANGE_ROLE = rpc_subject(SERVICE, "networks.members.change_role")
LEAVE_NETWORK = rpc_subject(SERVICE, "networks.members.leave")
LIST_INVITATIONS = rpc_subject(SERVICE, "networks.invitations.list")
LIST_NETWORK_ROSTER = rpc_subject(SERVICE, "networks.members.roster")


class CreateNetwork(BaseModel):
    model_config = ConfigDict(extra="forbid")

    slug: Slug
    name: Name
    purpose: Text = ""
    parent_slug: Slug | None = None
    visibility: Visibility = Visibility.OPEN
    allowed_member_types: list[MemberType] = Field(
        default_factory=list, description="invite_only: who may be invited (empty: anyone)"
    )
    ground_rules: list[GroundRule] = Field(default_factory=list, max_length=GROUND_RULES_MAX)
    never_recorded: bool = Field(
        default=False, description="Its sessions are never recorded (a ground rule Huddle keeps)"
    )
    glossary: dict[Acronym, Expansion] = Field(
        default_factory=dict,
        max_length=GLOSSARY_MAX_ENTRIES,
        description="Acronyms and what they stand for",
    )
    region: Region | None = None


class NetworkChanges(BaseModel):
    """What an update may change; fields left out (or null) stay as they are."""

    model_config = ConfigDict(extra="forbid")

    name: Name | None = None
    purpose: Text | None = None
    visibility: Visibility | None = None
    allowed_member_types: list[MemberType] | None = None
    ground_rules: list[GroundRule] | None = Field(default=None, max_length=GROUND_RULES_MAX)
    never_recorded: bool | None = None
    glossary: dict[Acronym, Expansion] | None = Field(default=None, max_length=GLOSSARY_MAX_ENTRIES)


class UpdateNetwork(NetworkChanges):
    slug: Slug


ACCEPTED_GROUND_RULES = (
    "The person has read the network's ground rules and accepts them: required (true) when "
    "the network has ground rules"
)


class JoinNetwork(BaseModel):
    model_config = ConfigDict(extra="forbid")

    slug: Slug
    message: Text = ""
    accepted_ground_rules: bool = Field(default=False, description=ACCEPTED_GROUND_RULES)


class DecideJoinRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    slug: Slug
    request_id: UUID
    approve: bool
    message: Text = ""


class Invite(BaseModel):
    model_config = ConfigDict(extra="forbid")

    slug: Slug
    email: EmailStr
    role: Role = Role.MEMBER


class AcceptInvitation(BaseModel):
    model_config = ConfigDict(extra="forbid")

    token: Annotated[str, StringConstraints(min_length=20, max_length=200)]
    accepted_ground_rules: bool = Field(default=False, description=ACCEPTED_GROUND_RULES)


class ReadInvitation(BaseModel):
    model_config = ConfigDict(extra="forbid")

    token: Annotated[str, StringConstraints(min_length=20, max_length=200)]


class ChangeRole(BaseModel):
    model_config = ConfigDict(extra="forbid")

    slug: Slug
    member_id: UUID
    role: Role


class NetworkView(BaseModel):
    slug: str
    name: str
    purpose: str
    parent_slug: str | None
    visibility: Visibility
    allowed_member_types: list[MemberType]
    ground_rules: list[str]
    never_recorded: bool = False
    glossary: dict[str, str]
    region: Region | None
    created_at: datetime
    my_role: Role | None = Field(default=None, description="The caller's role, if a member")
    my_status: JoinStatus | None = None
    needs_chair: bool = Field(
        default=False, description="No chair since an erasure: an instance admin must appoint one"
    )


class JoinResult(BaseModel):
    slug: str
    status: JoinStatus
    request_id: UUID | None = None


class JoinRequestView(BaseModel):
    id: UUID
    member_id: UUID
    display_name: str
    message: str
    requested_at: AwareDatetime


class InvitationView(BaseModel):
    slug: str
    email: str
    role: Role
    token: str = Field(description="Single use; send it to the invitee. Shown only once.")
    expires_at: datetime


class InvitationPreview(BaseModel):
    """What an invitee reads before accepting: the network (even an invite-only one) and
    the role the invitation gives."""

    slug: str
    name: str
    purpose: str
    ground_rules: list[str]
    glossary: dict[str, str]
    role: Role
    expires_at: datetime
    status: InvitationStatus
    cannot_accept: str | None = Field(
        default=None,
        description="Why accepting it now would be refused, in the words accepting would "
        "answer (an expired invitation, a suspended account, a kind of member the network does "
        "not take); null when accepting would succeed or it is accepted already",
    )


class NetworkMemberView(BaseModel):
    member_id: UUID
    display_name: str
    job_title: str
    role: Role
    topics: list[str]
    email: str | None = Field(default=None, description="Only when the member is contactable")


# A page of the listed members: a network of thousands is read a page at a time.
MEMBERS_PAGE_MAX = 200
MEMBERS_OFFSET_MAX = 1_000_000


class NetworkMembersQuery(BaseModel):
    """The members a network lists, all of them or one page (``limit`` from ``offset``, in
    the listing's order: by name)."""

    model_config = ConfigDict(extra="forbid")

    slug: Slug
    offset: int = Field(default=0, ge=0, le=MEMBERS_OFFSET_MAX)
    limit: int | None = Field(
        default=None, ge=1, le=MEMBERS_PAGE_MAX, description="At most this many; none: all"
    )


class NetworkMembersView(BaseModel):
    slug: str
    total: int = Field(description="Everyone in the network, listed or not")
    listed: int = Field(description="Members who agreed to be listed, on every page")
    offset: int = Field(default=0, description="Where ``members`` starts among the listed")
    members: list[NetworkMemberView] = Field(
        description="Members who agreed to be listed (from ``offset``, at most the limit asked)"
    )


class InvitationSummary(BaseModel):
    """An invitation as its network's admins see it: never its token (kept only as a hash)."""

    email: str = Field(description="The address it was sent to, in lower case")
    role: Role
    status: InvitationStatus
    created_at: datetime
    expires_at: datetime
    used_at: datetime | None = None


class RosterMemberView(BaseModel):
    """An active member as the network's admins see them to manage roles: listed or not,
    and never their email (which only contactable members share)."""

    member_id: UUID
    display_name: str
    job_title: str
    role: Role
    joined_at: datetime | None


class NetworkRosterView(BaseModel):
    slug: str
    members: list[RosterMemberView]
