"""The identifier check's rules for short hospital names, venues, building locations, towns
that are words, phones with a lone trunk zero and organisation head nouns: each with what it
must find and what it must leave alone."""

import pytest
from huddle_notes.check import Checker, Knowledge

pytestmark = pytest.mark.unit

CHECKER = Checker(Knowledge(glossary={"MRI": "Magnetic Resonance Imaging"}))


def found(text: str) -> list[tuple[str, str]]:
    return [(f.category.value, f.text) for f in CHECKER.check(text).findings]


def flagged(text: str, category: str) -> list[str]:
    return [t for c, t in found(text) if c == category]


# --- Phones: the trunk zero as a group of its own ------------------------------------------


@pytest.mark.parametrize(
    ("text", "number"),
    [
        ("text her on 0 7700 900 321 after six", "0 7700 900 321"),
        ("switchboard 0 113 496 0123 ask for bleep", "0 113 496 0123"),
        ("mobile 0-7700-900-468 (work)", "0-7700-900-468"),
    ],
)
def test_a_lone_trunk_zero_is_part_of_the_number(text: str, number: str) -> None:
    assert flagged(text, "phone") == [number]


@pytest.mark.parametrize(
    "text",
    [
        "falls by month: 0 20 30 40 50 60",  # counts in a row
        "the ratio was 0.7700 900 times less",  # a decimal
        "dial 111 or 999, not 0 999",
        "a score of 0 1234 567",  # too few digits for a number
        "0 7700 900 32 and more",  # too few digits again
        "handover at 0 10:30",
    ],
)
def test_rows_of_numbers_are_not_phones(text: str) -> None:
    assert flagged(text, "phone") == []


# --- Organisations ------------------------------------------------------------------------


def test_the_qe_short_form_is_found() -> None:
    assert flagged("she moved to the QE last spring", "organisation") == ["the QE"]


@pytest.mark.parametrize(
    ("text", "name"),
    [
        ("she bought plasters at Superdrug in the precinct", "Superdrug"),
        ("the Boots on the high street ran out", "Boots"),
        ("collected from Lloyds Pharmacy on Friday", "Lloyds Pharmacy"),
    ],
)
def test_pharmacy_chains_are_organisations(text: str, name: str) -> None:
    assert any(name in t for t in flagged(text, "organisation"))


def test_boots_the_footwear_is_not() -> None:
    assert found("we need boots on the ground") == []


@pytest.mark.parametrize(
    ("text", "name"),
    [
        ("the paediatric team at the Children's (she trained there) said", "the Children's"),
        ("referred on to the Children's Hospital, then home", "the Children's Hospital"),
        ("her sister works at the Women's in the maternity office", "the Women's"),
        ("Ashby Homes of Wellbeing runs three sites", "Ashby Homes of Wellbeing"),
        ("Redfern Homes has a new manager", "Redfern Homes"),
        ("the Lakeside Hospital for Children opened", "the Lakeside Hospital for Children"),
    ],
)
def test_phrases_headed_by_an_organisation_noun(text: str, name: str) -> None:
    assert name in flagged(text, "organisation")


@pytest.mark.parametrize(
    "text",
    [
        "every region needs a children's hospital",
        "the Children's ward was closed for cleaning",
        "the Women's Institute ran a stall",
        "residents of care homes and nursing homes",
        "Homes England funds the scheme",
    ],
)
def test_generic_hospitals_and_homes_are_left_alone(text: str) -> None:
    assert flagged(text, "organisation") == []


# --- A hospital's short name that is also a clinical word ----------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "she was admitted at the MRI on Tuesday",
        "retrieved from the MRI, then to theatre",
        "he was transferred to MRI last night",
    ],
)
def test_mri_used_as_a_place_is_the_hospital(text: str) -> None:
    assert [t.removeprefix("the ") for t in flagged(text, "organisation")] == ["MRI"]


@pytest.mark.parametrize(
    "text",
    [
        "an MRI scan was delayed",
        "waiting at the MRI department",
        "booked in at the MRI scanner",
        "the MRI showed nothing acute",
        "MRI is the next step",
        "sent for MRI before discharge",
    ],
)
def test_mri_the_scan_stays_the_glossary_acronym(text: str) -> None:
    report = CHECKER.check(text)
    assert report.findings == []
    assert [a.text for a in report.acronyms] == ["MRI"]


# --- Places -------------------------------------------------------------------------------


def test_a_wordy_town_opening_a_sentence_with_the_note_placing_it() -> None:
    text = "Reading has two sites now. The pilot started in Reading first."
    assert flagged(text, "place") == ["Reading", "Reading"]


@pytest.mark.parametrize(
    "text",
    [
        "Reading has two sites now.",  # nothing in the note says it is a place
        "Reading the policy again helped. We met in Reading.",  # a verb with its object
        "Reading through it twice. Later, in Reading, we met.",
    ],
)
def test_reading_the_verb_stays(text: str) -> None:
    assert all(f.start != 0 for f in CHECKER.check(text).findings)


@pytest.mark.parametrize(
    ("text", "place"),
    [
        ("we met in the Boardroom, Block C after lunch", "the Boardroom, Block C"),
        ("the training is in Seminar Room 2, Tower A", "Seminar Room 2, Tower A"),
        ("come to Lift Bank F and ask", "Lift Bank F"),
        ("outpatients moved to Wing B.", "Wing B"),
    ],
)
def test_building_locations_and_rooms_in_them(text: str, place: str) -> None:
    assert flagged(text, "place") == [place]


@pytest.mark.parametrize(
    "text",
    [
        "Level 3 safeguarding is due",
        "we need a Plan B",
        "Vitamin D levels were low",
        "the Boardroom was booked",
        "a building block of the course",
    ],
)
def test_levels_plans_and_bare_rooms_are_not_locations(text: str) -> None:
    assert flagged(text, "place") == []


@pytest.mark.parametrize(
    ("text", "venue"),
    [
        ("the regional day is at the ExCeL again", "ExCeL"),
        ("posters at Manchester Central in June", "Manchester Central"),
        ("a stand at the Harrogate Convention Centre", "Harrogate Convention Centre"),
        ("the next one at the Granary in Norwich, probably", "the Granary"),
    ],
)
def test_venues(text: str, venue: str) -> None:
    assert any(venue in t for t in flagged(text, "place"))


@pytest.mark.parametrize(
    "text",
    [
        "the source of the problem was the handover",
        "put the data in Excel and excel at it",
        "an NEC baby on the unit",
        "at the Summit in Leeds we learnt a lot",
        "at the Trust in York",
    ],
)
def test_words_and_occasions_are_not_venues(text: str) -> None:
    assert all(
        t not in ("the Summit", "Summit", "the Trust", "Trust") for t in flagged(text, "place")
    )
    assert flagged(text, "organisation") == []
    assert "NEC" not in " ".join(t for _, t in found(text))
    assert "source" not in " ".join(t for _, t in found(text)).lower()
