"""Membership's handlers: one plain async function per operation, free of HTTP and NATS.

Each takes its request and the ``Dependencies`` it needs (wired in ``bootstrap``).
"""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from huddle_shared.clock import utc_now
from huddle_shared.contracts.common import GetById
from huddle_shared.contracts.membership import (
    AccountView,
    ListedMemberView,
    MemberView,
    OrganisationView,
    RegisterAccount,
    RegisterOrganisation,
)
from huddle_shared.contracts.rpc import Caller
from huddle_shared.errors import Forbidden, require_member
from huddle_shared.ids import new_id

from huddle_membership.domain import (
    Member,
    MemberNotFound,
    MemberStatus,
    Organisation,
    OrganisationNotFound,
    UnknownOrganisation,
)
from huddle_membership.passwords import PasswordHasher
from huddle_membership.repository import MemberRepository, OrganisationRepository


@dataclass
class Dependencies:
    organisations: OrganisationRepository
    members: MemberRepository
    passwords: PasswordHasher
    clock: Callable[[], datetime] = utc_now
    new_id: Callable[[], UUID] = new_id


def organisation_view(organisation: Organisation) -> OrganisationView:
    return OrganisationView(
        id=organisation.id,
        name=organisation.name,
        kind=organisation.kind,
        region=organisation.region,
        ods_code=organisation.ods_code,
        created_at=organisation.created_at,
    )


def member_view(member: Member) -> MemberView:
    return MemberView(
        id=member.id,
        display_name=member.display_name,
        job_title=member.job_title,
        organisation_id=member.organisation_id,
        member_type=member.member_type,
        status=member.status,
        registered_at=member.registered_at,
    )


async def register_organisation(
    request: RegisterOrganisation, caller: Caller, deps: Dependencies
) -> OrganisationView:
    organisation = Organisation.register(
        organisation_id=deps.new_id(),
        name=request.name,
        kind=request.kind,
        region=request.region,
        ods_code=request.ods_code,
        now=deps.clock(),
    )
    await deps.organisations.add(organisation)
    return organisation_view(organisation)


async def get_organisation(
    request: GetById, caller: Caller, deps: Dependencies
) -> OrganisationView:
    organisation = await deps.organisations.get(request.id)
    if organisation is None:
        raise OrganisationNotFound(request.id)
    return organisation_view(organisation)


def account_view(member: Member) -> AccountView:
    """What the member themself sees of their account."""
    return AccountView(
        **member_view(member).model_dump(),
        email=member.email,
        topics=member.topics,
        listed_in_directory=member.listed_in_directory,
        contactable=member.contactable,
        is_instance_admin=member.is_instance_admin,
    )


async def register_account(
    request: RegisterAccount, caller: Caller, deps: Dependencies
) -> AccountView:
    organisation = await deps.organisations.get(request.organisation_id)
    if organisation is None:
        raise UnknownOrganisation(request.organisation_id)
    member = Member.register(
        member_id=deps.new_id(),
        email=str(request.email),
        display_name=request.display_name,
        job_title=request.job_title,
        organisation=organisation,
        member_type=request.member_type,
        password_hash=await deps.passwords.hash(request.password),
        now=deps.clock(),
    )
    await deps.members.add(member)
    return account_view(member)


async def get_member(request: GetById, caller: Caller, deps: Dependencies) -> ListedMemberView:
    viewer = require_member(caller)
    viewer_account = await deps.members.get(viewer)
    if viewer_account is None or viewer_account.status != MemberStatus.ACTIVE:
        raise Forbidden("Only active members can see other members.")
    member = await deps.members.get(request.id)
    if member is None or not member.visible_to(viewer):
        raise MemberNotFound(request.id)  # unlisted members look like no member at all
    return listed_member_view(member)


def listed_member_view(member: Member) -> ListedMemberView:
    return ListedMemberView(
        **member_view(member).model_dump(),
        topics=member.topics,
        email=member.email if member.contactable else None,
    )
