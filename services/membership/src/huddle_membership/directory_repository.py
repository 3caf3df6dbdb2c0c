"""Read-only queries behind the organisation directory and the public statistics.

Portable across MongoDB and FerretDB v1: name prefixes use an anchored, escaped,
case-insensitive ``$regex``; counts use ``$group``; members are joined to their
organisations in Python (no ``$lookup``), with one grouped query and one ``$in`` read.
"""

import asyncio
import re
from dataclasses import dataclass
from typing import Any

from huddle_shared.contracts.membership import OrganisationKind, Region
from pymongo import ASCENDING
from pymongo.asynchronous.database import AsyncDatabase

from huddle_membership.domain import MemberStatus, Organisation
from huddle_membership.network_repository import NETWORKS
from huddle_membership.repository import MEMBERS, ORGANISATIONS, organisation_from_document

_VIEW_FIELDS = dict.fromkeys(("name", "kind", "region", "ods_code", "created_at"), 1)


@dataclass(frozen=True)
class OrganisationFacts:
    """What the statistics need to know about an organisation."""

    kind: str
    region: str | None


@dataclass(frozen=True)
class Counts:
    active_members_by_organisation: dict[str, int]
    organisations: dict[str, OrganisationFacts]  # those with active members, by id
    organisation_total: int
    network_total: int


def name_prefix_filter(prefix: str) -> dict[str, Any]:
    """Names starting with ``prefix``, ignoring case; the prefix is matched literally."""
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


class DirectoryRepository:
    def __init__(self, database: AsyncDatabase[Any]) -> None:
        self._organisations = database[ORGANISATIONS]
        self._members = database[MEMBERS]
        self._networks = database[NETWORKS]

    async def create_indexes(self) -> None:
        # Ordering by name (and anchored prefixes) walk this index; statistics group the
        # active members by organisation from the second.
        await self._organisations.create_index([("name", ASCENDING), ("_id", ASCENDING)])
        await self._members.create_index([("status", ASCENDING), ("organisation_id", ASCENDING)])

    async def search(
        self,
        *,
        name_prefix: str,
        kind: OrganisationKind | None,
        region: Region | None,
        limit: int,
        offset: int,
    ) -> tuple[list[Organisation], int]:
        """One page of organisations ordered by name, and how many match in all."""
        query = organisation_filter(name_prefix=name_prefix, kind=kind, region=region)
        cursor = (
            self._organisations.find(query, _VIEW_FIELDS)
            .sort([("name", ASCENDING), ("_id", ASCENDING)])
            .skip(offset)
            .limit(limit)
        )
        documents, total = await asyncio.gather(
            cursor.to_list(), self._organisations.count_documents(query)
        )
        return [organisation_from_document(document) for document in documents], total

    async def counts(self) -> Counts:
        grouped = await self._members.aggregate(
            [
                {"$match": {"status": MemberStatus.ACTIVE}},
                {"$group": {"_id": "$organisation_id", "members": {"$sum": 1}}},
            ]
        )
        by_organisation = {row["_id"]: row["members"] async for row in grouped}
        facts_cursor = self._organisations.find(
            {"_id": {"$in": list(by_organisation)}}, {"kind": 1, "region": 1}
        )
        facts, organisation_total, network_total = await asyncio.gather(
            facts_cursor.to_list(),
            self._organisations.count_documents({}),
            self._networks.count_documents({}),  # 0 while the collection does not exist
        )
        return Counts(
            active_members_by_organisation=by_organisation,
            organisations={
                row["_id"]: OrganisationFacts(kind=row["kind"], region=row.get("region"))
                for row in facts
            },
            organisation_total=organisation_total,
            network_total=network_total,
        )
