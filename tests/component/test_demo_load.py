"""The demo loader against the real gateway and membership service, on a small dataset."""

from collections.abc import AsyncIterator
from datetime import date

import httpx
import pytest
from huddle_devkit import demo, demo_directory
from support import gateway_server, services

pytestmark = pytest.mark.component

GOSH = "Great Ormond Street Hospital for Children NHS Foundation Trust"
ORGANISATIONS = [
    demo.DemoOrganisation(GOSH, "nhs_trust", "london", "RP4"),
    demo.DemoOrganisation("Leeds Teaching Hospitals NHS Trust", "nhs_trust", "north_east_and_yorkshire", "RR8"),
    demo.DemoOrganisation("Patient Safety Learning", "charity", "london"),
]  # fmt: skip


def member(
    name: str, organisation: str, member_type: str = "staff", **extra: object
) -> demo.DemoMember:
    fields: dict[str, object] = {
        "email": f"{name.lower()}@{demo.EMAIL_DOMAIN}",
        "display_name": f"{name} Example",
        "job_title": "Patient safety lead",
        "member_type": member_type,
        "organisation": organisation,
        "topics": ("Human factors", "Just culture"),
        "listed_in_directory": True,
        "contactable": False,
        "completes_profile": True,
    }
    return demo.DemoMember(**{**fields, **extra})  # type: ignore[arg-type]


MEMBERS = [
    member("Aisha", GOSH),
    member("Ben", GOSH),
    member("Chloe", "Leeds Teaching Hospitals NHS Trust", topics=(demo.EDUCATION_TOPIC,)),
    member("Dev", "Leeds Teaching Hospitals NHS Trust", "patient_safety_partner"),
    member("Erin", "Patient Safety Learning", "patient_safety_partner"),
    member("Farah", "Patient Safety Learning", completes_profile=False),
]
ADMIN = {"admin_email": demo.DEMO_ADMIN_EMAIL, "admin_password": demo.DEMO_ADMIN_PASSWORD}
ADMIN_SIGN_IN = {"email": demo.DEMO_ADMIN_EMAIL, "password": demo.DEMO_ADMIN_PASSWORD}


@pytest.fixture
async def gateway(settings_for, nats_url, monkeypatch) -> AsyncIterator[str]:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("HUDDLE_ADMIN_EMAIL", demo.DEMO_ADMIN_EMAIL)
    monkeypatch.setenv("HUDDLE_ADMIN_PASSWORD", demo.DEMO_ADMIN_PASSWORD)
    async with (
        services(settings_for, "membership", "scheduling", "notes", "signposting"),
        gateway_server(NATS_URL=nats_url) as url,
    ):
        yield url


@pytest.mark.timeout(300)  # the directory's 300-odd entries add a minute on a busy machine
async def test_loads_everything_once(gateway: str) -> None:
    first = await demo.load_async(gateway, organisations=ORGANISATIONS, members=MEMBERS, **ADMIN)
    assert first.loaded and (first.organisations, first.members, first.profiles) == (3, 6, 5)
    plan = demo.network_plan(MEMBERS)
    assert first.networks == demo.NetworkSummary(
        created=4,
        joined=sum(len(people) for people in plan.joins.values()),
        requested=2,
        approved=1,
        invited=2,
        accepted=2,
    )
    # The four demo sessions, a year of past Fridays with attendance, and feedback.
    assert first.sessions.skipped == "" and first.sessions.created == 4
    assert first.sessions.attendance >= demo.PAST_WEEKS - 1 and first.sessions.feedback > 0
    # A year of the weekly huddle's notes, through the workflow (so the check found nothing
    # in them), and two drafts with findings waiting for the facilitator.
    assert first.notes.skipped == "", first.notes.skipped
    assert first.notes.published >= demo.PAST_WEEKS - 1
    assert (first.notes.waiting, first.notes.drafts) == (2, 1)
    # The directory of support, added by the instance admin (a curator).
    assert first.directory.skipped == "", first.directory.skipped
    assert first.directory.created == len(demo_directory.entries(date.today())) >= 300
    assert first.directory.curators == 2
    async with httpx.AsyncClient(base_url=gateway) as client:
        stats = (await client.get("/api/v1/stats")).json()
        assert (stats["members"], stats["networks"]) == (len(MEMBERS) + 1, 4)  # and the admin
        token = (
            await client.post(
                "/api/v1/auth/token",
                json={"email": MEMBERS[0].email, "password": demo.DEMO_PASSWORD},
            )
        ).json()["access_token"]
        headers = {"Authorization": f"Bearer {token}"}
        me = (await client.get("/api/v1/me", headers=headers)).json()
        assert me["topics"] == list(MEMBERS[0].topics) and me["listed_in_directory"]
        mine = {
            n["slug"]: n["my_status"]
            for n in (await client.get("/api/v1/networks", headers=headers)).json()
        }
        assert mine[demo.NATIONAL_SLUG] == "active"
        assert mine[demo.INVITE_ONLY_SPIN_OFF] == "active"  # invited, and accepted
        library = (
            await client.get(f"/api/v1/networks/{demo.NATIONAL_SLUG}/notes", headers=headers)
        ).json()
        assert library["total"] == first.notes.published
        held = await client.get(f"/api/v1/notes/{library['items'][0]['id']}", headers=headers)
        assert held.json()["session_id"] and held.json()["held_on"]  # a Friday's notes
        _, facilitator = demo.note_people(MEMBERS)
        token = (
            await client.post(
                "/api/v1/auth/token",
                json={"email": facilitator.email, "password": demo.DEMO_PASSWORD},
            )
        ).json()["access_token"]
        queue = await client.get("/api/v1/me/reviews", headers={"Authorization": f"Bearer {token}"})
        waiting = queue.json()["items"]
        assert len(waiting) == 2 and all(item["unresolved_findings"] for item in waiting)
        token = (await client.post("/api/v1/auth/token", json=ADMIN_SIGN_IN)).json()
        curators = await client.get(
            "/api/v1/signposting/curators",
            headers={"Authorization": f"Bearer {token['access_token']}"},
        )
        designated = {c["display_name"] for c in curators.json()["curators"] if c["designated"]}
        assert designated == {m.display_name for m in demo.curators_among(MEMBERS)}

    second = await demo.load_async(gateway, organisations=ORGANISATIONS, members=MEMBERS, **ADMIN)
    assert not second.loaded
    assert (second.organisations, second.members, second.profiles) == (0, 0, 0)
    assert second.networks == demo.NetworkSummary(already_present=True)
    assert second.directory == demo.DirectorySummary(curators=2)  # designated again: no change
    assert second.describe() == "demo data already present"


async def test_without_an_admin_networks_are_skipped_and_the_rest_loads(  # type: ignore[no-untyped-def]
    settings_for, nats_url, monkeypatch
) -> None:
    monkeypatch.delenv("HUDDLE_ADMIN_EMAIL", raising=False)  # so no instance admin is created
    async with services(settings_for, "membership"), gateway_server(NATS_URL=nats_url) as url:
        summary = await demo.load_async(
            url, organisations=ORGANISATIONS, members=MEMBERS[:2], **ADMIN
        )
    assert summary.loaded
    assert (summary.organisations, summary.members, summary.profiles) == (3, 2, 2)
    assert summary.networks.created == 0
    assert f"signing in as {demo.DEMO_ADMIN_EMAIL} answered 401" in summary.networks.skipped
    assert "networks skipped" in summary.describe()
