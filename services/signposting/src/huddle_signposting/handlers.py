"""Signposting's event handlers (idempotent: JetStream delivers at least once)."""

from huddle_shared.contracts.common import Empty, export_subject
from huddle_shared.contracts.envelope import EventEnvelope
from huddle_shared.contracts.membership import (
    MemberRegisteredV1,
    OrganisationRegisteredV1,
)
from huddle_shared.contracts.rpc import Caller
from huddle_shared.errors import require_member
from huddle_shared.messaging.routes import RouteTable
from huddle_shared.messaging.subscriptions import Subscription

from huddle_signposting import SERVICE
from huddle_signposting.directory.handlers import DirectoryArea
from huddle_signposting.domain import DirectoryOrganisation
from huddle_signposting.experts.handlers import ExpertsArea
from huddle_signposting.repository import OrganisationDirectory
from huddle_signposting.requests.handlers import RequestsArea

directory_events = Subscription(
    "signposting-organisation-directory",
    "Keeps the directory of organisations that signposts name, with member counts.",
)
directory_events.forgets("directory")


@directory_events.handler
async def on_organisation_registered(
    envelope: EventEnvelope, event: OrganisationRegisteredV1, directory: OrganisationDirectory
) -> None:
    organisation = DirectoryOrganisation.from_registration(event)
    await directory.record(organisation, event_id=str(envelope.event_id))


@directory_events.handler
async def on_member_registered(
    envelope: EventEnvelope, event: MemberRegisteredV1, directory: OrganisationDirectory
) -> None:
    await directory.record_member(
        event.member_id, event.organisation_id, event_id=str(envelope.event_id)
    )


rpc = RouteTable()


@rpc.route(export_subject(SERVICE), "What signposting holds about the caller.")
async def export_me(
    request: Empty,
    caller: Caller,
    directory: OrganisationDirectory,
    experts: ExpertsArea,
    needs: RequestsArea,
    area: DirectoryArea,
) -> dict[str, object]:
    member_id = require_member(caller)
    return {
        "directory_member": await area.members.export(member_id),  # name, admin, status
        "directory_curator": await area.curators.export(member_id),
        "directory_suggestions": await area.suggestions.export(member_id),
        "organisation_membership": await directory.export(member_id),
        "member": await experts.people.export(member_id),  # consent, topics, region
        "contact_requests": await experts.export(member_id),
        "signposting_requests": await needs.export(member_id),
    }
