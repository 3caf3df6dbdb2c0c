"""The networks area's domain: networks, who belongs to them and in what role, invitations.

Pure: no I/O, no clock, no randomness. Aggregates record the events they cause in
``pending_events``; the repository stores them with the state (the outbox) and publishes them.
Methods that may change nothing (a repeated request) return whether they changed anything,
so a repeat is answered like the first time and written nowhere.
"""

import hashlib
import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any
from uuid import UUID

from huddle_shared.contracts.envelope import EventPayload
from huddle_shared.contracts.membership import MemberType, Region
from huddle_shared.contracts.networks import (
    ADMIN_ROLES,
    InvitationStatus,
    NetworkCreatedV1,
    NetworkMemberJoinedV1,
    NetworkMemberLeftV1,
    NetworkMemberRoleChangedV1,
    NetworkNeedsChairV1,
    NetworkUpdatedV1,
    Role,
    Visibility,
)
from huddle_shared.contracts.rpc import FieldError
from huddle_shared.errors import Conflict, Forbidden, Invalid, NotFound

from huddle_membership.members.domain import Member, MemberStatus, normalise_email

INVITATION_LIFETIME = timedelta(days=28)

# An acronym: one word of letters, digits, '&', '/' or '-', with at least two capitals
# (PSIRF, LfPSE, AAR, SI). "Swarm" or "after action review" are not acronyms.
_ACRONYM = re.compile(r"^(?=(?:[^A-Z]*[A-Z]){2})[A-Za-z0-9&/-]{2,20}$")


# --- Errors -------------------------------------------------------------------------------


class NetworkNotFound(NotFound):
    """Also what a caller who may not see an invite-only network is told: no existence leak."""

    def __init__(self, slug: str) -> None:
        super().__init__(f"There is no network '{slug}'.")


class SlugTaken(Conflict):
    def __init__(self, slug: str) -> None:
        super().__init__(f"A network with the slug '{slug}' already exists.")


class UnknownParent(Invalid):
    def __init__(self, slug: str) -> None:
        super().__init__(
            f"There is no network '{slug}' to be the parent.",
            [FieldError(field="parent_slug", message="No network has this slug.")],
        )


class NotAnAcronym(Invalid):
    def __init__(self, keys: list[str]) -> None:
        super().__init__(
            "Glossary entries are for acronyms, such as PSIRF or LfPSE.",
            [
                FieldError(
                    field=f"glossary.{key}",
                    message="Not an acronym: one word with at least two capital letters.",
                )
                for key in keys
            ],
        )


class NotInstanceAdmin(
    Forbidden, detail="Only an instance administrator can create a network."
): ...


class NotNetworkAdmin(
    Forbidden, detail="Only the network's chairs and facilitators can do this."
): ...


class ChairsOnly(
    Forbidden, detail="Only a chair can appoint a chair or change a chair's role."
): ...


class NotInGoodStanding(
    Forbidden, detail="Your account is not active, so you cannot join networks."
): ...


class InvitationRequired(Forbidden, detail="This network is by invitation only."): ...


class NotANetworkMember(NotFound):
    def __init__(self, slug: str) -> None:
        super().__init__(f"That member is not an active member of '{slug}'.")


class NotAMember(NotFound):
    def __init__(self, slug: str) -> None:
        super().__init__(f"You are not a member of '{slug}'.")


class LastChair(Conflict, detail="A network needs a chair: appoint another chair first."): ...


class JoinRequestNotFound(NotFound):
    def __init__(self, request_id: UUID) -> None:
        super().__init__(f"There is no join request {request_id} for this network.")


class AlreadyDecided(Conflict):
    def __init__(self, outcome: str) -> None:
        super().__init__(f"This join request was already {outcome}.")


class InvitationNotFound(NotFound, detail="There is no such invitation for your account."): ...


class InvitationExpired(
    Conflict, detail="This invitation has expired: ask the network for a new one."
): ...


class InvitationUsed(
    Conflict, detail="You have already used this invitation: ask for a new one to rejoin."
): ...


class GroundRulesNotAccepted(Invalid):
    """Joining a network with ground rules is accepting them: the service asks, not only
    the page (an API client or a form that skips the question is refused the same way)."""

    MESSAGE = "Accept the network's ground rules to join"

    def __init__(self) -> None:
        super().__init__(
            f"{self.MESSAGE}.",
            [FieldError(field="accepted_ground_rules", message=self.MESSAGE)],
        )


def check_ground_rules_accepted(network: "Network", accepted: bool) -> None:
    if network.ground_rules and not accepted:
        raise GroundRulesNotAccepted()


class MemberTypeNotAllowed(Forbidden):
    def __init__(self, member_type: MemberType) -> None:
        super().__init__(f"This network is not open to members of type '{member_type.value}'.")


# --- Networks -----------------------------------------------------------------------------


def check_glossary(glossary: dict[str, str]) -> None:
    wrong = sorted(key for key in glossary if not _ACRONYM.match(key))
    if wrong:
        raise NotAnAcronym(wrong)


@dataclass
class Network:
    slug: str
    name: str
    purpose: str
    parent_slug: str | None
    visibility: Visibility
    allowed_member_types: list[MemberType]
    ground_rules: list[str]
    glossary: dict[str, str]
    region: Region | None
    created_at: datetime
    created_by: UUID
    never_recorded: bool = False  # a ground rule Huddle keeps: scheduling refuses "recorded"
    # The founding chair's membership is written after the network; until it is, the network
    # says so, and the next read (or the next start) seats the chair. See ``handlers``.
    founder_seated: bool = False
    needs_chair: bool = False  # erasure took its last chair, and nobody could succeed them
    version: int = 0  # optimistic concurrency; 0: not stored yet
    pending_events: list[EventPayload] = field(default_factory=list, compare=False)

    def seat_founder(self) -> bool:
        if self.founder_seated:
            return False
        self.founder_seated = True
        return True

    def mark_needs_chair(self) -> bool:
        if self.needs_chair:
            return False
        self.needs_chair = True
        self.pending_events.append(NetworkNeedsChairV1(slug=self.slug, name=self.name))
        return True

    def chair_found(self) -> bool:
        if not self.needs_chair:
            return False
        self.needs_chair = False
        return True

    @classmethod
    def create(
        cls,
        *,
        slug: str,
        name: str,
        purpose: str,
        parent_slug: str | None,
        parent: "Network | None",
        visibility: Visibility,
        allowed_member_types: list[MemberType],
        ground_rules: list[str],
        glossary: dict[str, str],
        region: Region | None,
        created_by: UUID,
        now: datetime,
        never_recorded: bool = False,
    ) -> "Network":
        """``parent`` is the network ``parent_slug`` names, or None when there is none."""
        if parent_slug is not None and (parent is None or parent.slug != parent_slug):
            raise UnknownParent(parent_slug)
        check_glossary(glossary)
        network = cls(
            slug=slug,
            name=name,
            purpose=purpose,
            parent_slug=parent_slug,
            visibility=visibility,
            allowed_member_types=sorted(set(allowed_member_types)),
            ground_rules=list(ground_rules),
            glossary=dict(glossary),
            region=region,
            created_at=now,
            created_by=created_by,
            never_recorded=never_recorded,
        )
        network.pending_events.append(
            NetworkCreatedV1(
                slug=slug,
                name=name,
                parent_slug=parent_slug,
                visibility=visibility,
                region=region,
                ground_rules=network.ground_rules,
                never_recorded=never_recorded,
                glossary=network.glossary,
            )
        )
        return network

    def update(
        self,
        *,
        name: str | None = None,
        purpose: str | None = None,
        visibility: Visibility | None = None,
        allowed_member_types: list[MemberType] | None = None,
        ground_rules: list[str] | None = None,
        glossary: dict[str, str] | None = None,
        never_recorded: bool | None = None,
    ) -> bool:
        """Change what is given; records network.updated if anything changed."""
        if glossary is not None:
            check_glossary(glossary)
        changes: dict[str, Any] = {
            "name": name,
            "purpose": purpose,
            "visibility": visibility,
            "allowed_member_types": (
                sorted(set(allowed_member_types)) if allowed_member_types is not None else None
            ),
            "ground_rules": ground_rules,
            "glossary": glossary,
            "never_recorded": never_recorded,
        }
        changed = False
        for attribute, value in changes.items():
            if value is not None and getattr(self, attribute) != value:
                setattr(self, attribute, value)
                changed = True
        if changed:
            self.pending_events.append(
                NetworkUpdatedV1(
                    slug=self.slug,
                    name=self.name,
                    visibility=self.visibility,
                    region=self.region,
                    glossary=self.glossary,
                    ground_rules=self.ground_rules,
                    never_recorded=self.never_recorded,
                )
            )
        return changed


# --- Who belongs ----------------------------------------------------------------------------


class MembershipStatus(StrEnum):
    PENDING = "pending"  # asked to join; waits for a network admin
    ACTIVE = "active"
    LEFT = "left"  # left, or never joined
    DECLINED = "declined"  # a network admin declined the request


@dataclass
class NetworkMembership:
    """One member's relation to one network: at most one per (network, member)."""

    slug: str
    member_id: UUID
    role: Role = Role.MEMBER
    status: MembershipStatus = MembershipStatus.LEFT
    message: str = ""
    requested_at: datetime | None = None
    request_id: UUID | None = None
    joined_at: datetime | None = None
    left_at: datetime | None = None
    decided_by: UUID | None = None
    decided_at: datetime | None = None
    decision_message: str = ""
    # When the member accepted the network's ground rules: on joining, asking to join or
    # accepting an invitation (None: the network had none, or a membership from before).
    ground_rules_accepted_at: datetime | None = None
    version: int = 0  # optimistic concurrency; 0: not stored yet
    pending_events: list[EventPayload] = field(default_factory=list, compare=False)

    @property
    def id(self) -> str:
        return membership_id(self.slug, self.member_id)

    @property
    def is_active(self) -> bool:
        return self.status == MembershipStatus.ACTIVE

    @property
    def is_admin(self) -> bool:
        return self.is_active and self.role in ADMIN_ROLES

    @classmethod
    def outsider(cls, slug: str, member_id: UUID) -> "NetworkMembership":
        """Someone with no membership yet: what joining starts from."""
        return cls(slug=slug, member_id=member_id)

    @classmethod
    def founding_chair(cls, slug: str, member_id: UUID, now: datetime) -> "NetworkMembership":
        membership = cls.outsider(slug, member_id)
        membership._activate(Role.CHAIR, now)
        return membership

    def _activate(self, role: Role, now: datetime) -> None:
        self.status = MembershipStatus.ACTIVE
        self.role = role
        self.joined_at = now
        self.left_at = None
        self.pending_events.append(
            NetworkMemberJoinedV1(slug=self.slug, member_id=self.member_id, role=role)
        )

    def join(
        self,
        network: Network,
        *,
        message: str,
        request_id: UUID,
        now: datetime,
        accepted_ground_rules: bool = False,
    ) -> bool:
        """Open: a member at once. Approval: a request (one at a time). Invite-only: refused.
        Either way, only once they accept the network's ground rules, if it has any."""
        if self.is_active:
            return False
        if network.visibility == Visibility.OPEN:
            check_ground_rules_accepted(network, accepted_ground_rules)
            self._accepted_ground_rules(network, now)
            self._activate(Role.MEMBER, now)
            return True
        if self.status == MembershipStatus.PENDING:
            return False  # the same request, still waiting
        if network.visibility == Visibility.INVITE_ONLY:
            raise InvitationRequired()
        # Approval: a new request (also after leaving, or after a declined request).
        check_ground_rules_accepted(network, accepted_ground_rules)
        self._accepted_ground_rules(network, now)
        self.status = MembershipStatus.PENDING
        self.role = Role.MEMBER
        self.message = message
        self.request_id = request_id
        self.requested_at = now
        self.decided_by = None
        self.decided_at = None
        self.decision_message = ""
        return True

    def _accepted_ground_rules(self, network: Network, now: datetime) -> None:
        self.ground_rules_accepted_at = now if network.ground_rules else None

    def _decide(self, decided_by: UUID, message: str, now: datetime) -> None:
        self.decided_by = decided_by
        self.decided_at = now
        self.decision_message = message

    def approve(self, request_id: UUID, *, decided_by: UUID, message: str, now: datetime) -> bool:
        if self.request_id != request_id:
            raise JoinRequestNotFound(request_id)
        if self.status == MembershipStatus.ACTIVE:
            return False  # approved already (or joined another way since)
        if self.status == MembershipStatus.DECLINED:
            raise AlreadyDecided("declined")
        if self.status == MembershipStatus.LEFT:
            raise AlreadyDecided("approved, and the member has left since")
        self._decide(decided_by, message, now)
        self._activate(Role.MEMBER, now)
        return True

    def decline(self, request_id: UUID, *, decided_by: UUID, message: str, now: datetime) -> bool:
        if self.request_id != request_id:
            raise JoinRequestNotFound(request_id)
        if self.status == MembershipStatus.DECLINED:
            return False
        if self.status != MembershipStatus.PENDING:
            raise AlreadyDecided("approved")
        self._decide(decided_by, message, now)
        self.status = MembershipStatus.DECLINED
        return True

    def accept_invitation(
        self,
        invitation: "Invitation",
        now: datetime,
        *,
        ground_rules_accepted_at: datetime | None = None,
    ) -> bool:
        """Join with the invitation's role (call after ``Invitation.accept``), recording when
        its ground rules were accepted (with the invitation's use).

        An active member stays as they are. A member who left after using this invitation
        cannot use it again; a member who used it but is not active yet (the process stopped
        between the two writes) is made active now.
        """
        if self.is_active:
            return False
        if (
            invitation.used_at is not None
            and self.left_at is not None
            and self.left_at >= invitation.used_at
        ):
            raise InvitationUsed()
        self.ground_rules_accepted_at = ground_rules_accepted_at
        self._activate(invitation.role, now)
        return True

    def change_role(self, role: Role, *, chairs: int) -> bool:
        """``chairs``: how many active chairs the network has now."""
        if not self.is_active:
            raise NotANetworkMember(self.slug)
        if role == self.role:
            return False
        if self.role == Role.CHAIR and chairs <= 1:
            raise LastChair()
        self.role = role
        self.pending_events.append(
            NetworkMemberRoleChangedV1(slug=self.slug, member_id=self.member_id, role=role)
        )
        return True

    def leave(self, *, chairs: int, now: datetime) -> None:
        if not self.is_active:
            raise NotAMember(self.slug)
        if self.role == Role.CHAIR and chairs <= 1:
            raise LastChair()
        self.status = MembershipStatus.LEFT
        self.left_at = now
        self.pending_events.append(NetworkMemberLeftV1(slug=self.slug, member_id=self.member_id))


def membership_id(slug: str, member_id: UUID) -> str:
    return f"{slug}:{member_id}"


def successor(active: list[NetworkMembership]) -> NetworkMembership | None:
    """Who chairs when erasure takes the last chair: the longest-standing facilitator."""
    facilitators = [m for m in active if m.is_active and m.role == Role.FACILITATOR]
    if not facilitators:
        return None
    return min(
        facilitators,
        key=lambda m: (m.joined_at is None, m.joined_at.timestamp() if m.joined_at else 0.0),
    )


# --- Who may do what ------------------------------------------------------------------------


def in_good_standing(member: Member) -> bool:
    return member.status == MemberStatus.ACTIVE


def standing_membership(
    member: Member, membership: NetworkMembership | None
) -> NetworkMembership | None:
    """The membership that counts for rights: none while the account is not active."""
    return membership if in_good_standing(member) else None


def can_see(network: Network, membership: NetworkMembership | None) -> bool:
    """Open and approval networks are visible to every member; invite-only ones to their own."""
    return network.visibility != Visibility.INVITE_ONLY or (
        membership is not None and membership.is_active
    )


def may_step_in(member: Member, network: Network) -> bool:
    """An instance admin acts as a chair of a network that has none, to appoint one."""
    return network.needs_chair and member.is_instance_admin and in_good_standing(member)


def stand_in_chair(member: Member, network: Network) -> NetworkMembership:
    """The rights an instance admin steps in with (never stored)."""
    return NetworkMembership(
        slug=network.slug, member_id=member.id, role=Role.CHAIR, status=MembershipStatus.ACTIVE
    )


def require_instance_admin(member: Member) -> None:
    if not (member.is_instance_admin and in_good_standing(member)):
        raise NotInstanceAdmin()


def require_network_admin(membership: NetworkMembership | None) -> NetworkMembership:
    if membership is None or not membership.is_admin:
        raise NotNetworkAdmin()
    return membership


def require_may_assign(actor: NetworkMembership, current: Role | None, new: Role) -> None:
    """Admins assign roles; only chairs appoint chairs or change a chair's role."""
    require_network_admin(actor)
    if Role.CHAIR in (current, new) and actor.role != Role.CHAIR:
        raise ChairsOnly()


# --- Invitations ----------------------------------------------------------------------------


def invitation_token_hash(token: str) -> str:
    """Tokens are long and random, so a fast hash is enough; only the hash is stored."""
    return hashlib.sha256(token.encode()).hexdigest()


@dataclass
class Invitation:
    token_hash: str
    slug: str
    email_normalised: str
    role: Role
    invited_by: UUID
    created_at: datetime
    expires_at: datetime
    used_by: UUID | None = None
    used_at: datetime | None = None

    @classmethod
    def issue(
        cls, *, token: str, slug: str, email: str, role: Role, invited_by: UUID, now: datetime
    ) -> "Invitation":
        return cls(
            token_hash=invitation_token_hash(token),
            slug=slug,
            email_normalised=normalise_email(email),
            role=role,
            invited_by=invited_by,
            created_at=now,
            expires_at=now + INVITATION_LIFETIME,
        )

    def status_for(self, member: Member, now: datetime) -> InvitationStatus:
        """What the invitee sees before accepting. To anyone else, as when accepting, the
        invitation does not exist."""
        self._require_invitee(member)
        if self.used_by is not None:
            return InvitationStatus.ACCEPTED
        if now >= self.expires_at:
            return InvitationStatus.EXPIRED
        return InvitationStatus.WAITING

    def status_at(self, now: datetime) -> InvitationStatus:
        if self.used_by is not None:
            return InvitationStatus.ACCEPTED
        return InvitationStatus.EXPIRED if now >= self.expires_at else InvitationStatus.PENDING

    def _require_invitee(self, member: Member) -> None:
        """It is for the address it was sent to, and once used, for the member who used it:
        to anyone else it does not exist."""
        if normalise_email(member.email) != self.email_normalised or not member.email:
            raise InvitationNotFound()
        if self.used_by is not None and self.used_by != member.id:
            raise InvitationNotFound()

    def _check_acceptable(self, member: Member, network: Network, now: datetime) -> bool:
        """The rule accepting keeps, for accepting and its preview alike: raises why
        ``member`` may not accept it now; True if they had used it already (a repeat)."""
        self._require_invitee(member)
        if not in_good_standing(member):
            raise NotInGoodStanding()
        if self.used_by is not None:
            return True
        if now >= self.expires_at:
            raise InvitationExpired()
        if network.allowed_member_types and member.member_type not in (
            network.allowed_member_types
        ):
            raise MemberTypeNotAllowed(member.member_type)
        return False

    def refusal_for(self, member: Member, network: Network, now: datetime) -> str | None:
        """Why accepting would refuse ``member`` now, in accepting's own words (None: it
        would not), so a preview never offers what accepting refuses. To anyone but the
        invitee it does not exist (``InvitationNotFound``, raised)."""
        try:
            self._check_acceptable(member, network, now)
        except InvitationNotFound:
            raise
        except (Forbidden, Conflict) as refusal:
            return refusal.detail
        return None

    def accept(
        self,
        member: Member,
        network: Network,
        now: datetime,
        *,
        accepted_ground_rules: bool = False,
    ) -> bool:
        """Use the invitation for ``member``. False if they had used it already (a repeat).

        It is for the address it was sent to: to anyone else it does not exist. A network
        with ground rules takes only a member who accepts them.
        """
        if self._check_acceptable(member, network, now):
            return False
        check_ground_rules_accepted(network, accepted_ground_rules)
        self.used_by = member.id
        self.used_at = now
        return True
