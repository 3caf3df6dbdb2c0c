"""The demo dataset `make run` loads: broad, valid against the contracts, the same every time."""

import uuid
from collections import Counter

import httpx
import pytest
from email_validator import validate_email
from huddle_devkit import demo
from huddle_membership.networks.domain import check_glossary
from huddle_shared.contracts.membership import (
    MemberType,
    OrganisationKind,
    Region,
    RegisterAccount,
    RegisterOrganisation,
    UpdateProfile,
)
from huddle_shared.contracts.networks import CreateNetwork, Visibility

pytestmark = pytest.mark.unit


def test_organisations_cover_every_kind_and_region() -> None:
    assert len(demo.ORGANISATIONS) >= 40
    assert {o.kind for o in demo.ORGANISATIONS} == {kind.value for kind in OrganisationKind}
    assert {o.region for o in demo.ORGANISATIONS} - {None} == {r.value for r in Region}
    # Not only trusts in every region: most kinds reach several regions.
    regions_by_kind = {
        kind.value: {o.region for o in demo.ORGANISATIONS if o.kind == kind.value and o.region}
        for kind in OrganisationKind
    }
    assert regions_by_kind["nhs_trust"] == {r.value for r in Region}
    assert regions_by_kind["integrated_care_board"] == {r.value for r in Region}


def test_organisations_are_valid_and_unique() -> None:
    names = [o.name for o in demo.ORGANISATIONS]
    assert len(set(names)) == len(names)  # the loader matches existing organisations by name
    codes = [RegisterOrganisation(**o.payload()).ods_code for o in demo.ORGANISATIONS]
    given = [code for code in codes if code]
    assert len(given) >= 30
    assert len(set(given)) == len(given)


def test_members_are_many_valid_and_unique() -> None:
    assert len(demo.MEMBERS) >= 250
    emails = [member.email for member in demo.MEMBERS]
    assert len({email.lower() for email in emails}) == len(emails)
    organisation_names = {o.name for o in demo.ORGANISATIONS}
    for member in demo.MEMBERS:
        assert validate_email(member.email, check_deliverability=False).normalized == member.email
        RegisterAccount(**member.account(str(uuid.uuid4())))
        UpdateProfile(**member.profile())
        assert member.organisation in organisation_names
        assert member.contactable <= member.listed_in_directory
    assert {m.organisation for m in demo.MEMBERS} == organisation_names  # nobody's org is empty


def test_members_vary() -> None:
    types = Counter(member.member_type for member in demo.MEMBERS)
    assert set(types) == {member_type.value for member_type in MemberType}
    assert types["patient_safety_partner"] >= 20
    assert len({member.job_title for member in demo.MEMBERS}) >= 20
    assert len({topic for member in demo.MEMBERS for topic in member.topics}) >= 20
    assert len({member.display_name for member in demo.MEMBERS}) >= 200
    completing = sum(member.completes_profile for member in demo.MEMBERS)
    assert 0.4 * len(demo.MEMBERS) < completing < 0.9 * len(demo.MEMBERS)


def test_the_dataset_is_the_same_every_time() -> None:
    # Reloading relies on it: the same emails meet 409 instead of making new people.
    assert demo.generate_members() == demo.MEMBERS


def test_ten_times_the_demo_is_the_size_make_bench_loads_and_stays_valid() -> None:
    organisations, members = demo.scaled(10)
    assert (len(organisations), len(members)) == (670, 3000)
    names = [o.name for o in organisations]
    assert len(set(names)) == len(names)
    codes = [o.ods_code for o in organisations if o.ods_code]
    assert len(set(codes)) == len(codes)  # copies carry no code: codes are unique
    for organisation in organisations:
        RegisterOrganisation(**organisation.payload())
    emails = [member.email for member in members]
    assert len({email.lower() for email in emails}) == len(emails)
    for member in members:
        RegisterAccount(**member.account(str(uuid.uuid4())))
    assert {m.organisation for m in members} == set(names)
    national = demo.network_plan(members).joins[demo.NATIONAL_SLUG]
    assert 1400 <= len(national) <= 1600  # "networks with 1,500 members"
    assert demo.scaled(1) == (demo.ORGANISATIONS, demo.MEMBERS)
    assert demo.scaled(10) == (organisations, members)  # the same every time


def test_networks_are_a_national_network_and_three_spin_offs() -> None:
    payloads = [CreateNetwork(**network.payload()) for network in demo.NETWORKS]
    national, *spin_offs = payloads
    assert national.parent_slug is None
    assert [n.parent_slug for n in spin_offs] == [national.slug] * 3
    assert [n.visibility for n in spin_offs] == [
        Visibility.OPEN,
        Visibility.APPROVAL,
        Visibility.INVITE_ONLY,
    ]
    for payload in payloads:
        check_glossary(payload.glossary)


def test_every_network_gets_people() -> None:
    plan = demo.network_plan(demo.MEMBERS)
    assert len(plan.joins[demo.NATIONAL_SLUG]) >= 100
    assert plan.joins[demo.OPEN_SPIN_OFF]
    assert set(plan.joins[demo.OPEN_SPIN_OFF]) <= set(plan.joins[demo.NATIONAL_SLUG])
    assert {m.member_type for m in plan.requests} == {"patient_safety_partner"}
    assert 0 < len(plan.approved) < len(plan.requests)  # some requests still wait
    assert set(plan.approved) <= set(plan.requests)
    invite_only = next(n for n in demo.NETWORKS if n.visibility == "invite_only")
    assert plan.invited and {m.member_type for m in plan.invited} <= set(
        invite_only.allowed_member_types
    )
    assert 0 < len(plan.accepting) < len(plan.invited)
    everyone = [*plan.joins.values(), plan.requests, plan.invited]
    assert all(member.completes_profile for people in everyone for member in people)


def problem(status: int, type_: str, detail: str = "") -> httpx.Response:
    body = {"status": status, "title": "x", "type": f"https://huddle.invalid/problems/{type_}"}
    return httpx.Response(status, json={**body, "detail": detail})


def test_optional_steps_skip_when_an_endpoint_is_missing_or_refuses() -> None:
    demo._optional(httpx.Response(201, json={}), "creating a network")
    demo._optional(problem(409, "conflict"), "creating a network", tolerate=[409])
    for response in (problem(404, "http-404"), problem(405, "http-405")):
        with pytest.raises(demo.StepSkipped, match="creating a network is not available yet"):
            demo._optional(response, "creating a network")
    with pytest.raises(demo.StepSkipped, match="answered 401: Wrong password"):
        demo._optional(problem(401, "unauthenticated", "Wrong password"), "signing in")
    with pytest.raises(demo.StepSkipped, match="answered 404: No such invitation"):
        demo._optional(problem(404, "not-found", "No such invitation"), "accepting")


def test_the_summary_says_what_happened() -> None:
    assert demo.DemoSummary(False, 0, 0).describe() == "demo data already present"
    summary = demo.DemoSummary(
        True, 67, 300, profiles=196, networks=demo.NetworkSummary(skipped="creating a network…")
    )
    assert "67 organisations, 300 members, 196 profiles" in summary.describe()
    assert summary.describe().endswith("networks skipped: creating a network…")


async def test_the_loader_retries_a_change_with_the_same_idempotency_key_while_busy(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Under load a registration may answer 504 after it was done: the retry carries the
    same key, so it gets the first answer instead of registering twice."""
    import asyncio

    import httpx
    from huddle_devkit import demo

    answers = [504, 409, 201]
    keys: list[str] = []

    def reply(request: httpx.Request) -> httpx.Response:
        keys.append(request.headers["Idempotency-Key"])
        status = answers.pop(0)
        if status == 409:
            return httpx.Response(409, json={"title": "Request in progress"})
        return httpx.Response(status, json={"id": "m1"} if status == 201 else {})

    transport = httpx.MockTransport(reply)
    async with httpx.AsyncClient(transport=transport, base_url="http://huddle") as client:
        loader = demo.Loader(client, concurrency=1)
        no_wait = asyncio.sleep
        monkeypatch.setattr(demo.asyncio, "sleep", lambda _seconds: no_wait(0))
        response = await loader.send("POST", "/api/v1/accounts", json={})
    assert response.status_code == 201
    assert len(keys) == 3 and len(set(keys)) == 1


@pytest.mark.parametrize(("retries", "final"), [(4, 504), (6, 201), (demo.RETRIES, 201)])
async def test_a_slow_machine_is_given_more_retries_when_asked(
    monkeypatch: pytest.MonkeyPatch, retries: int, final: int
) -> None:
    """``make bench``'s 10x load retries longer: five late answers, then the change."""
    import asyncio

    answers = [504] * 5 + [201]
    keys: list[str] = []

    def reply(request: httpx.Request) -> httpx.Response:
        keys.append(request.headers["Idempotency-Key"])
        return httpx.Response(answers.pop(0), json={"id": "m1"})

    transport = httpx.MockTransport(reply)
    async with httpx.AsyncClient(transport=transport, base_url="http://huddle") as client:
        loader = demo.Loader(client, concurrency=1, retries=retries)
        no_wait = asyncio.sleep
        monkeypatch.setattr(demo.asyncio, "sleep", lambda _seconds: no_wait(0))
        response = await loader.send("POST", "/api/v1/accounts", json={})
    assert response.status_code == final
    assert len(keys) == min(retries, 6) and len(set(keys)) == 1


def test_the_demo_sessions_are_valid_and_dated_from_the_day_they_load() -> None:
    from datetime import date, datetime
    from zoneinfo import ZoneInfo

    from dateutil.rrule import rrulestr
    from huddle_shared.contracts.sessions import SessionFields

    today = date(2026, 12, 2)
    plan = {session.key: session for session in demo.session_plan(today)}
    assert set(plan) == {"weekly", "regional", "focus_group", "symposium"}
    for session in plan.values():
        SessionFields.model_validate(session.fields)
        assert session.slug in {network.slug for network in demo.NETWORKS}
    london = ZoneInfo("Europe/London")

    def dates(key: str) -> list[datetime]:
        fields = plan[key].fields
        start = datetime.fromisoformat(fields["starts_at"]).replace(tzinfo=london)
        return list(rrulestr(fields["rrule"], dtstart=start))

    weekly = dates("weekly")
    past = [d for d in weekly if d.date() < today]
    assert len(past) == demo.PAST_WEEKS and len(weekly) > 100  # a year past, a year to come
    assert {(d.weekday(), d.hour) for d in weekly} == {(4, 13)}  # Fridays at 1pm, all year
    regional = dates("regional")
    assert all(d.weekday() == 3 and d.day <= 7 for d in regional)  # the first Thursday
    assert [d.month for d in regional[:3]] in ([8, 10, 12], [7, 9, 11])
    assert any(d.date() < today for d in regional) and any(d.date() > today for d in regional)
    assert plan["focus_group"].fields["capacity"] < demo.FOCUS_GROUP_REQUESTS  # a waitlist
    speakers = plan["symposium"].fields["speakers"]
    assert {s["agreed_to_be_named"] for s in speakers} == {True, False}
    assert demo.FEEDBACK_RESPONSES[0] >= 8 > min(demo.FEEDBACK_RESPONSES)


async def test_a_step_is_tried_again_until_the_deciding_service_has_heard(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    async def no_wait(seconds: float) -> None:
        return None

    monkeypatch.setattr(demo.asyncio, "sleep", no_wait)
    monkeypatch.setattr(demo, "HEARD_WAITS", 5)
    loader = demo.Loader(httpx.AsyncClient(), concurrency=1)
    answers = iter([problem(422, "invalid"), problem(403, "forbidden"), httpx.Response(201)])
    tries: list[int] = []

    async def attempt() -> httpx.Response:
        response = next(answers)
        tries.append(response.status_code)
        return response

    assert (await loader.once_heard(attempt, not_yet=(403, 422))).status_code == 201
    assert tries == [422, 403, 201]
    # Another answer is final at once; one that stays "not yet" is given up after the waits.
    answers = iter([problem(409, "conflict")])
    assert (await loader.once_heard(attempt, not_yet=(422,))).status_code == 409
    answers = iter([problem(422, "invalid")] * 5)
    assert (await loader.once_heard(attempt, not_yet=(422,))).status_code == 422
    assert len(tries) == 3 + 1 + 5
