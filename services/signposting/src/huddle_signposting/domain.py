"""Signposting's domain. Pure: the organisations support can be signposted from.

Signposting keeps its own directory of organisations (from membership events), so that a
signpost can name the organisation behind a service without asking membership.
"""

from dataclasses import dataclass
from uuid import UUID

from huddle_shared.contracts.membership import OrganisationKind, OrganisationRegisteredV1, Region


@dataclass(frozen=True)
class DirectoryOrganisation:
    organisation_id: UUID
    name: str
    kind: OrganisationKind
    region: Region | None

    @classmethod
    def from_registration(cls, event: OrganisationRegisteredV1) -> "DirectoryOrganisation":
        return cls(event.organisation_id, event.name, event.kind, event.region)
