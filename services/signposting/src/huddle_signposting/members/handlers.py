"""Signposting's copy of members, from membership's events (idempotent and in order: a
redelivered or late event never undoes a newer one), and the member's erasure across
signposting's areas.

``member.erased`` buries the member first (no later event brings them back, and they can no
longer send or answer anything), then removes their listing as a person who knows, their
contact requests sent and received, the free text of their signposting requests, and the
replies kept for their retries.
"""

from typing import Protocol
from uuid import UUID

from huddle_shared.contracts.envelope import EventEnvelope
from huddle_shared.contracts.membership import (
    MemberErasedV1,
    MemberProfileUpdatedV1,
    MemberRegisteredV1,
    MemberStatusChangedV1,
)
from huddle_shared.messaging.subscriptions import Subscription

from huddle_signposting.members.repository import People


class ForgetsMember(Protocol):
    async def forget(self, member_id: UUID) -> object: ...


class KeptReplies(Protocol):
    async def forget_member(self, member_id: object) -> int: ...


people_events = Subscription(
    "signposting-people",
    "Members, their consent to be listed as people who know, topics, region and status; "
    "erasure of everything signposting holds about a member.",
)


@people_events.handler
async def on_member_registered(
    envelope: EventEnvelope, event: MemberRegisteredV1, people: People
) -> None:
    await people.record(
        envelope,
        event.member_id,
        display_name=event.display_name,
        member_type=event.member_type.value,
        organisation_id=str(event.organisation_id),
        region=event.region.value if event.region else None,
        topics=list(event.topics),
        listed_as_expert=event.listed_as_expert,
        status="active",
    )


@people_events.handler
async def on_profile_updated(
    envelope: EventEnvelope, event: MemberProfileUpdatedV1, people: People
) -> None:
    await people.record(
        envelope,
        event.member_id,
        display_name=event.display_name,
        member_type=event.member_type.value,
        topics=list(event.topics),
        listed_as_expert=event.listed_as_expert,
    )


@people_events.handler
async def on_status_changed(
    envelope: EventEnvelope, event: MemberStatusChangedV1, people: People
) -> None:
    await people.record(envelope, event.member_id, status=event.status)


@people_events.handler
async def on_member_erased(
    envelope: EventEnvelope,
    event: MemberErasedV1,
    people: People,
    erasing: tuple[ForgetsMember, ...],
    kept_replies: KeptReplies,
) -> None:
    await people.forget(event.member_id, event_id=str(envelope.event_id))
    for area in erasing:
        await area.forget(event.member_id)
    await kept_replies.forget_member(event.member_id)
