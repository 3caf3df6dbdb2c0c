"""The sessions area's storage: the ``sessions`` collection, and ``Occurrences`` over it.

A session document holds the session's fields (as JSON: its ``starts_at`` is a wall-clock
time, so it is kept as text, not as an instant), its edits in the order made, and its
outbox (``AggregateStore``: state and events in one write). ``span_start``/``span_end`` are
the earliest and latest actual start of any occurrence (after moves), so a search by time
reads only the sessions that can have an occurrence in the window.

FerretDB v1 applies no update atomically: read-modify-write of one session happens under
``lock(session_id)`` (in-process; one replica per service on FerretDB).
"""

from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID

from huddle_shared.clock import utc_now
from huddle_shared.contracts.envelope import EventEnvelope
from huddle_shared.contracts.networks import Visibility
from huddle_shared.contracts.sessions import ChangeScope, SessionFields
from huddle_shared.storage.aggregates import AggregateStore
from huddle_shared.storage.idempotency import apply_in_order
from huddle_shared.storage.outbox import OutboxRelay
from pymongo.asynchronous.database import AsyncDatabase

from huddle_scheduling.ports import OccurrenceFacts, OccurrenceKey, OccurrenceNotFound
from huddle_scheduling.sessions.domain import (
    ChangedMeanwhile,
    Edit,
    Occurrence,
    OccurrenceNotInSeries,
    Session,
    SessionNotFound,
)

SESSIONS = "sessions"
NETWORKS = "networks"


@dataclass(frozen=True)
class NetworkFacts:
    slug: str
    name: str
    visibility: Visibility
    ground_rules: tuple[str, ...]
    never_recorded: bool


def _edit_document(edit: Edit) -> dict[str, Any]:
    return {
        "start": edit.start.astimezone(UTC).isoformat(),
        "scope": edit.scope.value,
        "cancelled": edit.cancelled,
        # Through the fields' own JSON form (URLs, venues, speakers).
        "updates": SessionFields.model_construct(**edit.updates).model_dump(
            mode="json", include=set(edit.updates)
        ),
        "move_by": edit.move_by.total_seconds() if edit.move_by is not None else None,
    }


def _edit_of(document: dict[str, Any]) -> Edit:
    updates = {}
    if document["updates"]:
        # Validate the stored values back into their types through a full session's fields.
        probe = {"title": "x", "starts_at": "2000-01-01T00:00:00", "duration_minutes": 60}
        parsed = SessionFields.model_validate({**probe, **document["updates"]})
        updates = {name: getattr(parsed, name) for name in document["updates"]}
    move_by = document.get("move_by")
    return Edit(
        start=datetime.fromisoformat(document["start"]),
        scope=ChangeScope(document["scope"]),
        cancelled=document["cancelled"],
        updates=updates,
        move_by=timedelta(seconds=move_by) if move_by is not None else None,
    )


def _document(session: Session) -> dict[str, Any]:
    starts = [o.starts_at.astimezone(UTC) for o in session.all_occurrences()]
    return {
        "slug": session.slug,
        "fields": session.fields.model_dump(mode="json"),
        "edits": [_edit_document(edit) for edit in session.edits],
        "created_at": session.created_at,
        "created_by": str(session.created_by) if session.created_by else None,
        "open_to_networks": list(session.fields.open_to_networks),
        "span_start": min(starts),
        "span_end": max(starts),
        "version": session.version,
        "revised_at": session.revised_at,
    }


def _session(document: dict[str, Any]) -> Session:
    created_by = document.get("created_by")
    return Session(
        id=UUID(document["_id"]),
        slug=document["slug"],
        fields=SessionFields.model_validate(document["fields"]),
        created_at=document["created_at"],
        created_by=UUID(created_by) if created_by else None,
        edits=[_edit_of(edit) for edit in document["edits"]],
        version=document["version"],
        revised_at=document.get("revised_at") or document["created_at"],
    )


def facts_of(session: Session, occurrence: Occurrence) -> OccurrenceFacts:
    fields = occurrence.fields
    return OccurrenceFacts(
        key=occurrence.key,
        slug=session.slug,
        open_to_networks=tuple(fields.open_to_networks),
        title=fields.title,
        format=fields.format,
        starts_at=occurrence.starts_at,
        ends_at=occurrence.ends_at,
        time_zone=fields.time_zone,
        capacity=fields.capacity,
        registration=fields.registration,
        cancelled=occurrence.cancelled,
        joining_link=str(fields.joining_link) if fields.joining_link else None,
    )


class SessionRepository:
    def __init__(self, database: AsyncDatabase[Any], relay: OutboxRelay, instance_id: str) -> None:
        self._store = AggregateStore(database[SESSIONS], relay, instance_id)

    @property
    def collection(self) -> Any:
        return self._store.collection

    async def create_indexes(self) -> None:
        await self.collection.create_index([("slug", 1), ("span_start", 1)])
        await self.collection.create_index("open_to_networks")
        await self.collection.create_index([("span_start", 1), ("span_end", 1)])

    def lock(self, session_id: UUID) -> Any:
        """Around read-decide-write of one session (FerretDB applies no update atomically)."""
        return self._store.lock(str(session_id))

    async def add(self, session: Session) -> None:
        session.version = 1
        session.revised_at = session.created_at
        document = {"_id": str(session.id), **_document(session)}
        await self._store.insert(document, session.pending_events)
        session.pending_events = []

    async def get(self, session_id: UUID) -> Session:
        document = await self.collection.find_one({"_id": str(session_id)})
        if document is None:
            raise SessionNotFound(session_id)
        return _session(document)

    async def save(self, session: Session) -> None:
        """Write back a session read under ``lock``, with the events it recorded."""
        version = session.version
        session.version += 1
        session.revised_at = utc_now()
        if not await self._store.update(
            str(session.id),
            _document(session),
            session.pending_events,
            expect={"version": version},
        ):
            session.version = version
            if await self.collection.count_documents({"_id": str(session.id)}, limit=1):
                raise ChangedMeanwhile()
            raise SessionNotFound(session.id)
        session.pending_events = []

    async def remove(self, session: Session) -> None:
        """Announce the cancellation (through the outbox), then drop the session."""
        await self.save(session)
        await self.collection.delete_one({"_id": str(session.id)})

    async def _matching(self, query: dict[str, Any]) -> AsyncIterator[Session]:
        async for document in self.collection.find(query).sort("_id", 1):
            yield _session(document)

    async def between(
        self, start: datetime, end: datetime, *, slugs: list[str] | None = None
    ) -> list[Session]:
        """Sessions that may have an occurrence in ``[start, end)``: of networks ``slugs``
        (or opened to them), or every network."""
        query: dict[str, Any] = {"span_start": {"$lt": end}, "span_end": {"$gte": start}}
        if slugs is not None:
            query["$or"] = [{"slug": {"$in": slugs}}, {"open_to_networks": {"$in": slugs}}]
        return [session async for session in self._matching(query)]


class StoredOccurrences:
    """``Occurrences`` (ports) answered from the sessions collection."""

    def __init__(self, sessions: SessionRepository) -> None:
        self._sessions = sessions

    async def find(self, session_id: UUID, occurrence_start: datetime | None) -> OccurrenceFacts:
        try:
            session = await self._sessions.get(session_id)
            return facts_of(session, session.occurrence(occurrence_start))
        except (SessionNotFound, OccurrenceNotInSeries) as error:
            raise OccurrenceNotFound(str(error)) from error

    async def starting_between(self, start: datetime, end: datetime) -> list[OccurrenceFacts]:
        found: list[OccurrenceFacts] = []
        for session in await self._sessions.between(start, end):
            found.extend(facts_of(session, o) for o in session.occurrences(start, end))
        return sorted(found, key=lambda facts: (facts.starts_at, facts.key))


class Networks:
    """Scheduling's own projection of membership's networks: what sessions show and obey
    (name, visibility, ground rules, never recorded). ``_id`` is the slug; kept in order."""

    def __init__(self, database: AsyncDatabase[Any]) -> None:
        self.collection = database[NETWORKS]

    async def record(self, slug: str, fields: dict[str, Any], *, envelope: EventEnvelope) -> None:
        await apply_in_order(self.collection, slug, envelope, {"$set": fields})

    async def get(self, slug: str) -> NetworkFacts | None:
        document = await self.collection.find_one({"_id": slug})
        if document is None or "visibility" not in document:
            return None
        return NetworkFacts(
            slug=slug,
            name=document["name"],
            visibility=Visibility(document["visibility"]),
            ground_rules=tuple(document.get("ground_rules") or ()),
            never_recorded=bool(document.get("never_recorded")),
        )

    async def visibility_of(self, slug: str) -> Visibility | None:
        """``ports.NetworkVisibility``: the registrations area asks who may see a session."""
        network = await self.get(slug)
        return network.visibility if network is not None else None


__all__ = ["SESSIONS", "OccurrenceKey", "SessionRepository", "StoredOccurrences", "facts_of"]
