"""Insights' event handlers (idempotent: JetStream delivers at least once)."""

from huddle_shared.contracts.common import Empty
from huddle_shared.contracts.envelope import EventEnvelope
from huddle_shared.contracts.membership import MemberErasedV1, MemberRegisteredV1
from huddle_shared.contracts.rpc import Caller
from huddle_shared.errors import require_member
from huddle_shared.messaging.subscriptions import Subscription

from huddle_insights.domain import MemberProfile
from huddle_insights.repository import MemberProfiles

member_counts = Subscription(
    "insights-member-counts",
    "Counts members by organisation kind, region and type (no names kept).",
)


@member_counts.handler
async def on_member_registered(
    envelope: EventEnvelope, event: MemberRegisteredV1, profiles: MemberProfiles
) -> None:
    await profiles.record(MemberProfile.from_registration(event), event_id=str(envelope.event_id))


@member_counts.handler
async def on_member_erased(
    envelope: EventEnvelope, event: MemberErasedV1, profiles: MemberProfiles
) -> None:
    await profiles.forget(event.member_id, event_id=str(envelope.event_id))


async def export_me(request: Empty, caller: Caller, profiles: MemberProfiles) -> dict[str, object]:
    return {"member_profile": await profiles.export(require_member(caller))}
