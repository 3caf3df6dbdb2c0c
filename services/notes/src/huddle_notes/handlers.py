"""Notes' event handlers (idempotent: JetStream delivers at least once)."""

from huddle_shared.contracts.common import Empty, export_subject
from huddle_shared.contracts.envelope import EventEnvelope
from huddle_shared.contracts.membership import (
    MemberProfileUpdatedV1,
    MemberRegisteredV1,
)
from huddle_shared.contracts.rpc import Caller
from huddle_shared.errors import require_member
from huddle_shared.messaging.routes import RouteTable
from huddle_shared.messaging.subscriptions import Subscription

from huddle_notes import SERVICE
from huddle_notes.domain import redaction_terms
from huddle_notes.repository import RedactionNames

redaction_names = Subscription(
    "notes-redaction-names",
    "Keeps every member's name so notes can be stripped of names before sharing.",
)
redaction_names.forgets("names")


@redaction_names.handler
async def on_member_named(
    envelope: EventEnvelope,
    event: MemberRegisteredV1 | MemberProfileUpdatedV1,
    names: RedactionNames,
) -> None:
    """A name the member is known by, at registration or after a rename: both are kept, as
    the old name still identifies them."""
    await names.remember(
        event.member_id, redaction_terms(event.display_name), event_id=str(envelope.event_id)
    )


rpc = RouteTable()


@rpc.route(export_subject(SERVICE), "What notes holds about the caller.")
async def export_me(request: Empty, caller: Caller, names: RedactionNames) -> dict[str, object]:
    return {"redaction_names": await names.export(require_member(caller))}
