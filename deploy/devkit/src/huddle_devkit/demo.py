"""Demo data, loaded through the gateway's public API (so it exercises the real paths).

- ``ORGANISATIONS``: every kind of organisation, in all seven NHS England regions.
- ``MEMBERS``: a few hundred people, generated the same way every time (fixed seed); about
  two in three sign in and fill in their profile (topics, directory listing, contact).
- ``NETWORKS``: a national network and three spin-offs (open, approval, invite-only), created
  by the instance admin; members join, ask to join (some approved), or are invited.
- ``session_plan``: the national network's weekly Friday session with a year of past
  occurrences (attendance recorded, feedback on the latest ones) and a year to come, a
  bimonthly regional Patient Safety Partner meeting, a small focus group with a waitlist,
  and a symposium with outside speakers. Dates follow the day the demo is loaded.
- Notes (``demo_notes``): the national network's theme list, a note-taker and a facilitator,
  a year of the weekly huddle's notes (one per past occurrence, written by the note-taker,
  approved by the facilitator, clean of anything that identifies anyone), two submitted
  drafts that still name people and places, waiting for a second reader, and one draft in
  progress.

Loading is idempotent: organisations are matched by name and only missing ones are
created, so a second load creates nothing; networks are skipped when the national one
exists. Password hashing (argon2) makes registering and signing in the slow parts, so
those run a few at a time. Profiles and networks are optional steps: when their endpoints
are missing or refuse, the step is reported as skipped and the rest still loads.
"""

import asyncio
import csv
import io
import os
import random
import re
import time
import uuid
from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from datetime import time as clock_time
from functools import partial
from importlib import resources
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

import httpx

from huddle_devkit import demo_directory, demo_experts, demo_notes

DEMO_PASSWORD = "huddle-demo-password"  # noqa: S105 - printed for people trying Huddle locally
# The instance admin `make run` configures (HUDDLE_ADMIN_EMAIL / HUDDLE_ADMIN_PASSWORD).
DEMO_ADMIN_EMAIL = "admin@demo.example.org"
DEMO_ADMIN_PASSWORD = "huddle-demo-admin"  # noqa: S105 - a local demo account
EMAIL_DOMAIN = "demo.example.org"
RETRIES = 7  # for a busy system (503, 504, 409 in progress): up to half a minute of waits
CONCURRENCY = 8  # requests in flight; registering and signing in each hash a password
MEMBER_COUNT = 300

T = TypeVar("T")
Item = TypeVar("Item")


# --- Organisations -------------------------------------------------------------------------


@dataclass(frozen=True)
class DemoOrganisation:
    name: str
    kind: str
    region: str | None = None
    ods_code: str | None = None

    def payload(self) -> dict[str, str]:
        fields = {
            "name": self.name,
            "kind": self.kind,
            "region": self.region,
            "ods_code": self.ods_code,
        }
        return {key: value for key, value in fields.items() if value is not None}


def _organisations() -> list[DemoOrganisation]:
    """The table is ``demo_organisations.csv``: one organisation a row, blank for none."""
    table = resources.files("huddle_devkit").joinpath("demo_organisations.csv").read_text("utf-8")
    return [
        DemoOrganisation(row["name"], row["kind"], row["region"] or None, row["ods_code"] or None)
        for row in csv.DictReader(io.StringIO(table))
    ]


ORGANISATIONS: list[DemoOrganisation] = _organisations()


# --- Members -------------------------------------------------------------------------------


@dataclass(frozen=True)
class DemoMember:
    email: str
    display_name: str
    job_title: str
    member_type: str
    organisation: str  # the organisation's name
    topics: tuple[str, ...]
    listed_in_directory: bool
    contactable: bool
    completes_profile: bool  # signs in and fills in topics and consents
    listed_as_expert: bool = False  # a person who knows (``demo_experts``)

    def account(self, organisation_id: str) -> dict[str, str]:
        return {
            "email": self.email,
            "password": DEMO_PASSWORD,
            "display_name": self.display_name,
            "organisation_id": organisation_id,
            "job_title": self.job_title,
            # National observers are made by the instance admin after registering.
            "member_type": "staff" if self.granted_by_admin else self.member_type,
        }

    @property
    def granted_by_admin(self) -> bool:
        return self.member_type == "national_observer"

    def profile(self) -> dict[str, Any]:
        return {
            "topics": list(self.topics),
            "listed_in_directory": self.listed_in_directory,
            "contactable": self.contactable,
            "listed_as_expert": self.listed_as_expert,
        }


FIRST_NAMES = (  # noqa: SIM905 - compact lists of names
    "Aisha Ben Chloe Dev Erin Farah Gareth Hannah Imran Jess Kwame Laura Mohammed Niamh Oliver "
    "Priya Rhys Sophie Tom Uzma Victoria Wei Yasmin Zoe Amir Bethany Callum Deborah Emeka Fiona "
    "Grace Harpreet Isla James Kerry Liam Megan Nadia Owen Paul Rachel Sanjay Tariq Vikram "
    "Wendy Ada Bronwen Catrin Dylan Ellie Femi Gemma Hamza Ifeoma Joanne Kieran Leah Marcus "
    "Nkechi Pooja Ruth Siobhan Tendai"
).split()
LAST_NAMES = (  # noqa: SIM905
    "Okafor Patel Williams Nowak Hughes Campbell Smith Jones Taylor Brown Davies Evans Wilson "
    "Thomas Johnson Roberts Robinson Thompson Wright Walker White Edwards Green Hall Khan Ahmed "
    "Ali Begum Singh Kaur Chen Wong Murphy O'Connor Kelly McDonald Stewart Kowalski Mensah "
    "Adeyemi Clarke Lewis Morgan Price Jenkins Bell Shah Hussain Baker Fletcher"
).split()

JOB_TITLES: dict[str, list[str]] = {
    "staff": [
        "Patient safety specialist",
        "Patient safety manager",
        "Head of patient safety",
        "Patient safety lead",
        "Patient safety incident investigator",
        "Learning response lead",
        "Clinical governance lead",
        "Risk manager",
        "Patient safety education lead",
        "Director of nursing and quality",
        "Associate medical director for patient safety",
        "Quality improvement lead",
        "Family liaison officer",
        "Medication safety officer",
        "Maternity safety champion",
        "Patient safety and experience manager",
    ],
    "patient_safety_partner": [
        "Patient Safety Partner",
        "Lay Patient Safety Partner",
        "Patient Safety Partner, maternity",
        "Patient Safety Partner, mental health",
        "Carer Patient Safety Partner",
    ],
    "researcher": [
        "Senior lecturer in patient safety",
        "Research fellow in safety science",
        "Professor of healthcare quality and safety",
        "Doctoral researcher in human factors",
        "Lecturer in nursing and patient safety",
    ],
    "national_observer": [
        "Patient safety policy lead",
        "National patient safety programme manager",
        "Senior safety investigator",
        "Head of stakeholder engagement",
        "Regional patient safety lead",
    ],
}

# Spelled out: the networks' ground rules ask for no acronyms.
TOPICS = [
    "Patient Safety Incident Response Framework",
    "Compassionate engagement",
    "Systems-based learning",
    "Human factors",
    "Just culture",
    "Learning from deaths",
    "Maternity safety",
    "Medication safety",
    "Deteriorating patients",
    "Sepsis",
    "Mental health safety",
    "Paediatric safety",
    "Diagnostic safety",
    "Falls prevention",
    "Pressure ulcers",
    "After-action reviews",
    "Thematic reviews",
    "Safety culture",
    "Psychological safety",
    "Safety education and training",
    "Patient and family involvement",
    "Patient Safety Partner role",
    "Invasive procedures safety",
    "Digital and data safety",
    "Oversight and assurance",
    "Health inequalities and safety",
]
EDUCATION_TOPIC = "Safety education and training"

# Who works where: member types by organisation kind, and how many members each kind draws.
MEMBER_TYPES_BY_KIND: dict[str, dict[str, int]] = {
    "nhs_trust": {"staff": 3, "patient_safety_partner": 1},
    "integrated_care_board": {"staff": 4, "patient_safety_partner": 1},
    "independent_sector_provider": {"staff": 9, "patient_safety_partner": 1},
    "charity": {"staff": 3, "patient_safety_partner": 2},
    "university": {"researcher": 1},
    "national_body": {"national_observer": 7, "staff": 3},
    "other": {"staff": 4, "researcher": 1},
}
MEMBERS_PER_ORGANISATION_BY_KIND = {
    "nhs_trust": 6,
    "integrated_care_board": 4,
    "independent_sector_provider": 3,
    "charity": 2,
    "university": 2,
    "national_body": 3,
    "other": 2,
}


def _weighted(rng: random.Random, weights: dict[str, int]) -> str:
    return rng.choices(list(weights), weights=list(weights.values()))[0]


def _email_local_part(first: str, last: str) -> str:
    return re.sub(r"[^a-z.]", "", f"{first}.{last}".lower())


def generate_members(
    count: int = MEMBER_COUNT,
    seed: int = 2021,
    organisations: list[DemoOrganisation] = ORGANISATIONS,
) -> list[DemoMember]:
    """The same people every time: every organisation has someone, trusts have most."""
    rng = random.Random(seed)
    weights = [MEMBERS_PER_ORGANISATION_BY_KIND[o.kind] for o in organisations]
    employers = list(organisations) + rng.choices(
        organisations, weights=weights, k=count - len(organisations)
    )
    members, taken = [], set()
    for organisation in employers[:count]:
        first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
        local, number = _email_local_part(first, last), 1
        while (candidate := local if number == 1 else f"{local}{number}") in taken:
            number += 1
        taken.add(candidate)
        member_type = _weighted(rng, MEMBER_TYPES_BY_KIND[organisation.kind])
        topics = rng.sample(TOPICS, k=rng.randint(2, 4))
        if member_type == "patient_safety_partner" and "Patient Safety Partner role" not in topics:
            topics.append("Patient Safety Partner role")
        listed = rng.random() < 0.75
        members.append(
            DemoMember(
                email=f"{candidate}@{EMAIL_DOMAIN}",
                display_name=f"{first} {last}",
                job_title=rng.choice(JOB_TITLES[member_type]),
                member_type=member_type,
                organisation=organisation.name,
                topics=tuple(sorted(topics, key=str.lower)),
                listed_in_directory=listed,
                contactable=listed and rng.random() < 0.5,
                completes_profile=rng.random() < 0.67,
            )
        )
    regions = {organisation.name: organisation.region for organisation in organisations}
    return demo_experts.with_experts(members, regions.get)


MEMBERS = generate_members()
EXPERTS = [member for member in MEMBERS if member.listed_as_expert]


def curators_among(members: Sequence[DemoMember]) -> list[DemoMember]:
    """The members the instance admin chose to curate the directory of support with them."""
    return [member for member in members if not member.listed_as_expert][:2]


def scaled(scale: int) -> tuple[list[DemoOrganisation], list[DemoMember]]:
    """``scale`` times the demo (``make bench`` loads 10: 670 organisations, 3,000 members,
    a national network of about 1,500): copies of each organisation, numbered and without
    an ODS code (codes are unique), and ``scale`` times the members, spread the same way."""
    if scale == 1:
        return ORGANISATIONS, MEMBERS
    organisations = ORGANISATIONS + [
        DemoOrganisation(f"{o.name} ({copy})", o.kind, o.region)
        for copy in range(2, scale + 1)
        for o in ORGANISATIONS
    ]
    return organisations, generate_members(MEMBER_COUNT * scale, organisations=organisations)


# --- Networks ------------------------------------------------------------------------------

GROUND_RULES = [
    "We do not record sessions.",
    "Instead of minutes, we write anonymised notes for members who could not attend.",
    "Hierarchy does not apply here.",
    "Please do not use acronyms.",
    "Speak up if you want to; nobody is put on the spot.",
    "Put your hand up to speak, or use the chat if you prefer.",
]
GLOSSARY = {
    "PSIRF": "Patient Safety Incident Response Framework",
    "PSP": "Patient Safety Partner",
    "HSSIB": "Health Services Safety Investigations Body",
    "ICB": "Integrated care board",
}
NATIONAL_SLUG = "patient-safety-management-network"
CHILDRENS_TRUSTS = {
    "Sheffield Children's NHS Foundation Trust",
    "Alder Hey Children's NHS Foundation Trust",
    "Birmingham Women's and Children's NHS Foundation Trust",
    "Great Ormond Street Hospital for Children NHS Foundation Trust",
}


@dataclass(frozen=True)
class DemoNetwork:
    slug: str
    name: str
    purpose: str
    visibility: str
    parent_slug: str | None = None
    allowed_member_types: tuple[str, ...] = ()
    ground_rules: tuple[str, ...] = tuple(GROUND_RULES)
    glossary: tuple[tuple[str, str], ...] = tuple(GLOSSARY.items())
    never_recorded: bool = True  # the ground rules say so: "We do not record sessions."

    def payload(self) -> dict[str, Any]:
        return {
            "slug": self.slug,
            "name": self.name,
            "purpose": self.purpose,
            "parent_slug": self.parent_slug,
            "visibility": self.visibility,
            "allowed_member_types": list(self.allowed_member_types),
            "ground_rules": list(self.ground_rules),
            "never_recorded": self.never_recorded,
            "glossary": dict(self.glossary),
        }


NETWORKS = [
    DemoNetwork(
        NATIONAL_SLUG,
        "Patient Safety Management Network",
        "A peer network for everyone working in patient safety: share questions, practice and "
        "learning across organisations, every Friday afternoon.",
        "open",
    ),
    DemoNetwork(
        "patient-safety-education-network",
        "Patient Safety Education Network",
        "For people in patient safety education and training roles.",
        "open",
        parent_slug=NATIONAL_SLUG,
    ),
    DemoNetwork(
        "patient-safety-partners-network",
        "Patient Safety Partners Network",
        "Peer support for Patient Safety Partners, paid and voluntary. Ask to join: a network "
        "admin approves requests.",
        "approval",
        parent_slug=NATIONAL_SLUG,
    ),
    DemoNetwork(
        "paediatric-patient-safety-leaders-network",
        "Patient Safety Paediatric Leaders Network",
        "By invitation: strategic leaders for patient safety in specialist children's "
        "hospitals and units.",
        "invite_only",
        parent_slug=NATIONAL_SLUG,
        allowed_member_types=("staff",),
    ),
]
OPEN_SPIN_OFF, APPROVAL_SPIN_OFF, INVITE_ONLY_SPIN_OFF = (n.slug for n in NETWORKS[1:])


@dataclass(frozen=True)
class NetworkPlan:
    """Who does what in the demo networks (all of them members who complete a profile)."""

    joins: dict[str, list[DemoMember]]  # open networks: slug -> members who join
    requests: list[DemoMember]  # ask to join the approval network
    approved: list[DemoMember]  # ... and the admin approves these (the rest wait)
    invited: list[DemoMember]  # invited to the invite-only network
    accepting: list[DemoMember]  # ... and these accept (the rest have not yet)


def network_plan(members: list[DemoMember]) -> NetworkPlan:
    active = [member for member in members if member.completes_profile]
    national = [member for index, member in enumerate(active) if index % 4 != 3]
    education = [
        member
        for member in national
        if EDUCATION_TOPIC in member.topics or "education" in member.job_title.lower()
    ]
    partners = [member for member in active if member.member_type == "patient_safety_partner"]
    paediatric = [
        member
        for member in active
        if member.organisation in CHILDRENS_TRUSTS and member.member_type == "staff"
    ][:8]
    return NetworkPlan(
        joins={NATIONAL_SLUG: national, OPEN_SPIN_OFF: education},
        requests=partners,
        approved=[member for index, member in enumerate(partners) if index % 4 != 0],
        invited=paediatric,
        accepting=paediatric[:6],
    )


# The national network's note-taker and facilitator (second reader): its second and third
# members (the first is the plain member journeys and `make bench` sign in as).
NOTE_TAKER_INDEX, FACILITATOR_INDEX = 1, 2
# How long a step waits, half a second at a time, while the service that decides it has not
# yet heard, through another service's events, what an earlier step did (10x data: minutes).
HEARD_WAITS = 480


def note_people(members: list[DemoMember]) -> tuple[DemoMember, DemoMember]:
    national = network_plan(members).joins[NATIONAL_SLUG]
    return national[NOTE_TAKER_INDEX], national[FACILITATOR_INDEX]


# --- Sessions ------------------------------------------------------------------------------

LONDON = ZoneInfo("Europe/London")
WEEKLY_TITLE = "Friday patient safety huddle"
PAST_WEEKS = 52  # a year of past Fridays
FEEDBACK_WEEKS = 5  # the latest past Fridays with feedback: the last has too few to show
FEEDBACK_RESPONSES = (12, 9, 10, 8, 3)  # most recent first
FOCUS_GROUP_CAPACITY = 6
FOCUS_GROUP_REQUESTS = 9  # three end up on the waitlist
WEEKLY_REGISTRATIONS = 24  # members with a place at the next Friday
COMMENTS = [
    "Really useful to hear how other trusts run their learning responses.",
    "Good discussion; I would like more time for questions.",
    "The breakout on compassionate engagement was the best part.",
    "Helpful and friendly. I came away with ideas to try.",
    "A bit rushed at the end, but worth it.",
    "",
    "Thank you to everyone who shared their experience so openly.",
    "",
]


@dataclass(frozen=True)
class DemoSession:
    """One session or series, as its organiser (the instance admin, who chairs the demo
    networks) creates it through ``POST /api/v1/networks/{slug}/sessions``."""

    key: str  # how the loader refers to it
    slug: str
    fields: dict[str, Any]


def _wall_clock(day: date, at: clock_time) -> str:
    return datetime.combine(day, at).isoformat()


def _last_weekday(on_or_before: date, weekday: int) -> date:
    return on_or_before - timedelta(days=(on_or_before.weekday() - weekday) % 7)


def _first_weekday_of_month(year: int, month: int, weekday: int) -> date:
    first = date(year, month, 1)
    return first + timedelta(days=(weekday - first.weekday()) % 7)


def session_plan(today: date) -> list[DemoSession]:
    """The demo's sessions, dated from ``today`` (a day in London)."""
    last_past_friday = _last_weekday(today - timedelta(days=1), 4)
    first_friday = last_past_friday - timedelta(weeks=PAST_WEEKS - 1)
    last_day = today + timedelta(days=365)
    # The regional meeting: the first Thursday of every second month, from about four
    # months ago (so two have been held), for two years.
    month = (today.month - 5) % 12 + 1
    year = today.year - (1 if month > today.month else 0)
    regional_start = _first_weekday_of_month(year, month, 3)
    focus_day = today + timedelta(days=(1 - today.weekday()) % 7 + 21)  # a Tuesday, 3 weeks on
    symposium_day = today + timedelta(days=(2 - today.weekday()) % 7 + 70)  # a Wednesday
    return [
        DemoSession(
            "weekly",
            NATIONAL_SLUG,
            {
                "title": WEEKLY_TITLE,
                "description": "Our weekly online meeting: bring a question, share what you "
                "are learning, and hear how others are putting the Patient Safety Incident "
                "Response Framework into practice.",
                "format": "discussion",
                "attendance": "online",
                "starts_at": _wall_clock(first_friday, clock_time(13, 0)),
                "duration_minutes": 60,
                "time_zone": "Europe/London",
                "registration": True,
                "rrule": f"FREQ=WEEKLY;BYDAY=FR;UNTIL={last_day:%Y%m%d}T235959Z",
                "joining_link": "https://meet.example.org/patient-safety-friday",
                "agenda": "Welcome and introductions\nThis week's question\nSmall-group "
                "discussion\nWhat we will take away",
            },
        ),
        DemoSession(
            "regional",
            APPROVAL_SPIN_OFF,
            {
                "title": "London and South East regional Patient Safety Partner meeting",
                "description": "An hour together every two months for Patient Safety "
                "Partners in the region: peer support, and what is coming up.",
                "format": "peer_support",
                "attendance": "online",
                "starts_at": _wall_clock(regional_start, clock_time(14, 0)),
                "duration_minutes": 60,
                "time_zone": "Europe/London",
                "registration": True,
                "rrule": "FREQ=MONTHLY;INTERVAL=2;BYDAY=1TH;COUNT=12",
                "joining_link": "https://meet.example.org/psp-london-south-east",
                "agenda": "Check-in\nUpdates from the region\nPeer support",
            },
        ),
        DemoSession(
            "focus_group",
            NATIONAL_SLUG,
            {
                "title": "Focus group: involving families in learning responses",
                "description": "A small, confidential conversation to shape national "
                "guidance. Places are few so everyone can speak.",
                "format": "focus_group",
                "attendance": "online",
                "starts_at": _wall_clock(focus_day, clock_time(10, 0)),
                "duration_minutes": 90,
                "time_zone": "Europe/London",
                "capacity": FOCUS_GROUP_CAPACITY,
                "registration": True,
                "joining_link": "https://meet.example.org/families-focus-group",
                "agenda": "Introductions\nWhat works when involving families\nWhat gets "
                "in the way\nClose",
            },
        ),
        DemoSession(
            "symposium",
            NATIONAL_SLUG,
            {
                "title": "Patient safety symposium",
                "description": "Our yearly day together: speakers from research, a "
                "national body and a family who took part in a learning response.",
                "format": "symposium",
                "attendance": "both",
                "venue": {
                    "name": "Birmingham conference centre",
                    "address": "1 Example Square, Birmingham B1 1AA",
                    "access_notes": "Step-free access throughout; a hearing loop in the hall.",
                },
                "starts_at": _wall_clock(symposium_day, clock_time(9, 30)),
                "duration_minutes": 390,
                "time_zone": "Europe/London",
                "capacity": 200,
                "registration": True,
                "joining_link": "https://meet.example.org/patient-safety-symposium",
                "agenda": "Welcome\nSystems thinking in practice\nLearning from families"
                "\nLunch\nPanel: oversight without blame\nClose",
                "speakers": [
                    {
                        "name": "Professor Grace Mensah",
                        "organisation": "University of Leeds",
                        "agreed_to_be_named": True,
                        "topic": "Systems thinking in practice",
                    },
                    {
                        "name": "Dr Owen Price",
                        "organisation": "Health Services Safety Investigations Body",
                        "agreed_to_be_named": True,
                        "topic": "Oversight without blame",
                    },
                    {
                        "name": "Jo Example",
                        "organisation": "",
                        "agreed_to_be_named": False,
                        "topic": "A family's view of a learning response",
                    },
                ],
            },
        ),
    ]


@dataclass
class SessionSummary:
    created: int = 0
    registrations: int = 0
    attendance: int = 0  # occurrences with attendance recorded
    feedback: int = 0
    skipped: str = ""


def _occurrence_start(item: dict[str, Any]) -> datetime:
    return datetime.fromisoformat(item["occurrence_start"])


# --- Loading -------------------------------------------------------------------------------


@dataclass
class NotesSummary:
    published: int = 0  # the weekly huddle's notes, through the whole workflow
    waiting: int = 0  # submitted with findings, for a second reader
    drafts: int = 0
    skipped: str = ""


@dataclass
class DirectorySummary:
    created: int = 0  # directory entries (signposting)
    curators: int = 0  # members designated to curate it
    skipped: str = ""


@dataclass
class NetworkSummary:
    created: int = 0
    joined: int = 0  # open networks, counted per network
    requested: int = 0  # asked to join the approval network
    approved: int = 0
    invited: int = 0
    accepted: int = 0
    already_present: bool = False  # the national network exists: nothing was done
    skipped: str = ""  # why networks were not (all) loaded; empty when they were


@dataclass
class DemoSummary:
    """What this load created (zero for what was there already)."""

    loaded: bool
    organisations: int
    members: int
    profiles: int = 0
    profiles_skipped: str = ""
    networks: NetworkSummary = field(default_factory=NetworkSummary)
    sessions: SessionSummary = field(default_factory=SessionSummary)
    notes: NotesSummary = field(default_factory=NotesSummary)
    directory: "DirectorySummary" = field(default_factory=lambda: DirectorySummary())
    seconds: float = 0.0
    step_seconds: dict[str, float] = field(default_factory=dict)  # where the time went

    def describe(self) -> str:
        if not self.loaded:
            text = "demo data already present"
        else:
            text = (
                f"demo data loaded in {self.seconds:.1f}s: {self.organisations} organisations, "
                f"{self.members} members, {self.profiles} profiles"
            )
            net = self.networks
            if net.created:
                text += (
                    f", {net.created} networks ({net.joined} joins, {net.requested} requests, "
                    f"{net.approved} approved, {net.invited} invited, {net.accepted} accepted)"
                )
            if self.sessions.created:
                ses = self.sessions
                text += (
                    f", {ses.created} sessions ({ses.registrations} registrations, attendance "
                    f"for {ses.attendance} occurrences, {ses.feedback} feedback)"
                )
            if self.notes.published or self.notes.waiting:
                text += (
                    f", {self.notes.published} published notes ({self.notes.waiting} waiting "
                    f"for a second reader, {self.notes.drafts} drafts)"
                )
            if self.directory.created:
                text += (
                    f", {self.directory.created} directory entries "
                    f"({self.directory.curators} curators besides the admin)"
                )
        if self.loaded and self.step_seconds:
            steps = ", ".join(f"{step} {took:.0f}s" for step, took in self.step_seconds.items())
            text += f" (took: {steps})"
        if self.profiles_skipped:
            text += f"; profiles skipped: {self.profiles_skipped}"
        if self.directory.skipped:
            text += f"; directory skipped: {self.directory.skipped}"
        if self.networks.skipped:
            text += f"; networks skipped: {self.networks.skipped}"
        if self.sessions.skipped:
            text += f"; sessions skipped: {self.sessions.skipped}"
        if self.notes.skipped:
            text += f"; notes skipped: {self.notes.skipped}"
        return text


class StepSkipped(Exception):
    """An optional step (profiles, networks) could not go on; the reason is reported."""


def _problem_detail(response: httpx.Response) -> str:
    try:
        body = response.json()
    except ValueError:
        return response.text[:200]
    return str(body.get("detail") or body.get("title") or body) if isinstance(body, dict) else ""


def _optional(response: httpx.Response, what: str, *, tolerate: Iterable[int] = ()) -> None:
    """For optional steps: a missing endpoint or a refusal skips the step, with the reason."""
    if response.is_success or response.status_code in set(tolerate):
        return
    route_missing = response.status_code == 405 or (
        response.status_code == 404 and "/http-404" in response.text
    )
    if route_missing:
        raise StepSkipped(f"{what} is not available yet ({response.status_code})")
    raise StepSkipped(f"{what} answered {response.status_code}: {_problem_detail(response)}")


class Loader:
    def __init__(self, client: httpx.AsyncClient, concurrency: int, retries: int = RETRIES) -> None:
        self.client = client
        self.retries = retries
        self._limit = asyncio.Semaphore(concurrency)
        self._tokens: dict[str, str] = {}
        self._member_ids: dict[str, str] = {}  # by email, of the members registered now

    async def send(self, method: str, url: str, **kwargs: Any) -> httpx.Response:
        """One change, retried with its Idempotency-Key while the system is too busy to
        answer in time (503, 504, or 409 "in progress"): a retry gets the first answer
        and changes nothing twice (routes without keys ignore the header)."""
        headers = {"Idempotency-Key": str(uuid.uuid4()), **kwargs.pop("headers", {})}
        for attempt in range(self.retries):
            response = await self.client.request(method, url, headers=headers, **kwargs)
            busy = response.status_code in (503, 504) or (
                response.status_code == 409 and "in progress" in response.text.lower()
            )
            if not busy or attempt == self.retries - 1:
                return response
            await asyncio.sleep(0.5 * 2**attempt)
        raise AssertionError("unreachable")

    async def once_heard(
        self, attempt: Callable[[], Awaitable[httpx.Response]], *, not_yet: Iterable[int]
    ) -> httpx.Response:
        """``attempt()`` again while it answers one of ``not_yet``: the service that decides
        learns of earlier steps from other services' events, a moment (or, with ten times
        the data, minutes) later."""
        waiting = set(not_yet)
        for _ in range(HEARD_WAITS):
            response = await attempt()
            if response.status_code not in waiting:
                return response
            await asyncio.sleep(0.5)
        return response

    async def each(self, items: Iterable[Item], action: Callable[[Item], Awaitable[T]]) -> list[T]:
        """``action`` on every item, a few at a time; the first failure cancels the rest."""

        async def bounded(item: Item) -> T:
            async with self._limit:
                return await action(item)

        try:
            async with asyncio.TaskGroup() as group:
                tasks = [group.create_task(bounded(item)) for item in items]
        except ExceptionGroup as failures:
            raise failures.exceptions[0] from None
        return [task.result() for task in tasks]

    # Organisations and members: these must load, so failures are errors.

    async def existing_organisations(self) -> dict[str, str]:
        """Every stored organisation's id, by name (the directory, a page at a time)."""
        found: dict[str, str] = {}
        offset, total = 0, 1
        while offset < total:
            response = await self.client.get(
                "/api/v1/organisations", params={"limit": 200, "offset": offset}
            )
            response.raise_for_status()
            page = response.json()
            for item in page["items"]:
                found.setdefault(item["name"], item["id"])
            offset, total = offset + len(page["items"]), page["total"]
            if not page["items"]:
                break
        return found

    async def create_organisation(self, organisation: DemoOrganisation) -> str | None:
        response = await self.send("POST", "/api/v1/organisations", json=organisation.payload())
        if response.status_code == 409:  # its ODS code is held by an organisation of another name
            return None
        response.raise_for_status()
        return str(response.json()["id"])

    async def register(self, member: DemoMember, organisation_id: str) -> bool:
        """True if registered now, False if the email was registered already."""
        response = await self.send("POST", "/api/v1/accounts", json=member.account(organisation_id))
        if response.status_code == 409:
            return False
        response.raise_for_status()
        self._member_ids[member.email] = str(response.json()["id"])
        return True

    async def grant_member_types(
        self, members: list[DemoMember], admin_email: str, admin_password: str
    ) -> None:
        """The member types only an instance admin gives (national observer)."""
        granted = [m for m in members if m.granted_by_admin and m.email in self._member_ids]
        if not granted:
            return
        admin = await self.sign_in(admin_email, admin_password)

        async def grant(member: DemoMember) -> None:
            response = await self.send(
                "PUT",
                f"/api/v1/members/{self._member_ids[member.email]}/type",
                json={"member_type": member.member_type},
                headers=admin,
            )
            _optional(response, "granting a member type")

        await self.each(granted, grant)

    async def active_members(self) -> int:
        response = await self.client.get("/api/v1/stats")
        response.raise_for_status()
        return int(response.json()["members"])

    # Optional steps: failures skip the step.

    async def sign_in(self, email: str, password: str = DEMO_PASSWORD) -> dict[str, str]:
        if email not in self._tokens:
            response = await self.send(
                "POST", "/api/v1/auth/token", json={"email": email, "password": password}
            )
            _optional(response, f"signing in as {email}")
            self._tokens[email] = response.json()["access_token"]
        return {"Authorization": f"Bearer {self._tokens[email]}"}

    async def complete_profile(self, member: DemoMember) -> None:
        headers = await self.sign_in(member.email)
        response = await self.send("PATCH", "/api/v1/me", json=member.profile(), headers=headers)
        _optional(response, "editing a profile")

    async def load_networks(
        self, members: list[DemoMember], admin_email: str, admin_password: str
    ) -> NetworkSummary:
        summary = NetworkSummary()
        try:
            admin = await self.sign_in(admin_email, admin_password)
        except StepSkipped as exc:
            summary.skipped = f"{exc} (is HUDDLE_ADMIN_EMAIL set for the membership service?)"
            return summary
        try:
            await self._load_networks(network_plan(members), admin, summary)
        except StepSkipped as exc:
            summary.skipped = str(exc)
        return summary

    async def _load_networks(
        self, plan: NetworkPlan, admin: dict[str, str], summary: NetworkSummary
    ) -> None:
        for network in NETWORKS:
            response = await self.send(
                "POST", "/api/v1/networks", json=network.payload(), headers=admin
            )
            if response.status_code == 409 and network.slug == NATIONAL_SLUG:
                summary.already_present = True
                return
            _optional(response, "creating a network", tolerate=[409])
            if response.status_code == 201:
                summary.created += 1

        for slug, members in plan.joins.items():
            await self.each(members, partial(self.join, slug))
            summary.joined += len(members)

        message = "I am a Patient Safety Partner and would value peer support."
        results = await self.each(
            plan.requests, partial(self.join, APPROVAL_SPIN_OFF, message=message)
        )
        summary.requested = len(results)
        request_ids = {
            member.email: result["request_id"]
            for member, result in zip(plan.requests, results, strict=True)
            if result.get("status") == "pending" and result.get("request_id")
        }

        async def approve(member: DemoMember) -> None:
            requests = f"/api/v1/networks/{APPROVAL_SPIN_OFF}/join-requests"
            response = await self.send(
                "POST", f"{requests}/{request_ids[member.email]}/approve", json={}, headers=admin
            )
            _optional(response, "approving a join request")

        approving = [member for member in plan.approved if member.email in request_ids]
        await self.each(approving, approve)
        summary.approved = len(approving)

        async def invite(member: DemoMember) -> str:
            response = await self.send(
                "POST",
                f"/api/v1/networks/{INVITE_ONLY_SPIN_OFF}/invitations",
                json={"email": member.email, "role": "member"},
                headers=admin,
            )
            _optional(response, "inviting a member")
            return str(response.json()["token"])

        tokens = dict(zip(plan.invited, await self.each(plan.invited, invite), strict=True))
        summary.invited = len(tokens)

        async def accept(member: DemoMember) -> None:
            response = await self.send(
                "POST",
                f"/api/v1/invitations/{tokens[member]}/accept",
                json={"accepted_ground_rules": True},  # the demo members read them
                headers=await self.sign_in(member.email),
            )
            _optional(response, "accepting an invitation")

        await self.each(plan.accepting, accept)
        summary.accepted = len(plan.accepting)

    # Sessions: after the networks, as the admin (their chair) and their members.

    async def load_sessions(
        self, members: list[DemoMember], admin_email: str, admin_password: str, today: date
    ) -> SessionSummary:
        summary = SessionSummary()
        try:
            admin = await self.sign_in(admin_email, admin_password)
            await self._load_sessions(network_plan(members), admin, today, summary)
        except StepSkipped as exc:
            summary.skipped = str(exc)
        return summary

    async def member_id(self, member: DemoMember) -> str:
        if member.email not in self._member_ids:
            response = await self.client.get("/api/v1/me", headers=await self.sign_in(member.email))
            _optional(response, "reading a member")
            self._member_ids[member.email] = str(response.json()["id"])
        return self._member_ids[member.email]

    async def _occurrences(
        self, slug: str, session_id: str, start: datetime, end: datetime, headers: dict[str, str]
    ) -> list[dict[str, Any]]:
        response = await self.client.get(
            f"/api/v1/networks/{slug}/sessions",
            params={"from": start.isoformat(), "to": end.isoformat()},
            headers=headers,
        )
        _optional(response, "listing sessions")
        return [item for item in response.json()["items"] if item["id"] == session_id]

    async def _load_sessions(
        self, plan: NetworkPlan, admin: dict[str, str], today: date, summary: SessionSummary
    ) -> None:
        now = datetime.now(UTC)
        existing = await self.client.get(
            f"/api/v1/networks/{NATIONAL_SLUG}/sessions",
            params={"from": (now - timedelta(days=400)).isoformat(), "to": now.isoformat()},
            headers=admin,
        )
        _optional(existing, "listing sessions")
        if any(item["title"] == WEEKLY_TITLE for item in existing.json()["items"]):
            return  # loaded before
        ids: dict[str, str] = {}
        for session in session_plan(today):
            response = await self.send(
                "POST",
                f"/api/v1/networks/{session.slug}/sessions",
                json=session.fields,
                headers=admin,
            )
            _optional(response, f"creating the session {session.fields['title']!r}")
            ids[session.key] = str(response.json()["id"])
            summary.created += 1

        national = plan.joins[NATIONAL_SLUG]
        weekly = ids["weekly"]
        past = await self._occurrences(
            NATIONAL_SLUG, weekly, now - timedelta(days=7 * PAST_WEEKS + 7), now, admin
        )
        past = [item for item in past if _occurrence_start(item) < now - timedelta(hours=1)]
        coming = await self._occurrences(
            NATIONAL_SLUG, weekly, now, now + timedelta(days=60), admin
        )

        # Who came each past Friday: a changing group of the network's members, the
        # same few regulars, and (for the latest weeks) those who then give feedback.
        rng = random.Random(11)
        pool = national
        attendee_ids = await self.each(pool, self.member_id)
        by_email = dict(zip((m.email for m in pool), attendee_ids, strict=True))
        latest_first = sorted(past, key=_occurrence_start, reverse=True)
        attendance: list[tuple[dict[str, Any], list[DemoMember]]] = []
        for index, item in enumerate(latest_first):
            size = min(len(pool), rng.randint(12, 40))
            came = rng.sample(pool, size)
            if index < FEEDBACK_WEEKS:
                responders = pool[: FEEDBACK_RESPONSES[index]]
                came = list(dict.fromkeys([*responders, *came]))
            attendance.append((item, came))

        async def attended(args: tuple[dict[str, Any], list[DemoMember]]) -> None:
            item, came = args
            # 422 until scheduling has heard of every attendee's joining the network.
            response = await self.once_heard(
                partial(
                    self.send,
                    "POST",
                    f"/api/v1/sessions/{weekly}/attendance",
                    json={
                        "occurrence_start": item["occurrence_start"],
                        "attended": [by_email[m.email] for m in came],
                    },
                    headers=admin,
                ),
                not_yet=(422,),
            )
            _optional(response, "recording attendance")
            summary.attendance += 1

        # Each Friday is its own record, so they are recorded side by side.
        await self.each(attendance, attended)

        async def feedback(args: tuple[dict[str, Any], int, DemoMember]) -> None:
            item, number, member = args
            response = await self.send(
                "POST",
                f"/api/v1/sessions/{weekly}/feedback",
                json={
                    "occurrence_start": item["occurrence_start"],
                    "rating": [5, 4, 4, 5, 3, 4, 2, 5][number % 8],
                    "comment": COMMENTS[number % len(COMMENTS)],
                },
                headers=await self.sign_in(member.email),
            )
            _optional(response, "giving feedback", tolerate=[409])
            summary.feedback += 1

        given = [
            (item, number, member)
            for item, count in zip(latest_first, FEEDBACK_RESPONSES, strict=False)
            for number, member in enumerate(pool[:count])
        ]
        await self.each(given, feedback)

        async def register(args: tuple[str, str | None, DemoMember]) -> None:
            session_id, occurrence_start, member = args
            body = {"occurrence_start": occurrence_start} if occurrence_start else {}
            response = await self.send(
                "POST",
                f"/api/v1/sessions/{session_id}/registrations",
                json=body,
                headers=await self.sign_in(member.email),
            )
            _optional(response, "registering for a session")
            summary.registrations += 1

        # The next Friday: a couple of dozen places taken. The first member of the national
        # network (the one `make bench` signs in as) has the next four Fridays.
        wanted: list[tuple[str, str | None, DemoMember]] = []
        if coming:
            wanted += [
                (weekly, coming[0]["occurrence_start"], m) for m in national[1:WEEKLY_REGISTRATIONS]
            ]
            wanted += [(weekly, item["occurrence_start"], national[0]) for item in coming[:4]]
        # The focus group fills and three wait, in the order they asked (one at a time).
        for member in national[-FOCUS_GROUP_REQUESTS:]:
            await register((ids["focus_group"], None, member))
        wanted += [(ids["symposium"], None, m) for m in national[:40]]
        await self.each(wanted, register)

    # Notes: after the sessions, whose past Fridays they are the notes of.

    async def load_notes(
        self, members: list[DemoMember], admin_email: str, admin_password: str
    ) -> NotesSummary:
        summary = NotesSummary()
        try:
            admin = await self.sign_in(admin_email, admin_password)
            await self._load_notes(members, admin, summary)
        except StepSkipped as exc:
            summary.skipped = str(exc)
        return summary

    async def _load_notes(
        self, members: list[DemoMember], admin: dict[str, str], summary: NotesSummary
    ) -> None:
        slug = NATIONAL_SLUG
        existing = await self.client.get(f"/api/v1/networks/{slug}/notes", headers=admin)
        _optional(existing, "listing notes")
        if existing.json()["total"]:
            return  # loaded before
        themes = await self.send(
            "PUT",
            f"/api/v1/networks/{slug}/themes",
            json={"themes": demo_notes.THEMES},
            headers=admin,
        )
        _optional(themes, "setting the themes")
        note_taker, facilitator = note_people(members)
        for person, role in ((note_taker, "note_taker"), (facilitator, "facilitator")):
            response = await self.send(
                "PUT",
                f"/api/v1/networks/{slug}/members/{await self.member_id(person)}/role",
                json={"role": role},
                headers=admin,
            )
            _optional(response, f"making a {role}")
        writer = await self.sign_in(note_taker.email)
        reviewer = await self.sign_in(facilitator.email)

        # The weekly huddle's past Fridays (none when the sessions were not loaded: the
        # notes then stand alone in the network).
        now = datetime.now(UTC)
        listed = await self.client.get(
            f"/api/v1/networks/{slug}/sessions",
            params={
                "from": (now - timedelta(days=7 * PAST_WEEKS + 7)).isoformat(),
                "to": now.isoformat(),
            },
            headers=admin,
        )
        _optional(listed, "listing sessions")
        past = sorted(
            (
                item
                for item in listed.json()["items"]
                if item["title"] == WEEKLY_TITLE and _occurrence_start(item) < now
            ),
            key=_occurrence_start,
        )
        links: list[dict[str, Any]] = [
            {"session_id": item["id"], "occurrence_start": item["occurrence_start"]}
            for item in past
        ] or [{} for _ in range(PAST_WEEKS)]
        rng = random.Random(12)

        async def create(note: demo_notes.DemoNote, link: dict[str, Any]) -> str:
            body = {"title": note.title, "body": note.body, "themes": note.themes, **link}
            # Notes learns of the sessions (404 until then) and of the note-taker's role (403)
            # from scheduling's and membership's events.
            response = await self.once_heard(
                partial(
                    self.send, "POST", f"/api/v1/networks/{slug}/notes", json=body, headers=writer
                ),
                not_yet=(403, 404) if link else (403,),
            )
            _optional(response, "writing a note")
            return str(response.json()["id"])

        async def step(note_id: str, action: str, headers: dict[str, str]) -> None:
            response = await self.send(
                "POST", f"/api/v1/notes/{note_id}/{action}", json={}, headers=headers
            )
            _optional(response, f"{action} a note".replace("submit a", "submitting a"))

        async def publish(week_link: tuple[int, dict[str, Any]]) -> None:
            week, link = week_link
            note_id = await create(demo_notes.weekly_note(week, rng.randint(12, 40)), link)
            await step(note_id, "submit", writer)
            await step(note_id, "approve", reviewer)

        await self.each(list(enumerate(links)), publish)
        summary.published = len(links)

        # Two drafts that still name a member, their organisation, a ward and an NHS
        # number, waiting for the facilitator; and one the note-taker is still writing.
        named = network_plan(members).joins[slug][0]
        for note in demo_notes.notes_with_findings(named.display_name, named.organisation):
            await step(await create(note, {}), "submit", writer)
            summary.waiting += 1
        await create(demo_notes.draft_in_progress(named.display_name), {})
        summary.drafts = 1

    async def join(self, slug: str, member: DemoMember, message: str = "") -> dict[str, Any]:
        response = await self.send(
            "POST",
            f"/api/v1/networks/{slug}/join",
            json={"message": message, "accepted_ground_rules": True},
            headers=await self.sign_in(member.email),
        )
        _optional(response, f"joining {slug}")
        return dict(response.json())


async def load_directory(
    loader: "Loader",
    admin_email: str,
    admin_password: str,
    today: date,
    curators: Sequence[DemoMember] = (),
) -> DirectorySummary:
    """The directory of support, through the curators' API (the instance admin curates)."""
    summary = DirectorySummary()
    try:
        admin = await loader.sign_in(admin_email, admin_password)

        async def designate(member: DemoMember) -> None:
            path = f"/api/v1/signposting/curators/{await loader.member_id(member)}"
            # 422 until signposting has heard of the member.
            response = await loader.once_heard(
                partial(loader.send, "PUT", path, headers=admin), not_yet=(422,)
            )
            _optional(response, "designating a curator")
            summary.curators += 1

        # Every time (designating twice changes nothing), before the entries' early return.
        await loader.each(list(curators), designate)
        existing = await loader.client.get(
            "/api/v1/signposting/services", params={"per_page": 1}, headers=admin
        )
        _optional(existing, "searching the directory")
        if existing.json().get("total"):
            return summary  # loaded before
        taxonomy = await loader.client.get("/api/v1/signposting/taxonomy", headers=admin)
        _optional(taxonomy, "the taxonomy")
        term_ids = {term["code"]: term["id"] for term in taxonomy.json()["terms"]}

        async def add(entry: dict[str, Any]) -> None:
            body = dict(entry)
            body["taxonomy_term_ids"] = [term_ids[c] for c in body.pop("taxonomy_term_codes")]
            response = await loader.send(
                "POST", "/api/v1/signposting/services", json=body, headers=admin
            )
            _optional(response, "adding a directory entry")
            summary.created += 1

        await loader.each(demo_directory.entries(today), add)

    except StepSkipped as exc:
        summary.skipped = str(exc)
    return summary


async def load_async(
    base_url: str,
    *,
    organisations: list[DemoOrganisation] = ORGANISATIONS,
    members: list[DemoMember] = MEMBERS,
    admin_email: str | None = None,
    admin_password: str | None = None,
    request_timeout: float = 60.0,
    concurrency: int = CONCURRENCY,
    retries: int = RETRIES,
) -> DemoSummary:
    started = time.monotonic()
    admin_email = admin_email or os.environ.get("HUDDLE_ADMIN_EMAIL") or DEMO_ADMIN_EMAIL
    admin_password = (
        admin_password or os.environ.get("HUDDLE_ADMIN_PASSWORD") or DEMO_ADMIN_PASSWORD
    )
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(
        base_url=base_url, timeout=request_timeout, limits=limits
    ) as client:
        loader = Loader(client, concurrency, retries)
        steps: dict[str, float] = {}
        step_started = time.monotonic()

        def took(step: str) -> None:
            nonlocal step_started
            now = time.monotonic()
            steps[step] = now - step_started
            step_started = now

        ids = await loader.existing_organisations()
        missing = [o for o in organisations if o.name not in ids]
        created_ids = await loader.each(missing, loader.create_organisation)
        ids.update({o.name: i for o, i in zip(missing, created_ids, strict=True) if i})
        created_organisations = sum(1 for i in created_ids if i)
        took("organisations")

        registered: list[DemoMember] = []
        # Nothing new to create and everyone counted: the members were loaded before.
        if missing or await loader.active_members() < len(members):
            to_register = [m for m in members if m.organisation in ids]
            outcomes = await loader.each(
                to_register, lambda member: loader.register(member, ids[member.organisation])
            )
            registered = [m for m, new in zip(to_register, outcomes, strict=True) if new]
        took("members")

        profiles, profiles_skipped = 0, ""
        try:
            await loader.grant_member_types(registered, admin_email, admin_password)
        except StepSkipped as exc:
            profiles_skipped = str(exc)
        with_profile = [member for member in registered if member.completes_profile]
        try:
            await loader.each(with_profile, loader.complete_profile)
            profiles = len(with_profile)
        except StepSkipped as exc:
            profiles_skipped = str(exc)
        took("profiles")

        networks = await loader.load_networks(members, admin_email, admin_password)
        took("networks")
        sessions = SessionSummary(skipped="the networks were not loaded")
        notes = NotesSummary(skipped="the networks were not loaded")
        if not networks.skipped:
            today = datetime.now(LONDON).date()
            sessions = await loader.load_sessions(members, admin_email, admin_password, today)
            took("sessions")
            notes = await loader.load_notes(members, admin_email, admin_password)
            took("notes")
        directory = await load_directory(
            loader,
            admin_email,
            admin_password,
            datetime.now(LONDON).date(),
            curators_among(members),
        )
        took("directory")

    return DemoSummary(
        loaded=bool(
            created_organisations
            or registered
            or networks.created
            or sessions.created
            or notes.published
            or directory.created
        ),
        organisations=created_organisations,
        members=len(registered),
        profiles=profiles,
        profiles_skipped=profiles_skipped,
        networks=networks,
        sessions=sessions,
        notes=notes,
        directory=directory,
        seconds=time.monotonic() - started,
        step_seconds=steps,
    )


def load(
    base_url: str, *, timeout: float = 60.0, scale: int = 1, concurrency: int = CONCURRENCY
) -> DemoSummary:
    """Load ``scale`` times the demo (see ``scaled``) into the system at ``base_url``
    (see ``load_async``)."""
    organisations, members = scaled(scale)
    return asyncio.run(
        load_async(
            base_url,
            organisations=organisations,
            members=members,
            request_timeout=timeout,
            concurrency=concurrency,
        )
    )
