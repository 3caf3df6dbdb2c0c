"""A member's privacy rights: export everything membership holds about them, and erasure.

The handler owns no data: it asks each area for its part (``ports.PrivacyPart``), so each
area's own rules apply (erasing a network's last chair seats a successor). The account goes
last: until then the member can sign in and erase again, which finishes an erasure that
stopped part way (every part is idempotent). The account's erasure emits ``member.erased``,
on which the other services erase their copies.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from huddle_shared.contracts.common import ERASE_ME, Empty, export_subject
from huddle_shared.contracts.rpc import Caller
from huddle_shared.messaging.routes import RouteTable

from huddle_membership import SERVICE
from huddle_membership.members.handlers import MemberReader, signed_in_member
from huddle_membership.ports import PrivacyPart, PrivacySubject


@dataclass
class PrivacyDependencies:
    members: MemberReader
    parts: Sequence[PrivacyPart]  # the account's part last


async def _subject(caller: Caller, deps: PrivacyDependencies) -> PrivacySubject:
    member = await signed_in_member(caller, deps.members)
    return PrivacySubject(member_id=member.id, email_normalised=member.email_normalised)


rpc = RouteTable()


@rpc.route(export_subject(SERVICE), "Everything membership holds about the caller.")
async def export_me(request: Empty, caller: Caller, deps: PrivacyDependencies) -> dict[str, Any]:
    subject = await _subject(caller, deps)
    exported: dict[str, Any] = {}
    for part in deps.parts:
        exported.update(await part.export_member(subject))
    return exported


@rpc.route(ERASE_ME, "Erase the caller; emits member.erased.")
async def erase_me(request: Empty, caller: Caller, deps: PrivacyDependencies) -> None:
    """Remove the person's data here and tell every service to do the same (member.erased)."""
    subject = await _subject(caller, deps)
    for part in deps.parts:
        await part.erase_member(subject)
    # Once the account is erased nothing new can start for the member; a join or an
    # acceptance that began before may have written after its area's part ran, so each part
    # runs again (they are idempotent), the account's last as before.
    for part in deps.parts:
        await part.erase_member(subject)
