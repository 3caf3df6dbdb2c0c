"""The members area: organisations, member accounts and the member's own account.

It owns ``organisations`` and ``members``. One plain async function per operation
``(request, caller, deps)``, free of HTTP and NATS; ``routes`` binds them to subjects. Other
areas read members only through ``MemberRepository``'s methods (``get``, ``find_by_email``,
``profiles``, ``active_by_organisation``), and erase them only through ``MembersPrivacy``.
"""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol
from uuid import NAMESPACE_URL, UUID, uuid5

from huddle_shared.clock import utc_now
from huddle_shared.contracts import membership as contract
from huddle_shared.contracts.common import Empty, GetById
from huddle_shared.contracts.membership import (
    AccountView,
    ListedMemberView,
    MemberView,
    OrganisationView,
    RegisterAccount,
    RegisterOrganisation,
)
from huddle_shared.contracts.rpc import Caller, FieldError
from huddle_shared.errors import Forbidden, NotFound, Unauthenticated, require_member
from huddle_shared.ids import new_id
from huddle_shared.messaging.routes import RouteTable

from huddle_membership.claims import retrying
from huddle_membership.members.domain import (
    Member,
    MemberNotFound,
    MemberProfile,
    MemberStatus,
    Organisation,
    OrganisationNotFound,
    UnknownOrganisation,
)
from huddle_membership.members.names import require_unreserved
from huddle_membership.ports import PrivacySubject
from huddle_membership.views import view_of


class Hasher(Protocol):
    async def hash(self, password: str) -> str: ...

    async def verify(self, password: str, password_hash: str) -> bool: ...


class Organisations(Protocol):
    async def add(self, organisation: Organisation) -> None: ...

    async def get(self, organisation_id: UUID) -> Organisation | None: ...


class MemberReader(Protocol):
    async def get(self, member_id: UUID) -> Member | None: ...


class Members(Protocol):
    """What the members area's handlers need of ``MemberRepository`` (a fake has the same)."""

    def lock(self, member_id: UUID) -> Any: ...

    async def add(self, member: Member) -> None: ...

    async def save(self, member: Member) -> None: ...

    async def get(self, member_id: UUID) -> Member | None: ...

    async def find_by_email(self, email: str) -> Member | None: ...

    async def profiles(self, member_ids: list[UUID]) -> dict[UUID, MemberProfile]: ...


@dataclass
class Dependencies:
    organisations: Organisations
    members: Members
    passwords: Hasher
    clock: Callable[[], datetime] = utc_now
    new_id: Callable[[], UUID] = new_id


def organisation_view(organisation: Organisation) -> OrganisationView:
    return view_of(OrganisationView, organisation)


def member_view(member: Member) -> MemberView:
    return view_of(MemberView, member)


rpc = RouteTable()


@rpc.route(
    contract.REGISTER_ORGANISATION, "Register an organisation; emits organisation.registered."
)
async def register_organisation(
    request: RegisterOrganisation, caller: Caller, deps: Dependencies
) -> OrganisationView:
    require_unreserved(request.name, "name")
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


@rpc.route(contract.GET_ORGANISATION, "Read one organisation.")
async def get_organisation(
    request: GetById, caller: Caller, deps: Dependencies
) -> OrganisationView:
    organisation = await deps.organisations.get(request.id)
    if organisation is None:
        raise OrganisationNotFound(request.id)
    return organisation_view(organisation)


def account_view(member: Member) -> AccountView:
    """What the member themself sees of their account."""
    return view_of(AccountView, member)


@rpc.route(contract.REGISTER_ACCOUNT, "Register a member account; emits member.registered.")
async def register_account(
    request: RegisterAccount, caller: Caller, deps: Dependencies
) -> AccountView:
    require_unreserved(request.display_name, "display_name")
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


@rpc.route(contract.GET_MEMBER, "Read one member as others see them.")
async def get_member(request: GetById, caller: Caller, deps: Dependencies) -> ListedMemberView:
    viewer = require_member(caller)
    viewer_account = await deps.members.get(viewer)
    if viewer_account is None or viewer_account.status == MemberStatus.ERASED:
        raise AccountGone()
    if viewer_account.status != MemberStatus.ACTIVE:
        raise Forbidden("Only active members can see other members.")
    member = await deps.members.get(request.id)
    if member is None or not member.visible_to(viewer):
        raise MemberNotFound(request.id)  # unlisted members look like no member at all
    return listed_member_view(member)


def listed_member_view(member: Member) -> ListedMemberView:
    return view_of(ListedMemberView, member, email=member.email if member.contactable else None)


# --- The member's own account ----------------------------------------------------------------


class AccountGone(Unauthenticated, detail="Your account no longer exists; sign in again."):
    """A valid token whose member does not exist (or was erased) is no sign-in at all: 401,
    the same answer as a bad token, never a 404 that reads as a missing resource."""


async def signed_in_member(caller: Caller, members: MemberReader) -> Member:
    member = await members.get(require_member(caller))
    if member is None or member.status == MemberStatus.ERASED:
        raise AccountGone()
    return member


async def active_member(caller: Caller, members: MemberReader) -> Member:
    """A signed-in member who is not suspended: a token outlives a suspension by minutes."""
    member = await signed_in_member(caller, members)
    if member.status != MemberStatus.ACTIVE:
        raise Forbidden("This account is suspended.")
    return member


@rpc.route(contract.GET_ME, "The calling member's own account.")
async def get_me(request: Empty, caller: Caller, deps: Dependencies) -> AccountView:
    return account_view(await signed_in_member(caller, deps.members))


@rpc.route(contract.UPDATE_ME, "Edit one's own profile.")
async def update_me(
    request: contract.UpdateProfile, caller: Caller, deps: Dependencies
) -> AccountView:
    if request.display_name is not None:
        require_unreserved(request.display_name, "display_name")

    async def attempt() -> Member:
        async with deps.members.lock(require_member(caller)):
            member = await active_member(caller, deps.members)
            member.update_profile(**request.model_dump(exclude_none=True))
            await deps.members.save(member)
            return member

    return account_view(await retrying(attempt))


async def _admin_changes_member(
    member_id: UUID, caller: Caller, deps: Dependencies, change: Callable[[Member], None]
) -> MemberView:
    """An instance admin's change to another member's account, one change at a time."""
    admin = await active_member(caller, deps.members)
    admin.require_instance_admin()

    async def attempt() -> Member:
        async with deps.members.lock(member_id):
            member = await deps.members.get(member_id)
            if member is None:
                raise MemberNotFound(member_id)
            change(member)
            await deps.members.save(member)
            return member

    return member_view(await retrying(attempt))


@rpc.route(contract.SET_MEMBER_STATUS, "Instance admins: suspend or reinstate a member.")
async def set_member_status(
    request: contract.SetMemberStatus, caller: Caller, deps: Dependencies
) -> MemberView:
    def change(member: Member) -> None:
        member.set_status(request.status, request.reason)

    return await _admin_changes_member(request.member_id, caller, deps, change)


@rpc.route(
    contract.SET_MEMBER_TYPE,
    "Instance admins: change a member's type (the only way to make a national observer).",
)
async def set_member_type(
    request: contract.SetMemberType, caller: Caller, deps: Dependencies
) -> MemberView:
    def change(member: Member) -> None:
        if member.status == MemberStatus.ERASED:
            raise MemberNotFound(request.member_id)
        member.set_type(request.member_type)

    return await _admin_changes_member(request.member_id, caller, deps, change)


class NoMemberWithEmail(NotFound):
    def __init__(self) -> None:
        super().__init__(
            "No member has this email address.",
            [FieldError(field="email", message="No member has this email address.")],
        )


@rpc.route(contract.FIND_MEMBER, "Instance admins: find a member by their email address or id.")
async def find_member(
    request: contract.FindMember, caller: Caller, deps: Dependencies
) -> contract.AdminMemberView:
    admin = await active_member(caller, deps.members)
    admin.require_instance_admin()
    if request.member_id is not None:
        member = await deps.members.get(request.member_id)
        if member is None or member.status == MemberStatus.ERASED:
            raise MemberNotFound(request.member_id)
        return view_of(contract.AdminMemberView, member)
    member = await deps.members.find_by_email(request.email or "")
    if member is None or member.status == MemberStatus.ERASED:
        raise NoMemberWithEmail()
    return view_of(contract.AdminMemberView, member)


async def ensure_instance_admin(
    email: str, password: str, deps: Dependencies, instance_id: str
) -> None:
    """Create (or promote) the instance administrator named in configuration. Idempotent."""
    member = await deps.members.find_by_email(email)
    if member is None:
        organisation = await deps.organisations.get(admin_organisation_id(instance_id))
        if organisation is None:
            organisation = Organisation.register(
                organisation_id=admin_organisation_id(instance_id),
                name="Huddle instance administration",
                kind=contract.OrganisationKind.OTHER,
                region=None,
                ods_code=None,
                now=deps.clock(),
            )
            await deps.organisations.add(organisation)
        member = Member.register(
            member_id=deps.new_id(),
            email=email,
            display_name="Instance administrator",
            job_title="Instance administrator",
            organisation=organisation,
            member_type=contract.MemberType.STAFF,
            password_hash=await deps.passwords.hash(password),
            now=deps.clock(),
            is_instance_admin=True,
        )
        await deps.members.add(member)
    elif not member.is_instance_admin:
        member_id = member.id

        async def promote() -> None:
            async with deps.members.lock(member_id):
                current = await deps.members.get(member_id)
                if current is not None and current.make_instance_admin():
                    await deps.members.save(current)

        await retrying(promote)


def admin_organisation_id(instance_id: str) -> UUID:
    return uuid5(NAMESPACE_URL, f"huddle:{instance_id}:administration")


# --- Privacy: this area's part of export and erasure ------------------------------------------


@dataclass
class MembersPrivacy:
    """The account's part of export and erasure (the privacy handler calls it last)."""

    members: Members

    async def export_member(self, subject: PrivacySubject) -> dict[str, Any]:
        member = await self.members.get(subject.member_id)
        return {"account": account_view(member).model_dump(mode="json") if member else None}

    async def erase_member(self, subject: PrivacySubject) -> None:
        member_id = subject.member_id

        async def attempt() -> None:
            async with self.members.lock(member_id):
                member = await self.members.get(member_id)
                if member is None or member.status == MemberStatus.ERASED:
                    return
                member.erase()
                await self.members.save(member)

        await retrying(attempt)
