"""The demo directory: valid entries, everywhere and in every category, with contact
details only from the ranges reserved for examples."""

import re
from datetime import date

from huddle_devkit.demo_directory import entries
from huddle_shared.contracts.areas import IntegratedCareBoard, board_code, region_code
from huddle_shared.contracts.membership import Region
from huddle_shared.contracts.signposting import Audience, CreateService
from huddle_signposting.directory.domain import is_stale
from huddle_signposting.directory.taxonomy import TAXONOMY, term_id

TODAY = date(2026, 12, 3)
# Ofcom's drama numbers: the ranges set aside for fiction and examples.
DRAMA = re.compile(
    r"^(01632 960|020 7946 0|07700 900|0113 496 0|0114 496 0|0115 496 0|0116 496 0|"
    r"0117 496 0|0118 496 0|0121 496 0|0151 496 0|0161 496 0|0191 498 0|0808 157 0|"
    r"0306 999 0)\d{3}$"
)


def demo() -> list[CreateService]:
    found = []
    for body in entries(TODAY):
        body = dict(body)
        body["taxonomy_term_ids"] = [term_id(c) for c in body.pop("taxonomy_term_codes")]
        found.append(CreateService.model_validate(body))
    return found


def test_over_300_valid_entries_across_every_area_and_category() -> None:
    services = demo()
    assert len(services) >= 300
    areas = {a for s in services for a in s.areas}
    assert "national" in areas
    assert {region_code(r) for r in Region} <= areas
    assert {board_code(b) for b in IntegratedCareBoard} <= areas
    used = {t for s in services for t in s.taxonomy_term_ids}
    leaves = {t.id for t in TAXONOMY.terms if TAXONOMY.matching(t.id) == {t.id}}
    assert leaves <= used
    assert all(used & TAXONOMY.matching(t.id) for t in TAXONOMY.terms if t.parent is None)
    assert {a for s in services for a in s.audiences} == set(Audience)


def test_contact_details_are_reserved_examples_only() -> None:
    services = demo()
    numbers = [p.number for s in services for p in s.phones]
    numbers += [c.phone for s in services for c in s.contacts if c.phone]
    assert all(DRAMA.match(n) for n in numbers), [n for n in numbers if not DRAMA.match(n)]
    assert len(set(numbers)) == len(numbers)
    addresses = [a for s in services for a in (s.email, s.organization.email) if a]
    addresses += [c.email for s in services for c in s.contacts if c.email]
    assert all(a.endswith(".example.org") for a in addresses)
    urls = [u for s in services for u in (s.url, s.organization.website) if u]
    assert all(re.match(r"^https://[a-z0-9-]+\.example\.org(/|$)", u) for u in urls)


def test_some_entries_are_stale_most_are_not() -> None:
    services = demo()
    stale = [s for s in services if s.last_checked_on and is_stale(s.last_checked_on, TODAY)]
    assert 0 < len(stale) < len(services) // 5
