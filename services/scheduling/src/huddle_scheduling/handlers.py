"""Scheduling's event handlers (idempotent: JetStream delivers at least once)."""

from huddle_shared.contracts.common import Empty, export_subject
from huddle_shared.contracts.envelope import EventEnvelope
from huddle_shared.contracts.membership import (
    MemberInstanceAdminChangedV1,
    MemberProfileUpdatedV1,
    MemberRegisteredV1,
)
from huddle_shared.contracts.rpc import Caller
from huddle_shared.errors import require_member
from huddle_shared.messaging.routes import RouteTable
from huddle_shared.messaging.subscriptions import Subscription

from huddle_scheduling import SERVICE
from huddle_scheduling.calendar.handlers import CalendarDependencies
from huddle_scheduling.calendar.handlers import export_member as export_calendar
from huddle_scheduling.domain import Attendee
from huddle_scheduling.registrations.repository import Registrations
from huddle_scheduling.repository import Attendees

attendee_events = Subscription(
    "scheduling-attendees",
    "Keeps the members who may register for sessions.",
)
attendee_events.forgets("attendees")


@attendee_events.handler
async def on_member_registered(
    envelope: EventEnvelope, event: MemberRegisteredV1, attendees: Attendees
) -> None:
    await attendees.record(Attendee.from_registration(event), envelope=envelope)


@attendee_events.handler
async def on_member_profile_updated(
    envelope: EventEnvelope, event: MemberProfileUpdatedV1, attendees: Attendees
) -> None:
    await attendees.rename(
        event.member_id, event.display_name, listed=event.listed_in_directory, envelope=envelope
    )


@attendee_events.handler
async def on_instance_admin_changed(
    envelope: EventEnvelope, event: MemberInstanceAdminChangedV1, attendees: Attendees
) -> None:
    await attendees.set_instance_admin(event.member_id, event.is_instance_admin, envelope=envelope)


rpc = RouteTable()


@rpc.route(export_subject(SERVICE), "What scheduling holds about the caller.")
async def export_me(
    request: Empty,
    caller: Caller,
    attendees: Attendees,
    registrations: Registrations,
    calendar_deps: CalendarDependencies,
) -> dict[str, object]:
    member_id = require_member(caller)
    return {
        "attendee": await attendees.export(member_id),
        **await registrations.export(member_id),
        **await export_calendar(caller, calendar_deps),
    }
