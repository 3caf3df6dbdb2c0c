"""Signposting's event handlers (idempotent: JetStream delivers at least once)."""

from huddle_shared.contracts.envelope import EventEnvelope
from huddle_shared.contracts.membership import MemberRegisteredV1, OrganisationRegisteredV1

from huddle_signposting.domain import DirectoryOrganisation
from huddle_signposting.repository import OrganisationDirectory


async def on_organisation_registered(
    envelope: EventEnvelope, event: OrganisationRegisteredV1, directory: OrganisationDirectory
) -> None:
    organisation = DirectoryOrganisation.from_registration(event)
    await directory.record(organisation, event_id=str(envelope.event_id))


async def on_member_registered(
    envelope: EventEnvelope, event: MemberRegisteredV1, directory: OrganisationDirectory
) -> None:
    await directory.record_member(
        event.member_id, event.organisation_id, event_id=str(envelope.event_id)
    )
