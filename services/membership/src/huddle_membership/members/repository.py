"""The members area's storage: ``organisations`` and ``members``. Ids are stored as strings.

Members carry a ``version``: a save applies only if nobody saved the member since it was
read (``expect``), so on MongoDB a stale write can never undo an erasure or a suspension.
Within the process, handlers hold the member's lock around read-decide-save (FerretDB v1
applies no update atomically; see ``huddle_shared.storage.locks``).
"""

import asyncio
import re
from typing import Any
from uuid import UUID

from huddle_shared.contracts.membership import (
    MemberType,
    OrganisationKind,
    Region,
    SearchOrganisations,
)
from huddle_shared.storage.aggregates import AggregateStore
from huddle_shared.storage.outbox import OUTBOX_FIELD, OutboxRelay
from pymongo import ASCENDING
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import DuplicateKeyError

from huddle_membership.claims import ConcurrentChange
from huddle_membership.members.domain import (
    EmailAlreadyRegistered,
    Member,
    MemberProfile,
    MemberStatus,
    OdsCodeTaken,
    Organisation,
    OrganisationFacts,
    normalise_email,
)
from huddle_membership.read_models import MembershipReadModels

ORGANISATIONS = "organisations"
MEMBERS = "members"
# Email -> member id, keyed by the email itself: the one lookup that must take the same time
# whether or not the email has an account (see ``find_by_email``).
MEMBER_EMAILS = "member_emails"


_VIEW_FIELDS = dict.fromkeys(("name", "kind", "region", "ods_code", "created_at"), 1)
_NO_OUTBOX = {OUTBOX_FIELD: 0}


def name_prefix_filter(prefix: str) -> dict[str, Any]:
    """Names starting with ``prefix``, ignoring case; the prefix is matched literally.
    Portable across MongoDB and FerretDB v1: an anchored, escaped, case-insensitive regex."""
    return {"$regex": "^" + re.escape(prefix), "$options": "i"}


def organisation_filter(
    *, name_prefix: str, kind: OrganisationKind | None, region: Region | None
) -> dict[str, Any]:
    query: dict[str, Any] = {}
    if name_prefix:
        query["name"] = name_prefix_filter(name_prefix)
    if kind is not None:
        query["kind"] = kind.value
    if region is not None:
        query["region"] = region.value
    return query


class OrganisationRepository:
    def __init__(
        self,
        database: AsyncDatabase[Any],
        relay: OutboxRelay,
        instance_id: str,
        read_models: MembershipReadModels | None = None,
    ) -> None:
        self._store = AggregateStore(database[ORGANISATIONS], relay, instance_id)
        self._collection = database[ORGANISATIONS]
        self._cache = (read_models or MembershipReadModels()).organisations

    async def create_indexes(self) -> None:
        # Sparse: organisations without an ODS code omit the field.
        await self._collection.create_index("ods_code", unique=True, sparse=True)
        # Ordering by name (and anchored prefixes) walk this index.
        await self._collection.create_index([("name", ASCENDING), ("_id", ASCENDING)])

    async def add(self, organisation: Organisation) -> None:
        document: dict[str, Any] = {
            "_id": str(organisation.id),
            "name": organisation.name,
            "kind": organisation.kind.value,
            "region": organisation.region.value if organisation.region else None,
            "created_at": organisation.created_at,
        }
        if organisation.ods_code:
            document["ods_code"] = organisation.ods_code
        try:
            await self._store.insert(dict(document), organisation.pending_events)
        except DuplicateKeyError:
            raise OdsCodeTaken(organisation.ods_code or "") from None
        self._cache.discard(document["_id"])  # written: the next read loads what is stored
        organisation.pending_events.clear()

    async def get(self, organisation_id: UUID) -> Organisation | None:
        key = str(organisation_id)
        document = await self._cache.get(
            key, lambda: self._collection.find_one({"_id": key}, _NO_OUTBOX)
        )
        return organisation_from_document(document) if document else None

    async def warm(self) -> None:
        """Every organisation into memory (up to the bound), in one query."""
        epoch = self._cache.epoch()
        documents = await self._collection.find({}, _NO_OUTBOX).to_list(self._cache_bound())
        self._cache.fill_if_current(epoch, {document["_id"]: document for document in documents})

    def _cache_bound(self) -> int:
        return int(self._cache.maxsize)

    async def search(self, criteria: SearchOrganisations) -> tuple[list[Organisation], int]:
        """One page of organisations ordered by name, and how many match in all."""
        query = organisation_filter(
            name_prefix=criteria.name_prefix, kind=criteria.kind, region=criteria.region
        )
        cursor = (
            self._collection.find(query, _VIEW_FIELDS)
            .sort([("name", ASCENDING), ("_id", ASCENDING)])
            .skip(criteria.offset)
            .limit(criteria.limit)
        )
        documents, total = await asyncio.gather(
            cursor.to_list(), self._collection.count_documents(query)
        )
        return [organisation_from_document(document) for document in documents], total

    async def facts(self, organisation_ids: list[str]) -> dict[str, OrganisationFacts]:
        rows = await self._collection.find(
            {"_id": {"$in": organisation_ids}}, {"kind": 1, "region": 1}
        ).to_list()
        return {
            row["_id"]: OrganisationFacts(kind=row["kind"], region=row.get("region"))
            for row in rows
        }

    async def count(self) -> int:
        return await self._collection.count_documents({})


def organisation_from_document(document: dict[str, Any]) -> Organisation:
    return Organisation(
        id=UUID(document["_id"]),
        name=document["name"],
        kind=OrganisationKind(document["kind"]),
        region=Region(document["region"]) if document.get("region") else None,
        ods_code=document.get("ods_code"),
        created_at=document["created_at"],
    )


_NO_MEMBER = "00000000-0000-0000-0000-000000000000"  # an id no member has


class MemberRepository:
    """Reads by id come from memory (``read_models``), loaded once and kept current by
    this repository's own writes (each drops what it wrote, so the next read loads it:
    never older than the write) and by events (see ``read_models``)."""

    def __init__(
        self,
        database: AsyncDatabase[Any],
        relay: OutboxRelay,
        instance_id: str,
        read_models: MembershipReadModels | None = None,
    ) -> None:
        self._store = AggregateStore(database[MEMBERS], relay, instance_id)
        self._collection = database[MEMBERS]
        self._emails = database[MEMBER_EMAILS]
        self._models = read_models or MembershipReadModels()
        self._cache = self._models.members

    async def create_indexes(self) -> None:
        await self._collection.create_index("email_normalised", unique=True)
        # Statistics group the active members by organisation.
        await self._collection.create_index([("status", ASCENDING), ("organisation_id", ASCENDING)])
        await self._index_emails()

    async def _index_emails(self) -> None:
        """Members stored before the email index existed, or whose entry a stop between the
        two writes of ``add`` left out, get their entry at start."""
        indexed = {document["member_id"] async for document in self._emails.find({})}
        async for document in self._collection.find(
            {"status": {"$ne": MemberStatus.ERASED}}, {"email_normalised": 1}
        ):
            if document["_id"] not in indexed:
                await self._index_email(document["email_normalised"], document["_id"])

    async def _index_email(self, email_normalised: str, member_id: str) -> None:
        await self._emails.replace_one(
            {"_id": email_normalised}, {"member_id": member_id}, upsert=True
        )

    def lock(self, member_id: UUID) -> Any:
        return self._store.lock(str(member_id))

    @staticmethod
    def _fields(member: Member) -> dict[str, Any]:
        # Erased members keep a unique placeholder: the index needs a value, not the person.
        email_key = (
            member.email_normalised
            if member.status != MemberStatus.ERASED
            else f"erased:{member.id}"
        )
        return {
            "email": member.email,
            "email_normalised": email_key,
            "display_name": member.display_name,
            "job_title": member.job_title,
            "organisation_id": str(member.organisation_id),
            "member_type": member.member_type.value,
            "password_hash": member.password_hash,
            "status": member.status,
            "registered_at": member.registered_at,
            "topics": member.topics,
            "listed_in_directory": member.listed_in_directory,
            "contactable": member.contactable,
            "listed_as_expert": member.listed_as_expert,
            "is_instance_admin": member.is_instance_admin,
            "status_reason": member.status_reason,
        }

    async def add(self, member: Member) -> None:
        document = {"_id": str(member.id), **self._fields(member), "version": 1}
        try:
            await self._store.insert(dict(document), member.pending_events)
        except DuplicateKeyError:
            raise EmailAlreadyRegistered() from None
        await self._index_email(member.email_normalised, str(member.id))
        self._models.member_changed(document["_id"])  # written: the next read loads it
        member.version = 1
        member.pending_events.clear()

    async def save(self, member: Member) -> None:
        """Write the member's state and pending events together, if nobody saved the member
        since it was read; ``ConcurrentChange`` otherwise (hold ``lock`` around
        read-decide-save, and read again on ``ConcurrentChange``)."""
        fields = {**self._fields(member), "version": member.version + 1}
        del fields["registered_at"]
        key = str(member.id)
        try:
            saved = await self._store.update(
                key, fields, member.pending_events, expect={"version": member.version}
            )
        finally:
            # Saved, not saved (someone else saved it first: the retry reads theirs) or
            # unknown: the next read loads what is stored. An erased person's goes too.
            self._models.member_changed(key)
        if not saved:
            raise ConcurrentChange()
        if member.status == MemberStatus.ERASED:
            await self._emails.delete_many({"member_id": key})
        member.version += 1
        member.pending_events.clear()

    async def get(self, member_id: UUID) -> Member | None:
        key = str(member_id)
        document = await self._cache.get(
            key, lambda: self._collection.find_one({"_id": key}, _NO_OUTBOX)
        )
        if document is not None and document["status"] == MemberStatus.ERASED:
            # What is left of an erased person is not kept; nothing else changed, so every
            # other model (the built rosters) stays: reading an erased id costs one query.
            self._cache.evict(key)
        return self._member(document)

    async def warm(self) -> None:
        """Members into memory at start (up to the bound), in one query."""
        epoch = self._cache.epoch()
        documents = await self._collection.find(
            {"status": {"$ne": MemberStatus.ERASED}}, _NO_OUTBOX
        ).to_list(int(self._cache.maxsize))
        self._cache.fill_if_current(epoch, {document["_id"]: document for document in documents})

    async def find_by_email(self, email: str) -> Member | None:
        """The same work whether or not the email has an account, so that sign-in's timing
        does not tell: FerretDB v1 uses no index to find a document, and a lookup that stops
        at the first match answers a known email sooner than an unknown one (30-46 ms with
        the demo's few hundred members). Each step reads by ``_id`` and asks for two
        documents, so it reads to the end either way; MongoDB answers both from an index."""
        entries = await self._emails.find({"_id": normalise_email(email)}).limit(2).to_list()
        member_id = entries[0]["member_id"] if entries else _NO_MEMBER
        documents = await self._collection.find({"_id": member_id}).limit(2).to_list()
        return self._member(documents[0]) if documents else None

    async def find_by_email_normalised(self, email_normalised: str) -> Member | None:
        return self._member(await self._collection.find_one({"email_normalised": email_normalised}))

    @staticmethod
    def _member(document: dict[str, Any] | None) -> Member | None:
        if document is None:
            return None
        return Member(
            id=UUID(document["_id"]),
            email=document["email"],
            display_name=document["display_name"],
            job_title=document["job_title"],
            organisation_id=UUID(document["organisation_id"]),
            member_type=MemberType(document["member_type"]),
            password_hash=document["password_hash"],
            status=document["status"],
            registered_at=document["registered_at"],
            topics=list(document.get("topics", [])),  # a copy: the document may be cached
            listed_in_directory=document.get("listed_in_directory", False),
            contactable=document.get("contactable", False),
            listed_as_expert=document.get("listed_as_expert", False),
            is_instance_admin=document.get("is_instance_admin", False),
            status_reason=document.get("status_reason", ""),
            version=document.get("version", 0),
        )

    async def profiles(self, member_ids: list[UUID]) -> dict[UUID, MemberProfile]:
        """What other areas show of members (network pages), by id: from memory, and the
        members not in memory in one query."""
        if not member_ids:
            return {}

        async def load(keys: list[str]) -> dict[str, dict[str, Any]]:
            cursor = self._collection.find({"_id": {"$in": keys}}, _NO_OUTBOX)
            return {document["_id"]: document async for document in cursor}

        documents = await self._cache.get_many([str(member_id) for member_id in member_ids], load)
        return {
            UUID(key): MemberProfile(
                member_id=UUID(key),
                display_name=document.get("display_name", ""),
                job_title=document.get("job_title", ""),
                email=document.get("email", ""),
                topics=list(document.get("topics", [])),
                listed_in_directory=bool(document.get("listed_in_directory", False)),
                contactable=bool(document.get("contactable", False)),
                status=document.get("status", ""),
            )
            for key, document in documents.items()
        }

    async def active_by_organisation(self) -> dict[str, int]:
        """How many active members each organisation has (by organisation id)."""
        grouped = await self._collection.aggregate(
            [
                {"$match": {"status": MemberStatus.ACTIVE}},
                {"$group": {"_id": "$organisation_id", "members": {"$sum": 1}}},
            ]
        )
        return {row["_id"]: row["members"] async for row in grouped}
