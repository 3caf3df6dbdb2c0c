from datetime import UTC, datetime
from typing import Any
from uuid import uuid4

import pytest
from huddle_shared.contracts.envelope import EventEnvelope
from huddle_shared.contracts.membership import (
    MemberRegisteredV1,
    MemberType,
    OrganisationKind,
    OrganisationRegisteredV1,
)
from huddle_shared.errors import PermanentFailure
from huddle_shared.messaging.consumer import EventDispatcher

pytestmark = pytest.mark.unit


def envelope() -> EventEnvelope:
    event = MemberRegisteredV1(
        member_id=uuid4(),
        display_name="Chloe Nowak",
        member_type=MemberType.STAFF,
        organisation_id=uuid4(),
        organisation_kind=OrganisationKind.NHS_TRUST,
        region=None,
        registered_at=datetime.now(UTC),
    )
    return EventEnvelope.wrap(event, instance_id="t")


async def test_routes_a_typed_payload_to_its_handler() -> None:
    seen: list[MemberRegisteredV1] = []

    async def handler(_: EventEnvelope, event: MemberRegisteredV1) -> None:
        seen.append(event)

    dispatcher = EventDispatcher()
    dispatcher.on(MemberRegisteredV1, handler)
    await dispatcher.dispatch(envelope())
    assert len(seen) == 1 and seen[0].display_name == "Chloe Nowak"


async def test_events_nobody_handles_are_ignored() -> None:
    async def handler(_: EventEnvelope, __: OrganisationRegisteredV1) -> None:
        raise AssertionError("must not be called")

    dispatcher = EventDispatcher()
    dispatcher.on(OrganisationRegisteredV1, handler)
    await dispatcher.dispatch(envelope())


async def test_a_payload_that_breaks_its_contract_is_a_permanent_failure() -> None:
    async def handler(_: EventEnvelope, __: MemberRegisteredV1) -> None:
        raise AssertionError("must not be called")

    dispatcher = EventDispatcher()
    dispatcher.on(MemberRegisteredV1, handler)
    broken = envelope().model_copy(update={"payload": {"member_id": "not a uuid"}})
    with pytest.raises(PermanentFailure):
        await dispatcher.dispatch(broken)


def test_a_second_handler_for_one_event_is_refused_unless_replacing() -> None:
    dispatcher = EventDispatcher()

    async def first(envelope: Any, event: Any) -> None:
        return None

    dispatcher.on(OrganisationRegisteredV1, first)
    with pytest.raises(ValueError, match="already has a handler"):
        dispatcher.on(OrganisationRegisteredV1, first)
    dispatcher.on(OrganisationRegisteredV1, first, replace=True)
