"""What the privacy handler asks of each area (export and erasure), and nothing more."""

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol
from uuid import UUID


@dataclass(frozen=True)
class PrivacySubject:
    """Whose data to export or erase: the member's id and their address (invitations and
    sign-in records are kept by address)."""

    member_id: UUID
    email_normalised: str


class PrivacyPart(Protocol):
    """One area's part of a member's export and erasure. Erasing goes through the area's own
    rules (a network keeps a chair); it is idempotent, so an interrupted erasure is finished
    by running it again."""

    async def export_member(self, subject: PrivacySubject) -> dict[str, Any]: ...

    async def erase_member(self, subject: PrivacySubject) -> None: ...


def exportable(document: dict[str, Any]) -> dict[str, Any]:
    """A stored document as an export shows it: times as ISO 8601 text."""
    return {
        key: (value.isoformat() if isinstance(value, datetime) else value)
        for key, value in document.items()
    }
