"""The demo's people who know: a few dozen, in every region, each findable by a kind of
support signposting names, and only members who fill in their profile (the consent is set
there)."""

import pytest
from huddle_devkit import demo, demo_experts
from huddle_shared.contracts.membership import Region, UpdateProfile

pytestmark = pytest.mark.unit


def test_a_few_dozen_people_who_know_in_every_region() -> None:
    regions = {organisation.name: organisation.region for organisation in demo.ORGANISATIONS}
    experts = demo.EXPERTS
    assert 24 <= len(experts) <= 60
    assert {regions[e.organisation] for e in experts} >= {r.value for r in Region}
    for expert in experts:
        assert expert.completes_profile
        assert set(expert.topics) & set(demo_experts.SIGNPOSTING_TOPICS)
        UpdateProfile(**expert.profile())  # what the loader sends is a valid profile
    assert not any(m.listed_as_expert for m in demo.MEMBERS if m not in experts)
    assert {t for e in experts for t in e.topics} >= set(demo_experts.SIGNPOSTING_TOPICS)
