"""A service's own projection of who belongs to which network, and in what role.

Services that authorise by network membership (notes, scheduling) keep this from
membership's network events, so they decide from their own data at request time. An erased
member is buried (``tombstones``): no network event handled after that, in whatever order
or however often it arrives, brings an entry back. Entries are kept in order
(``apply_in_order``): a join retried after the leave that followed it must not make the
member active again.
"""

from typing import TYPE_CHECKING, Any
from uuid import UUID

from pymongo.asynchronous.database import AsyncDatabase

from huddle_shared.contracts.envelope import EventEnvelope
from huddle_shared.contracts.membership import MemberErasedV1
from huddle_shared.contracts.networks import (
    NetworkMemberJoinedV1,
    NetworkMemberLeftV1,
    NetworkMemberRoleChangedV1,
    Role,
)
from huddle_shared.messaging.consumer import EventDispatcher
from huddle_shared.services import MEMBERSHIP
from huddle_shared.storage.idempotency import apply_in_order
from huddle_shared.storage.tombstones import MemberDocuments, MemberTombstones

if TYPE_CHECKING:  # the builder imports the messaging stack; the roster needs only its type
    from huddle_shared.service import ServiceBuilder

NETWORK_ROSTER = "network_roster"


class NetworkRoster:
    def __init__(self, database: AsyncDatabase[Any]) -> None:
        self._collection = database[NETWORK_ROSTER]
        self._tombstones = MemberTombstones(database)

    def _about(self, member_id: UUID) -> MemberDocuments:
        return self._collection, {"member_id": str(member_id)}

    async def create_indexes(self) -> None:
        await self._collection.create_index("member_id")

    async def role_of(self, slug: str, member_id: UUID) -> Role | None:
        document = await self._collection.find_one(
            {"_id": f"{slug}:{member_id}", "active": True}, {"role": 1}
        )
        return Role(document["role"]) if document else None

    async def networks_of(self, member_id: UUID) -> dict[str, Role]:
        cursor = self._collection.find({"member_id": str(member_id), "active": True})
        return {document["slug"]: Role(document["role"]) async for document in cursor}

    async def fellow_members(self, member_id: UUID) -> set[UUID]:
        """Everyone active in a network the member is active in (the member too)."""
        slugs = list(await self.networks_of(member_id))
        if not slugs:
            return set()
        cursor = self._collection.find({"slug": {"$in": slugs}, "active": True}, {"member_id": 1})
        return {UUID(document["member_id"]) async for document in cursor}

    async def _set(
        self, envelope: EventEnvelope, slug: str, member_id: UUID, **fields: Any
    ) -> None:
        update = {"$set": {"slug": slug, "member_id": str(member_id), **fields}}
        doc_id = f"{slug}:{member_id}"
        await self._tombstones.unless_erased(
            member_id,
            self._about(member_id),
            lambda: apply_in_order(self._collection, doc_id, envelope, update),
        )

    async def on_joined(self, envelope: EventEnvelope, event: NetworkMemberJoinedV1) -> None:
        await self._set(envelope, event.slug, event.member_id, role=event.role.value, active=True)

    async def on_role_changed(
        self, envelope: EventEnvelope, event: NetworkMemberRoleChangedV1
    ) -> None:
        await self._set(envelope, event.slug, event.member_id, role=event.role.value)

    async def on_left(self, envelope: EventEnvelope, event: NetworkMemberLeftV1) -> None:
        await self._set(envelope, event.slug, event.member_id, active=False)

    async def on_erased(self, envelope: EventEnvelope, event: MemberErasedV1) -> None:
        member_id = event.member_id
        await self._tombstones.erase(member_id, str(envelope.event_id), [self._about(member_id)])

    def attach(self, service: "ServiceBuilder", *, used_for: str) -> None:
        """Keep this roster in ``service``, as the durable ``<service>-network-roster``."""
        dispatcher = EventDispatcher()
        self.subscribe(dispatcher)
        service.consume_into(
            dispatcher,
            stream=MEMBERSHIP.stream,
            durable=f"{service.spec.name}-network-roster",
            description=f"Who belongs to which network, in what role: {used_for}.",
        )
        service.on_start(self.create_indexes)

    def subscribe(self, dispatcher: EventDispatcher) -> None:
        dispatcher.on(NetworkMemberJoinedV1, self.on_joined)
        dispatcher.on(NetworkMemberRoleChangedV1, self.on_role_changed)
        dispatcher.on(NetworkMemberLeftV1, self.on_left)
        dispatcher.on(MemberErasedV1, self.on_erased)
