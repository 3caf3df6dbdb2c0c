"""The identifier check: what it finds, what it leaves alone, offsets, suggestions, ids,
acronyms, the command line and its speed."""

import json
import subprocess
import sys
import time

import pytest
from huddle_notes.check import Checker, Knowledge, apply_suggestions, expand_acronyms
from huddle_notes.check.structured import passes_modulus_11
from huddle_shared.contracts.notes import FindingCategory as C
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

pytestmark = pytest.mark.unit

KNOWLEDGE = Knowledge(
    members=("Dan Smith", "Hope Williams", "Priya Ramaswamy", "Kate Jones (née Brown)"),
    organisations=("Oxford University Hospitals NHS Foundation Trust", "Northgate Healthcare"),
    speakers=("Professor Alan Grey",),
    glossary={"PSIRF": "Patient Safety Incident Response Framework", "SI": "serious incident"},
)
CHECKER = Checker(KNOWLEDGE)


def found(text: str, checker: Checker = CHECKER) -> list[tuple[str, str]]:
    return [(f.category.value, f.text) for f in checker.check(text).findings]


def texts(text: str, category: C | None = None) -> list[str]:
    return [
        f.text for f in CHECKER.check(text).findings if category is None or f.category is category
    ]


# --- Structured identifiers ---------------------------------------------------------------


@pytest.mark.parametrize(
    "email",
    [
        "dan.smith@nhs.net",
        "k.o'neill+notes@example.co.uk",
        "k dot smith at nhs dot net",
        "k.smith at nhs.net",
        "dan underscore smith at oxnet dot nhs dot uk",
        "k.smith [at] nhs [dot] net",
        "K DOT SMITH AT NHS DOT NET",
    ],
)
def test_emails_plain_and_spelled_out(email: str) -> None:
    assert texts(f"Write to {email} afterwards.", C.EMAIL) == [email]


@pytest.mark.parametrize(
    "text",
    [
        "We met at the hospital and left at noon.",
        "Arrive at nine dot five? No.",
        "The time was at 9.30 today.",
    ],
)
def test_no_email_in_ordinary_words(text: str) -> None:
    assert texts(text, C.EMAIL) == []


@pytest.mark.parametrize(
    "phone",
    [
        "07700 900123",
        "07700900123",
        "07700-900-123",
        "+44 7700 900123",
        "+44 (0)20 7946 0958",
        "0044 20 7946 0958",
        "020 7946 0958",
        "(01632) 960123",
        "0161 496 0000",
        "0800 123 456",
        "01632 960 123",
    ],
)
def test_uk_phones_in_any_layout(phone: str) -> None:
    assert texts(f"Ring {phone} if worried.", C.PHONE) == [
        phone.removeprefix("(").replace("(01632)", "01632")
    ] or texts(f"Ring {phone} if worried.", C.PHONE) == [phone]


@pytest.mark.parametrize(
    "text",
    [
        "Call 111 or 999 in an emergency.",
        "We saw 1234 incidents in 2023 and 45 in 2024.",
        "Between 09:30 and 17:00 on weekdays.",
        "A score of 0.75 and 12 beds.",
        "Reference 12345678 was closed.",
    ],
)
def test_no_phone_in_counts_times_or_short_numbers(text: str) -> None:
    assert texts(text, C.PHONE) == []


def test_extensions_and_bleeps_are_phone_numbers() -> None:
    assert texts("Bleep 4321 or ext. 5567 for the team.", C.PHONE) == ["Bleep 4321", "ext. 5567"]


def test_modulus_11() -> None:
    assert passes_modulus_11("9434765919")
    assert not passes_modulus_11("9434765910")
    assert not passes_modulus_11("123")


@pytest.mark.parametrize("number", ["943 476 5919", "9434765919", "943-476-5919", "94 34 76 59 19"])
def test_nhs_numbers_in_any_grouping(number: str) -> None:
    assert texts(f"NHS number {number} was on the wristband.", C.NHS_NUMBER) == [number]


@pytest.mark.parametrize("number", ["943 476 5910", "9434765911", "1234567890", "0000000000"])
def test_numbers_failing_modulus_11_are_never_nhs_numbers(number: str) -> None:
    assert texts(f"NHS number {number} was on the wristband.", C.NHS_NUMBER) == []


@pytest.mark.parametrize(
    "postcode", ["OX3 9DU", "ox3 9du", "OX39DU", "SW1A 1AA", "m1 1ae", "EC1A1BB"]
)
def test_postcodes_any_case_with_or_without_the_space(postcode: str) -> None:
    assert texts(f"She lives at {postcode} now.", C.POSTCODE) == [postcode]


@pytest.mark.parametrize("text", ["the B4 5th floor", "Covid 19 wave", "A1 road", "the M62"])
def test_no_postcode_in_road_names_or_ordinals(text: str) -> None:
    assert texts(text, C.POSTCODE) == []


@pytest.mark.parametrize(
    "date",
    [
        "14 March 2024",
        "14th of March",
        "March 14th",
        "March 14, 2024",
        "14/03/2024",
        "14-3-24",
        "2024-03-14",
        "Friday the 14th",
        "Friday 14 March",
        "Tuesday, 3rd September 2024",
        "3 Sept",
    ],
)
def test_specific_dates(date: str) -> None:
    assert texts(f"It happened on {date} at night.", C.DATE) == [date]


def test_date_of_birth() -> None:
    assert texts("DOB 01/02/1980, born 3 May 1975.", C.DATE) == ["01/02/1980", "3 May 1975"]


@pytest.mark.parametrize(
    "text",
    [
        "In March we changed the rota.",
        "March 2024 was busy.",
        "Since 2019 the team has grown.",
        "It took 14 days and 3 weeks.",
        "At 14:30 the huddle began.",
        "We may 5 times check it.",
        "On the 3rd floor of the building.",
        "We will march on.",
        "Every Friday the team meets.",
    ],
)
def test_no_date_in_months_years_durations_or_times(text: str) -> None:
    assert texts(text, C.DATE) == []


# --- People -------------------------------------------------------------------------------


def test_members_full_names_in_any_case() -> None:
    assert texts("dan smith and DAN SMITH and Dan Smith", C.PERSON) == [
        "dan smith",
        "DAN SMITH",
        "Dan Smith",
    ]


def test_members_first_names_surnames_initials_and_old_names() -> None:
    text = "Dan agreed, Smith disagreed, DS and D.S. wrote it, and Brown nodded. Ramaswamy too."
    assert texts(text, C.PERSON) == ["Dan", "Smith", "DS", "D.S.", "Brown", "Ramaswamy"]


def test_members_name_that_is_a_word() -> None:
    assert texts("We live in hope of a better year.") == []
    assert texts("Hope is not a plan.") == []
    assert texts("Thanks to Hope for chairing.", C.PERSON) == ["Hope"]
    assert texts("Hope said it was hard.", C.PERSON) == ["Hope"]


def test_speakers_with_titles() -> None:
    assert texts("Professor Alan Grey opened.", C.PERSON) == ["Professor Alan Grey"]
    assert texts("Alan Grey opened.", C.PERSON) == ["Alan Grey"]


def test_unknown_people_by_title_said_and_possessive() -> None:
    text = (
        "Dr Okonkwo spoke. Later Sister Agnes Moyo said hello. Then Marcus said no. Fatima's point."
    )
    assert texts(text, C.PERSON) == ["Dr Okonkwo", "Sister Agnes Moyo", "Marcus", "Fatima"]


def test_unknown_full_names_from_the_gazetteer() -> None:
    assert texts("We heard from Sarah Whitfield and Mohammed Khan.", C.PERSON) == [
        "Sarah Whitfield",
        "Mohammed Khan",
    ]


def test_lone_first_names() -> None:
    assert texts("We thanked Sarah and then Tom for their time.", C.PERSON) == ["Sarah", "Tom"]


@pytest.mark.parametrize(
    "text",
    [
        "There was a grace period of a week.",
        "We will mark the forms.",
        "In May the policy changed.",
        "A ward manager and a matron attended.",
        "The nurse said it was fine.",
        "Everyone said it was useful.",
        "Nurse Consultant roles are growing.",
        "The Swiss cheese model and Safety-II thinking.",
    ],
)
def test_name_words_and_generic_roles_are_not_people(text: str) -> None:
    assert texts(text, C.PERSON) == []


# --- Organisations and places -------------------------------------------------------------


def test_known_organisations_and_their_short_forms() -> None:
    text = "Oxford University Hospitals NHS Foundation Trust, also OUH, and Northgate Healthcare."
    assert texts(text, C.ORGANISATION) == [
        "Oxford University Hospitals NHS Foundation Trust",
        "OUH",
        "Northgate Healthcare",
    ]


def test_generic_organisation_shapes() -> None:
    text = (
        "Colleagues from Westbury NHS Foundation Trust, Hartfield Integrated Care Board, "
        "Elmwood Surgery, Parkside Medical Centre, Willow Tree Hospice, Rosemount Care Home "
        "and the University of Exeter."
    )
    assert texts(text, C.ORGANISATION) == [
        "Westbury NHS Foundation Trust",
        "Hartfield Integrated Care Board",
        "Elmwood Surgery",
        "Parkside Medical Centre",
        "Willow Tree Hospice",
        "Rosemount Care Home",
        "the University of Exeter",
    ]


def test_wards_and_units() -> None:
    text = "Ward 36 and ward 7B, the Maple ward and Rainbow Unit."
    assert texts(text, C.PLACE) == ["Ward 36", "ward 7B", "the Maple ward", "Rainbow Unit"]


def test_generic_units_are_not_places() -> None:
    text = "The Intensive Care Unit and the Emergency Department and a District General Hospital."
    assert texts(text) == []


def test_role_at_place() -> None:
    assert texts("She is the head of midwifery at the Royal Free.", C.ROLE_AT_PLACE) == [
        "the head of midwifery at the Royal Free"
    ]


def test_generic_role_with_no_place_is_kept() -> None:
    assert texts("The head of midwifery and a ward manager agreed.") == []


@pytest.mark.parametrize(
    "text",
    [
        "NHS England and the national patient safety team published it.",
        "HSSIB, the CQC, NHS Resolution and NICE all commented.",
        "The Royal College of Nursing and the Royal College of Midwives wrote.",
        "PSIRF, LFPSE and NatSSIPs came up; so did PSII and SEIPS.",
        "Please write the NHS number on the form.",
        "MHRA and UKHSA guidance.",
    ],
)
def test_national_bodies_and_programmes_are_safe(text: str) -> None:
    assert found(text) == []


# --- Offsets, ids, suggestions ------------------------------------------------------------


def test_offsets_are_code_points_after_emoji_and_accents() -> None:
    text = "Café 😀 naïve 👩‍⚕️ notes: Dan Smith on 07700 900123."
    for finding in CHECKER.check(text).findings:
        assert text[finding.start : finding.end] == finding.text
    assert [f.text for f in CHECKER.check(text).findings] == ["Dan Smith", "07700 900123"]


def test_ids_are_stable_while_the_text_found_is_unchanged() -> None:
    before = CHECKER.check("Dan Smith came. Later Dan Smith left.").findings
    after = CHECKER.check("A long new opening line. Dan Smith came. Then Dan Smith left.").findings
    assert [f.id for f in before] == [f.id for f in after]
    assert before[0].id != before[1].id


def test_suggestions_per_category() -> None:
    text = (
        "Dan Smith, k@nhs.net, 07700 900123, 943 476 5919, OX3 9DU, 14 March 2024, "
        "Ward 36, Westbury NHS Foundation Trust."
    )
    assert [(f.category.value, f.suggestion) for f in CHECKER.check(text).findings] == [
        ("person", "a member"),
        ("email", "[email removed]"),
        ("phone", "[phone number removed]"),
        ("nhs_number", "[NHS number removed]"),
        ("postcode", "[postcode removed]"),
        ("date", "[date]"),
        ("place", "a ward"),
        ("organisation", "a trust in the region"),
    ]


def test_apply_one_and_apply_all() -> None:
    text = "Dan Smith rang 07700 900123 from Ward 36."
    findings = CHECKER.check(text).findings
    phone = next(f for f in findings if f.category is C.PHONE)
    assert apply_suggestions(text, [phone]) == "Dan Smith rang [phone number removed] from Ward 36."
    assert apply_suggestions(text, findings) == (
        "A member rang [phone number removed] from a ward."
    )


def test_apply_skips_findings_that_no_longer_match_the_text() -> None:
    text = "Dan Smith rang."
    findings = CHECKER.check(text).findings
    edited = "Dan Smyth rang."
    assert apply_suggestions(edited, findings) == edited


def test_acronyms_known_and_unknown() -> None:
    report = CHECKER.check("Under PSIRF an SI is now a PSII; the ICBs and QXZ agreed.")
    assert [(a.text, a.expansion) for a in report.acronyms] == [
        ("PSIRF", "Patient Safety Incident Response Framework"),
        ("SI", "serious incident"),
        ("PSII", None),
        ("ICB", None),
        ("QXZ", None),
    ]
    assert expand_acronyms("Under PSIRF an SI.", CHECKER.check("Under PSIRF an SI.").acronyms) == (
        "Under Patient Safety Incident Response Framework an serious incident."
    )


# --- Properties ---------------------------------------------------------------------------

_PIECES = st.sampled_from(
    [
        "Dan Smith",
        "Hope",
        "we live in hope",
        "07700 900123",
        "943 476 5919",
        "OX3 9DU",
        "k dot smith at nhs dot net",
        "14 March 2024",
        "Ward 36",
        "the Royal Free",
        "PSIRF",
        "NHS England",
        "😀",
        "café",
        "said",
        "Dr Okonkwo",
        "the head of midwifery at the JR",
        "Sarah",
        ".",
        ",",
        "\n",
        "and",
    ]
)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(_PIECES, max_size=25))
def test_after_applying_every_suggestion_nothing_replaced_is_found_again(pieces: list[str]) -> None:
    text = " ".join(pieces)
    findings = CHECKER.check(text).findings
    for f in findings:
        assert text[f.start : f.end] == f.text
    cleaned = apply_suggestions(text, findings)
    # Where each suggestion landed in the cleaned text.
    landed = []
    shift = 0
    for f in sorted(findings, key=lambda f: f.start):
        start = f.start + shift
        landed.append((start, start + len(f.suggestion)))
        shift += len(f.suggestion) - (f.end - f.start)
    for again in CHECKER.check(cleaned).findings:
        for start, end in landed:
            assert again.end <= start or again.start >= end, (again, cleaned)


# --- Command line and speed ---------------------------------------------------------------


def test_command_line_reads_and_writes_json_lines() -> None:
    lines = [
        json.dumps({"text": "Dan Smith on 07700 900123", "network": {"members": ["Dan Smith"]}}),
        "not json",
        json.dumps({"text": "Nothing here.", "network": {}}),
    ]
    result = subprocess.run(
        [sys.executable, "-m", "huddle_notes.check"],
        input="\n".join(lines) + "\n",
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    out = [json.loads(line) for line in result.stdout.splitlines()]
    assert result.returncode == 1
    assert [(f["category"], f["text"], f["start"], f["end"]) for f in out[0]["findings"]] == [
        ("person", "Dan Smith", 0, 9),
        ("phone", "07700 900123", 13, 25),
    ]
    assert "error" in out[1] and out[1]["line"] == 2
    assert out[2]["findings"] == []


def test_a_twenty_thousand_word_note_is_checked_in_under_a_second() -> None:
    paragraph = (
        "Dan Smith said the huddle on Ward 36 at the Royal Free helped; under PSIRF the team "
        "reviewed 12 incidents in March and called 07700 900123 about NHS number 943 476 5919. "
        "We live in hope that the national patient safety team and NHS England will listen. "
    )
    words = len(paragraph.split())
    text = paragraph * (20_000 // words + 1)
    CHECKER.check(paragraph)
    # CPU time, not wall time: other work on the machine must not fail this test.
    started = time.process_time()
    CHECKER.check(text)
    assert time.process_time() - started < 1.0


# --- Later rules --------------------------------------------------------------------------


def test_familiar_forms_and_old_names_of_members() -> None:
    checker = Checker(Knowledge(members=("Daniel Okafor", "Kate Jones (née Brown)")))
    assert found("Danny and Dan Okafor met Kate Brown.", checker) == [
        ("person", "Danny"),
        ("person", "Dan Okafor"),
        ("person", "Kate Brown"),
    ]


def test_street_addresses() -> None:
    assert texts("She lives at 14 Acacia Avenue with her son.", C.PLACE) == ["14 Acacia Avenue"]


def test_day_and_month_alone_only_after_a_date_word() -> None:
    assert texts("Off sick since 12/3. Two thirds, 2/3, of staff.", C.DATE) == ["12/3"]


def test_names_with_particles() -> None:
    assert texts("Thanks to Siobhán Ní Bhriain.", C.PERSON) == ["Siobhán Ní Bhriain"]


def test_nhs_numbers_within_runs_of_other_numbers() -> None:
    assert texts("Bed 36 943 476 5919 was moved.", C.NHS_NUMBER) == ["943 476 5919"]


def test_somebody_from_somewhere() -> None:
    assert found("Later, Chidera from Westfield described it.") == [
        ("person", "Chidera"),
        ("organisation", "Westfield"),
    ]
