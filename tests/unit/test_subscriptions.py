"""Subscriptions read each handler's event type from its signature and bind dependencies."""

from typing import ClassVar

import pytest
from huddle_shared.contracts.envelope import EventEnvelope, EventPayload
from huddle_shared.contracts.membership import MemberErasedV1
from huddle_shared.messaging.subscriptions import Subscription
from huddle_shared.services import MEMBERSHIP

pytestmark = pytest.mark.unit


class ThingHappenedV1(EventPayload):
    event_type: ClassVar[str] = "thing.happened"
    version: ClassVar[int] = 1
    producer: ClassVar[str] = "notes"


async def test_handlers_get_the_dependencies_they_name_and_the_stream_follows_the_producer() -> (
    None
):
    seen: list[tuple[str, object]] = []
    members = Subscription("test-members", "Test.")

    @members.handler
    async def on_erased(envelope: EventEnvelope, event: MemberErasedV1, store: list) -> None:  # type: ignore[type-arg]
        store.append(("erased", event.member_id))

    assert members.stream == MEMBERSHIP.stream
    dispatcher = members.dispatcher(store=seen, unused="ignored")
    assert dispatcher.handled == [MemberErasedV1]
    event = MemberErasedV1(member_id="0190f0a0-0000-7000-8000-000000000001")  # type: ignore[arg-type]
    await dispatcher.dispatch(EventEnvelope.wrap(event, instance_id="test"))
    assert seen == [("erased", event.member_id)]


def test_a_handler_without_an_event_type_is_refused_at_import() -> None:
    members = Subscription("test-members", "Test.")

    async def on_anything(envelope: EventEnvelope, event: dict) -> None:  # type: ignore[type-arg]
        return None

    with pytest.raises(TypeError, match="event payload"):
        members.handler(on_anything)


def test_a_missing_dependency_and_mixed_producers_are_refused() -> None:
    members = Subscription("test-mixed", "Test.")

    @members.handler
    async def on_erased(envelope: EventEnvelope, event: MemberErasedV1, store: object) -> None:
        return None

    with pytest.raises(TypeError, match="store"):
        members.dispatcher()

    @members.handler
    async def on_thing(envelope: EventEnvelope, event: ThingHappenedV1) -> None:
        return None

    with pytest.raises(ValueError, match="one producer"):
        _ = members.stream
