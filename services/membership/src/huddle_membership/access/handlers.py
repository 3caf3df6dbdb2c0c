"""The access area: sign-in (with its limits) and API tokens for machine clients.

It owns ``sign_in_failures`` and ``api_tokens``, and reads members only through the members
area's interface. Plain async functions ``(request, caller, deps)``; ``routes`` binds them.
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol
from uuid import UUID

from huddle_shared.clock import utc_now
from huddle_shared.contracts import membership as contract
from huddle_shared.contracts.common import Empty
from huddle_shared.contracts.rpc import Caller
from huddle_shared.errors import NotFound, Unauthenticated
from huddle_shared.ids import new_id_str
from huddle_shared.messaging.routes import RouteTable
from pydantic import BaseModel

from huddle_membership.access import rules
from huddle_membership.access.repository import ApiTokens, SignInFailures
from huddle_membership.members.domain import Member, MemberStatus, normalise_email
from huddle_membership.members.handlers import Hasher, active_member
from huddle_membership.ports import PrivacySubject, exportable


class Members(Protocol):
    async def get(self, member_id: UUID) -> Member | None: ...

    async def find_by_email(self, email: str) -> Member | None: ...


# Verified when an email is unknown, so that a miss takes as long as a wrong password.
_DECOY_PASSWORD = "decoy password for timing"  # noqa: S105


@dataclass
class AccessDependencies:
    members: Members
    passwords: Hasher
    failures: SignInFailures
    api_tokens: ApiTokens
    limits: rules.SignInLimits = field(default_factory=rules.SignInLimits)
    clock: Callable[[], datetime] = utc_now
    waits: rules.WaitsInMemory = field(default_factory=rules.WaitsInMemory)
    _decoy_hash: str | None = None

    async def decoy_hash(self) -> str:
        if self._decoy_hash is None:
            self._decoy_hash = await self.passwords.hash(_DECOY_PASSWORD)
        return self._decoy_hash


rpc = RouteTable()


# No idempotency keys: a stored sign-in would outlive a suspension.
@rpc.route(contract.SIGN_IN, "Check a member's email and password.", idempotency_keys=False)
async def sign_in(
    request: contract.SignIn, caller: Caller, deps: AccessDependencies
) -> contract.SignedIn:
    account = rules.account_key(normalise_email(request.email))
    pair = rules.account_and_address_key(normalise_email(request.email), caller.address)
    # Attempts on one account from one address run one at a time (RPCs run concurrently),
    # so a burst cannot pass the check together before any failure is recorded. Nothing
    # is held per account: attempts from elsewhere never queue behind an attacker's. The
    # address limit is not serialised (it would queue a whole site behind one address): a
    # burst can overshoot it by at most the concurrent requests (HUDDLE_RPC_WORKERS).
    async with deps.failures.lock(pair):
        return await _sign_in(request, caller, deps, account, pair)


async def _sign_in(
    request: contract.SignIn, caller: Caller, deps: AccessDependencies, account: str, pair: str
) -> contract.SignedIn:
    now, limits = deps.clock(), deps.limits
    address = rules.address_key(caller.address)
    # Refused before any hashing: a throttled attempt costs a read (or nothing), not a hash.
    remembered = deps.waits.wait((pair, address), now)
    if remembered:
        raise rules.too_many(remembered)
    pair_failures, address_failures = (
        await deps.failures.recent(pair),
        await deps.failures.recent(address),
    )
    rules.check_not_throttled(pair_failures, address_failures, now, limits)
    member = await deps.members.find_by_email(request.email)
    password_hash = (
        member.password_hash if member and member.password_hash else await deps.decoy_hash()
    )
    password_ok = await deps.passwords.verify(request.password, password_hash)
    if member is None or not password_ok or member.status != MemberStatus.ACTIVE:
        keep_after = now - limits.keep_for
        await deps.failures.record(pair, now, keep_after, account=account)
        await deps.failures.record(address, now, keep_after)
        pair_wait = limits.per_account_and_address.wait([*pair_failures, now], now)
        address_wait = limits.per_address.wait([*address_failures, now], now)
        deps.waits.remember(pair, now + pair_wait, now)
        deps.waits.remember(address, now + address_wait, now)
        raise rules.wrong_credentials()
    await deps.failures.clear(pair)
    return contract.SignedIn(member_id=member.id)


# No idempotency keys: a stored answer would outlive a suspension, as a sign-in's would.
@rpc.route(
    contract.RENEW_SIGN_IN,
    "A signed-in member may keep their sign-in: they are still active (not suspended, not "
    "erased). The gateway asks before it renews a web sign-in's access token.",
    idempotency_keys=False,
)
async def renew_sign_in(
    request: Empty, caller: Caller, deps: AccessDependencies
) -> contract.SignedIn:
    member = await active_member(caller, deps.members)
    return contract.SignedIn(member_id=member.id)


# No idempotency keys: the token is shown once and kept only as a hash.
@rpc.route(
    contract.CREATE_API_TOKEN, "Instance admins: a machine client's token.", idempotency_keys=False
)
async def create_api_token(
    request: contract.CreateApiToken, caller: Caller, deps: AccessDependencies
) -> contract.ApiTokenCreated:
    admin = await active_member(caller, deps.members)
    admin.require_instance_admin()
    token, now = rules.new_api_token(), deps.clock()
    document = {
        "_id": new_id_str(),
        "name": request.name,
        "scopes": sorted(set(request.scopes)),
        "token_hash": rules.token_hash(token),
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


@rpc.route(contract.REVOKE_API_TOKEN, "Instance admins: revoke a token.")
async def revoke_api_token(request: TokenId, caller: Caller, deps: AccessDependencies) -> None:
    admin = await active_member(caller, deps.members)
    admin.require_instance_admin()
    if not await deps.api_tokens.exists(request.id):
        raise NotFound(f"There is no API token with id {request.id}.")
    await deps.api_tokens.revoke(request.id, deps.clock())  # revoking twice changes nothing


@rpc.route(contract.LIST_API_TOKENS, "Instance admins: every API token, newest first.")
async def list_api_tokens(
    request: Empty, caller: Caller, deps: AccessDependencies
) -> list[contract.ApiTokenSummary]:
    admin = await active_member(caller, deps.members)
    admin.require_instance_admin()
    return [
        contract.ApiTokenSummary.model_validate({**document, "id": document["_id"]})
        for document in await deps.api_tokens.every()
    ]


@rpc.route(contract.VERIFY_API_TOKEN, "The gateway checks a machine client's token.")
async def verify_api_token(
    request: contract.VerifyApiToken, caller: Caller, deps: AccessDependencies
) -> contract.ApiTokenIdentity:
    document = await deps.api_tokens.find_active(rules.token_hash(request.token))
    if document is None:
        raise Unauthenticated("The API token is not valid or has been revoked.")
    return contract.ApiTokenIdentity(id=document["_id"], scopes=document["scopes"])


@dataclass
class AccessPrivacy:
    """Access's part of export and erasure: tokens the member created stay (they record
    who did something), and their failed sign-ins go."""

    api_tokens: ApiTokens
    failures: SignInFailures

    async def export_member(self, subject: PrivacySubject) -> dict[str, Any]:
        created = await self.api_tokens.created_by(subject.member_id)
        return {"api_tokens_created": [exportable(document) for document in created]}

    async def erase_member(self, subject: PrivacySubject) -> None:
        await self.failures.clear_account(rules.account_key(subject.email_normalised))
