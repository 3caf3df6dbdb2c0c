"""Signposting's people who know, contact requests and gaps: the pure rules."""

from datetime import UTC, datetime, timedelta
from uuid import uuid4

import pytest
from huddle_shared.contracts.experts import ContactRequestStatus, GapReason
from huddle_shared.contracts.membership import Region
from huddle_shared.contracts.signposting import Audience
from huddle_shared.errors import Conflict, Forbidden, NotFound, TooManyRequests
from huddle_signposting.experts.domain import (
    ContactRateLimit,
    ContactRequest,
    rank,
    topic_matches,
)
from huddle_signposting.members.domain import Person
from huddle_signposting.requests.domain import (
    SignpostingRequest,
    gap_on_answer,
    knows_about,
    month_of,
)

pytestmark = pytest.mark.unit

NOW = datetime(2026, 12, 3, 21, 30, tzinfo=UTC)


def person(**fields: object) -> Person:
    defaults: dict[str, object] = {
        "member_id": uuid4(),
        "display_name": "Ada Okafor",
        "topics": ("Bereavement",),
        "listed_as_expert": True,
        "status": "active",
    }
    return Person(**{**defaults, **fields})  # type: ignore[arg-type]


def test_only_an_active_member_who_consented_and_named_a_topic_is_listed() -> None:
    assert person().is_listed_expert
    assert not person(listed_as_expert=False).is_listed_expert
    assert not person(status="suspended").is_listed_expert
    assert not person(status=None).is_listed_expert  # registration not seen yet
    assert not person(topics=()).is_listed_expert


def test_a_topic_matches_any_topic_containing_it_ignoring_case() -> None:
    topics = ("Medication safety", "Bereavement")
    assert topic_matches(topics, "MEDICATION")
    assert topic_matches(topics, " reave ")
    assert topic_matches(topics, "")
    assert not topic_matches(topics, "sepsis")


def test_those_in_the_region_then_in_my_networks_come_first() -> None:
    far = person(display_name="Aaron", region=Region.LONDON)
    near = person(display_name="Zed", region=Region.NORTH_WEST)
    fellow = person(display_name="Yan", region=Region.NORTH_WEST)
    ranked = rank([far, near, fellow], region=Region.NORTH_WEST, in_my_networks={fellow.member_id})
    assert ranked == [fellow, near, far]
    assert rank([near, far], region=None, in_my_networks=set()) == [far, near]  # by name


def test_the_rate_limit_has_so_many_slots_per_member_and_day() -> None:
    limit = ContactRateLimit(per_day=5)
    member, other = uuid4(), uuid4()
    today = limit.slots(member, NOW)
    assert len(today) == len(set(today)) == 5
    assert limit.slots(member, NOW.replace(hour=0, minute=1)) == today  # the same UTC day
    tomorrow = limit.slots(member, NOW + timedelta(hours=3))
    assert not set(tomorrow) & set(today)
    assert not set(limit.slots(other, NOW)) & set(today)
    refused = limit.refused(NOW)
    assert isinstance(refused, TooManyRequests)
    assert refused.retry_after_seconds == 150 * 60  # until midnight UTC


def test_a_contact_request_goes_only_to_a_listed_expert_and_not_to_oneself() -> None:
    requester, expert = person(listed_as_expert=False), person()

    def send(to: Person | None, by: Person | None = requester) -> ContactRequest:
        expert_id = to.member_id if to else uuid4()
        return ContactRequest.send(
            request_id=uuid4(), requester=by, expert_id=expert_id, expert=to, message="Hi", now=NOW
        )

    assert send(expert).status == ContactRequestStatus.PENDING
    with pytest.raises(NotFound):
        send(person(listed_as_expert=False))
    with pytest.raises(NotFound):
        send(None)
    with pytest.raises(Conflict):
        send(expert, by=expert)
    with pytest.raises(Forbidden):
        send(expert, by=person(status="suspended"))


def test_the_email_is_for_the_requester_once_accepted() -> None:
    requester, expert, stranger = person(), person(), uuid4()
    request = ContactRequest.send(
        request_id=uuid4(),
        requester=requester,
        expert_id=expert.member_id,
        expert=expert,
        message="Hi",
        now=NOW,
    )
    assert request.email_for(requester.member_id) is None
    with pytest.raises(Forbidden):
        request.accept(requester.member_id, "me@example.org", NOW)
    with pytest.raises(NotFound):
        request.accept(stranger, "me@example.org", NOW)
    accepted = request.accept(expert.member_id, "ada@example.org", NOW)
    assert accepted.email_for(requester.member_id) == "ada@example.org"
    assert accepted.email_for(expert.member_id) is None
    assert accepted.email_for(stranger) is None
    assert accepted.accept(expert.member_id, "other@example.org", NOW) == accepted
    with pytest.raises(Conflict):
        accepted.decline(expert.member_id, NOW)
    declined = request.decline(expert.member_id, NOW)
    assert declined.email_for(requester.member_id) is None
    with pytest.raises(Conflict):
        declined.accept(expert.member_id, "ada@example.org", NOW)


def test_nothing_matched_is_a_gap_and_anything_matched_is_not() -> None:
    assert gap_on_answer(0, 0) == GapReason.NO_MATCH
    assert gap_on_answer(1, 0) is None
    assert gap_on_answer(0, 2) is None


def answered(experts: int, text: str = "for my neighbour") -> tuple[SignpostingRequest, list]:  # type: ignore[type-arg]
    return SignpostingRequest.answered(
        request_id=uuid4(),
        requester_id=REQUESTER,
        category="bereavement",
        category_name="Bereavement support",
        area="region:north_west",
        audience=Audience.FAMILIES_AND_CARERS,
        text=text,
        now=NOW,
        services=(),
        expert_ids=tuple(uuid4() for _ in range(experts)),
    )


REQUESTER = uuid4()


def test_a_gap_names_category_area_audience_and_month_never_the_text() -> None:
    request, events = answered(0, text="a secret")
    assert request.gap_recorded
    (gap,) = events
    assert gap.model_dump(mode="json") == {
        "category": "bereavement",
        "area": "region:north_west",
        "audience": "families_and_carers",
        "month": "2026-12",
        "reason": "no_match",
    }
    assert month_of(datetime(2027, 1, 1, tzinfo=UTC)) == "2027-01"


def test_unhelpful_is_a_gap_once_and_the_outcome_is_given_once() -> None:
    request, events = answered(1)
    assert events == [] and not request.gap_recorded
    with pytest.raises(NotFound):
        request.record_outcome(uuid4(), helped=False)
    unhelpful, gaps = request.record_outcome(REQUESTER, helped=False)
    assert [g.reason for g in gaps] == [GapReason.UNHELPFUL] and unhelpful.gap_recorded
    assert unhelpful.record_outcome(REQUESTER, helped=False) == (unhelpful, [])
    with pytest.raises(Conflict):
        unhelpful.record_outcome(REQUESTER, helped=True)
    helped, none = request.record_outcome(REQUESTER, helped=True)
    assert helped.helped is True and none == []
    # Already a gap (nothing matched): unhelpful records no second one.
    nothing, _ = answered(0)
    assert nothing.record_outcome(REQUESTER, helped=False)[1] == []


def test_a_person_knows_about_a_category_sharing_a_word_that_says_what_it_is() -> None:
    assert knows_about(("Bereaved families",), "Bereavement support")
    assert knows_about(("Patient Safety Partner role",), "Support for Patient Safety Partners")
    assert knows_about(("Advocacy for families",), "Advocacy")
    # "safety" and "support" say nothing about which support.
    assert not knows_about(("Medication safety",), "Support for Patient Safety Partners")
    assert not knows_about(("Peer support",), "Counselling and psychological support")
