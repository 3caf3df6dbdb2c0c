"""Demo data, loaded through the gateway's public API (so it exercises the real paths).

Loading is idempotent: organisations carry ODS codes and members unique emails, so a second
load meets 409 Conflict on the first organisation and stops.
"""

import itertools
from dataclasses import dataclass

import httpx

DEMO_PASSWORD = "huddle-demo-password"  # noqa: S105 - printed for people trying Huddle locally

ORGANISATIONS: list[dict[str, str]] = [
    {
        "name": "Leeds Teaching Hospitals NHS Trust",
        "kind": "nhs_trust",
        "region": "north_east_and_yorkshire",
        "ods_code": "RR8",
    },
    {
        "name": "Manchester University NHS Foundation Trust",
        "kind": "nhs_trust",
        "region": "north_west",
        "ods_code": "R0A",
    },
    {
        "name": "University Hospitals Birmingham NHS Foundation Trust",
        "kind": "nhs_trust",
        "region": "midlands",
        "ods_code": "RRK",
    },
    {
        "name": "Cambridge University Hospitals NHS Foundation Trust",
        "kind": "nhs_trust",
        "region": "east_of_england",
        "ods_code": "RGT",
    },
    {
        "name": "Guy's and St Thomas' NHS Foundation Trust",
        "kind": "nhs_trust",
        "region": "london",
        "ods_code": "RJ1",
    },
    {
        "name": "Royal Devon University Healthcare NHS Foundation Trust",
        "kind": "nhs_trust",
        "region": "south_west",
        "ods_code": "RH8",
    },
    {
        "name": "NHS West Yorkshire Integrated Care Board",
        "kind": "integrated_care_board",
        "region": "north_east_and_yorkshire",
        "ods_code": "QWO",
    },
    {
        "name": "NHS Kent and Medway Integrated Care Board",
        "kind": "integrated_care_board",
        "region": "south_east",
        "ods_code": "QKS",
    },
    {
        "name": "Spire Healthcare",
        "kind": "independent_sector_provider",
        "region": "london",
        "ods_code": "NT3",
    },
    {"name": "Action against Medical Accidents", "kind": "charity", "region": "london"},
    {"name": "University of Leeds", "kind": "university", "region": "north_east_and_yorkshire"},
    {"name": "Health Services Safety Investigations Body", "kind": "national_body"},
    {
        "name": "Yorkshire and Humber Patient Safety Collaborative",
        "kind": "other",
        "region": "north_east_and_yorkshire",
    },
]

FIRST_NAMES = ["Aisha", "Ben", "Chloe", "Dev", "Erin", "Farah", "Gareth", "Hannah", "Imran", "Jess"]
LAST_NAMES = ["Okafor", "Patel", "Williams", "Nowak", "Hughes", "Campbell"]
MEMBER_TYPES = [
    "staff",
    "staff",
    "patient_safety_partner",
    "staff",
    "researcher",
    "national_observer",
]
JOB_TITLES = [
    "Patient safety specialist",
    "Patient safety manager",
    "Patient Safety Partner",
    "Head of patient safety",
    "Senior lecturer in patient safety",
    "Clinical governance lead",
]


@dataclass
class DemoSummary:
    loaded: bool
    organisations: int
    members: int


def load(base_url: str, *, timeout: float = 30.0) -> DemoSummary:
    with httpx.Client(base_url=base_url, timeout=timeout) as client:
        organisation_ids: list[str] = []
        for organisation in ORGANISATIONS:
            response = client.post("/api/v1/organisations", json=organisation)
            if response.status_code == 409 and not organisation_ids:
                return DemoSummary(loaded=False, organisations=0, members=0)
            response.raise_for_status()
            organisation_ids.append(response.json()["id"])

        members = 0
        names = itertools.product(FIRST_NAMES, LAST_NAMES)
        for index, (first, last) in enumerate(names):
            response = client.post(
                "/api/v1/accounts",
                json={
                    "email": f"{first}.{last}{index}@demo.example.org".lower(),
                    "password": DEMO_PASSWORD,
                    "display_name": f"{first} {last}",
                    "organisation_id": organisation_ids[index % len(organisation_ids)],
                    "job_title": JOB_TITLES[index % len(JOB_TITLES)],
                    "member_type": MEMBER_TYPES[index % len(MEMBER_TYPES)],
                },
            )
            if response.status_code != 409:
                response.raise_for_status()
                members += 1
        return DemoSummary(loaded=True, organisations=len(organisation_ids), members=members)
