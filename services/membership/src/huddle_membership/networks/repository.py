"""The networks area's storage: networks, network memberships, invitations and claims.

- ``networks``: ``_id`` is the slug, so a slug is unique without another index. A network
  carries its founding chair (``created_by``) and whether their membership is written yet.
- ``network_memberships``: ``_id`` is ``<slug>:<member id>``: one per member and network, so a
  repeated or concurrent first join can never make a second one.
- ``invitations``: ``_id`` is the SHA-256 of the token; the token itself is never stored.
- ``invitation_uses``: ``_id`` is the invitation's: inserting it is the single use.
- ``network_claims``: the claim log (``claims.ClaimLog``): each new version of a network or
  a membership, and each turn at changing a network's chairs, is claimed by a unique key.

Writes that cause events go through ``AggregateStore`` (state and outbox in one write).
Networks and memberships carry a ``version``; a write claims its version first (which holds
across processes on FerretDB and MongoDB alike), then applies only if nobody wrote since it
was read (``expect``); ``ConcurrentChange`` otherwise. Within the process, handlers also hold
the documents' locks around read-decide-write (see ``huddle_shared.storage.locks``).
"""

import contextlib
import re
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, TypeVar
from uuid import UUID

from huddle_shared.contracts.membership import MemberType, Region
from huddle_shared.contracts.networks import Role, Visibility
from huddle_shared.storage.aggregates import AggregateStore
from huddle_shared.storage.locks import document_locks
from huddle_shared.storage.outbox import OUTBOX_FIELD, OutboxRelay
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import DuplicateKeyError

from huddle_membership.claims import ABANDONED_AFTER, ClaimLog, ConcurrentChange
from huddle_membership.networks.domain import (
    Invitation,
    MembershipStatus,
    Network,
    NetworkMembership,
    SlugTaken,
    membership_id,
)
from huddle_membership.read_models import MembershipReadModels, Roster

View = TypeVar("View")

NETWORKS = "networks"
NETWORK_MEMBERSHIPS = "network_memberships"
INVITATIONS = "invitations"
INVITATION_USES = "invitation_uses"
NETWORK_CLAIMS = "network_claims"
# Collections whose documents carry an outbox (for the relay).
OUTBOX_COLLECTIONS = (NETWORKS, NETWORK_MEMBERSHIPS)


@dataclass(frozen=True)
class InvitationUse:
    """An invitation's one use, claimed by inserting it: who used it, when, for what."""

    token_hash: str
    slug: str
    member_id: UUID
    role: Role
    used_at: datetime
    # When the invitee accepted the network's ground rules (None: it had none).
    ground_rules_accepted_at: datetime | None = None


class NetworkRepository:
    def __init__(
        self,
        database: AsyncDatabase[Any],
        relay: OutboxRelay,
        instance_id: str,
        *,
        abandoned_after: timedelta = ABANDONED_AFTER,
        read_models: MembershipReadModels | None = None,
    ) -> None:
        # Reads of networks, a member's memberships and rosters come from memory; every
        # write here drops what it changed, so the next read loads it (see ``read_models``).
        self._read_models = read_models or MembershipReadModels()
        self._database_name = database.name
        self._networks = AggregateStore(database[NETWORKS], relay, instance_id)
        self._memberships = AggregateStore(database[NETWORK_MEMBERSHIPS], relay, instance_id)
        self._invitations = database[INVITATIONS]
        self._uses = database[INVITATION_USES]
        self._claims = ClaimLog(database[NETWORK_CLAIMS], grace=abandoned_after)

    async def create_indexes(self) -> None:
        memberships = self._memberships.collection
        await memberships.create_index([("slug", 1), ("status", 1)])
        await memberships.create_index("member_id")
        await memberships.create_index("request_id")
        await self._invitations.create_index("slug")
        await self._invitations.create_index("email_normalised")
        await self._networks.collection.create_index("founder_seated")
        await self._networks.collection.create_index("needs_chair")
        await self._claims.create_indexes()

    # --- Locks (within this process; re-entrant, see ``locks``) ---------------------------

    def network_lock(self, slug: str) -> Any:
        """Around read-decide-write of a network document."""
        return self._networks.lock(slug)

    def membership_lock(self, slug: str, member_id: UUID) -> Any:
        return self._memberships.lock(membership_id(slug, member_id))

    def invitation_lock(self, token_hash: str) -> Any:
        return document_locks.hold((self._database_name, INVITATIONS, token_hash))

    @contextlib.asynccontextmanager
    async def chair_turn(self, slug: str) -> AsyncIterator[None]:
        """Around decisions that depend on how many chairs a network has (a role change,
        leaving, erasure): one at a time per network, in this process (the lock) and across
        processes (a claimed turn; ``ConcurrentChange`` while another process has it)."""
        async with (
            document_locks.hold((self._database_name, "network_chairs", slug)),
            self._claims.turn(f"chairs:{slug}"),
        ):
            yield

    async def _claim_version(self, subject: str, version: int) -> int:
        """Claim the next version of a stored document; ``ConcurrentChange`` if taken."""
        return await self._claims.claim_version(subject, version)

    async def _apply_claimed(
        self,
        store: AggregateStore,
        subject: str,
        doc_id: str,
        version: int,
        fields: Any,
        events: Any,
    ) -> int:
        seq = await self._claim_version(subject, version)
        if not await store.update(
            doc_id, {**fields, "version": seq}, events, expect={"version": version}
        ):
            await self._claims.settle_seq(subject, seq)  # written by nobody: let others on
            raise ConcurrentChange()
        return seq

    # --- Networks ---------------------------------------------------------------------------

    async def add_network(self, network: Network) -> None:
        document = {"_id": network.slug, **_network_fields(network), "version": 1}
        try:
            await self._networks.insert(dict(document), network.pending_events)
        except DuplicateKeyError:
            raise SlugTaken(network.slug) from None
        finally:
            self._read_models.network_changed(network.slug)
        network.version = 1
        network.pending_events.clear()

    async def save_network(self, network: Network) -> None:
        fields = _network_fields(network)
        try:
            network.version = await self._apply_claimed(
                self._networks,
                f"network:{network.slug}",
                network.slug,
                network.version,
                fields,
                network.pending_events,
            )
        finally:
            self._read_models.network_changed(network.slug)  # the next read loads it
        network.pending_events.clear()

    async def get_network(self, slug: str) -> Network | None:
        document = await self._read_models.networks.get(
            slug, lambda: self._networks.collection.find_one({"_id": slug}, {OUTBOX_FIELD: 0})
        )
        return _network(document) if document else None

    async def all_networks(self) -> list[Network]:
        async def load() -> tuple[dict[str, Any], ...]:
            cursor = self._networks.collection.find({}, {OUTBOX_FIELD: 0}).sort("_id", 1)
            return tuple([document async for document in cursor])

        documents = await self._read_models.network_list.get(None, load)
        return [_network(document) for document in documents or ()]

    async def networks_where(self, **flags: bool) -> list[Network]:
        """Networks by flag: ``needs_chair=True``, ``founder_seated=False``."""
        cursor = self._networks.collection.find(flags, {OUTBOX_FIELD: 0}).sort("_id", 1)
        return [_network(document) async for document in cursor]

    async def count_networks(self) -> int:
        return await self._networks.collection.count_documents({})

    # --- Memberships ------------------------------------------------------------------------

    async def save_membership(self, membership: NetworkMembership) -> None:
        """Insert a new membership or update a stored one; ``ConcurrentChange`` if another
        writer got there first (re-read and decide again)."""
        try:
            await self._write_membership(membership)
        finally:
            self._read_models.membership_changed(membership.slug, membership.member_id)

    async def _write_membership(self, membership: NetworkMembership) -> None:
        fields = _membership_fields(membership)
        if membership.version == 0:
            try:
                await self._memberships.insert(
                    {"_id": membership.id, **fields, "version": 1}, membership.pending_events
                )
            except DuplicateKeyError:
                raise ConcurrentChange() from None
            membership.version = 1
        else:
            membership.version = await self._apply_claimed(
                self._memberships,
                f"membership:{membership.id}",
                membership.id,
                membership.version,
                fields,
                membership.pending_events,
            )
        membership.pending_events.clear()

    async def delete_membership(self, membership: NetworkMembership) -> None:
        """Erasure: the membership goes (its events were published when they happened)."""
        try:
            await self._memberships.collection.delete_one({"_id": membership.id})
        finally:
            self._read_models.membership_changed(membership.slug, membership.member_id)

    async def get_membership(self, slug: str, member_id: UUID) -> NetworkMembership | None:
        """From the member's memberships in memory. A decision made on one that another
        replica has just changed fails its write (``ConcurrentChange``), which drops it."""
        return (await self.memberships_of(member_id)).get(slug)

    async def memberships_of(self, member_id: UUID) -> dict[str, NetworkMembership]:
        """The member's memberships (any status), by network slug."""

        async def load() -> tuple[tuple[str, dict[str, Any]], ...]:
            cursor = self._memberships.collection.find(
                {"member_id": str(member_id)}, {OUTBOX_FIELD: 0}
            )
            return tuple([(document["slug"], document) async for document in cursor])

        documents = await self._read_models.memberships.get(str(member_id), load)
        return {slug: _membership(document) for slug, document in documents or ()}

    async def roster(self, slug: str) -> Roster:
        """Who is active in the network and in what role, from memory (one query to load)."""

        async def load() -> Roster:
            cursor = self._memberships.collection.find(
                {"slug": slug, "status": MembershipStatus.ACTIVE.value},
                {"member_id": 1, "role": 1},
            )
            return tuple([(UUID(d["member_id"]), Role(d["role"])) async for d in cursor])

        return await self._read_models.rosters.get(slug, load) or ()

    async def listed_roster(self, slug: str, build: Callable[[], Awaitable[View]]) -> View:
        """The network's listed roster as built by ``build``, kept until one of its members
        or memberships changes (the same for every member who may see it)."""
        view = await self._read_models.roster_views.get(slug, build)
        assert view is not None  # build always returns one
        return view

    async def warm(self) -> None:
        """Networks and their rosters into memory at start: two queries."""
        models = self._read_models
        epoch = models.rosters.epoch()
        rosters: dict[str, list[tuple[UUID, Role]]] = {}
        async for document in self._memberships.collection.find(
            {"status": MembershipStatus.ACTIVE.value}, {"slug": 1, "member_id": 1, "role": 1}
        ):
            rosters.setdefault(document["slug"], []).append(
                (UUID(document["member_id"]), Role(document["role"]))
            )
        models.rosters.fill_if_current(epoch, {k: tuple(v) for k, v in rosters.items()})
        epoch = models.networks.epoch()
        await self.all_networks()  # loads the list
        documents = models.network_list.peek(None) or ()
        models.networks.fill_if_current(epoch, {d["_id"]: d for d in documents})

    async def export_memberships(self, member_id: UUID) -> list[dict[str, Any]]:
        cursor = self._memberships.collection.find({"member_id": str(member_id)}, {OUTBOX_FIELD: 0})
        return [document async for document in cursor]

    async def find_request(self, slug: str, request_id: UUID) -> NetworkMembership | None:
        document = await self._memberships.collection.find_one(
            {"slug": slug, "request_id": str(request_id)}, {OUTBOX_FIELD: 0}
        )
        return _membership(document) if document else None

    async def with_status(self, slug: str, status: MembershipStatus) -> list[NetworkMembership]:
        cursor = self._memberships.collection.find(
            {"slug": slug, "status": status.value}, {OUTBOX_FIELD: 0}
        )
        return [_membership(document) async for document in cursor]

    async def count_chairs(self, slug: str) -> int:
        return await self._memberships.collection.count_documents(
            {"slug": slug, "status": MembershipStatus.ACTIVE.value, "role": Role.CHAIR.value}
        )

    # --- Invitations ------------------------------------------------------------------------

    async def add_invitation(self, invitation: Invitation) -> None:
        await self._invitations.insert_one(
            {
                "_id": invitation.token_hash,
                "slug": invitation.slug,
                "email_normalised": invitation.email_normalised,
                "role": invitation.role.value,
                "invited_by": str(invitation.invited_by),
                "created_at": invitation.created_at,
                "expires_at": invitation.expires_at,
                "used_by": None,
                "used_at": None,
            }
        )

    async def get_invitation(self, token_hash: str) -> Invitation | None:
        document = await self._invitations.find_one({"_id": token_hash})
        return _invitation(document) if document else None

    async def invitations_for(self, slug: str) -> list[Invitation]:
        """The network's invitations, newest first."""
        cursor = self._invitations.find({"slug": slug}).sort("created_at", -1)
        return [_invitation(document) async for document in cursor]

    async def claim_use(self, use: InvitationUse) -> InvitationUse:
        """Use the invitation, unless it was used first: returns the use that holds."""
        try:
            await self._uses.insert_one(
                {
                    "_id": use.token_hash,
                    "slug": use.slug,
                    "member_id": str(use.member_id),
                    "role": use.role.value,
                    "used_at": use.used_at,
                    "ground_rules_accepted_at": use.ground_rules_accepted_at,
                    "completed": False,
                }
            )
            return use
        except DuplicateKeyError:
            existing = await self.use_of(use.token_hash)
            if existing is None:  # pragma: no cover - a use is never deleted before its invitation
                raise ConcurrentChange() from None
            return existing

    async def use_of(self, token_hash: str) -> InvitationUse | None:
        document = await self._uses.find_one({"_id": token_hash})
        return _use(document) if document else None

    async def unfinished_uses(self) -> list[InvitationUse]:
        return [_use(document) async for document in self._uses.find({"completed": False})]

    async def complete_use(self, use: InvitationUse) -> None:
        """The membership is written: record the use on the invitation too (for reading)."""
        async with self.invitation_lock(use.token_hash):
            await self._invitations.update_one(
                {"_id": use.token_hash},
                {"$set": {"used_by": str(use.member_id), "used_at": use.used_at}},
            )
            await self._uses.update_one({"_id": use.token_hash}, {"$set": {"completed": True}})

    async def erase_traces_of(self, member_id: UUID) -> None:
        """What records the member's past memberships once those are gone: their invitation
        uses and the claim log of their memberships (``membership:<slug>:<member id>``)."""
        await self._uses.delete_many({"member_id": str(member_id)})
        pattern = f"^membership:[^:]+:{re.escape(str(member_id))}$"
        await self._claims.collection.delete_many({"subject": {"$regex": pattern}})

    async def erase_invitations_to(self, email_normalised: str) -> None:
        hashes = [
            document["_id"]
            async for document in self._invitations.find(
                {"email_normalised": email_normalised}, {"_id": 1}
            )
        ]
        await self._invitations.delete_many({"_id": {"$in": hashes}})


def _invitation(document: dict[str, Any]) -> Invitation:
    return Invitation(
        token_hash=document["_id"],
        slug=document["slug"],
        email_normalised=document["email_normalised"],
        role=Role(document["role"]),
        invited_by=UUID(document["invited_by"]),
        created_at=document["created_at"],
        expires_at=document["expires_at"],
        used_by=_uuid(document.get("used_by")),
        used_at=document.get("used_at"),
    )


def _use(document: dict[str, Any]) -> InvitationUse:
    return InvitationUse(
        token_hash=document["_id"],
        slug=document["slug"],
        member_id=UUID(document["member_id"]),
        role=Role(document["role"]),
        used_at=document["used_at"],
        ground_rules_accepted_at=document.get("ground_rules_accepted_at"),
    )


def _uuid(value: str | None) -> UUID | None:
    return UUID(value) if value else None


def _network_fields(network: Network) -> dict[str, Any]:
    return {
        "name": network.name,
        "purpose": network.purpose,
        "parent_slug": network.parent_slug,
        "visibility": network.visibility.value,
        "allowed_member_types": [member_type.value for member_type in network.allowed_member_types],
        "ground_rules": network.ground_rules,
        "never_recorded": network.never_recorded,
        "glossary": network.glossary,
        "region": network.region.value if network.region else None,
        "created_at": network.created_at,
        "created_by": str(network.created_by),
        "founder_seated": network.founder_seated,
        "needs_chair": network.needs_chair,
    }


def _network(document: dict[str, Any]) -> Network:
    return Network(
        slug=document["_id"],
        name=document["name"],
        purpose=document["purpose"],
        parent_slug=document.get("parent_slug"),
        visibility=Visibility(document["visibility"]),
        allowed_member_types=[MemberType(value) for value in document["allowed_member_types"]],
        ground_rules=list(document["ground_rules"]),
        glossary=dict(document["glossary"]),
        region=Region(document["region"]) if document.get("region") else None,
        created_at=document["created_at"],
        created_by=UUID(document["created_by"]),
        founder_seated=document.get("founder_seated", True),  # older networks were seated
        needs_chair=document.get("needs_chair", False),
        never_recorded=document.get("never_recorded", False),
        version=document["version"],
    )


def _membership_fields(membership: NetworkMembership) -> dict[str, Any]:
    return {
        "slug": membership.slug,
        "member_id": str(membership.member_id),
        "role": membership.role.value,
        "status": membership.status.value,
        "message": membership.message,
        "requested_at": membership.requested_at,
        "request_id": str(membership.request_id) if membership.request_id else None,
        "joined_at": membership.joined_at,
        "left_at": membership.left_at,
        "decided_by": str(membership.decided_by) if membership.decided_by else None,
        "decided_at": membership.decided_at,
        "decision_message": membership.decision_message,
        "ground_rules_accepted_at": membership.ground_rules_accepted_at,
    }


def _membership(document: dict[str, Any]) -> NetworkMembership:
    return NetworkMembership(
        slug=document["slug"],
        member_id=UUID(document["member_id"]),
        role=Role(document["role"]),
        status=MembershipStatus(document["status"]),
        message=document.get("message", ""),
        requested_at=document.get("requested_at"),
        request_id=_uuid(document.get("request_id")),
        joined_at=document.get("joined_at"),
        left_at=document.get("left_at"),
        decided_by=_uuid(document.get("decided_by")),
        decided_at=document.get("decided_at"),
        decision_message=document.get("decision_message", ""),
        ground_rules_accepted_at=document.get("ground_rules_accepted_at"),
        version=document.get("version", 1),
    )
