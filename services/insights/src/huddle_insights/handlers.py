"""Insights' event handlers (idempotent: JetStream delivers at least once)."""

from huddle_shared.contracts.common import Empty, export_subject
from huddle_shared.contracts.envelope import EventEnvelope
from huddle_shared.contracts.membership import MemberRegisteredV1
from huddle_shared.contracts.rpc import Caller
from huddle_shared.errors import require_member
from huddle_shared.messaging.routes import RouteTable
from huddle_shared.messaging.subscriptions import Subscription

from huddle_insights import SERVICE
from huddle_insights.domain import MemberProfile
from huddle_insights.repository import MemberProfiles

member_counts = Subscription(
    "insights-member-counts",
    "Counts members by organisation kind, region and type (no names kept).",
)
member_counts.forgets("profiles")


@member_counts.handler
async def on_member_registered(
    envelope: EventEnvelope, event: MemberRegisteredV1, profiles: MemberProfiles
) -> None:
    await profiles.record(MemberProfile.from_registration(event), event_id=str(envelope.event_id))


rpc = RouteTable()


@rpc.route(export_subject(SERVICE), "What insights holds about the caller.")
async def export_me(request: Empty, caller: Caller, profiles: MemberProfiles) -> dict[str, object]:
    return {"member_profile": await profiles.export(require_member(caller))}
