"""Insights' domain. Pure: what insights may know about a member — nothing that names them.

Insights feeds national bodies, so its projection holds only the categories it counts by.
"""

from dataclasses import dataclass
from uuid import UUID

from huddle_shared.contracts.membership import (
    MemberRegisteredV1,
    MemberType,
    OrganisationKind,
    Region,
)


@dataclass(frozen=True)
class MemberProfile:
    """The countable, non-identifying facts about one member."""

    member_id: UUID
    organisation_kind: OrganisationKind
    region: Region | None
    member_type: MemberType

    @classmethod
    def from_registration(cls, event: MemberRegisteredV1) -> "MemberProfile":
        return cls(
            member_id=event.member_id,
            organisation_kind=event.organisation_kind,
            region=event.region,
            member_type=event.member_type,
        )
