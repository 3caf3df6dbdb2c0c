"""Networks' MongoDB storage: networks, network memberships and invitations.

- ``networks``: ``_id`` is the slug, so a slug is unique without another index.
- ``network_memberships``: ``_id`` is ``<slug>:<member id>``: one per member and network, so a
  repeated or concurrent join can never make a second one.
- ``invitations``: ``_id`` is the SHA-256 of the token; the token itself is never stored.

Writes that cause events go through ``AggregateStore`` (state and outbox in one write).
Networks and memberships carry a ``version``: an update applies only if nobody wrote the
document since it was read (``expect``), across processes; ``ConcurrentChange`` otherwise.
Within the process, handlers hold the documents' locks around read-decide-write (FerretDB v1
does not apply concurrent updates of one document atomically; see ``locks``).
"""

from dataclasses import dataclass
from typing import Any
from uuid import UUID

from huddle_shared.contracts.membership import MemberType, Region
from huddle_shared.contracts.networks import Role, Visibility
from huddle_shared.errors import Conflict
from huddle_shared.storage.aggregates import AggregateStore
from huddle_shared.storage.locks import document_locks
from huddle_shared.storage.outbox import OUTBOX_FIELD, OutboxRelay
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import DuplicateKeyError

from huddle_membership.network_domain import (
    Invitation,
    MembershipStatus,
    Network,
    NetworkMembership,
    SlugTaken,
    membership_id,
)
from huddle_membership.repository import MEMBERS

NETWORKS = "networks"
NETWORK_MEMBERSHIPS = "network_memberships"
INVITATIONS = "invitations"
# Collections whose documents carry an outbox (for the relay).
OUTBOX_COLLECTIONS = (NETWORKS, NETWORK_MEMBERSHIPS)


class ConcurrentChange(Conflict):
    def __init__(self) -> None:
        super().__init__("Someone changed this at the same moment; try again.")


@dataclass(frozen=True)
class MemberProfile:
    """What network pages show of a member (read from membership's ``members``)."""

    member_id: UUID
    display_name: str
    job_title: str
    email: str
    topics: list[str]
    listed_in_directory: bool
    contactable: bool
    status: str


class NetworkRepository:
    def __init__(self, database: AsyncDatabase[Any], relay: OutboxRelay, instance_id: str) -> None:
        self._database_name = database.name
        self._networks = AggregateStore(database[NETWORKS], relay, instance_id)
        self._memberships = AggregateStore(database[NETWORK_MEMBERSHIPS], relay, instance_id)
        self._invitations = AggregateStore(database[INVITATIONS], relay, instance_id)
        self._members = database[MEMBERS]

    async def create_indexes(self) -> None:
        memberships = self._memberships.collection
        await memberships.create_index([("slug", 1), ("status", 1)])
        await memberships.create_index("member_id")
        await memberships.create_index("request_id")
        await self._invitations.collection.create_index("slug")
        await self._invitations.collection.create_index("email_normalised")

    # --- Locks (within this process; re-entrant, see ``locks``) ---------------------------

    def network_lock(self, slug: str) -> Any:
        """Around read-decide-write of a network document."""
        return self._networks.lock(slug)

    def roster_lock(self, slug: str) -> Any:
        """Around changes that depend on how many chairs a network has (role, leaving)."""
        return document_locks.hold((self._database_name, "network_rosters", slug))

    def membership_lock(self, slug: str, member_id: UUID) -> Any:
        return self._memberships.lock(membership_id(slug, member_id))

    def invitation_lock(self, token_hash: str) -> Any:
        return self._invitations.lock(token_hash)

    # --- Networks ---------------------------------------------------------------------------

    async def add_network(self, network: Network) -> None:
        document = {"_id": network.slug, **_network_fields(network), "version": 1}
        try:
            await self._networks.insert(document, network.pending_events)
        except DuplicateKeyError:
            raise SlugTaken(network.slug) from None
        network.version = 1
        network.pending_events.clear()

    async def save_network(self, network: Network) -> None:
        fields = {**_network_fields(network), "version": network.version + 1}
        if not await self._networks.update(
            network.slug, fields, network.pending_events, expect={"version": network.version}
        ):
            raise ConcurrentChange()
        network.version += 1
        network.pending_events.clear()

    async def get_network(self, slug: str) -> Network | None:
        document = await self._networks.collection.find_one({"_id": slug}, {OUTBOX_FIELD: 0})
        return _network(document) if document else None

    async def all_networks(self) -> list[Network]:
        cursor = self._networks.collection.find({}, {OUTBOX_FIELD: 0}).sort("_id", 1)
        return [_network(document) async for document in cursor]

    # --- Memberships ------------------------------------------------------------------------

    async def save_membership(self, membership: NetworkMembership) -> None:
        """Insert a new membership or update a stored one; ``ConcurrentChange`` if another
        process got there first (re-read and decide again)."""
        fields = {**_membership_fields(membership), "version": membership.version + 1}
        if membership.version == 0:
            try:
                await self._memberships.insert(
                    {"_id": membership.id, **fields}, membership.pending_events
                )
            except DuplicateKeyError:
                raise ConcurrentChange() from None
        elif not await self._memberships.update(
            membership.id, fields, membership.pending_events, expect={"version": membership.version}
        ):
            raise ConcurrentChange()
        membership.version += 1
        membership.pending_events.clear()

    async def get_membership(self, slug: str, member_id: UUID) -> NetworkMembership | None:
        document = await self._memberships.collection.find_one(
            {"_id": membership_id(slug, member_id)}, {OUTBOX_FIELD: 0}
        )
        return _membership(document) if document else None

    async def memberships_of(self, member_id: UUID) -> dict[str, NetworkMembership]:
        """The member's memberships (any status), by network slug."""
        cursor = self._memberships.collection.find({"member_id": str(member_id)}, {OUTBOX_FIELD: 0})
        return {document["slug"]: _membership(document) async for document in cursor}

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
        await self._invitations.insert(
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
            },
            [],
        )

    async def get_invitation(self, token_hash: str) -> Invitation | None:
        document = await self._invitations.collection.find_one({"_id": token_hash})
        if document is None:
            return None
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

    async def mark_used(self, invitation: Invitation) -> None:
        """Record the invitation's first use; ``ConcurrentChange`` if it was used meanwhile."""
        if not await self._invitations.update(
            invitation.token_hash,
            {"used_by": str(invitation.used_by), "used_at": invitation.used_at},
            [],
            expect={"used_at": None},
        ):
            raise ConcurrentChange()

    # --- Members (read only; the member aggregate belongs to ``repository``) ------------------

    async def member_profiles(self, member_ids: list[UUID]) -> dict[UUID, MemberProfile]:
        if not member_ids:
            return {}
        cursor = self._members.find(
            {"_id": {"$in": [str(member_id) for member_id in member_ids]}},
            {
                "display_name": 1,
                "job_title": 1,
                "email": 1,
                "topics": 1,
                "listed_in_directory": 1,
                "contactable": 1,
                "status": 1,
            },
        )
        profiles = [
            MemberProfile(
                member_id=UUID(document["_id"]),
                display_name=document.get("display_name", ""),
                job_title=document.get("job_title", ""),
                email=document.get("email", ""),
                topics=list(document.get("topics", [])),
                listed_in_directory=bool(document.get("listed_in_directory", False)),
                contactable=bool(document.get("contactable", False)),
                status=document.get("status", ""),
            )
            async for document in cursor
        ]
        return {profile.member_id: profile for profile in profiles}


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
        "glossary": network.glossary,
        "region": network.region.value if network.region else None,
        "created_at": network.created_at,
        "created_by": str(network.created_by),
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
        version=document.get("version", 1),
    )
