"""Scheduling, signposting and insights: their event handlers against fakes (notes' own
projections are tested on the real system: tests/integration/test_notes_workflow.py).

The handlers are the same ones the services run; the fakes keep the projections' rules (an
event applies once, an erasure leaves a tombstone no late event can fill again).
"""

from types import SimpleNamespace
from typing import Any
from uuid import UUID

import pytest
from fakes import FakeAttendees, FakeMemberProfiles, FakeOrganisationDirectory
from huddle_insights import handlers as insights
from huddle_scheduling import handlers as scheduling
from huddle_shared.clock import utc_now
from huddle_shared.contracts import membership as mc
from huddle_shared.contracts.common import Empty
from huddle_shared.contracts.envelope import EventEnvelope, EventPayload
from huddle_shared.contracts.rpc import Caller
from huddle_shared.ids import new_id
from huddle_shared.messaging.subscriptions import Subscription
from huddle_signposting import handlers as signposting

pytestmark = pytest.mark.unit

MEMBER, ORGANISATION = new_id(), new_id()


def delivered(event: EventPayload) -> tuple[EventEnvelope, Any]:
    return EventEnvelope.wrap(event, instance_id="test"), event


def registered(name: str = "Priya Raman", member_id: UUID = MEMBER) -> tuple[EventEnvelope, Any]:
    return delivered(
        mc.MemberRegisteredV1(
            member_id=member_id,
            display_name=name,
            member_type=mc.MemberType.PATIENT_SAFETY_PARTNER,
            organisation_id=ORGANISATION,
            organisation_kind=mc.OrganisationKind.CHARITY,
            region=mc.Region.LONDON,
            registered_at=utc_now(),
        )
    )


def renamed(name: str) -> tuple[EventEnvelope, Any]:
    return delivered(
        mc.MemberProfileUpdatedV1(
            member_id=MEMBER, display_name=name, member_type=mc.MemberType.PATIENT_SAFETY_PARTNER
        )
    )


ERASED = delivered(mc.MemberErasedV1(member_id=MEMBER))


async def deliver(
    subscription: Subscription, delivery: tuple[EventEnvelope, Any], **deps: Any
) -> None:
    """As the service's consumer would: through the subscription's dispatcher."""
    await subscription.dispatcher(**deps).dispatch(delivery[0])


CALLER = Caller(member_id=MEMBER)


class _NothingElseHeld:
    """Scheduling's other areas, holding nothing about the member (this test is the roster's)."""

    async def export(self, member_id: UUID) -> dict[str, object]:
        return {}

    async def of_member(self, member_id: UUID) -> None:
        return None


async def _scheduling_export(attendees: FakeAttendees) -> dict[str, Any]:
    others = _NothingElseHeld()
    deps = SimpleNamespace(tokens=others, reminders=SimpleNamespace(of_member=_no_reminders))
    return await scheduling.export_me(
        Empty(), CALLER, attendees=attendees, registrations=others, calendar_deps=deps
    )


async def _no_reminders(member_id: UUID) -> list[object]:
    return []


async def test_scheduling_keeps_the_latest_name_until_erasure() -> None:
    attendees = FakeAttendees()
    await deliver(scheduling.attendee_events, registered(), attendees=attendees)
    await deliver(scheduling.attendee_events, renamed("Priya Shah"), attendees=attendees)
    exported = await _scheduling_export(attendees)
    assert exported["attendee"] == {
        "_id": str(MEMBER),
        "display_name": "Priya Shah",
        "member_type": "patient_safety_partner",
        "listed": False,
        "is_instance_admin": False,
    }
    await deliver(scheduling.attendee_events, ERASED, attendees=attendees)
    await deliver(scheduling.attendee_events, registered(), attendees=attendees)  # late
    assert (await _scheduling_export(attendees))["attendee"] is None


class _NothingHeld:
    """Signposting's other areas, holding nothing (they are tested on the real system:
    tests/component/test_people_who_know.py)."""

    async def export(self, member_id: UUID) -> Any:
        return None


NO_PEOPLE = {
    "experts": SimpleNamespace(people=_NothingHeld(), export=_NothingHeld().export),
    "needs": _NothingHeld(),
    "area": SimpleNamespace(
        members=_NothingHeld(), curators=_NothingHeld(), suggestions=_NothingHeld()
    ),
}


async def test_signposting_counts_members_by_organisation() -> None:
    directory = FakeOrganisationDirectory()
    organisation = delivered(
        mc.OrganisationRegisteredV1(
            organisation_id=ORGANISATION,
            name="Action against Medical Accidents",
            kind=mc.OrganisationKind.CHARITY,
            region=None,
            ods_code=None,
        )
    )
    await deliver(signposting.directory_events, organisation, directory=directory)
    await deliver(signposting.directory_events, registered(), directory=directory)
    await deliver(signposting.directory_events, registered(member_id=new_id()), directory=directory)
    assert await directory.member_count(ORGANISATION) == 2
    await deliver(signposting.directory_events, ERASED, directory=directory)
    assert await directory.member_count(ORGANISATION) == 1
    exported = await signposting.export_me(Empty(), CALLER, directory=directory, **NO_PEOPLE)
    assert exported["organisation_membership"] is None


async def test_insights_counts_without_names() -> None:
    profiles = FakeMemberProfiles()
    await deliver(insights.member_counts, registered(), profiles=profiles)
    await deliver(insights.member_counts, registered(member_id=new_id()), profiles=profiles)
    assert await profiles.count_by_organisation_kind() == {"charity": 2}
    exported = await insights.export_me(Empty(), CALLER, profiles=profiles)
    assert "Priya" not in repr(exported)
    await deliver(insights.member_counts, ERASED, profiles=profiles)
    assert await profiles.count_by_organisation_kind() == {"charity": 1}


async def test_handlers_refuse_callers_who_are_not_members() -> None:
    with pytest.raises(Exception, match="Sign in"):
        await signposting.export_me(
            Empty(), Caller(), directory=FakeOrganisationDirectory(), **NO_PEOPLE
        )
