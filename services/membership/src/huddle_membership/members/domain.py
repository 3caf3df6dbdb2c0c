"""The members area's domain: organisations and member accounts.

Pure: no I/O, no clock, no randomness.

Aggregates record the events they cause in ``pending_events``; the repository stores those
in the same write as the state (the outbox) and publishes them.
"""

from dataclasses import dataclass, field
from datetime import datetime
from uuid import UUID

from huddle_shared.contracts.envelope import EventPayload
from huddle_shared.contracts.membership import (
    MemberErasedV1,
    MemberInstanceAdminChangedV1,
    MemberProfileUpdatedV1,
    MemberRegisteredV1,
    MemberStatusChangedV1,
    MemberType,
    OrganisationKind,
    OrganisationRegisteredV1,
    Region,
)
from huddle_shared.errors import Conflict, Forbidden, Invalid, NotFound


class EmailAlreadyRegistered(
    Conflict, detail="An account with this email address already exists."
): ...


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
    ERASED = "erased"


class NotInstanceAdmin(Forbidden, detail="Only an instance administrator can do this."): ...


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
    listed_as_expert: bool = False  # consent: found as a person who knows (signposting)
    is_instance_admin: bool = False
    status_reason: str = ""
    version: int = 0  # optimistic concurrency; 0: not stored yet
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
        is_instance_admin: bool = False,
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
            is_instance_admin=is_instance_admin,
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
                is_instance_admin=is_instance_admin,
            )
        )
        return member

    def make_instance_admin(self) -> bool:
        """Configuration names this member the instance administrator; others learn of it."""
        if self.is_instance_admin:
            return False
        if self.status == MemberStatus.ERASED:
            raise Conflict("This member has been erased.")
        self.is_instance_admin = True
        self.pending_events.append(
            MemberInstanceAdminChangedV1(member_id=self.id, is_instance_admin=True)
        )
        return True

    def update_profile(
        self,
        *,
        display_name: str | None = None,
        job_title: str | None = None,
        topics: list[str] | None = None,
        listed_in_directory: bool | None = None,
        contactable: bool | None = None,
        listed_as_expert: bool | None = None,
    ) -> None:
        """The member edits their own profile. Any change is announced: other services
        learn of a new name (for redaction), and membership's other replicas drop what they
        kept of the member, so a consent withdrawn (``listed_in_directory``,
        ``contactable``) is honoured everywhere within the event's delay."""
        before = self._profile()
        if display_name is not None:
            self.display_name = display_name
        if job_title is not None:
            self.job_title = job_title
        if topics is not None:
            self.topics = sorted({topic.strip() for topic in topics}, key=str.lower)
        if listed_in_directory is not None:
            self.listed_in_directory = listed_in_directory
        if contactable is not None:
            self.contactable = contactable
        if listed_as_expert is not None:
            self.listed_as_expert = listed_as_expert
        if self._profile() != before:
            self.pending_events.append(self._profile_updated())

    def _profile_updated(self) -> MemberProfileUpdatedV1:
        # Topics and the expert consent travel too: signposting lists people who know.
        return MemberProfileUpdatedV1(
            member_id=self.id,
            display_name=self.display_name,
            member_type=self.member_type,
            listed_in_directory=self.listed_in_directory,
            topics=list(self.topics),
            listed_as_expert=self.listed_as_expert,
        )

    def _profile(self) -> tuple[object, ...]:
        return (
            self.display_name,
            self.job_title,
            tuple(self.topics),
            self.listed_in_directory,
            self.contactable,
            self.listed_as_expert,
        )

    def set_type(self, member_type: MemberType) -> None:
        """An instance admin changes what kind of member this is; others learn of it."""
        if member_type == self.member_type:
            return
        if self.status == MemberStatus.ERASED:
            raise Conflict("This member has been erased.")
        self.member_type = member_type
        self.pending_events.append(self._profile_updated())

    def erase(self) -> None:
        """Forget the person: keep only the id, so others can erase what they hold."""
        self.email = ""
        self.display_name = ""
        self.job_title = ""
        self.password_hash = ""
        self.topics = []
        self.listed_in_directory = False
        self.contactable = False
        self.listed_as_expert = False
        self.is_instance_admin = False
        self.status_reason = ""
        self.status = MemberStatus.ERASED
        self.pending_events.append(MemberErasedV1(member_id=self.id))

    def visible_to(self, viewer_id: UUID) -> bool:
        """Others see a member only if they agreed to be listed (and are not gone)."""
        if viewer_id == self.id:
            return True
        return self.listed_in_directory and self.status == MemberStatus.ACTIVE

    def set_status(self, status: str, reason: str) -> None:
        if status == self.status:
            return
        if self.status == MemberStatus.ERASED:
            raise Conflict("This member has been erased.")
        self.status = status
        self.status_reason = reason
        self.pending_events.append(MemberStatusChangedV1(member_id=self.id, status=status))

    def require_instance_admin(self) -> None:
        if not self.is_instance_admin or self.status != MemberStatus.ACTIVE:
            raise NotInstanceAdmin()


@dataclass(frozen=True)
class OrganisationFacts:
    """What the statistics need to know about an organisation."""

    kind: str
    region: str | None


@dataclass(frozen=True)
class MemberProfile:
    """What other areas may show of a member (read through ``MemberRepository.profiles``)."""

    member_id: UUID
    display_name: str
    job_title: str
    email: str
    topics: list[str]
    listed_in_directory: bool
    contactable: bool
    status: str
