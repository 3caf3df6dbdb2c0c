"""The directory's pure rules: area matching, the stale rule, freshness, history diffs,
the taxonomy's descendants, and search ranking and filters."""

import dataclasses
import itertools
from datetime import UTC, date, datetime, timedelta
from uuid import uuid4

import pytest
from huddle_shared.contracts.signposting import AreaMatch, Audience, HistoryAction
from huddle_signposting.directory.domain import (
    Entry,
    EntryRetired,
    best_match,
    diff,
    freshness,
    is_stale,
    match_of,
    provider_id,
)
from huddle_signposting.directory.search import (
    DirectoryIndex,
    Indexed,
    Query,
    query_terms,
    weights_of,
)
from huddle_signposting.directory.taxonomy import TAXONOMY, term_id

TODAY = date(2026, 12, 3)
NW = "region:north_west"
GM = "icb:greater-manchester"
CM = "icb:cheshire-and-merseyside"
LONDON = "region:london"
NCL = "icb:north-central-london"


@pytest.mark.parametrize(
    ("covered", "wanted", "match"),
    [
        ("national", GM, AreaMatch.WITHIN),
        ("national", NW, AreaMatch.WITHIN),
        ("national", "national", AreaMatch.EXACT),
        (NW, GM, AreaMatch.WITHIN),  # a region's service matches its boards
        (GM, NW, AreaMatch.NEARBY),  # a board's service matches its region's search
        (GM, GM, AreaMatch.EXACT),
        (GM, CM, None),  # a neighbouring board: no
        (LONDON, GM, None),  # another region: no
        (NCL, NW, None),
        (NW, "national", None),  # a national search finds national services only
        (GM, "national", None),
    ],
)
def test_area_matching(covered: str, wanted: str, match: AreaMatch | None) -> None:
    assert match_of(covered, wanted) == match


def test_the_best_of_an_entrys_areas_counts() -> None:
    assert best_match([LONDON, "national"], NCL) == AreaMatch.WITHIN
    assert best_match([CM, GM], GM) == AreaMatch.EXACT
    assert best_match([CM], GM) is None
    assert best_match([CM], None) == AreaMatch.ANY


@pytest.mark.parametrize(
    ("checked", "today", "stale"),
    [
        (date(2025, 12, 3), TODAY, True),  # exactly 12 months
        (date(2025, 12, 4), TODAY, False),  # a day short
        (date(2024, 1, 1), TODAY, True),
        (TODAY, TODAY, False),
        (date(2024, 2, 29), date(2025, 2, 28), True),  # a leap day's year ends on the 28th
        (date(2024, 2, 29), date(2025, 2, 27), False),
    ],
)
def test_stale_after_twelve_months(checked: date, today: date, stale: bool) -> None:
    assert is_stale(checked, today) is stale


def test_freshness_falls_with_age_and_stops_at_zero() -> None:
    ages = [0, 30, 120, 200, 400, 600, 729, 1000]
    values = [freshness(TODAY - timedelta(days=d), TODAY) for d in ages]
    assert values[0] == values[1] == 1.0
    assert all(a >= b for a, b in itertools.pairwise(values))
    assert values[2] > values[4] > values[5] > 0.0
    assert values[-1] == 0.0


def test_diff_names_only_the_fields_that_changed_with_both_values() -> None:
    before = {"name": "Cruse", "phones": [{"number": "01632 960001"}], "url": None}
    after = {
        "name": "Cruse",
        "phones": [{"number": "01632 960002"}],
        "url": "https://x.example.org",
    }
    changes = diff(before, after)
    assert [(c.field, c.before, c.after) for c in changes] == [
        ("phones", [{"number": "01632 960001"}], [{"number": "01632 960002"}]),
        ("url", None, "https://x.example.org"),
    ]


def _fields(**overrides: object) -> dict[str, object]:
    fields: dict[str, object] = {
        "name": "Bereavement helpline",
        "description": "Support after a death.",
        "url": None,
        "email": None,
        "phones": [],
        "contacts": [],
        "status": "active",
        "eligibility_description": "",
        "audiences": ["families_and_carers"],
        "minimum_age": None,
        "maximum_age": None,
        "taxonomy_term_ids": [str(term_id("bereavement"))],
        "areas": ["national"],
        "access": {"referral": "self_referral", "accepting_referrals": True, "how_to_access": ""},
        "languages": [],
        "fees_description": "",
        "cost_options": [],
    }
    fields.update(overrides)
    return fields


def test_an_entrys_history_keeps_who_when_and_what() -> None:
    curator, other = uuid4(), uuid4()
    at = datetime(2026, 1, 5, 9, tzinfo=UTC)
    entry = Entry.create(uuid4(), {"name": "Cruse"}, _fields(), by=curator, at=at)
    later = at + timedelta(days=30)
    changed = entry.change(
        {"name": "Cruse helpline", "description": "Support after a death."}, by=other, at=later
    )
    assert [(c.field, c.before, c.after) for c in changed] == [
        ("name", "Bereavement helpline", "Cruse helpline")
    ]
    assert entry.change({"name": "Cruse helpline"}, by=other, at=later) == []  # nothing new
    entry.retire(by=curator, at=later, reason="Closed")
    actions = [(c.action, c.by) for c in entry.history]
    assert actions == [
        (HistoryAction.CREATED, curator),
        (HistoryAction.UPDATED, other),
        (HistoryAction.RETIRED, curator),
    ]
    assert entry.last_checked_on == later.date() and entry.last_checked_by == other
    with pytest.raises(EntryRetired):
        entry.change({"name": "Again"}, by=other, at=later)
    assert entry.forget_member(other) and entry.last_checked_by is None
    assert [c.by for c in entry.history] == [curator, None, curator]


def test_a_category_matches_its_descendants_only() -> None:
    top = term_id("bereavement")
    assert TAXONOMY.matching(top) >= {term_id("baby-loss"), term_id("child-bereavement"), top}
    assert term_id("advocacy") not in TAXONOMY.matching(top)
    assert TAXONOMY.matching(term_id("baby-loss")) == {term_id("baby-loss")}


def test_providers_are_one_whatever_the_case_or_spacing() -> None:
    assert provider_id("Cruse  Bereavement Support") == provider_id("cruse bereavement support")
    assert provider_id("Cruse") != provider_id("Samaritans")


def indexed(name: str, text: str, areas: tuple[str, ...], *, checked: date = TODAY, audiences: tuple[Audience, ...] = (Audience.FAMILIES_AND_CARERS,), terms: tuple[str, ...] = ("bereavement",), retired: bool = False) -> Indexed:  # fmt: skip
    return Indexed(
        service_id=uuid4(),
        name=name,
        organization_id=provider_id(name),
        areas=areas,
        audiences=frozenset(audiences),
        term_ids=frozenset(term_id(t) for t in terms),
        last_checked_on=checked,
        last_modified=datetime(2026, 1, 1, tzinfo=UTC),
        retired=retired,
        weights=weights_of(name, text),
    )


def names(index: DirectoryIndex, **query: object) -> list[str]:
    if "terms" in query:
        query["terms"] = tuple(query_terms(str(query["terms"])))
    return [h.entry.name for h in index.search(Query(**query), TODAY).hits]  # type: ignore[arg-type]


def test_ranking_by_area_match_then_freshness() -> None:
    index = DirectoryIndex()
    for entry in (
        indexed("England helpline", "bereavement support", ("national",)),
        indexed("Manchester service", "bereavement support", (GM,)),
        indexed("North West service", "bereavement support", (NW,)),
        indexed("Merseyside service", "bereavement support", (CM,)),
        indexed("London service", "bereavement support", (LONDON,)),
    ):
        index.add(entry)
    # Searching a board: its own first, then its region's, then England's; not neighbours'.
    assert names(index, area=GM) == ["Manchester service", "North West service", "England helpline"]
    # Searching a region: the region's, then England's, then its boards' (nearby).
    assert names(index, area=NW) == [
        "North West service",
        "England helpline",
        "Manchester service",
        "Merseyside service",
    ]
    old = indexed("Old North West service", "bereavement support", (NW,), checked=date(2024, 6, 1))
    index.add(old)
    assert names(index, area=NW)[:2] == ["North West service", "England helpline"]
    assert names(index, area=NW).index("Old North West service") > 0


def test_relevance_words_in_the_name_count_most_and_stems_match() -> None:
    index = DirectoryIndex()
    index.add(indexed("Counselling for families", "Talking support after harm", ("national",)))
    index.add(indexed("Family support line", "We offer counselling now and then", ("national",)))
    index.add(indexed("Legal advice", "Clinical negligence solicitors", ("national",)))
    assert names(index, terms="counsel") == [
        "Counselling for families",
        "Family support line",
    ]
    assert names(index, terms="solicitor") == ["Legal advice"]
    assert names(index, terms="family") == ["Family support line", "Counselling for families"]
    assert names(index, terms="nothing matches this") == []


def test_filters_audience_category_retired_and_pages() -> None:
    index = DirectoryIndex()
    index.add(indexed("Staff hub", "wellbeing", ("national",), audiences=(Audience.STAFF,), terms=("staff-psychological-support",)))  # fmt: skip
    index.add(indexed("Baby loss line", "support", ("national",), terms=("baby-loss",)))
    index.add(indexed("Gone", "support", ("national",), retired=True))
    assert names(index, audience=Audience.STAFF) == ["Staff hub"]
    assert names(index, term_ids=TAXONOMY.matching(term_id("bereavement"))) == ["Baby loss line"]
    assert "Gone" not in names(index)
    assert "Gone" in names(index, include_retired=True)
    everything = names(index)
    pages = names(index, per_page=1, page=1) + names(index, per_page=1, page=2)
    assert pages == everything[:2]
    results = index.search(Query(per_page=1), TODAY)
    assert results.total == 2 and len(results.hits) == 1


def test_removing_and_readding_an_entry_changes_what_is_found() -> None:
    index = DirectoryIndex()
    entry = indexed("Advocacy North", "independent complaints advocacy", (NW,))
    index.add(entry)
    assert names(index, terms="advocacy") == ["Advocacy North"]
    index.remove(entry.service_id)
    assert names(index, terms="advocacy") == [] and len(index) == 0
    renamed = dataclasses.replace(entry, weights=weights_of("Help North", "peer support"))
    index.add(renamed)
    assert names(index, terms="advocacy") == [] and names(index, terms="peer") == ["Advocacy North"]


def test_many_changes_compact_the_index_and_keep_every_answer() -> None:
    index = DirectoryIndex()
    steady = indexed("Steady service", "bereavement support", (NW,))
    index.add(steady)
    moving = indexed("Moving service", "advocacy", (GM,))
    for n in range(2_500):  # each change takes a new slot; dead ones are compacted away
        moving = dataclasses.replace(moving, areas=((GM,) if n % 2 else (CM,)))
        index.add(moving)
    assert len(index) == 2
    assert len(index._ids) < 2_500  # compacted at least once
    # The last change put it in Greater Manchester (n odd); the earlier ones are gone.
    assert names(index, area=GM) == ["Moving service", "Steady service"]
    assert names(index, area=CM) == ["Steady service"]
    assert names(index, terms="bereaved", area=GM) == ["Steady service"]
