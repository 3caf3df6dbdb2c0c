"""Insights' event handlers (idempotent: JetStream delivers at least once)."""

from huddle_shared.contracts.envelope import EventEnvelope
from huddle_shared.contracts.membership import MemberRegisteredV1

from huddle_insights.domain import MemberProfile
from huddle_insights.repository import MemberProfiles


async def on_member_registered(
    envelope: EventEnvelope, event: MemberRegisteredV1, profiles: MemberProfiles
) -> None:
    await profiles.record(MemberProfile.from_registration(event), event_id=str(envelope.event_id))
