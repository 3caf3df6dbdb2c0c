"""Notes' event handlers (idempotent: JetStream delivers at least once)."""

from huddle_shared.contracts.common import Empty
from huddle_shared.contracts.envelope import EventEnvelope
from huddle_shared.contracts.membership import (
    MemberErasedV1,
    MemberProfileUpdatedV1,
    MemberRegisteredV1,
)
from huddle_shared.contracts.rpc import Caller
from huddle_shared.errors import require_member
from huddle_shared.messaging.subscriptions import Subscription

from huddle_notes.domain import redaction_terms
from huddle_notes.repository import RedactionNames

redaction_names = Subscription(
    "notes-redaction-names",
    "Keeps every member's name so notes can be stripped of names before sharing.",
)


@redaction_names.handler
async def on_member_registered(
    envelope: EventEnvelope, event: MemberRegisteredV1, names: RedactionNames
) -> None:
    await names.remember(
        event.member_id, redaction_terms(event.display_name), event_id=str(envelope.event_id)
    )


@redaction_names.handler
async def on_member_profile_updated(
    envelope: EventEnvelope, event: MemberProfileUpdatedV1, names: RedactionNames
) -> None:
    await names.add_terms(
        event.member_id, redaction_terms(event.display_name), event_id=str(envelope.event_id)
    )


@redaction_names.handler
async def on_member_erased(
    envelope: EventEnvelope, event: MemberErasedV1, names: RedactionNames
) -> None:
    await names.forget(event.member_id, event_id=str(envelope.event_id))


async def export_me(request: Empty, caller: Caller, names: RedactionNames) -> dict[str, object]:
    return {"redaction_names": await names.export(require_member(caller))}
