"""Scheduling's domain. Pure: who may register for sessions.

Scheduling keeps its own list of members (from membership events) so that it can decide
registrations without asking membership at request time.
"""

from dataclasses import dataclass
from uuid import UUID

from huddle_shared.contracts.membership import MemberRegisteredV1, MemberType


@dataclass(frozen=True)
class Attendee:
    """A member as scheduling needs them: a name for the attendance list, and their type."""

    member_id: UUID
    display_name: str
    member_type: MemberType
    listed: bool = False  # consented to be named in member lists
    is_instance_admin: bool = False

    @classmethod
    def from_registration(cls, event: MemberRegisteredV1) -> "Attendee":
        return cls(
            event.member_id,
            event.display_name,
            event.member_type,
            event.listed_in_directory,
            event.is_instance_admin,
        )
