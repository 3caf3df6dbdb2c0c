"""Membership's domain: organisations and members. Pure: no I/O, no clock, no randomness.

Aggregates record the events they cause in ``pending_events``; the repository stores those
in the same write as the state (the outbox) and publishes them.
"""

from dataclasses import dataclass, field
from datetime import datetime
from uuid import UUID

from huddle_shared.contracts.envelope import EventPayload
from huddle_shared.contracts.membership import (
    MemberRegisteredV1,
    MemberType,
    OrganisationKind,
    OrganisationRegisteredV1,
    Region,
)
from huddle_shared.errors import Conflict, Invalid, NotFound


class EmailAlreadyRegistered(Conflict):
    def __init__(self) -> None:
        super().__init__("An account with this email address already exists.")


class OdsCodeTaken(Conflict):
    def __init__(self, ods_code: str) -> None:
        super().__init__(f"Another organisation already has the ODS code {ods_code}.")


class UnknownOrganisation(Invalid):
    def __init__(self, organisation_id: UUID) -> None:
        super().__init__(f"There is no organisation with id {organisation_id}.")


class OrganisationNotFound(NotFound):
    def __init__(self, organisation_id: UUID) -> None:
        super().__init__(f"There is no organisation with id {organisation_id}.")


class MemberNotFound(NotFound):
    def __init__(self, member_id: UUID) -> None:
        super().__init__(f"There is no member with id {member_id}.")


def normalise_email(email: str) -> str:
    """Emails are unique regardless of case."""
    return email.strip().lower()


@dataclass
class Organisation:
    id: UUID
    name: str
    kind: OrganisationKind
    region: Region | None
    ods_code: str | None
    created_at: datetime
    pending_events: list[EventPayload] = field(default_factory=list, compare=False)

    @classmethod
    def register(
        cls,
        *,
        organisation_id: UUID,
        name: str,
        kind: OrganisationKind,
        region: Region | None,
        ods_code: str | None,
        now: datetime,
    ) -> "Organisation":
        organisation = cls(organisation_id, name, kind, region, ods_code, now)
        organisation.pending_events.append(
            OrganisationRegisteredV1(
                organisation_id=organisation_id,
                name=name,
                kind=kind,
                region=region,
                ods_code=ods_code,
            )
        )
        return organisation


class MemberStatus:
    ACTIVE = "active"
    SUSPENDED = "suspended"
    LEFT = "left"


@dataclass
class Member:
    id: UUID
    email: str
    display_name: str
    job_title: str
    organisation_id: UUID
    member_type: MemberType
    password_hash: str
    status: str
    registered_at: datetime
    topics: list[str] = field(default_factory=list)
    listed_in_directory: bool = False  # consent: shown in network member lists
    contactable: bool = False  # consent: fellow members see the email address
    is_instance_admin: bool = False
    pending_events: list[EventPayload] = field(default_factory=list, compare=False)

    @property
    def email_normalised(self) -> str:
        return normalise_email(self.email)

    @classmethod
    def register(
        cls,
        *,
        member_id: UUID,
        email: str,
        display_name: str,
        job_title: str,
        organisation: Organisation,
        member_type: MemberType,
        password_hash: str,
        now: datetime,
    ) -> "Member":
        member = cls(
            id=member_id,
            email=email.strip(),
            display_name=display_name,
            job_title=job_title,
            organisation_id=organisation.id,
            member_type=member_type,
            password_hash=password_hash,
            status=MemberStatus.ACTIVE,
            registered_at=now,
        )
        member.pending_events.append(
            MemberRegisteredV1(
                member_id=member_id,
                display_name=display_name,
                member_type=member_type,
                organisation_id=organisation.id,
                organisation_kind=organisation.kind,
                region=organisation.region,
                registered_at=now,
            )
        )
        return member
