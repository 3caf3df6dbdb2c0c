"""Membership's MongoDB repositories. Ids are stored as strings (portable across drivers)."""

from datetime import datetime
from typing import Any
from uuid import UUID

from huddle_shared.contracts.membership import MemberType, OrganisationKind, Region
from huddle_shared.storage.aggregates import AggregateStore
from huddle_shared.storage.locks import document_locks
from huddle_shared.storage.outbox import OutboxRelay
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import DuplicateKeyError

from huddle_membership.domain import (
    EmailAlreadyRegistered,
    Member,
    MemberStatus,
    OdsCodeTaken,
    Organisation,
    normalise_email,
)

ORGANISATIONS = "organisations"
MEMBERS = "members"
SIGN_IN_FAILURES = "sign_in_failures"
API_TOKENS = "api_tokens"


class OrganisationRepository:
    def __init__(self, database: AsyncDatabase[Any], relay: OutboxRelay, instance_id: str) -> None:
        self._store = AggregateStore(database[ORGANISATIONS], relay, instance_id)
        self._collection = database[ORGANISATIONS]

    async def create_indexes(self) -> None:
        # Sparse: organisations without an ODS code omit the field.
        await self._collection.create_index("ods_code", unique=True, sparse=True)

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
            await self._store.insert(document, organisation.pending_events)
        except DuplicateKeyError:
            raise OdsCodeTaken(organisation.ods_code or "") from None
        organisation.pending_events.clear()

    async def get(self, organisation_id: UUID) -> Organisation | None:
        document = await self._collection.find_one({"_id": str(organisation_id)})
        return organisation_from_document(document) if document else None


def organisation_from_document(document: dict[str, Any]) -> Organisation:
    return Organisation(
        id=UUID(document["_id"]),
        name=document["name"],
        kind=OrganisationKind(document["kind"]),
        region=Region(document["region"]) if document.get("region") else None,
        ods_code=document.get("ods_code"),
        created_at=document["created_at"],
    )


class MemberRepository:
    def __init__(self, database: AsyncDatabase[Any], relay: OutboxRelay, instance_id: str) -> None:
        self._store = AggregateStore(database[MEMBERS], relay, instance_id)
        self._collection = database[MEMBERS]

    async def create_indexes(self) -> None:
        await self._collection.create_index("email_normalised", unique=True)

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
            "is_instance_admin": member.is_instance_admin,
            "status_reason": member.status_reason,
        }

    async def add(self, member: Member) -> None:
        document = {"_id": str(member.id), **self._fields(member)}
        try:
            await self._store.insert(document, member.pending_events)
        except DuplicateKeyError:
            raise EmailAlreadyRegistered() from None
        member.pending_events.clear()

    async def save(self, member: Member) -> None:
        """Write the member's state and pending events together (hold ``lock`` around
        read-decide-save)."""
        fields = self._fields(member)
        del fields["registered_at"]
        await self._store.update(str(member.id), fields, member.pending_events)
        member.pending_events.clear()

    async def get(self, member_id: UUID) -> Member | None:
        return self._member(await self._collection.find_one({"_id": str(member_id)}))

    async def find_by_email(self, email: str) -> Member | None:
        return self._member(
            await self._collection.find_one({"email_normalised": normalise_email(email)})
        )

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
            topics=document.get("topics", []),
            listed_in_directory=document.get("listed_in_directory", False),
            contactable=document.get("contactable", False),
            is_instance_admin=document.get("is_instance_admin", False),
            status_reason=document.get("status_reason", ""),
        )


class SignInFailures:
    """Recent failed sign-ins per key (an account or an address)."""

    def __init__(self, database: AsyncDatabase[Any]) -> None:
        self._collection = database[SIGN_IN_FAILURES]

    def lock(self, key: str) -> Any:
        """Held around check-verify-record, so concurrent attempts count one after another."""
        return document_locks.hold((self._collection.database.name, SIGN_IN_FAILURES, key))

    async def recent(self, key: str) -> list[datetime]:
        document = await self._collection.find_one({"_id": key})
        return list(document["failures"]) if document else []

    async def record(self, key: str, now: datetime, keep_after: datetime) -> None:
        async with self.lock(key):
            failures = [moment for moment in await self.recent(key) if moment > keep_after]
            await self._collection.update_one(
                {"_id": key}, {"$set": {"failures": [*failures, now]}}, upsert=True
            )

    async def clear(self, key: str) -> None:
        await self._collection.delete_one({"_id": key})


class ApiTokens:
    def __init__(self, database: AsyncDatabase[Any]) -> None:
        self._collection = database[API_TOKENS]

    async def create_indexes(self) -> None:
        await self._collection.create_index("token_hash", unique=True)

    async def add(self, document: dict[str, Any]) -> None:
        await self._collection.insert_one(document)

    async def find_active(self, token_hash: str) -> dict[str, Any] | None:
        return await self._collection.find_one({"token_hash": token_hash, "revoked_at": None})

    async def revoke(self, token_id: str, now: datetime) -> bool:
        result = await self._collection.update_one(
            {"_id": token_id, "revoked_at": None}, {"$set": {"revoked_at": now}}
        )
        return result.matched_count > 0

    async def exists(self, token_id: str) -> bool:
        return await self._collection.count_documents({"_id": token_id}, limit=1) > 0

    async def created_by(self, member_id: UUID) -> list[dict[str, Any]]:
        cursor = self._collection.find({"created_by": str(member_id)}, {"token_hash": 0})
        return [document async for document in cursor]
