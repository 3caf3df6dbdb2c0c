"""Demo data, loaded through the gateway's public API (so it exercises the real paths).

- ``ORGANISATIONS``: every kind of organisation, in all seven NHS England regions.
- ``MEMBERS``: a few hundred people, generated the same way every time (fixed seed); about
  two in three sign in and fill in their profile (topics, directory listing, contact).
- ``NETWORKS``: a national network and three spin-offs (open, approval, invite-only), created
  by the instance admin; members join, ask to join (some approved), or are invited.

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
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from functools import partial
from importlib import resources
from typing import Any, TypeVar

import httpx

DEMO_PASSWORD = "huddle-demo-password"  # noqa: S105 - printed for people trying Huddle locally
# The instance admin `make run` configures (HUDDLE_ADMIN_EMAIL / HUDDLE_ADMIN_PASSWORD).
DEMO_ADMIN_EMAIL = "admin@demo.example.org"
DEMO_ADMIN_PASSWORD = "huddle-demo-admin"  # noqa: S105 - a local demo account
EMAIL_DOMAIN = "demo.example.org"
RETRIES = 4  # for a change the system was too busy to answer (503, 504)
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
    return members


MEMBERS = generate_members()


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


# --- Loading -------------------------------------------------------------------------------


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
    seconds: float = 0.0

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
        if self.profiles_skipped:
            text += f"; profiles skipped: {self.profiles_skipped}"
        if self.networks.skipped:
            text += f"; networks skipped: {self.networks.skipped}"
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

    async def join(self, slug: str, member: DemoMember, message: str = "") -> dict[str, Any]:
        response = await self.send(
            "POST",
            f"/api/v1/networks/{slug}/join",
            json={"message": message, "accepted_ground_rules": True},
            headers=await self.sign_in(member.email),
        )
        _optional(response, f"joining {slug}")
        return dict(response.json())


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

        ids = await loader.existing_organisations()
        missing = [o for o in organisations if o.name not in ids]
        created_ids = await loader.each(missing, loader.create_organisation)
        ids.update({o.name: i for o, i in zip(missing, created_ids, strict=True) if i})
        created_organisations = sum(1 for i in created_ids if i)

        registered: list[DemoMember] = []
        # Nothing new to create and everyone counted: the members were loaded before.
        if missing or await loader.active_members() < len(members):
            to_register = [m for m in members if m.organisation in ids]
            outcomes = await loader.each(
                to_register, lambda member: loader.register(member, ids[member.organisation])
            )
            registered = [m for m, new in zip(to_register, outcomes, strict=True) if new]

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

        networks = await loader.load_networks(members, admin_email, admin_password)

    return DemoSummary(
        loaded=bool(created_organisations or registered or networks.created),
        organisations=created_organisations,
        members=len(registered),
        profiles=profiles,
        profiles_skipped=profiles_skipped,
        networks=networks,
        seconds=time.monotonic() - started,
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
