"""The networks area: networks, joining, join requests, invitations, roles and leaving.

It owns ``networks``, ``network_memberships``, ``invitations``, ``invitation_uses`` and
``network_claims``, and reads members only through the members area's interface
(``Members`` below). Rights come from membership's own data: the caller's account and their
network memberships, never from anything the caller claims.

Repeated and concurrent requests are safe: each read-decide-write holds the documents' locks
(this process) and claims what it writes by a unique key (every process; ``claims``). When a
claim is taken, ``ConcurrentChange``: the handler reads again and decides again. Two writes
that belong together are a resumable sequence: the first records what the second must do,
so a retry, a read or the next start finishes it (a network's founding chair, an
invitation's use).
"""

import logging
import secrets
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import partial
from typing import Any, Protocol
from uuid import UUID

from huddle_shared.clock import utc_now
from huddle_shared.contracts import networks as contract
from huddle_shared.contracts.common import BySlug, Empty
from huddle_shared.contracts.networks import Role
from huddle_shared.contracts.rpc import Caller
from huddle_shared.errors import Unauthenticated, require_member
from huddle_shared.ids import new_id
from huddle_shared.messaging.routes import RouteTable

from huddle_membership.claims import ConcurrentChange, retrying
from huddle_membership.members.domain import Member, MemberProfile, MemberStatus
from huddle_membership.networks.domain import (
    Invitation,
    InvitationNotFound,
    JoinRequestNotFound,
    MembershipStatus,
    Network,
    NetworkMembership,
    NetworkNotFound,
    NotAMember,
    NotANetworkMember,
    NotInGoodStanding,
    can_see,
    in_good_standing,
    invitation_token_hash,
    may_step_in,
    require_instance_admin,
    require_may_assign,
    require_network_admin,
    stand_in_chair,
    standing_membership,
    successor,
)
from huddle_membership.networks.repository import InvitationUse
from huddle_membership.ports import PrivacySubject, exportable
from huddle_membership.views import view_of

log = logging.getLogger(__name__)


def new_invitation_token() -> str:
    return secrets.token_urlsafe(32)


class Members(Protocol):
    """What networks need of the members area."""

    async def get(self, member_id: UUID) -> Member | None: ...

    async def profiles(self, member_ids: list[UUID]) -> dict[UUID, MemberProfile]: ...


class Networks(Protocol):
    """The networks area's storage (``NetworkRepository``; tests use an in-memory fake)."""

    def network_lock(self, slug: str) -> Any: ...
    def membership_lock(self, slug: str, member_id: UUID) -> Any: ...
    def invitation_lock(self, token_hash: str) -> Any: ...
    def chair_turn(self, slug: str) -> Any: ...
    async def add_network(self, network: Network) -> None: ...
    async def save_network(self, network: Network) -> None: ...
    async def get_network(self, slug: str) -> Network | None: ...
    async def all_networks(self) -> list[Network]: ...
    async def networks_where(self, **flags: bool) -> list[Network]: ...
    async def save_membership(self, membership: NetworkMembership) -> None: ...
    async def delete_membership(self, membership: NetworkMembership) -> None: ...
    async def get_membership(self, slug: str, member_id: UUID) -> NetworkMembership | None: ...
    async def memberships_of(self, member_id: UUID) -> dict[str, NetworkMembership]: ...
    async def export_memberships(self, member_id: UUID) -> list[dict[str, Any]]: ...
    async def find_request(self, slug: str, request_id: UUID) -> NetworkMembership | None: ...
    async def with_status(self, slug: str, status: MembershipStatus) -> list[NetworkMembership]: ...
    async def roster(self, slug: str) -> Sequence[tuple[UUID, Role]]: ...
    async def listed_roster(
        self, slug: str, build: Callable[[], Awaitable[contract.NetworkMembersView]]
    ) -> contract.NetworkMembersView: ...
    async def count_chairs(self, slug: str) -> int: ...
    async def add_invitation(self, invitation: Invitation) -> None: ...
    async def get_invitation(self, token_hash: str) -> Invitation | None: ...
    async def invitations_for(self, slug: str) -> list[Invitation]: ...
    async def claim_use(self, use: InvitationUse) -> InvitationUse: ...
    async def use_of(self, token_hash: str) -> InvitationUse | None: ...
    async def unfinished_uses(self) -> list[InvitationUse]: ...
    async def complete_use(self, use: InvitationUse) -> None: ...
    async def erase_invitations_to(self, email_normalised: str) -> None: ...

    async def erase_traces_of(self, member_id: UUID) -> None: ...


@dataclass
class NetworkDependencies:
    networks: Networks
    members: Members
    clock: Callable[[], datetime] = utc_now
    new_id: Callable[[], UUID] = new_id
    new_token: Callable[[], str] = new_invitation_token


# --- Shared steps -----------------------------------------------------------------------------


async def _caller_member(caller: Caller, deps: NetworkDependencies) -> Member:
    member = await deps.members.get(require_member(caller))
    if member is None:
        raise Unauthenticated("Your account no longer exists; sign in again.")
    return member


async def _visible_network(
    slug: str, member: Member, deps: NetworkDependencies
) -> tuple[Network, NetworkMembership | None]:
    """The network and the caller's membership that counts; 404 if they may not see it."""
    network = await deps.networks.get_network(slug)
    if network is None:
        raise NetworkNotFound(slug)
    if not network.founder_seated:
        await seat_founder(network, deps)
    membership = standing_membership(member, await deps.networks.get_membership(slug, member.id))
    if not (can_see(network, membership) or may_step_in(member, network)):
        raise NetworkNotFound(slug)
    return network, membership


def _acting_admin(
    member: Member, network: Network, membership: NetworkMembership | None
) -> NetworkMembership:
    """The caller's admin rights in the network: their own, or an instance admin's stand-in
    for a network left without a chair."""
    if (membership is None or not membership.is_admin) and may_step_in(member, network):
        return stand_in_chair(member, network)
    return require_network_admin(membership)


async def _as_admin(
    slug: str, caller: Caller, deps: NetworkDependencies
) -> tuple[Network, NetworkMembership]:
    member = await _caller_member(caller, deps)
    network, membership = await _visible_network(slug, member, deps)
    return network, _acting_admin(member, network, membership)


async def _chair_seated(slug: str, deps: NetworkDependencies) -> None:
    """A chair was appointed: the network no longer needs one."""

    async def attempt() -> None:
        async with deps.networks.network_lock(slug):
            network = await deps.networks.get_network(slug)
            if network is not None and network.chair_found():
                await deps.networks.save_network(network)

    await retrying(attempt)


_MY_STATUS = {
    MembershipStatus.ACTIVE: contract.JoinStatus.ACTIVE,
    MembershipStatus.PENDING: contract.JoinStatus.PENDING,
    MembershipStatus.DECLINED: contract.JoinStatus.DECLINED,
}


def network_view(network: Network, membership: NetworkMembership | None) -> contract.NetworkView:
    return view_of(
        contract.NetworkView,
        network,
        my_role=membership.role if membership and membership.is_active else None,
        my_status=_MY_STATUS.get(membership.status) if membership else None,
    )


def join_result(membership: NetworkMembership) -> contract.JoinResult:
    status = _MY_STATUS[membership.status]
    return contract.JoinResult(
        slug=membership.slug,
        status=status,
        request_id=membership.request_id if status != contract.JoinStatus.ACTIVE else None,
    )


# --- Networks ---------------------------------------------------------------------------------


rpc = RouteTable()


@rpc.route(
    contract.CREATE_NETWORK,
    "Instance admins: create a network (the creator chairs it); emits network.created.",
)
async def create_network(
    request: contract.CreateNetwork, caller: Caller, deps: NetworkDependencies
) -> contract.NetworkView:
    member = await _caller_member(caller, deps)
    require_instance_admin(member)
    parent = await deps.networks.get_network(request.parent_slug) if request.parent_slug else None
    now = deps.clock()
    network = Network.create(
        slug=request.slug,
        name=request.name,
        purpose=request.purpose,
        parent_slug=request.parent_slug,
        parent=parent,
        visibility=request.visibility,
        allowed_member_types=request.allowed_member_types,
        ground_rules=request.ground_rules,
        never_recorded=request.never_recorded,
        glossary=request.glossary,
        region=request.region,
        created_by=member.id,
        now=now,
    )
    await deps.networks.add_network(network)  # the slug is the id: a duplicate fails here
    chair = await seat_founder(network, deps)
    return network_view(network, chair)


async def seat_founder(network: Network, deps: NetworkDependencies) -> NetworkMembership:
    """The second step of creating a network: its founding chair's membership. Idempotent
    (the membership's id is the claim), so a read or the next start finishes a creation
    that stopped between the two writes, and no network stays without its chair."""
    founder = network.created_by
    async with deps.networks.membership_lock(network.slug, founder):
        chair = await deps.networks.get_membership(network.slug, founder)
        if chair is None:
            chair = NetworkMembership.founding_chair(network.slug, founder, network.created_at)
            try:
                await deps.networks.save_membership(chair)
            except ConcurrentChange:  # another process seated them first
                chair = await deps.networks.get_membership(network.slug, founder) or chair

    async def mark_seated() -> None:
        async with deps.networks.network_lock(network.slug):
            stored = await deps.networks.get_network(network.slug)
            if stored is not None and stored.seat_founder():
                await deps.networks.save_network(stored)

    await retrying(mark_seated)
    network.founder_seated = True
    return chair


async def finish_interrupted_writes(deps: NetworkDependencies) -> None:
    """At start: seat founders and complete invitation uses that a stopped process left."""
    for network in await deps.networks.networks_where(founder_seated=False):
        log.info("seating a founding chair left unseated", extra={"slug": network.slug})
        await seat_founder(network, deps)
    for use in await deps.networks.unfinished_uses():
        log.info("completing an invitation use", extra={"slug": use.slug})
        invitation = await deps.networks.get_invitation(use.token_hash)
        if invitation is not None:
            await retrying(partial(_join_by_invitation, invitation, use, deps))


@rpc.route(
    contract.LIST_NETWORKS,
    "The networks the caller may see, with their own role and status in each; to a caller "
    "who is not a member, the networks anyone may find (all but the invite-only ones).",
)
async def list_networks(
    request: Empty, caller: Caller, deps: NetworkDependencies
) -> list[contract.NetworkView]:
    networks = await deps.networks.all_networks()
    if caller.member_id is None:  # a visitor: what they could join once they have an account
        views = [network_view(network, None) for network in networks if can_see(network, None)]
    else:
        member = await _caller_member(caller, deps)
        views = [
            network_view(network, membership)
            for network, membership in await _standing_in(networks, member, deps)
            if can_see(network, membership) or may_step_in(member, network)
        ]
    return sorted(views, key=lambda view: (view.name.lower(), view.slug))


@rpc.route(
    contract.LIST_NETWORKS_NEEDING_CHAIR,
    "Instance admins: networks an erasure left without a chair.",
)
async def list_networks_needing_chair(
    request: Empty, caller: Caller, deps: NetworkDependencies
) -> list[contract.NetworkView]:
    member = await _caller_member(caller, deps)
    require_instance_admin(member)
    needing_chair = await deps.networks.networks_where(needs_chair=True)
    return [network_view(*each) for each in await _standing_in(needing_chair, member, deps)]


async def _standing_in(
    networks: list[Network], member: Member, deps: NetworkDependencies
) -> list[tuple[Network, NetworkMembership | None]]:
    """Each network with the member's membership in it that counts for rights."""
    mine = await deps.networks.memberships_of(member.id)
    return [(network, standing_membership(member, mine.get(network.slug))) for network in networks]


@rpc.route(contract.GET_NETWORK, "One network; invite-only ones only for their active members.")
async def get_network(
    request: BySlug, caller: Caller, deps: NetworkDependencies
) -> contract.NetworkView:
    member = await _caller_member(caller, deps)
    return network_view(*await _visible_network(request.slug, member, deps))


@rpc.route(contract.UPDATE_NETWORK, "Network admins: change a network; emits network.updated.")
async def update_network(
    request: contract.UpdateNetwork, caller: Caller, deps: NetworkDependencies
) -> contract.NetworkView:
    _, admin = await _as_admin(request.slug, caller, deps)
    changes = request.model_dump(exclude={"slug"}, exclude_none=True)

    async def attempt() -> Network:
        async with deps.networks.network_lock(request.slug):
            network = await deps.networks.get_network(request.slug)
            if network is None:
                raise NetworkNotFound(request.slug)
            if network.update(**changes):
                await deps.networks.save_network(network)
            return network

    return network_view(await retrying(attempt), admin)


# --- Joining ----------------------------------------------------------------------------------


@rpc.route(
    contract.JOIN_NETWORK,
    "Join an open network, or ask to join an approval one; emits network.member_joined.",
)
async def join_network(
    request: contract.JoinNetwork, caller: Caller, deps: NetworkDependencies
) -> contract.JoinResult:
    member = await _caller_member(caller, deps)
    if not in_good_standing(member):
        raise NotInGoodStanding()
    network = await deps.networks.get_network(request.slug)
    if network is None:
        raise NetworkNotFound(request.slug)

    async def attempt() -> NetworkMembership:
        async with deps.networks.membership_lock(network.slug, member.id):
            membership = await deps.networks.get_membership(
                network.slug, member.id
            ) or NetworkMembership.outsider(network.slug, member.id)
            if membership.join(
                network,
                message=request.message,
                request_id=deps.new_id(),
                now=deps.clock(),
                accepted_ground_rules=request.accepted_ground_rules,
            ):
                await deps.networks.save_membership(membership)
            return membership

    return join_result(await retrying(attempt))


@rpc.route(contract.LIST_JOIN_REQUESTS, "Network admins: pending join requests.")
async def list_join_requests(
    request: BySlug, caller: Caller, deps: NetworkDependencies
) -> list[contract.JoinRequestView]:
    await _as_admin(request.slug, caller, deps)
    pending = await deps.networks.with_status(request.slug, MembershipStatus.PENDING)
    profiles = await deps.members.profiles([m.member_id for m in pending])
    views = [
        contract.JoinRequestView(
            id=membership.request_id,
            member_id=membership.member_id,
            display_name=profiles[membership.member_id].display_name,
            message=membership.message,
            requested_at=membership.requested_at,
        )
        for membership in pending
        if membership.request_id is not None
        and membership.requested_at is not None
        and membership.member_id in profiles
    ]
    return sorted(views, key=lambda view: view.requested_at)


@rpc.route(
    contract.DECIDE_JOIN_REQUEST,
    "Network admins: approve or decline a join request; emits network.member_joined.",
)
async def decide_join_request(
    request: contract.DecideJoinRequest, caller: Caller, deps: NetworkDependencies
) -> contract.JoinResult:
    _, admin = await _as_admin(request.slug, caller, deps)
    found = await deps.networks.find_request(request.slug, request.request_id)
    if found is None:
        raise JoinRequestNotFound(request.request_id)

    async def attempt() -> NetworkMembership:
        async with deps.networks.membership_lock(request.slug, found.member_id):
            membership = await deps.networks.get_membership(request.slug, found.member_id)
            if membership is None:
                raise JoinRequestNotFound(request.request_id)
            decide = membership.approve if request.approve else membership.decline
            if decide(
                request.request_id,
                decided_by=admin.member_id,
                message=request.message,
                now=deps.clock(),
            ):
                await deps.networks.save_membership(membership)
            return membership

    membership = await retrying(attempt)
    return contract.JoinResult(
        slug=request.slug, status=_MY_STATUS[membership.status], request_id=request.request_id
    )


# --- Invitations ------------------------------------------------------------------------------


# No idempotency keys: the token is shown once and kept only as a hash.
@rpc.route(
    contract.INVITE,
    "Network admins: a single-use invitation for an email address (28 days).",
    idempotency_keys=False,
)
async def invite(
    request: contract.Invite, caller: Caller, deps: NetworkDependencies
) -> contract.InvitationView:
    _, admin = await _as_admin(request.slug, caller, deps)
    require_may_assign(admin, None, request.role)
    token = deps.new_token()
    invitation = Invitation.issue(
        token=token,
        slug=request.slug,
        email=str(request.email),
        role=request.role,
        invited_by=admin.member_id,
        now=deps.clock(),
    )
    await deps.networks.add_invitation(invitation)
    return contract.InvitationView(
        slug=invitation.slug,
        email=str(request.email),
        role=invitation.role,
        token=token,
        expires_at=invitation.expires_at,
    )


@rpc.route(
    contract.READ_INVITATION,
    "The invitee reads their invitation before accepting it: the network and the role.",
)
async def read_invitation(
    request: contract.ReadInvitation, caller: Caller, deps: NetworkDependencies
) -> contract.InvitationPreview:
    member = await _caller_member(caller, deps)
    token_hash = invitation_token_hash(request.token)
    invitation = await deps.networks.get_invitation(token_hash)
    network = await deps.networks.get_network(invitation.slug) if invitation else None
    if invitation is None or network is None:
        raise InvitationNotFound()
    use = await deps.networks.use_of(token_hash)
    if use is not None:  # the claim is what counts, even if the invitation lags
        invitation.used_by, invitation.used_at = use.member_id, use.used_at
    now = deps.clock()
    return contract.InvitationPreview(
        slug=network.slug,
        name=network.name,
        purpose=network.purpose,
        ground_rules=network.ground_rules,
        glossary=network.glossary,
        role=invitation.role,
        expires_at=invitation.expires_at,
        status=invitation.status_for(member, now),
        cannot_accept=invitation.refusal_for(member, network, now),  # accepting's own rule
    )


@rpc.route(
    contract.LIST_INVITATIONS,
    "Network admins: the network's invitations, newest first, with their status.",
)
async def list_invitations(
    request: BySlug, caller: Caller, deps: NetworkDependencies
) -> list[contract.InvitationSummary]:
    await _as_admin(request.slug, caller, deps)
    now = deps.clock()
    return [
        contract.InvitationSummary(
            email=invitation.email_normalised,
            role=invitation.role,
            status=invitation.status_at(now),
            created_at=invitation.created_at,
            expires_at=invitation.expires_at,
            used_at=invitation.used_at,
        )
        for invitation in await deps.networks.invitations_for(request.slug)
    ]


@rpc.route(
    contract.ACCEPT_INVITATION,
    "The invitee joins with their invitation; emits network.member_joined.",
)
async def accept_invitation(
    request: contract.AcceptInvitation, caller: Caller, deps: NetworkDependencies
) -> contract.JoinResult:
    """An invitation is used once, by inserting its use (the claim: a second use finds the
    first). The use records what the membership must become, so when the process stops
    before the membership is written, a repeat or the next start completes it."""
    member = await _caller_member(caller, deps)
    token_hash = invitation_token_hash(request.token)

    async def attempt() -> NetworkMembership:
        async with deps.networks.invitation_lock(token_hash):
            invitation = await deps.networks.get_invitation(token_hash)
            network = await deps.networks.get_network(invitation.slug) if invitation else None
            if invitation is None or network is None:
                raise InvitationNotFound()
            use = await deps.networks.use_of(token_hash)
            if use is not None:  # the claim is what counts, even if the invitation lags
                invitation.used_by, invitation.used_at = use.member_id, use.used_at
            first_use = invitation.accept(
                member, network, deps.clock(), accepted_ground_rules=request.accepted_ground_rules
            )
            if first_use or use is None:  # (None: used before uses were recorded apart)
                used_at = invitation.used_at or deps.clock()
                use = InvitationUse(
                    token_hash=token_hash,
                    slug=invitation.slug,
                    member_id=member.id,
                    role=invitation.role,
                    used_at=used_at,
                    ground_rules_accepted_at=used_at if network.ground_rules else None,
                )
            if first_use:
                use = await deps.networks.claim_use(use)
                if use.member_id != member.id:
                    raise InvitationNotFound()
            return await _join_by_invitation(invitation, use, deps)

    return join_result(await retrying(attempt))


async def _join_by_invitation(
    invitation: Invitation, use: InvitationUse, deps: NetworkDependencies
) -> NetworkMembership:
    """The second step of a use: the membership, then the invitation marked used."""
    invitation.used_by, invitation.used_at = use.member_id, use.used_at
    async with deps.networks.membership_lock(use.slug, use.member_id):
        membership = await deps.networks.get_membership(
            use.slug, use.member_id
        ) or NetworkMembership.outsider(use.slug, use.member_id)
        if membership.accept_invitation(
            invitation, deps.clock(), ground_rules_accepted_at=use.ground_rules_accepted_at
        ):
            await deps.networks.save_membership(membership)
            if membership.role == Role.CHAIR:
                await _chair_seated(use.slug, deps)
    await deps.networks.complete_use(use)
    return membership


# --- Members ----------------------------------------------------------------------------------


@rpc.route(
    contract.LIST_NETWORK_MEMBERS,
    "Active members: who else is in the network (those who agreed to be listed).",
)
async def list_network_members(
    request: contract.NetworkMembersQuery, caller: Caller, deps: NetworkDependencies
) -> contract.NetworkMembersView:
    member = await _caller_member(caller, deps)
    _, membership = await _visible_network(request.slug, member, deps)
    if membership is None or not membership.is_active:
        raise NetworkNotFound(request.slug)  # members see each other; others see nothing
    roster = await deps.networks.listed_roster(
        request.slug, partial(_listed_roster, request.slug, deps)
    )
    if request.offset == 0 and request.limit is None:
        return roster
    end = None if request.limit is None else request.offset + request.limit
    # A page of the roster kept in memory: what travels (and is rendered) is the page.
    page = roster.members[request.offset : end]
    return roster.model_copy(update={"offset": request.offset, "members": page})


async def _listed_roster(slug: str, deps: NetworkDependencies) -> contract.NetworkMembersView:
    """Who is listed in the network: the same for every member who may see it."""
    active = await deps.networks.roster(slug)  # from memory, as are the profiles
    profiles = await deps.members.profiles([member_id for member_id, _ in active])
    listed = []
    for member_id, role in active:
        profile = profiles.get(member_id)
        if (
            profile is None
            or not profile.listed_in_directory
            or profile.status != MemberStatus.ACTIVE
        ):
            continue  # consent: only members who agreed to be listed
        listed.append(
            contract.NetworkMemberView(
                member_id=member_id,
                display_name=profile.display_name,
                job_title=profile.job_title,
                role=role,
                topics=profile.topics,
                email=profile.email if profile.contactable else None,
            )
        )
    listed.sort(key=lambda view: (view.display_name.lower(), str(view.member_id)))
    return contract.NetworkMembersView(
        slug=slug, total=len(active), listed=len(listed), members=listed
    )


@rpc.route(
    contract.LIST_NETWORK_ROSTER,
    "Network admins: every active member and their role, listed or not (to manage roles).",
)
async def network_roster(
    request: BySlug, caller: Caller, deps: NetworkDependencies
) -> contract.NetworkRosterView:
    await _as_admin(request.slug, caller, deps)
    active = await deps.networks.with_status(request.slug, MembershipStatus.ACTIVE)
    profiles = await deps.members.profiles([membership.member_id for membership in active])
    members = []
    for membership in active:
        profile = profiles.get(membership.member_id)
        if profile is None or profile.status == MemberStatus.ERASED:
            continue  # erasure removes their memberships next
        members.append(
            contract.RosterMemberView(
                member_id=membership.member_id,
                display_name=profile.display_name,
                job_title=profile.job_title,
                role=membership.role,
                joined_at=membership.joined_at,
            )
        )
    members.sort(key=lambda view: (view.display_name.lower(), str(view.member_id)))
    return contract.NetworkRosterView(slug=request.slug, members=members)


@rpc.route(
    contract.CHANGE_ROLE,
    "Network admins: change a member's role; emits network.member_role_changed.",
)
async def change_role(
    request: contract.ChangeRole, caller: Caller, deps: NetworkDependencies
) -> contract.ChangeRole:
    member = await _caller_member(caller, deps)
    await _as_admin(request.slug, caller, deps)

    async def attempt() -> contract.ChangeRole:
        # Serialised per network: two admins demoting the last two chairs at once must not
        # leave it with none.
        async with (
            deps.networks.chair_turn(request.slug),
            deps.networks.membership_lock(request.slug, request.member_id),
        ):
            network = await deps.networks.get_network(request.slug)
            if network is None:
                raise NetworkNotFound(request.slug)
            actor = _acting_admin(
                member,
                network,
                standing_membership(
                    member, await deps.networks.get_membership(request.slug, member.id)
                ),
            )
            target = await deps.networks.get_membership(request.slug, request.member_id)
            if target is None or not target.is_active:
                raise NotANetworkMember(request.slug)
            require_may_assign(actor, target.role, request.role)
            chairs = await deps.networks.count_chairs(request.slug)
            if target.change_role(request.role, chairs=chairs):
                await deps.networks.save_membership(target)
                if target.role == Role.CHAIR:
                    await _chair_seated(request.slug, deps)
            return contract.ChangeRole(
                slug=request.slug, member_id=target.member_id, role=target.role
            )

    return await retrying(attempt)


@rpc.route(contract.LEAVE_NETWORK, "Leave a network; emits network.member_left.")
async def leave_network(request: BySlug, caller: Caller, deps: NetworkDependencies) -> None:
    member_id = require_member(caller)
    if await deps.networks.get_network(request.slug) is None:
        raise NetworkNotFound(request.slug)

    async def attempt() -> None:
        async with (
            deps.networks.chair_turn(request.slug),
            deps.networks.membership_lock(request.slug, member_id),
        ):
            membership = await deps.networks.get_membership(request.slug, member_id)
            if membership is None:
                raise NotAMember(request.slug)
            chairs = await deps.networks.count_chairs(request.slug)
            membership.leave(chairs=chairs, now=deps.clock())
            await deps.networks.save_membership(membership)

    await retrying(attempt)


# --- Privacy: this area's part of export and erasure ------------------------------------------


@dataclass
class NetworksPrivacy:
    """A member's network memberships, and the invitations sent to their address."""

    deps: NetworkDependencies

    async def export_member(self, subject: PrivacySubject) -> dict[str, Any]:
        memberships = await self.deps.networks.export_memberships(subject.member_id)
        return {"network_memberships": [exportable(document) for document in memberships]}

    async def erase_member(self, subject: PrivacySubject) -> None:
        """Each membership goes by the networks' rules: a last chair is succeeded by the
        longest-standing facilitator, or else the network is marked as needing a chair."""
        for slug in await self.deps.networks.memberships_of(subject.member_id):
            await retrying(partial(_erase_membership, slug, subject.member_id, self.deps))
        await self.deps.networks.erase_invitations_to(subject.email_normalised)
        await self.deps.networks.erase_traces_of(subject.member_id)


async def _erase_membership(slug: str, member_id: UUID, deps: NetworkDependencies) -> None:
    async with deps.networks.chair_turn(slug), deps.networks.membership_lock(slug, member_id):
        membership = await deps.networks.get_membership(slug, member_id)
        if membership is None:
            return
        if (
            membership.is_active
            and membership.role == Role.CHAIR
            and await deps.networks.count_chairs(slug) <= 1
        ):
            await _succeed_last_chair(slug, member_id, deps)
        await deps.networks.delete_membership(membership)


async def _succeed_last_chair(slug: str, leaving: UUID, deps: NetworkDependencies) -> None:
    active = await deps.networks.with_status(slug, MembershipStatus.ACTIVE)
    heir = successor([each for each in active if each.member_id != leaving])
    if heir is not None:
        async with deps.networks.membership_lock(slug, heir.member_id):
            heir = await deps.networks.get_membership(slug, heir.member_id) or heir
            if heir.change_role(Role.CHAIR, chairs=1):
                await deps.networks.save_membership(heir)
        return
    async with deps.networks.network_lock(slug):
        network = await deps.networks.get_network(slug)
        if network is not None and network.mark_needs_chair():
            await deps.networks.save_network(network)
