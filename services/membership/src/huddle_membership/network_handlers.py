"""Networks' handlers: one plain async function per operation ``(request, caller, deps)``.

Rights come from membership's own data: the caller's account (``members``) and their
network memberships, never from anything the caller claims. Repeated and concurrent
requests are safe: each read-decide-write holds a lock and writes only if nothing changed
meanwhile (``ConcurrentChange``: another replica got there first; decide again).
"""

import secrets
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from functools import partial
from typing import TypeVar
from uuid import UUID

from huddle_shared.clock import utc_now
from huddle_shared.contracts import networks as contract
from huddle_shared.contracts.common import BySlug, Empty
from huddle_shared.contracts.rpc import Caller
from huddle_shared.errors import Unauthenticated, require_member
from huddle_shared.ids import new_id
from huddle_shared.messaging.routes import Route

from huddle_membership.domain import Member, MemberStatus
from huddle_membership.network_domain import (
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
    require_instance_admin,
    require_may_assign,
    require_network_admin,
    standing_membership,
)
from huddle_membership.network_repository import ConcurrentChange, NetworkRepository
from huddle_membership.repository import MemberRepository

T = TypeVar("T")

ATTEMPTS = 3


def new_invitation_token() -> str:
    return secrets.token_urlsafe(32)


@dataclass
class NetworkDependencies:
    networks: NetworkRepository
    members: MemberRepository
    clock: Callable[[], datetime] = utc_now
    new_id: Callable[[], UUID] = new_id
    new_token: Callable[[], str] = new_invitation_token


# --- Shared steps -----------------------------------------------------------------------------


async def _retrying(attempt: Callable[[], Awaitable[T]]) -> T:
    """Run a read-decide-write again when another process wrote first (it re-reads)."""
    for _ in range(ATTEMPTS - 1):
        try:
            return await attempt()
        except ConcurrentChange:
            continue
    return await attempt()


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
    membership = standing_membership(member, await deps.networks.get_membership(slug, member.id))
    if not can_see(network, membership):
        raise NetworkNotFound(slug)
    return network, membership


async def _as_admin(
    slug: str, caller: Caller, deps: NetworkDependencies
) -> tuple[Network, NetworkMembership]:
    member = await _caller_member(caller, deps)
    network, membership = await _visible_network(slug, member, deps)
    return network, require_network_admin(membership)


_MY_STATUS = {
    MembershipStatus.ACTIVE: contract.JoinStatus.ACTIVE,
    MembershipStatus.PENDING: contract.JoinStatus.PENDING,
    MembershipStatus.DECLINED: contract.JoinStatus.DECLINED,
}


def network_view(network: Network, membership: NetworkMembership | None) -> contract.NetworkView:
    return contract.NetworkView(
        slug=network.slug,
        name=network.name,
        purpose=network.purpose,
        parent_slug=network.parent_slug,
        visibility=network.visibility,
        allowed_member_types=network.allowed_member_types,
        ground_rules=network.ground_rules,
        glossary=network.glossary,
        region=network.region,
        created_at=network.created_at,
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
        glossary=request.glossary,
        region=request.region,
        created_by=member.id,
        now=now,
    )
    chair = NetworkMembership.founding_chair(network.slug, member.id, now)
    await deps.networks.add_network(network)  # the slug is the id: a duplicate fails here
    await deps.networks.save_membership(chair)
    return network_view(network, chair)


async def list_networks(
    request: Empty, caller: Caller, deps: NetworkDependencies
) -> list[contract.NetworkView]:
    member = await _caller_member(caller, deps)
    mine = await deps.networks.memberships_of(member.id)
    views = []
    for network in await deps.networks.all_networks():
        membership = standing_membership(member, mine.get(network.slug))
        if can_see(network, membership):
            views.append(network_view(network, membership))
    return sorted(views, key=lambda view: (view.name.lower(), view.slug))


async def get_network(
    request: BySlug, caller: Caller, deps: NetworkDependencies
) -> contract.NetworkView:
    member = await _caller_member(caller, deps)
    return network_view(*await _visible_network(request.slug, member, deps))


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

    return network_view(await _retrying(attempt), admin)


# --- Joining ----------------------------------------------------------------------------------


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
                network, message=request.message, request_id=deps.new_id(), now=deps.clock()
            ):
                await deps.networks.save_membership(membership)
            return membership

    return join_result(await _retrying(attempt))


async def list_join_requests(
    request: BySlug, caller: Caller, deps: NetworkDependencies
) -> list[contract.JoinRequestView]:
    await _as_admin(request.slug, caller, deps)
    pending = await deps.networks.with_status(request.slug, MembershipStatus.PENDING)
    profiles = await deps.networks.member_profiles([m.member_id for m in pending])
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

    membership = await _retrying(attempt)
    return contract.JoinResult(
        slug=request.slug, status=_MY_STATUS[membership.status], request_id=request.request_id
    )


# --- Invitations ------------------------------------------------------------------------------


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


async def accept_invitation(
    request: contract.AcceptInvitation, caller: Caller, deps: NetworkDependencies
) -> contract.JoinResult:
    """The invitation is used once: its first use is a conditional write (``used_at`` still
    empty); then the invitee becomes an active member with the invitation's role."""
    member = await _caller_member(caller, deps)
    token_hash = invitation_token_hash(request.token)

    async def attempt() -> NetworkMembership:
        async with deps.networks.invitation_lock(token_hash):
            invitation = await deps.networks.get_invitation(token_hash)
            network = await deps.networks.get_network(invitation.slug) if invitation else None
            if invitation is None or network is None:
                raise InvitationNotFound()
            now = deps.clock()
            if invitation.accept(member, network, now):
                await deps.networks.mark_used(invitation)
            async with deps.networks.membership_lock(network.slug, member.id):
                membership = await deps.networks.get_membership(
                    network.slug, member.id
                ) or NetworkMembership.outsider(network.slug, member.id)
                if membership.accept_invitation(invitation, now):
                    await deps.networks.save_membership(membership)
                return membership

    return join_result(await _retrying(attempt))


# --- Members ----------------------------------------------------------------------------------


async def list_network_members(
    request: BySlug, caller: Caller, deps: NetworkDependencies
) -> contract.NetworkMembersView:
    member = await _caller_member(caller, deps)
    _, membership = await _visible_network(request.slug, member, deps)
    if membership is None or not membership.is_active:
        raise NetworkNotFound(request.slug)  # members see each other; others see nothing
    active = await deps.networks.with_status(request.slug, MembershipStatus.ACTIVE)
    profiles = await deps.networks.member_profiles([m.member_id for m in active])
    listed = []
    for each in active:
        profile = profiles.get(each.member_id)
        if (
            profile is None
            or not profile.listed_in_directory
            or profile.status != MemberStatus.ACTIVE
        ):
            continue  # consent: only members who agreed to be listed
        listed.append(
            contract.NetworkMemberView(
                member_id=each.member_id,
                display_name=profile.display_name,
                job_title=profile.job_title,
                role=each.role,
                topics=profile.topics,
                email=profile.email if profile.contactable else None,
            )
        )
    listed.sort(key=lambda view: (view.display_name.lower(), str(view.member_id)))
    return contract.NetworkMembersView(slug=request.slug, total=len(active), members=listed)


async def change_role(
    request: contract.ChangeRole, caller: Caller, deps: NetworkDependencies
) -> contract.ChangeRole:
    member = await _caller_member(caller, deps)
    await _as_admin(request.slug, caller, deps)

    async def attempt() -> contract.ChangeRole:
        # Serialised per network: two admins demoting the last two chairs at once must not
        # leave it with none.
        async with (
            deps.networks.roster_lock(request.slug),
            deps.networks.membership_lock(request.slug, request.member_id),
        ):
            actor = require_network_admin(
                standing_membership(
                    member, await deps.networks.get_membership(request.slug, member.id)
                )
            )
            target = await deps.networks.get_membership(request.slug, request.member_id)
            if target is None or not target.is_active:
                raise NotANetworkMember(request.slug)
            require_may_assign(actor, target.role, request.role)
            chairs = await deps.networks.count_chairs(request.slug)
            if target.change_role(request.role, chairs=chairs):
                await deps.networks.save_membership(target)
            return contract.ChangeRole(
                slug=request.slug, member_id=target.member_id, role=target.role
            )

    return await _retrying(attempt)


async def leave_network(request: BySlug, caller: Caller, deps: NetworkDependencies) -> None:
    member_id = require_member(caller)
    if await deps.networks.get_network(request.slug) is None:
        raise NetworkNotFound(request.slug)

    async def attempt() -> None:
        async with (
            deps.networks.roster_lock(request.slug),
            deps.networks.membership_lock(request.slug, member_id),
        ):
            membership = await deps.networks.get_membership(request.slug, member_id)
            if membership is None:
                raise NotAMember(request.slug)
            chairs = await deps.networks.count_chairs(request.slug)
            membership.leave(chairs=chairs, now=deps.clock())
            await deps.networks.save_membership(membership)

    await _retrying(attempt)


# --- Routes -----------------------------------------------------------------------------------


def routes(deps: NetworkDependencies) -> list[Route]:
    return [
        Route(
            contract.CREATE_NETWORK,
            partial(create_network, deps=deps),
            "Instance admins: create a network (the creator chairs it); emits network.created.",
        ),
        Route(
            contract.LIST_NETWORKS,
            partial(list_networks, deps=deps),
            "The networks the caller may see, with their own role and status in each.",
        ),
        Route(
            contract.GET_NETWORK,
            partial(get_network, deps=deps),
            "One network; invite-only ones only for their active members.",
        ),
        Route(
            contract.UPDATE_NETWORK,
            partial(update_network, deps=deps),
            "Network admins: change a network; emits network.updated.",
        ),
        Route(
            contract.JOIN_NETWORK,
            partial(join_network, deps=deps),
            "Join an open network, or ask to join an approval one; emits network.member_joined.",
        ),
        Route(
            contract.LIST_JOIN_REQUESTS,
            partial(list_join_requests, deps=deps),
            "Network admins: pending join requests.",
        ),
        Route(
            contract.DECIDE_JOIN_REQUEST,
            partial(decide_join_request, deps=deps),
            "Network admins: approve or decline a join request; emits network.member_joined.",
        ),
        Route(
            contract.INVITE,
            partial(invite, deps=deps),
            "Network admins: a single-use invitation for an email address (28 days).",
            idempotency_keys=False,  # the token is shown once and kept only as a hash
        ),
        Route(
            contract.ACCEPT_INVITATION,
            partial(accept_invitation, deps=deps),
            "The invitee joins with their invitation; emits network.member_joined.",
        ),
        Route(
            contract.LIST_NETWORK_MEMBERS,
            partial(list_network_members, deps=deps),
            "Active members: who else is in the network (those who agreed to be listed).",
        ),
        Route(
            contract.CHANGE_ROLE,
            partial(change_role, deps=deps),
            "Network admins: change a member's role; emits network.member_role_changed.",
        ),
        Route(
            contract.LEAVE_NETWORK,
            partial(leave_network, deps=deps),
            "Leave a network; emits network.member_left.",
        ),
    ]
