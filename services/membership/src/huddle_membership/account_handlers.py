"""Sign-in, the member's own account, API tokens, and the member's privacy rights.

Plain async functions ``(request, caller, deps)``; bound to subjects in ``bootstrap``.
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from functools import partial
from typing import Any
from uuid import UUID

from huddle_shared.clock import utc_now
from huddle_shared.contracts import membership as contract
from huddle_shared.contracts.common import ERASE_ME, Empty, export_subject
from huddle_shared.contracts.rpc import Caller
from huddle_shared.errors import Forbidden, NotFound, Unauthenticated, require_member
from huddle_shared.ids import new_id_str
from huddle_shared.messaging.routes import Route
from huddle_shared.storage.idempotency_keys import IdempotencyKeys
from pydantic import BaseModel
from pymongo.asynchronous.database import AsyncDatabase

from huddle_membership import SERVICE, access
from huddle_membership.domain import Member, MemberNotFound, MemberStatus, Organisation
from huddle_membership.handlers import account_view, member_view
from huddle_membership.passwords import PasswordHasher
from huddle_membership.repository import (
    ApiTokens,
    MemberRepository,
    OrganisationRepository,
    SignInFailures,
)

# Verified when an email is unknown, so that a miss takes as long as a wrong password.
_DECOY_PASSWORD = "decoy password for timing"  # noqa: S105

# Collections of other areas of this service that hold a member's data (see network_*).
NETWORK_MEMBERSHIPS = "network_memberships"
INVITATIONS = "invitations"


@dataclass
class AccountDependencies:
    members: MemberRepository
    organisations: OrganisationRepository
    passwords: PasswordHasher
    failures: SignInFailures
    api_tokens: ApiTokens
    database: AsyncDatabase[Any]
    limits: access.SignInLimits = field(default_factory=access.SignInLimits)
    clock: Callable[[], datetime] = utc_now
    _decoy_hash: str | None = None

    async def decoy_hash(self) -> str:
        if self._decoy_hash is None:
            self._decoy_hash = await self.passwords.hash(_DECOY_PASSWORD)
        return self._decoy_hash


async def signed_in_member(caller: Caller, deps: AccountDependencies) -> Member:
    member = await deps.members.get(require_member(caller))
    if member is None or member.status == MemberStatus.ERASED:
        raise MemberNotFound(require_member(caller))
    return member


async def active_member(caller: Caller, deps: AccountDependencies) -> Member:
    """A signed-in member who is not suspended: a token outlives a suspension by minutes."""
    member = await signed_in_member(caller, deps)
    if member.status != MemberStatus.ACTIVE:
        raise Forbidden("This account is suspended.")
    return member


async def sign_in(
    request: contract.SignIn, caller: Caller, deps: AccountDependencies
) -> contract.SignedIn:
    account = access.account_key(request.email.strip().lower())
    # Attempts on one account run one at a time (RPCs run concurrently), so a burst cannot
    # pass the check together before any failure is recorded. The address limit is not
    # serialised (it would queue a whole site behind one address): a burst can overshoot
    # it by at most the concurrent requests (HUDDLE_RPC_WORKERS).
    async with deps.failures.lock(account):
        return await _sign_in(request, caller, deps, account)


async def _sign_in(
    request: contract.SignIn, caller: Caller, deps: AccountDependencies, account: str
) -> contract.SignedIn:
    now = deps.clock()
    address = access.address_key(caller.address)
    access.check_not_throttled(
        await deps.failures.recent(account), await deps.failures.recent(address), now, deps.limits
    )
    member = await deps.members.find_by_email(request.email)
    password_hash = (
        member.password_hash if member and member.password_hash else await deps.decoy_hash()
    )
    password_ok = await deps.passwords.verify(request.password, password_hash)
    if member is None or not password_ok or member.status != MemberStatus.ACTIVE:
        keep_after = now - deps.limits.window
        await deps.failures.record(account, now, keep_after)
        await deps.failures.record(address, now, keep_after)
        raise access.wrong_credentials()
    await deps.failures.clear(account)
    return contract.SignedIn(member_id=member.id)


async def get_me(request: Empty, caller: Caller, deps: AccountDependencies) -> contract.AccountView:
    return account_view(await signed_in_member(caller, deps))


async def update_me(
    request: contract.UpdateProfile, caller: Caller, deps: AccountDependencies
) -> contract.AccountView:
    async with deps.members.lock(require_member(caller)):
        member = await active_member(caller, deps)
        member.update_profile(**request.model_dump(exclude_none=True))
        await deps.members.save(member)
    return account_view(member)


async def set_member_status(
    request: contract.SetMemberStatus, caller: Caller, deps: AccountDependencies
) -> contract.MemberView:
    admin = await active_member(caller, deps)
    admin.require_instance_admin()
    async with deps.members.lock(request.member_id):
        member = await deps.members.get(request.member_id)
        if member is None:
            raise MemberNotFound(request.member_id)
        member.set_status(request.status, request.reason)
        await deps.members.save(member)
    return member_view(member)


async def create_api_token(
    request: contract.CreateApiToken, caller: Caller, deps: AccountDependencies
) -> contract.ApiTokenCreated:
    admin = await active_member(caller, deps)
    admin.require_instance_admin()
    token, now = access.new_api_token(), deps.clock()
    document = {
        "_id": new_id_str(),
        "name": request.name,
        "scopes": sorted(set(request.scopes)),
        "token_hash": access.token_hash(token),
        "created_by": str(admin.id),
        "created_at": now,
        "revoked_at": None,
    }
    await deps.api_tokens.add(document)
    return contract.ApiTokenCreated(
        id=document["_id"],
        name=request.name,
        scopes=document["scopes"],
        token=token,
        created_at=now,
    )


class TokenId(BaseModel):
    id: str


async def revoke_api_token(request: TokenId, caller: Caller, deps: AccountDependencies) -> None:
    admin = await active_member(caller, deps)
    admin.require_instance_admin()
    if not await deps.api_tokens.exists(request.id):
        raise NotFound(f"There is no API token with id {request.id}.")
    await deps.api_tokens.revoke(request.id, deps.clock())  # revoking twice changes nothing


async def verify_api_token(
    request: contract.VerifyApiToken, caller: Caller, deps: AccountDependencies
) -> contract.ApiTokenIdentity:
    document = await deps.api_tokens.find_active(access.token_hash(request.token))
    if document is None:
        raise Unauthenticated("The API token is not valid or has been revoked.")
    return contract.ApiTokenIdentity(id=document["_id"], scopes=document["scopes"])


async def export_me(request: Empty, caller: Caller, deps: AccountDependencies) -> dict[str, Any]:
    member = await signed_in_member(caller, deps)
    memberships = deps.database[NETWORK_MEMBERSHIPS].find(
        {"member_id": str(member.id)}, {"outbox": 0}
    )
    return {
        "account": account_view(member).model_dump(mode="json"),
        "network_memberships": [_plain(doc) async for doc in memberships],
        "api_tokens_created": [_plain(doc) for doc in await deps.api_tokens.created_by(member.id)],
    }


async def erase_me(request: Empty, caller: Caller, deps: AccountDependencies) -> None:
    """Remove the person's data here and tell every service to do the same (member.erased)."""
    member_id = require_member(caller)
    async with deps.members.lock(member_id):
        member = await signed_in_member(caller, deps)
        email_key = member.email_normalised
        member.erase()
        await deps.members.save(member)
    await deps.database[NETWORK_MEMBERSHIPS].delete_many({"member_id": str(member_id)})
    await deps.database[INVITATIONS].delete_many({"email_normalised": email_key})
    await deps.failures.clear(access.account_key(email_key))
    # Replies kept for Idempotency-Key retries that named the member (their registration).
    await IdempotencyKeys(deps.database).forget_member(member_id)


def _plain(document: dict[str, Any]) -> dict[str, Any]:
    return {
        key: (value.isoformat() if isinstance(value, datetime) else value)
        for key, value in document.items()
    }


async def ensure_instance_admin(
    email: str, password: str, deps: AccountDependencies, instance_id: str
) -> None:
    """Create (or promote) the instance administrator named in configuration. Idempotent."""
    member = await deps.members.find_by_email(email)
    if member is None:
        organisation = await deps.organisations.get(_admin_organisation_id(instance_id))
        if organisation is None:
            organisation = Organisation.register(
                organisation_id=_admin_organisation_id(instance_id),
                name="Huddle instance administration",
                kind=contract.OrganisationKind.OTHER,
                region=None,
                ods_code=None,
                now=deps.clock(),
            )
            await deps.organisations.add(organisation)
        member = Member.register(
            member_id=UUID(new_id_str()),
            email=email,
            display_name="Instance administrator",
            job_title="Instance administrator",
            organisation=organisation,
            member_type=contract.MemberType.STAFF,
            password_hash=await deps.passwords.hash(password),
            now=deps.clock(),
        )
        member.is_instance_admin = True
        await deps.members.add(member)
    elif not member.is_instance_admin:
        async with deps.members.lock(member.id):
            member.is_instance_admin = True
            await deps.members.save(member)


def _admin_organisation_id(instance_id: str) -> UUID:
    from uuid import NAMESPACE_URL, uuid5

    return uuid5(NAMESPACE_URL, f"huddle:{instance_id}:administration")


def routes(deps: AccountDependencies) -> list[Route]:
    return [
        Route(
            contract.SIGN_IN,
            partial(sign_in, deps=deps),
            "Check a member's email and password.",
            idempotency_keys=False,
        ),
        Route(contract.GET_ME, partial(get_me, deps=deps), "The calling member's own account."),
        Route(
            contract.UPDATE_ME,
            partial(update_me, deps=deps),
            "Edit one's own profile.",
        ),
        Route(
            contract.SET_MEMBER_STATUS,
            partial(set_member_status, deps=deps),
            "Instance admins: suspend or reinstate a member.",
        ),
        Route(
            contract.CREATE_API_TOKEN,
            partial(create_api_token, deps=deps),
            "Instance admins: a machine client's token.",
            idempotency_keys=False,  # the token is shown once and kept only as a hash
        ),
        Route(
            contract.REVOKE_API_TOKEN,
            partial(revoke_api_token, deps=deps),
            "Instance admins: revoke a token.",
        ),
        Route(
            contract.VERIFY_API_TOKEN,
            partial(verify_api_token, deps=deps),
            "The gateway checks a machine client's token.",
        ),
        Route(
            export_subject(SERVICE),
            partial(export_me, deps=deps),
            "Everything membership holds about the caller.",
        ),
        Route(ERASE_ME, partial(erase_me, deps=deps), "Erase the caller; emits member.erased."),
    ]
