"""Membership's MongoDB repositories. Ids are stored as strings (portable across drivers)."""

from typing import Any
from uuid import UUID

from huddle_shared.contracts.membership import MemberType, OrganisationKind, Region
from huddle_shared.storage.aggregates import AggregateStore
from huddle_shared.storage.outbox import OutboxRelay
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import DuplicateKeyError

from huddle_membership.domain import EmailAlreadyRegistered, Member, OdsCodeTaken, Organisation

ORGANISATIONS = "organisations"
MEMBERS = "members"


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
        if document is None:
            return None
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

    async def add(self, member: Member) -> None:
        document = {
            "_id": str(member.id),
            "email": member.email,
            "email_normalised": member.email_normalised,
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
        }
        try:
            await self._store.insert(document, member.pending_events)
        except DuplicateKeyError:
            raise EmailAlreadyRegistered() from None
        member.pending_events.clear()

    async def get(self, member_id: UUID) -> Member | None:
        document = await self._collection.find_one({"_id": str(member_id)})
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
        )
