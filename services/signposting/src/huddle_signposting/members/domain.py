"""The members area's domain. Pure: a member as signposting knows them from membership's
events, and who may be listed as a person who knows."""

from dataclasses import dataclass, field
from uuid import UUID

from huddle_shared.contracts.membership import MemberType, Region

ACTIVE = "active"


@dataclass(frozen=True)
class Person:
    member_id: UUID
    display_name: str = ""
    member_type: MemberType = MemberType.STAFF
    organisation_id: UUID | None = None
    region: Region | None = None
    topics: tuple[str, ...] = field(default_factory=tuple)
    listed_as_expert: bool = False
    status: str | None = None  # None: registered not seen yet

    @property
    def is_active(self) -> bool:
        return self.status == ACTIVE

    @property
    def is_listed_expert(self) -> bool:
        """Found as a person who knows only with their consent, while active, and with a
        topic to be found by: ``listed_in_directory`` (member lists) is another consent."""
        return self.listed_as_expert and self.is_active and bool(self.topics)
