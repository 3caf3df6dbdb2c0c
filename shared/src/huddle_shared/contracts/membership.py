"""Membership's contracts: its events, its RPC operations, their requests and views."""

from datetime import datetime
from enum import StrEnum
from typing import Annotated, ClassVar
from uuid import UUID

from pydantic import AwareDatetime, BaseModel, ConfigDict, EmailStr, Field, StringConstraints

from huddle_shared.contracts.envelope import EventPayload
from huddle_shared.contracts.rpc import rpc_subject

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


Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
OdsCode = Annotated[
    str, StringConstraints(strip_whitespace=True, to_upper=True, pattern=r"^[A-Za-z0-9]{3,10}$")
]
Password = Annotated[str, StringConstraints(min_length=12, max_length=256)]


# --- Events -------------------------------------------------------------------------------


class OrganisationRegisteredV1(EventPayload):
    event_type: ClassVar[str] = "organisation.registered"
    version: ClassVar[int] = 1
    producer: ClassVar[str] = SERVICE

    organisation_id: UUID
    name: str
    kind: OrganisationKind
    region: Region | None
    ods_code: str | None


class MemberRegisteredV1(EventPayload):
    """Carries the display name (notes keeps it to redact it later) and never the email."""

    event_type: ClassVar[str] = "member.registered"
    version: ClassVar[int] = 1
    producer: ClassVar[str] = SERVICE
    carries_personal_data: ClassVar[bool] = True

    member_id: UUID
    display_name: str
    member_type: MemberType
    organisation_id: UUID
    organisation_kind: OrganisationKind
    region: Region | None
    registered_at: AwareDatetime


EVENTS: tuple[type[EventPayload], ...] = (OrganisationRegisteredV1, MemberRegisteredV1)


# --- RPC ----------------------------------------------------------------------------------

REGISTER_ORGANISATION = rpc_subject(SERVICE, "organisations.register")
GET_ORGANISATION = rpc_subject(SERVICE, "organisations.get")
REGISTER_ACCOUNT = rpc_subject(SERVICE, "accounts.register")
GET_MEMBER = rpc_subject(SERVICE, "members.get")


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
    member_type: MemberType


class GetById(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: UUID


class OrganisationView(BaseModel):
    id: UUID
    name: str
    kind: OrganisationKind
    region: Region | None
    ods_code: str | None
    created_at: datetime


class MemberView(BaseModel):
    """A member as others may see them (never the email: that is the member's own)."""

    id: UUID
    display_name: str
    job_title: str
    organisation_id: UUID
    member_type: MemberType
    status: str
    registered_at: datetime


class AccountView(MemberView):
    """What the member themself sees of their account."""

    email: str
