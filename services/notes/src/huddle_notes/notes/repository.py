"""The notes area's storage: notes (with their outbox), the acceptances audit log, and the
projections notes keeps from other services' events.

FerretDB v1 applies no update atomically: read-modify-write of one note happens under
``lock(note_id)`` (in-process; one replica per service on FerretDB). Acceptances are
append-only: one document per (note, finding), its ``_id`` the claim, so a second
acceptance of the same finding is refused by the unique ``_id`` whatever the race.
"""

import uuid
from datetime import UTC, date, datetime
from typing import Any
from uuid import UUID

from huddle_shared.contracts.envelope import EventEnvelope
from huddle_shared.contracts.networks import Visibility
from huddle_shared.contracts.notes import Finding, FindingCategory, NoteState
from huddle_shared.storage.aggregates import AggregateStore
from huddle_shared.storage.idempotency import BOOKKEEPING_FIELDS, apply_in_order, apply_once
from huddle_shared.storage.outbox import OutboxRelay
from huddle_shared.storage.tombstones import MemberProjection
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import DuplicateKeyError

from huddle_notes.notes.domain import Move, Note, NoteNotFound, SessionFacts

NOTES = "notes"
ACCEPTANCES = "note_acceptances"
MEMBERS = "note_members"
REDACTION_NAMES = "redaction_names"
ORGANISATIONS = "organisations"
NETWORKS = "networks"
THEMES = "network_themes"
SESSIONS = "sessions"
KNOWLEDGE_REVISIONS = "knowledge_revisions"
INSTANCE = "instance"  # the revision of what every network's knowledge shares


# --- Notes ---------------------------------------------------------------------------------


def _aware(moment: datetime | None) -> datetime | None:
    if moment is None:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _document(note: Note) -> dict[str, Any]:
    return {
        "slug": note.slug,
        "title": note.title,
        "body": note.body,
        "session_id": str(note.session_id) if note.session_id else None,
        "occurrence_start": note.occurrence_start,
        "held_on": note.held_on.isoformat() if note.held_on else None,
        "themes": note.themes,
        "tags": note.tags,
        "resource_ids": [str(r) for r in note.resource_ids],
        "state": note.state.value,
        "author_id": str(note.author_id) if note.author_id else None,
        "created_at": note.created_at,
        "updated_at": note.updated_at,
        "published_at": note.published_at,
        "return_comments": note.return_comments,
        "findings": [f.model_dump(mode="json") for f in note.findings],
        "unresolved_findings": len(note.findings),
        "seen_finding_ids": sorted(note.seen_finding_ids),
        "contributors": sorted(str(c) for c in note.contributors),
        "history": [
            {
                "state": m.state.value,
                "at": m.at,
                "by": str(m.by) if m.by else None,
                "comments": m.comments,
            }
            for m in note.history
        ],
        "version": note.version,
    }


def _note(document: dict[str, Any]) -> Note:
    def uuid_or_none(value: str | None) -> UUID | None:
        return UUID(value) if value else None

    return Note(
        id=UUID(document["_id"]),
        slug=document["slug"],
        title=document["title"],
        body=document["body"],
        session_id=uuid_or_none(document.get("session_id")),
        occurrence_start=_aware(document.get("occurrence_start")),
        held_on=date.fromisoformat(document["held_on"]) if document.get("held_on") else None,
        themes=list(document.get("themes") or []),
        tags=list(document.get("tags") or []),
        resource_ids=[UUID(r) for r in document.get("resource_ids") or []],
        author_id=uuid_or_none(document.get("author_id")),
        created_at=_aware(document["created_at"]),  # type: ignore[arg-type]
        updated_at=_aware(document["updated_at"]),  # type: ignore[arg-type]
        state=NoteState(document["state"]),
        published_at=_aware(document.get("published_at")),
        return_comments=document.get("return_comments"),
        findings=[Finding.model_validate(f) for f in document.get("findings") or []],
        seen_finding_ids=set(document.get("seen_finding_ids") or []),
        contributors={UUID(c) for c in document.get("contributors") or []},
        history=[
            Move(
                state=NoteState(m["state"]),
                at=_aware(m["at"]),  # type: ignore[arg-type]
                by=uuid_or_none(m.get("by")),
                comments=m.get("comments"),
            )
            for m in document.get("history") or []
        ],
        version=document.get("version", 0),
    )


class ChangedMeanwhile(Exception):
    """Another process saved the note between our read and write (MongoDB replicas)."""


class NoteRepository:
    def __init__(self, database: AsyncDatabase[Any], relay: OutboxRelay, instance_id: str) -> None:
        self._store = AggregateStore(database[NOTES], relay, instance_id)

    @property
    def collection(self) -> Any:
        return self._store.collection

    async def create_indexes(self) -> None:
        await self.collection.create_index([("slug", 1), ("state", 1)])
        await self.collection.create_index("author_id")
        await self.collection.create_index("contributors")
        await self.collection.create_index("history.by")

    def lock(self, note_id: UUID) -> Any:
        """Around read-decide-write of one note (FerretDB applies no update atomically)."""
        return self._store.lock(str(note_id))

    async def add(self, note: Note) -> None:
        note.version = 1
        await self._store.insert({"_id": str(note.id), **_document(note)}, note.pending_events)
        note.pending_events = []

    async def get(self, note_id: UUID) -> Note:
        document = await self.collection.find_one({"_id": str(note_id)})
        if document is None:
            raise NoteNotFound(note_id)
        return _note(document)

    async def save(self, note: Note) -> None:
        """Write back a note read under ``lock``, with the events it recorded."""
        version = note.version
        note.version += 1
        saved = await self._store.update(
            str(note.id), _document(note), note.pending_events, expect={"version": version}
        )
        if not saved:
            note.version = version
            raise ChangedMeanwhile()
        note.pending_events = []

    async def submitted_in(self, slugs: list[str] | None) -> list[Note]:
        query: dict[str, Any] = {"state": NoteState.SUBMITTED.value}
        if slugs is not None:
            query["slug"] = {"$in": slugs}
        cursor = self.collection.find(query).sort([("updated_at", 1), ("_id", 1)])
        return [_note(document) async for document in cursor]

    async def in_state(self, slug: str, state: NoteState) -> list[Note]:
        """A network's notes in one state, last changed first (drafts and queues are few)."""
        query = {"slug": slug, "state": state.value}
        cursor = self.collection.find(query).sort([("updated_at", -1), ("_id", 1)])
        return [_note(document) async for document in cursor]

    async def ids_naming(self, member_id: UUID) -> list[UUID]:
        """Notes that name the member anywhere (author, contributor, history)."""
        who = str(member_id)
        query = {"$or": [{"author_id": who}, {"contributors": who}, {"history.by": who}]}
        return [UUID(d["_id"]) async for d in self.collection.find(query, {"_id": 1})]

    async def export(self, member_id: UUID) -> list[dict[str, Any]]:
        who = str(member_id)
        cursor = self.collection.find(
            {"$or": [{"author_id": who}, {"contributors": who}, {"history.by": who}]},
            {"title": 1, "slug": 1, "state": 1, "author_id": 1, "history": 1, "created_at": 1},
        )
        found = []
        async for document in cursor:
            found.append(
                {
                    "note_id": document["_id"],
                    "slug": document["slug"],
                    "title": document["title"],
                    "state": document["state"],
                    "author": document.get("author_id") == who,
                    "created_at": document["created_at"],
                    "your_moves": [
                        {"state": m["state"], "at": m["at"], "comments": m.get("comments")}
                        for m in document.get("history") or []
                        if m.get("by") == who
                    ],
                }
            )
        return found


# --- The acceptances audit log -------------------------------------------------------------


class AlreadyAccepted(Exception):
    pass


class Acceptances:
    """Append-only: a finding kept on purpose, by whom, when and why. Never updated, except
    that erasure takes the reviewer's id out."""

    def __init__(self, database: AsyncDatabase[Any]) -> None:
        self.collection = database[ACCEPTANCES]

    async def create_indexes(self) -> None:
        await self.collection.create_index([("note_id", 1), ("accepted_at", 1)])
        await self.collection.create_index("accepted_by")

    async def add(
        self, note_id: UUID, finding: Finding, reason: str, by: UUID, at: datetime
    ) -> dict[str, Any]:
        document = {
            "_id": f"{note_id}:{finding.id}",
            "note_id": str(note_id),
            "finding_id": finding.id,
            "category": finding.category.value,
            "text": finding.text,
            "reason": reason,
            "accepted_by": str(by),
            "accepted_at": at,
        }
        try:
            await self.collection.insert_one(document)
        except DuplicateKeyError:
            raise AlreadyAccepted() from None
        return document

    async def of_note(self, note_id: UUID) -> list[dict[str, Any]]:
        cursor = self.collection.find({"note_id": str(note_id)}).sort([("accepted_at", 1)])
        return [
            {
                **d,
                "category": FindingCategory(d["category"]),
                "accepted_at": _aware(d["accepted_at"]),
            }
            async for d in cursor
        ]

    async def accepted_ids(self, note_id: UUID) -> set[str]:
        cursor = self.collection.find({"note_id": str(note_id)}, {"finding_id": 1})
        return {d["finding_id"] async for d in cursor}

    async def forget(self, member_id: UUID) -> None:
        await self.collection.update_many(
            {"accepted_by": str(member_id)}, {"$set": {"accepted_by": None}}
        )

    async def export(self, member_id: UUID) -> list[dict[str, Any]]:
        cursor = self.collection.find({"accepted_by": str(member_id)}, {"accepted_by": 0})
        return [d async for d in cursor]


# --- Projections ---------------------------------------------------------------------------


class Members(MemberProjection):
    """Members as notes show them: display name and whether an instance admin. Kept in
    order (``apply_in_order``): a redelivered registration must not undo a rename."""

    def __init__(self, database: AsyncDatabase[Any]) -> None:
        super().__init__(database, MEMBERS)

    async def record(
        self, member_id: UUID, fields: dict[str, Any], *, envelope: EventEnvelope
    ) -> bool:
        return await self.apply_in_order(member_id, {"$set": fields}, envelope=envelope)

    async def is_instance_admin(self, member_id: UUID) -> bool:
        document = await self.collection.find_one({"_id": str(member_id)}, {"is_instance_admin": 1})
        return bool(document and document.get("is_instance_admin"))

    async def names_of(self, member_ids: set[UUID]) -> dict[UUID, str]:
        if not member_ids:
            return {}
        query = {"_id": {"$in": [str(m) for m in member_ids]}}
        cursor = self.collection.find(query, {"display_name": 1})
        return {UUID(d["_id"]): d["display_name"] async for d in cursor if d.get("display_name")}


class RedactionNames(MemberProjection):
    """Every name a member has been known by (a renamed member's old name still identifies
    them): ``names``, the display names the identifier check knows (which finds a name's
    parts itself)."""

    def __init__(self, database: AsyncDatabase[Any]) -> None:
        super().__init__(database, REDACTION_NAMES)

    async def remember(self, member_id: UUID, display_name: str, *, event_id: str) -> bool:
        # A union, not a replacement: a redelivered registration arriving after a rename
        # must not drop the new name.
        update = {"$addToSet": {"names": display_name}}
        return await self.apply(member_id, update, event_id=event_id)

    async def all_names(self) -> list[str]:
        names: list[str] = []
        async for document in self.collection.find({}, {"names": 1}):
            names.extend(document.get("names", []))
        return sorted(set(names))


class Organisations:
    def __init__(self, database: AsyncDatabase[Any]) -> None:
        self.collection = database[ORGANISATIONS]

    async def record(self, organisation_id: UUID, name: str, *, event_id: str) -> bool:
        return await apply_once(
            self.collection, str(organisation_id), event_id, {"$set": {"name": name}}
        )

    async def all_names(self) -> list[str]:
        return sorted({d["name"] async for d in self.collection.find({}, {"name": 1})})


class NetworkFacts:
    def __init__(self, slug: str, document: dict[str, Any]) -> None:
        self.slug = slug
        self.visibility = Visibility(document["visibility"])
        self.parent_slug: str | None = document.get("parent_slug")
        self.glossary: dict[str, str] = dict(document.get("glossary") or {})


class Networks:
    """Membership's networks as notes needs them: visibility, parent, glossary. ``_id`` is
    the slug; kept in order."""

    def __init__(self, database: AsyncDatabase[Any]) -> None:
        self.collection = database[NETWORKS]

    async def record(self, slug: str, fields: dict[str, Any], *, envelope: EventEnvelope) -> bool:
        return await apply_in_order(self.collection, slug, envelope, {"$set": fields})

    async def get(self, slug: str) -> NetworkFacts | None:
        document = await self.collection.find_one({"_id": slug})
        if document is None or "visibility" not in document:
            return None
        return NetworkFacts(slug, document)

    async def children_of(self, slugs: set[str]) -> list[str]:
        cursor = self.collection.find({"parent_slug": {"$in": sorted(slugs)}}, {"_id": 1})
        return [d["_id"] async for d in cursor]

    async def all_slugs(self) -> set[str]:
        return {d["_id"] async for d in self.collection.find({}, {"_id": 1})}


class NetworkThemes:
    """Each network's theme list, set by its chairs and facilitators (notes owns it)."""

    def __init__(self, database: AsyncDatabase[Any]) -> None:
        self.collection = database[THEMES]

    async def get(self, slug: str) -> tuple[list[str], bool]:
        document = await self.collection.find_one({"_id": slug})
        if document is None:
            return [], False
        return list(document.get("themes") or []), bool(document.get("open_to_parent"))

    async def put(self, slug: str, themes: list[str], open_to_parent: bool) -> None:
        await self.collection.update_one(
            {"_id": slug},
            {"$set": {"themes": themes, "open_to_parent": open_to_parent}},
            upsert=True,
        )

    async def open_to_parent(self, slugs: list[str]) -> set[str]:
        query = {"_id": {"$in": slugs}, "open_to_parent": True}
        return {d["_id"] async for d in self.collection.find(query, {"_id": 1})}


class Sessions:
    """Scheduling's sessions as notes needs them (``SessionFacts``); ``_id`` the session id.
    Occurrences are kept as ISO instants (UTC) -> date, so a moved occurrence keeps its key."""

    def __init__(self, database: AsyncDatabase[Any]) -> None:
        self.collection = database[SESSIONS]

    async def create_indexes(self) -> None:
        await self.collection.create_index("slug")

    async def record(
        self, session_id: UUID, fields: dict[str, Any], *, envelope: EventEnvelope
    ) -> bool:
        return await apply_in_order(self.collection, str(session_id), envelope, {"$set": fields})

    async def get(self, session_id: UUID) -> SessionFacts | None:
        document = await self.collection.find_one({"_id": str(session_id)})
        if document is None or "slug" not in document:
            return None
        return _session_facts(document)

    async def speakers_of(self, slug: str) -> list[str]:
        cursor = self.collection.find({"slug": slug}, {"speakers": 1})
        return sorted({name async for d in cursor for name in d.get("speakers") or []})


def _session_facts(document: dict[str, Any]) -> SessionFacts:
    occurrences = {
        datetime.fromisoformat(start): date.fromisoformat(held_on)
        for start, held_on in (document.get("occurrences") or {}).items()
    }
    moved = document.get("moved") or {}
    for start, held_on in moved.items():
        key = datetime.fromisoformat(start)
        if key in occurrences:
            occurrences[key] = date.fromisoformat(held_on)
    cancelled = frozenset(
        datetime.fromisoformat(start)
        for start, yes in (document.get("cancelled") or {}).items()
        if yes
    )
    return SessionFacts(
        session_id=UUID(document["_id"]),
        slug=document["slug"],
        speakers=tuple(document.get("speakers") or ()),
        occurrences=occurrences,
        cancelled=cancelled,
        series=bool(document.get("series")),
        whole_cancelled=bool(document.get("whole_cancelled")),
    )


def instant_key(moment: datetime) -> str:
    """An occurrence's key as a field name (no dots: Mongo field names may not hold them)."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S+00:00")


class KnowledgeRevisions:
    """A new random revision whenever what a network's checker knows changes (members and
    organisations: ``INSTANCE``; speakers, glossary: the network's slug). A compiled
    checker is reused while both revisions it was built from still stand: a random value,
    not a counter, so two replicas' writes never collide into the same revision."""

    def __init__(self, database: AsyncDatabase[Any]) -> None:
        self.collection = database[KNOWLEDGE_REVISIONS]

    async def bump(self, key: str) -> None:
        await self.collection.update_one(
            {"_id": key}, {"$set": {"revision": uuid.uuid4().hex}}, upsert=True
        )

    async def current(self, slug: str) -> tuple[str, str]:
        found = {
            d["_id"]: d.get("revision", "")
            async for d in self.collection.find({"_id": {"$in": [INSTANCE, slug]}})
        }
        return found.get(INSTANCE, ""), found.get(slug, "")


__all__ = ["BOOKKEEPING_FIELDS", "NOTES", "NoteRepository"]
