"""Notes' event handlers (idempotent: JetStream delivers at least once)."""

from huddle_shared.contracts.envelope import EventEnvelope
from huddle_shared.contracts.membership import MemberRegisteredV1

from huddle_notes.domain import redaction_terms
from huddle_notes.repository import RedactionNames


async def on_member_registered(
    envelope: EventEnvelope, event: MemberRegisteredV1, names: RedactionNames
) -> None:
    await names.remember(
        event.member_id, redaction_terms(event.display_name), event_id=str(envelope.event_id)
    )
