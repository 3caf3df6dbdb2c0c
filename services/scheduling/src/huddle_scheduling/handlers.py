"""Scheduling's event handlers (idempotent: JetStream delivers at least once)."""

from huddle_shared.contracts.envelope import EventEnvelope
from huddle_shared.contracts.membership import MemberRegisteredV1

from huddle_scheduling.domain import Attendee
from huddle_scheduling.repository import Attendees


async def on_member_registered(
    envelope: EventEnvelope, event: MemberRegisteredV1, attendees: Attendees
) -> None:
    await attendees.record(Attendee.from_registration(event), event_id=str(envelope.event_id))
