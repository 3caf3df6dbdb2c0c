"""The directory's storage: entries (with their history and outbox), suggestions, the
members it knows (names, admin flag, status), designated curators, and stale reminders.

FerretDB v1 applies no update atomically: read-modify-write of one entry or suggestion
happens under its lock (in-process) and writes back only if its ``version`` is still the
one read (across replicas). Reminders are claimed by ``_id`` (one per week, whichever
replica asks first). Searches never query these collections: the index is in memory.
"""

from collections.abc import AsyncIterator
from datetime import UTC, date, datetime
from typing import Any
from uuid import UUID

from huddle_shared.contracts.envelope import EventEnvelope, EventPayload
from huddle_shared.contracts.signposting import FieldChange, HistoryAction
from huddle_shared.errors import Conflict
from huddle_shared.storage.aggregates import AggregateStore
from huddle_shared.storage.locks import document_locks
from huddle_shared.storage.outbox import OUTBOX_FIELD, SEQUENCE_FIELD, OutboxRelay, stage
from huddle_shared.storage.tombstones import MemberProjection
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import DuplicateKeyError

from huddle_signposting.directory.domain import (
    Change,
    Entry,
    EntryNotFound,
    Suggestion,
    SuggestionNotFound,
)

SERVICES = "directory_services"
SUGGESTIONS = "directory_suggestions"
MEMBERS = "directory_members"
CURATORS = "directory_curators"
REMINDERS = "directory_reminders"


class ChangedMeanwhile(Conflict, detail="Someone changed this at the same moment; try again."):
    """Another replica saved the document between our read and write (a retryable 409)."""

    retryable = True


def _uuid(value: str | None) -> UUID | None:
    return UUID(value) if value else None


def _change_document(change: Change) -> dict[str, Any]:
    return {
        "at": change.at,
        "by": str(change.by) if change.by else None,
        "action": change.action.value,
        "changes": [c.model_dump(mode="json") for c in change.changes],
        "note": change.note,
    }


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def entry_document(entry: Entry) -> dict[str, Any]:
    return {
        "organization": entry.organization,
        "fields": entry.fields,
        "created_at": entry.created_at,
        "last_modified": entry.last_modified,
        "last_checked_on": entry.last_checked_on.isoformat(),
        "last_checked_by": str(entry.last_checked_by) if entry.last_checked_by else None,
        "retired": entry.retired,
        "history": [_change_document(c) for c in entry.history],
        "version": entry.version,
    }


def entry_of(document: dict[str, Any]) -> Entry:
    return Entry(
        id=UUID(document["_id"]),
        organization=document["organization"],
        fields=document["fields"],
        created_at=_aware(document["created_at"]),
        last_modified=_aware(document["last_modified"]),
        last_checked_on=date.fromisoformat(document["last_checked_on"]),
        last_checked_by=_uuid(document.get("last_checked_by")),
        retired=bool(document.get("retired")),
        history=[
            Change(
                at=_aware(c["at"]),
                by=_uuid(c.get("by")),
                action=HistoryAction(c["action"]),
                changes=[FieldChange.model_validate(x) for x in c["changes"]],
                note=c.get("note"),
            )
            for c in document.get("history", [])
        ],
        version=document.get("version", 0),
    )


class Entries:
    def __init__(self, database: AsyncDatabase[Any], relay: OutboxRelay, instance_id: str) -> None:
        self._store = AggregateStore(database[SERVICES], relay, instance_id)

    @property
    def collection(self) -> Any:
        return self._store.collection

    def lock(self, service_id: UUID) -> Any:
        return self._store.lock(str(service_id))

    async def add(self, entry: Entry) -> None:
        entry.version = 1
        document = {"_id": str(entry.id), **entry_document(entry)}
        await self._store.insert(document, entry.pending_events)
        entry.pending_events = []

    async def add_many(self, entries: list[Entry]) -> None:
        """Entries loaded in bulk (the demo directory): one write, their events staged."""
        documents = []
        for entry in entries:
            entry.version = 1
            envelopes = self._store.envelopes(entry.pending_events, str(entry.id))
            documents.append(
                {
                    "_id": str(entry.id),
                    **entry_document(entry),
                    OUTBOX_FIELD: stage(envelopes),
                    SEQUENCE_FIELD: len(envelopes),
                }
            )
            entry.pending_events = []
        if documents:
            await self.collection.insert_many(documents, ordered=False)

    async def get(self, service_id: UUID) -> Entry:
        document = await self.collection.find_one({"_id": str(service_id)})
        if document is None:
            raise EntryNotFound(service_id)
        return entry_of(document)

    async def find(self, service_id: UUID) -> Entry | None:
        document = await self.collection.find_one({"_id": str(service_id)})
        return entry_of(document) if document else None

    async def save(self, entry: Entry) -> None:
        """Write back an entry read under ``lock``, with the events it recorded."""
        version = entry.version
        entry.version += 1
        document = entry_document(entry)
        saved = await self._store.update(
            str(entry.id), document, entry.pending_events, expect={"version": version}
        )
        if not saved:
            entry.version = version
            raise ChangedMeanwhile()
        entry.pending_events = []

    async def all(self) -> AsyncIterator[Entry]:
        async for document in self.collection.find({}):
            yield entry_of(document)

    async def ids_naming(self, member_id: UUID) -> list[UUID]:
        """Entries whose history or last check names the member (erasure)."""
        who = str(member_id)
        query = {"$or": [{"last_checked_by": who}, {"history.by": who}]}
        return [UUID(d["_id"]) async for d in self.collection.find(query, {"_id": 1})]


def suggestion_document(s: Suggestion) -> dict[str, Any]:
    return {
        "service_id": str(s.service_id),
        "given": s.given,
        "changes": [c.model_dump(mode="json") for c in s.changes],
        "comment": s.comment,
        "suggested_by": str(s.suggested_by) if s.suggested_by else None,
        "suggested_at": s.suggested_at,
        "state": s.state,
        "decided_by": str(s.decided_by) if s.decided_by else None,
        "decided_at": s.decided_at,
        "decline_reason": s.decline_reason,
    }


def suggestion_of(d: dict[str, Any]) -> Suggestion:
    return Suggestion(
        id=UUID(d["_id"]),
        service_id=UUID(d["service_id"]),
        given=d["given"],
        changes=[FieldChange.model_validate(c) for c in d["changes"]],
        comment=d["comment"],
        suggested_by=_uuid(d.get("suggested_by")),
        suggested_at=_aware(d["suggested_at"]),
        state=d["state"],
        decided_by=_uuid(d.get("decided_by")),
        decided_at=_aware(d["decided_at"]) if d.get("decided_at") else None,
        decline_reason=d.get("decline_reason"),
    )


class Suggestions:
    def __init__(self, database: AsyncDatabase[Any]) -> None:
        self.collection = database[SUGGESTIONS]

    def lock(self, suggestion_id: UUID) -> Any:
        key = (self.collection.database.name, SUGGESTIONS, str(suggestion_id))
        return document_locks.hold(key)

    async def add(self, suggestion: Suggestion) -> None:
        document = {"_id": str(suggestion.id), **suggestion_document(suggestion), "version": 1}
        await self.collection.insert_one(document)

    async def get(self, suggestion_id: UUID) -> tuple[Suggestion, int]:
        document = await self.collection.find_one({"_id": str(suggestion_id)})
        if document is None:
            raise SuggestionNotFound(suggestion_id)
        return suggestion_of(document), document.get("version", 1)

    async def save(self, suggestion: Suggestion, version: int) -> None:
        result = await self.collection.update_one(
            {"_id": str(suggestion.id), "version": version},
            {"$set": {**suggestion_document(suggestion), "version": version + 1}},
        )
        if not result.matched_count:
            raise ChangedMeanwhile()

    async def listed(self, state: str | None, service_id: UUID | None) -> list[Suggestion]:
        query: dict[str, Any] = {}
        if state is not None:
            query["state"] = state
        if service_id is not None:
            query["service_id"] = str(service_id)
        found = [suggestion_of(d) async for d in self.collection.find(query)]
        return sorted(found, key=lambda s: s.suggested_at)

    async def forget(self, member_id: UUID) -> None:
        """Open suggestions of an erased member go (their comment is theirs); decided
        ones stay, by a former member."""
        who = str(member_id)
        await self.collection.delete_many({"suggested_by": who, "state": "open"})
        await self.collection.update_many({"suggested_by": who}, {"$set": {"suggested_by": None}})
        await self.collection.update_many({"decided_by": who}, {"$set": {"decided_by": None}})

    async def export(self, member_id: UUID) -> list[dict[str, Any]]:
        who = str(member_id)
        cursor = self.collection.find({"suggested_by": who}, {"version": 0})
        return [document async for document in cursor]


class DirectoryMembers(MemberProjection):
    """Members as the directory knows them: display name, instance admin, status. Kept in
    order (``apply_in_order``): a redelivered registration must not undo a later change."""

    def __init__(self, database: AsyncDatabase[Any]) -> None:
        super().__init__(database, MEMBERS)

    async def record(
        self, member_id: UUID, fields: dict[str, Any], *, envelope: EventEnvelope
    ) -> bool:
        return await self.apply_in_order(member_id, {"$set": fields}, envelope=envelope)

    async def get(self, member_id: UUID) -> dict[str, Any] | None:
        return await self.collection.find_one({"_id": str(member_id)})

    async def names_of(self, member_ids: set[UUID]) -> dict[UUID, str]:
        if not member_ids:
            return {}
        query = {"_id": {"$in": [str(m) for m in member_ids]}}
        cursor = self.collection.find(query, {"display_name": 1})
        return {UUID(d["_id"]): d["display_name"] async for d in cursor if d.get("display_name")}

    async def instance_admins(self) -> list[dict[str, Any]]:
        return [d async for d in self.collection.find({"is_instance_admin": True})]


class DesignatedCurators(MemberProjection):
    """Members an instance admin designated as curators (``_id`` the member)."""

    def __init__(self, database: AsyncDatabase[Any]) -> None:
        super().__init__(database, CURATORS)

    async def is_designated(self, member_id: UUID) -> bool:
        return bool(await self.collection.count_documents({"_id": str(member_id)}, limit=1))

    async def designate(self, member_id: UUID, *, by: UUID, at: datetime) -> None:
        await self.collection.update_one(
            {"_id": str(member_id)},
            {"$set": {"designated_by": str(by), "designated_at": at}},
            upsert=True,
        )

    async def undesignate(self, member_id: UUID) -> None:
        await self.collection.delete_one({"_id": str(member_id)})

    async def all_ids(self) -> list[UUID]:
        return [UUID(d["_id"]) async for d in self.collection.find({}, {"_id": 1})]


class Reminders:
    """One stale reminder per period, claimed by its ``_id`` with its event in the outbox."""

    def __init__(self, database: AsyncDatabase[Any], relay: OutboxRelay, instance_id: str) -> None:
        self._store = AggregateStore(database[REMINDERS], relay, instance_id)

    @property
    def collection(self) -> Any:
        return self._store.collection

    async def claim(self, key: str, at: datetime, event: EventPayload) -> bool:
        try:
            await self._store.insert({"_id": key, "at": at}, [event])
        except DuplicateKeyError:
            return False
        return True
