"""The demo's directory of support: over 300 entries across England, every NHS England
region and every integrated care board, in every category of the directory's taxonomy.

The kinds of service are those that exist (national helplines for the bereaved and for
people in crisis, independent complaints advocacy, NHS Talking Therapies and patient
advice and liaison in each board's area, staff wellbeing hubs, regional Patient Safety
Partner networks, inquest and clinical negligence advice), but every organisation here is
made up, and every contact detail is reserved for examples: Ofcom's drama numbers (01632
960xxx, 020 7946 0xxx, 07700 900xxx and the other drama ranges) and example.org addresses.
Nothing here is a real service's details, checked or not.

Entries name categories by their taxonomy code (``bereavement``); the loader turns codes
into ids from ``GET /api/v1/signposting/taxonomy``. Check dates are spread over the past
15 months (seeded), so some entries show as stale.
"""

import random
import re
from datetime import date, timedelta
from typing import Any

from huddle_shared.contracts.areas import (
    BOARD_NAMES,
    REGION_NAMES,
    REGION_OF_BOARD,
    IntegratedCareBoard,
    board_code,
    region_code,
)
from huddle_shared.contracts.membership import Region

SEED = 13
DEMO_NOTE = "Demo data: an example of the kind of service that exists; made-up contact details."

# Drama ranges (Ofcom): a thousand numbers each, never allocated to anyone.
_REGION_RANGES: dict[Region | None, tuple[str, ...]] = {
    None: ("0808 157 0", "0306 999 0"),
    Region.LONDON: ("020 7946 0",),
    Region.NORTH_WEST: ("0161 496 0", "0151 496 0"),
    Region.NORTH_EAST_AND_YORKSHIRE: ("0113 496 0", "0191 498 0", "0114 496 0"),
    Region.MIDLANDS: ("0121 496 0", "0115 496 0", "0116 496 0"),
    Region.EAST_OF_ENGLAND: ("01632 960",),
    Region.SOUTH_EAST: ("0118 496 0",),
    Region.SOUTH_WEST: ("0117 496 0",),
}
MOBILE = "07700 900"

PATIENTS, FAMILIES, STAFF, PSPS = (
    "patients",
    "families_and_carers",
    "staff",
    "patient_safety_partners",
)


class Numbers:
    """Hands out each drama number once, in order, per range."""

    def __init__(self) -> None:
        self._next: dict[str, int] = {}

    def take(self, prefix: str) -> str:
        n = self._next.get(prefix, 100)
        self._next[prefix] = n + 1
        return f"{prefix}{n:03d}"

    def local(self, region: Region | None, n: int = 0) -> str:
        ranges = _REGION_RANGES[region]
        return self.take(ranges[n % len(ranges)])

    def mobile(self) -> str:
        return self.take(MOBILE)


def slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.casefold()).strip("-")


def _entry(
    numbers: Numbers,
    *,
    organisation: str,
    name: str,
    description: str,
    categories: list[str],
    areas: list[str],
    audiences: list[str],
    referral: str,
    region: Region | None,
    how: str,
    eligibility: str = "",
    text_line: bool = False,
    minimum_age: int | None = None,
    maximum_age: int | None = None,
    fees: str = "Free.",
    languages: list[dict[str, str]] | None = None,
    accepting: bool = True,
) -> dict[str, Any]:
    host = slug(organisation)[:60].strip("-")  # a domain label holds 63 characters at most
    site = f"https://{host}.example.org"
    phones = [{"number": numbers.local(region, len(name)), "description": "Main line"}]
    if text_line:
        phones.append({"number": numbers.mobile(), "description": "Text message line"})
    body: dict[str, Any] = {
        "organization": {
            "name": organisation,
            "description": f"{organisation}. {DEMO_NOTE}",
            "website": site,
            "email": f"hello@{host}.example.org",
        },
        "name": name,
        "description": description,
        "url": f"{site}/{slug(name)}",
        "email": f"{slug(name)[:40].strip('-')}@{host}.example.org",
        "phones": phones,
        "contacts": [
            {
                "title": "Service coordinator",
                "email": f"coordinator@{host}.example.org",
            }
        ],
        "eligibility_description": eligibility,
        "audiences": audiences,
        "minimum_age": minimum_age,
        "maximum_age": maximum_age,
        "taxonomy_term_codes": categories,
        "areas": areas,
        "access": {"referral": referral, "accepting_referrals": accepting, "how_to_access": how},
        "languages": languages or [{"name": "English", "code": "en"}],
        "fees_description": fees,
        "cost_options": [{"option": "Free at the point of use", "amount": 0, "currency": "GBP"}]
        if fees == "Free."
        else [],
    }
    return body


def _national(numbers: Numbers) -> list[dict[str, Any]]:
    n: list[dict[str, Any]] = []
    add = n.append
    everyone = [PATIENTS, FAMILIES, STAFF, PSPS]
    add(
        _entry(
            numbers,
            organisation="Listening Line Trust",
            name="24-hour listening line",
            description="Someone to talk to at any hour, about anything, in confidence. "
            "Trained volunteers listen without judging, including after harm in healthcare.",
            categories=["crisis-support"],
            areas=["national"],
            audiences=everyone,
            referral="self_referral",
            region=None,
            text_line=True,
            how="Ring or text at any time, day or night.",
        )
    )
    add(
        _entry(
            numbers,
            organisation="National Bereavement Care",
            name="Bereavement helpline",
            description="Free helpline and one-to-one bereavement support for adults after "
            "the death of someone close, including sudden and unexpected deaths in hospital.",
            categories=["bereavement", "bereavement-after-a-death-in-care"],
            areas=["national"],
            audiences=[FAMILIES],
            referral="self_referral",
            region=None,
            how="Ring the helpline or ask for a call back online.",
            minimum_age=18,
        )
    )
    add(
        _entry(
            numbers,
            organisation="National Bereavement Care",
            name="Bereavement support groups online",
            description="Weekly online groups for bereaved adults, led by trained volunteers.",
            categories=["bereavement", "families-peer-support"],
            areas=["national"],
            audiences=[FAMILIES],
            referral="self_referral",
            region=None,
            how="Book a place online; groups start every month.",
            minimum_age=18,
        )
    )
    add(
        _entry(
            numbers,
            organisation="Child Grief Network",
            name="Helpline for bereaved children and families",
            description="Support for children and young people when someone important has died, "
            "and for the adults caring for them.",
            categories=["child-bereavement"],
            areas=["national"],
            audiences=[FAMILIES, PATIENTS],
            referral="self_referral",
            region=None,
            maximum_age=25,
            how="Ring the helpline; a practitioner calls back within two working days.",
        )
    )
    add(
        _entry(
            numbers,
            organisation="Baby Loss Support Charity",
            name="Pregnancy and baby loss helpline",
            description="Support for anyone affected by miscarriage, ectopic pregnancy, "
            "stillbirth or the death of a baby, including when care went wrong.",
            categories=["baby-loss"],
            areas=["national"],
            audiences=[FAMILIES, PATIENTS],
            referral="self_referral",
            region=None,
            text_line=True,
            how="Ring, text or email; befrienders offer regular calls.",
        )
    )
    add(
        _entry(
            numbers,
            organisation="Action for Safer Healthcare",
            name="Free advice after avoidable harm",
            description="Independent charity advice for patients and families harmed by "
            "healthcare: what happened, how to complain, and whether to seek legal advice.",
            categories=["clinical-negligence-advice", "legal-advice"],
            areas=["national"],
            audiences=[PATIENTS, FAMILIES],
            referral="self_referral",
            region=None,
            how="Use the online form or ring the helpline on weekday mornings.",
        )
    )
    add(
        _entry(
            numbers,
            organisation="Action for Safer Healthcare",
            name="Inquest advice service",
            description="Help for families facing an inquest after a death in healthcare: "
            "what to expect, documents, and finding representation.",
            categories=["inquest-support"],
            areas=["national"],
            audiences=[FAMILIES],
            referral="self_referral",
            region=None,
            how="Ring the advice line.",
        )
    )
    add(
        _entry(
            numbers,
            organisation="Families and Inquests Project",
            name="Casework for bereaved families",
            description="Specialist casework for families after a death in state care or "
            "a mental health setting, before and during the inquest.",
            categories=["inquest-support", "bereavement-after-a-death-in-care"],
            areas=["national"],
            audiences=[FAMILIES],
            referral="self_referral",
            region=None,
            how="Ring the casework line; a caseworker calls back.",
        )
    )
    add(
        _entry(
            numbers,
            organisation="Health Service Complaints Ombudsman (demo)",
            name="Taking a complaint further",
            description="When a complaint to the NHS has not been resolved locally, the "
            "ombudsman can look at it independently.",
            categories=["ombudsman-and-regulators"],
            areas=["national"],
            audiences=[PATIENTS, FAMILIES],
            referral="self_referral",
            region=None,
            how="Complain to the organisation first; then use the online complaint form.",
        )
    )
    add(
        _entry(
            numbers,
            organisation="Care Regulator (demo)",
            name="Tell us about your care",
            description="Share your experience of care, good or bad, with the regulator; "
            "it uses what people say to decide where to inspect.",
            categories=["ombudsman-and-regulators"],
            areas=["national"],
            audiences=[PATIENTS, FAMILIES, STAFF],
            referral="self_referral",
            region=None,
            how="Use the online form or ring.",
        )
    )
    add(
        _entry(
            numbers,
            organisation="Staff Support Line England",
            name="Confidential line for health and care staff",
            description="Free, confidential listening and signposting for anyone working in "
            "health and social care, including after a patient safety incident.",
            categories=["staff-psychological-support", "second-victim-support"],
            areas=["national"],
            audiences=[STAFF],
            referral="self_referral",
            region=None,
            text_line=True,
            how="Ring or text from 8am to 8pm, every day.",
        )
    )
    add(
        _entry(
            numbers,
            organisation="Practitioner Wellbeing Service",
            name="Mental health service for doctors and dentists",
            description="Confidential assessment and treatment for doctors and dentists with "
            "mental health or addiction concerns.",
            categories=["staff-psychological-support"],
            areas=["national"],
            audiences=[STAFF],
            referral="self_referral",
            region=None,
            how="Register online; a clinician calls back.",
        )
    )
    add(
        _entry(
            numbers,
            organisation="Second Victim Support Programme",
            name="Peer support after an incident",
            description="Trained peers offer staff involved in a patient safety incident a "
            "confidential conversation within 72 hours, and follow-up.",
            categories=["second-victim-support"],
            areas=["national"],
            audiences=[STAFF],
            referral="self_or_professional",
            region=None,
            how="Ask your manager or refer yourself online.",
        )
    )
    add(
        _entry(
            numbers,
            organisation="Patient Safety Partners Network",
            name="National Patient Safety Partners network",
            description="A national network for Patient Safety Partners: monthly calls, a "
            "shared library and mentoring between partners.",
            categories=["psp-networks"],
            areas=["national"],
            audiences=[PSPS],
            referral="self_referral",
            region=None,
            how="Join online; open to every partner.",
        )
    )
    add(
        _entry(
            numbers,
            organisation="Patient Safety Partners Network",
            name="Debriefing for Patient Safety Partners",
            description="A confidential debrief after hard meetings, investigations or "
            "conversations with families, with an experienced partner.",
            categories=["psp-wellbeing"],
            areas=["national"],
            audiences=[PSPS],
            referral="self_referral",
            region=None,
            how="Book a debrief online.",
        )
    )
    add(
        _entry(
            numbers,
            organisation="Patient Safety Learning Academy (demo)",
            name="Patient safety syllabus for partners",
            description="Free online learning on the patient safety syllabus, with sessions "
            "for Patient Safety Partners on involvement and oversight.",
            categories=["psp-training"],
            areas=["national"],
            audiences=[PSPS, STAFF],
            referral="self_referral",
            region=None,
            how="Enrol online.",
        )
    )
    add(
        _entry(
            numbers,
            organisation="Harmed Patients Alliance",
            name="Peer support for people harmed by healthcare",
            description="Run by people who were harmed by care themselves: online groups, "
            "one-to-one peer support and help with meetings with the hospital.",
            categories=["harmed-patients-peer-support"],
            areas=["national"],
            audiences=[PATIENTS, FAMILIES],
            referral="self_referral",
            region=None,
            how="Email or ring to be matched with a peer.",
        )
    )
    add(
        _entry(
            numbers,
            organisation="Harmed Patients Alliance",
            name="Trauma-informed counselling after medical harm",
            description="Up to twelve sessions of counselling with therapists who understand "
            "medical trauma and how it affects trust in care.",
            categories=["trauma-support", "counselling-and-psychological-support"],
            areas=["national"],
            audiences=[PATIENTS, FAMILIES],
            referral="self_or_professional",
            region=None,
            how="Refer yourself online, or ask your GP.",
            accepting=False,
        )
    )
    add(
        _entry(
            numbers,
            organisation="Learning Disability Rights (demo)",
            name="Advocacy for people with a learning disability",
            description="Independent advocacy for people with a learning disability or "
            "autistic people and their families, including after a death or harm.",
            categories=["learning-disability-advocacy"],
            areas=["national"],
            audiences=[PATIENTS, FAMILIES],
            referral="self_or_professional",
            region=None,
            how="Ring or use the easy read form.",
        )
    )
    add(
        _entry(
            numbers,
            organisation="Mind Matters Advocacy",
            name="Mental health advocacy information line",
            description="Explains the right to an independent mental health advocate and "
            "finds the local service.",
            categories=["mental-health-advocacy"],
            areas=["national"],
            audiences=[PATIENTS, FAMILIES],
            referral="self_referral",
            region=None,
            how="Ring the information line.",
        )
    )
    add(
        _entry(
            numbers,
            organisation="Carers Together",
            name="Carers' support line",
            description="Advice and emotional support for unpaid carers, including families "
            "caring for someone after harm in healthcare.",
            categories=["families-peer-support", "counselling-and-psychological-support"],
            areas=["national"],
            audiences=[FAMILIES],
            referral="self_referral",
            region=None,
            how="Ring or chat online.",
        )
    )
    add(
        _entry(
            numbers,
            organisation="Maternity Families Voice",
            name="Support after a maternity investigation",
            description="Help for families through a maternity safety investigation: what "
            "it is, what they can ask, and support afterwards.",
            categories=[
                "bereavement-after-a-death-in-care",
                "baby-loss",
                "nhs-complaints-advocacy",
            ],
            areas=["national"],
            audiences=[FAMILIES, PATIENTS],
            referral="self_referral",
            region=None,
            how="Email the family liaison team.",
        )
    )
    add(
        _entry(
            numbers,
            organisation="Employee Assistance Partners (demo)",
            name="Employee assistance programme",
            description="Counselling, legal and money advice for NHS staff of member "
            "organisations, by phone and online, at any time.",
            categories=["occupational-health", "staff-psychological-support"],
            areas=["national"],
            audiences=[STAFF],
            referral="self_referral",
            region=None,
            how="Ring with your employer's code.",
        )
    )
    add(
        _entry(
            numbers,
            organisation="Legal Aid Finder (demo)",
            name="Find a clinical negligence solicitor",
            description="A directory of accredited clinical negligence solicitors, with "
            "guidance on no-win-no-fee agreements and legal aid.",
            categories=["clinical-negligence-advice"],
            areas=["national"],
            audiences=[PATIENTS, FAMILIES],
            referral="self_referral",
            region=None,
            how="Search online.",
            fees="Searching is free; solicitors' own fees vary.",
        )
    )
    add(
        _entry(
            numbers,
            organisation="Many Languages Bereavement Line",
            name="Bereavement support in other languages",
            description="Bereavement support by phone with interpreters in over 100 languages.",
            categories=["bereavement"],
            areas=["national"],
            audiences=[FAMILIES],
            referral="self_referral",
            region=None,
            how="Ring and say which language you need.",
            languages=[
                {"name": "English", "code": "en"},
                {"name": "Urdu", "code": "ur"},
                {"name": "Polish", "code": "pl"},
                {"name": "Bengali", "code": "bn"},
            ],
        )
    )
    return n


def _regional(numbers: Numbers, region: Region) -> list[dict[str, Any]]:
    name = REGION_NAMES[region]
    area = [region_code(region)]
    return [
        _entry(
            numbers,
            organisation=f"{name} Patient Safety Partners Network",
            name=f"{name} Patient Safety Partners network",
            description=f"Bimonthly meetings and peer support for Patient Safety Partners "
            f"across the {name}.",
            categories=["psp-networks", "psp-wellbeing"],
            areas=area,
            audiences=[PSPS],
            referral="self_referral",
            region=region,
            how="Email the network coordinator to join.",
        ),
        _entry(
            numbers,
            organisation=f"{name} Trauma Service",
            name=f"{name} specialist trauma service",
            description="Psychological therapy for complex trauma, including trauma after "
            "harm in healthcare, by referral from a GP or talking therapies service.",
            categories=["trauma-support"],
            areas=area,
            audiences=[PATIENTS, FAMILIES],
            referral="referral_needed",
            region=region,
            minimum_age=18,
            how="Ask your GP or talking therapies service to refer you.",
        ),
        _entry(
            numbers,
            organisation=f"{name} Maternity Bereavement Network",
            name=f"Maternity bereavement support in the {name}",
            description="Bereavement midwives and counsellors for families after a baby dies, "
            "and support in a following pregnancy.",
            categories=["baby-loss"],
            areas=area,
            audiences=[FAMILIES, PATIENTS],
            referral="self_or_professional",
            region=region,
            how="Ask your midwife, or ring the network.",
        ),
        _entry(
            numbers,
            organisation=f"{name} Law Centre",
            name=f"{name} health law clinic",
            description="Free evening clinics with volunteer solicitors on complaints, "
            "inquests and clinical negligence.",
            categories=["legal-advice", "inquest-support"],
            areas=area,
            audiences=[PATIENTS, FAMILIES],
            referral="self_referral",
            region=region,
            how="Book a clinic slot by phone.",
        ),
        _entry(
            numbers,
            organisation=f"{name} Families Together",
            name=f"Family peer support across the {name}",
            description="Monthly groups, in person and online, for families after a death or "
            "serious harm in care, run by families who have been there.",
            categories=["families-peer-support"],
            areas=area,
            audiences=[FAMILIES],
            referral="self_referral",
            region=region,
            how="Ring or email to join a group.",
        ),
    ]


_ROTATION = [
    (
        "harmed-patients-peer-support",
        "{b} peer support for patients after harm",
        "A local group for patients living with the effects of harm in healthcare.",
        [PATIENTS],
    ),
    (
        "child-bereavement",
        "{b} children's bereavement service",
        "Support for bereaved children and young people, in school and at home.",
        [FAMILIES, PATIENTS],
    ),
    (
        "second-victim-support",
        "{b} staff support after incidents",
        "Trained peers and psychologists for staff after a serious incident.",
        [STAFF],
    ),
    (
        "mental-health-advocacy",
        "{b} independent mental health advocacy",
        "Independent mental health advocates for people detained or on community treatment.",
        [PATIENTS],
    ),
    (
        "psp-training",
        "{b} Patient Safety Partner induction",
        "Induction and shadowing for new Patient Safety Partners in the area's trusts.",
        [PSPS],
    ),
    (
        "occupational-health",
        "{b} occupational health service",
        "Occupational health assessments and counselling for staff of the area's organisations.",
        [STAFF],
    ),
]


def _board(numbers: Numbers, board: IntegratedCareBoard, n: int) -> list[dict[str, Any]]:
    b = BOARD_NAMES[board]
    region = REGION_OF_BOARD[board]
    area = [board_code(board)]
    extra_code, extra_name, extra_text, extra_audiences = _ROTATION[n % len(_ROTATION)]
    return [
        _entry(
            numbers,
            organisation=f"{b} NHS Talking Therapies",
            name=f"{b} NHS Talking Therapies",
            description="Free talking therapies for anxiety and depression, including after a "
            "distressing experience of care: guided self-help, CBT and counselling.",
            categories=["talking-therapies"],
            areas=area,
            audiences=[PATIENTS, FAMILIES],
            referral="self_or_professional",
            region=region,
            minimum_age=16,
            eligibility=f"Adults registered with a GP in the {b} area.",
            how="Refer yourself online or ask your GP.",
        ),
        _entry(
            numbers,
            organisation=f"{b} Integrated Care Board",
            name=f"{b} patient advice and liaison",
            description="Helps patients and families raise concerns about local NHS services "
            "and get answers, and explains how to make a complaint.",
            categories=["patient-advice-and-liaison"],
            areas=area,
            audiences=[PATIENTS, FAMILIES],
            referral="self_referral",
            region=region,
            how="Ring or email the team.",
        ),
        _entry(
            numbers,
            organisation=f"{b} Hospice and Bereavement Service",
            name=f"{b} bereavement service",
            description="Bereavement counselling and groups for families after a death in "
            "hospital, hospice or at home, including unexpected deaths.",
            categories=["bereavement-after-a-death-in-care"],
            areas=area,
            audiences=[FAMILIES],
            referral="self_or_professional",
            region=region,
            how="Ring to talk to the bereavement team.",
        ),
        _entry(
            numbers,
            organisation=f"{b} Staff Wellbeing Hub",
            name=f"{b} staff wellbeing hub",
            description="Confidential psychological support for health and care staff in "
            "the area, including after a patient safety incident.",
            categories=["staff-psychological-support"],
            areas=area,
            audiences=[STAFF],
            referral="self_referral",
            region=region,
            how="Book online or ring the hub.",
        ),
        _entry(
            numbers,
            organisation=f"{b} Advocacy",
            name=f"{b} NHS complaints advocacy",
            description="Free, independent advocates help people make a complaint about NHS "
            "care, prepare for meetings and understand the answers.",
            categories=["nhs-complaints-advocacy"],
            areas=area,
            audiences=[PATIENTS, FAMILIES],
            referral="self_referral",
            region=region,
            how="Ring, email or use the web form.",
        ),
        _entry(
            numbers,
            organisation=f"{b} Community Support",
            name=extra_name.format(b=b),
            description=extra_text,
            categories=[extra_code],
            areas=area,
            audiences=extra_audiences,
            referral="self_or_professional",
            region=region,
            how="Ring or email the service.",
        ),
    ]


def entries(today: date) -> list[dict[str, Any]]:
    """The demo directory, the same every time (check dates follow ``today``)."""
    numbers = Numbers()
    found = _national(numbers)
    for region in Region:
        found += _regional(numbers, region)
    for n, board in enumerate(IntegratedCareBoard):
        found += _board(numbers, board, n)
    rng = random.Random(SEED)
    for entry in found:
        # Most checked in the past 11 months; about one in twelve over a year ago (stale).
        days = rng.randint(420, 460) if rng.random() < 0.08 else rng.randint(0, 330)
        entry["last_checked_on"] = (today - timedelta(days=days)).isoformat()
    return found
