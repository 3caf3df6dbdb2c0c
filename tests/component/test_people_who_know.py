"""People who know, contact requests and signposting requests (issue 13) against the real
gateway, membership and signposting on real NATS and FerretDB: consent decides who is
found; the expert's email reaches the requester only once they accept; declining; the
daily rate limit; erasure removes everything listed; a gap is emitted without the free
text; bad input is refused with nothing changed; who may call each endpoint.

The directory here is empty, so a need is answered by people who know only; answers from
the directory are in ``test_signposting_api``.
"""

import asyncio
import json
import uuid
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from huddle_shared.contracts.common import export_subject
from huddle_shared.contracts.experts import CONTACT_REQUESTS_PER_DAY
from notes_support import assert_problem
from support import connect_nats, eventually, signed
from web_support import PASSWORD, Person, Site, web_site

pytestmark = pytest.mark.component

EXPERTS = "/api/v1/signposting/experts"
MINE = "/api/v1/me/contact-requests"
NEEDS = "/api/v1/signposting/requests"


@pytest.fixture(scope="module")
async def site(
    tmp_path_factory: pytest.TempPathFactory, mongodb_url: str, nats_credentials: Any
) -> AsyncIterator[Site]:
    async with web_site(
        tmp_path_factory, mongodb_url, nats_credentials, "membership", "signposting"
    ) as site:
        yield site


def signposting_db(site: Site) -> Any:
    return site.databases["signposting"]


async def organisation(site: Site, region: str) -> str:
    made = await site.client.post(
        "/api/v1/organisations",
        json={"name": f"Trust {uuid.uuid4().hex[:8]}", "kind": "nhs_trust", "region": region},
    )
    assert made.status_code == 201, made.text
    return str(made.json()["id"])


async def member(
    site: Site,
    *,
    organisation_id: str | None = None,
    topics: list[str] | None = None,
    expert: bool = False,
    listed: bool = False,
    name: str = "",
) -> Person:
    """A member of ``organisation_id`` (the site's London trust by default), with a profile:
    ``topics``, and the two consents (listed as a person who knows; shown in member lists)."""
    email = f"p{uuid.uuid4().hex[:12]}@example.org"
    name = name or f"Person {email[1:7]}"
    made = await site.client.post(
        "/api/v1/accounts",
        json={
            "email": email,
            "password": PASSWORD,
            "display_name": name,
            "organisation_id": organisation_id or site.organisation_id,
            "member_type": "staff",
        },
    )
    assert made.status_code == 201, made.text
    member_id = made.json()["id"]
    headers = {"Authorization": f"Bearer {site.tokens.issue(uuid.UUID(member_id))}"}
    profile = {"topics": topics or [], "listed_as_expert": expert, "listed_in_directory": listed}
    updated = await site.client.patch("/api/v1/me", json=profile, headers=headers)
    assert updated.status_code == 200, updated.text
    assert updated.json()["listed_as_expert"] is expert
    person = Person(member_id, email, PASSWORD, name, headers)
    await known(site, person, topics or [], expert)
    return person


async def known(site: Site, person: Person, topics: list[str], expert: bool) -> None:
    """Until signposting has seen the member's profile (its copy follows the events)."""

    async def seen() -> bool:
        document = await signposting_db(site)["people"].find_one({"_id": person.id}) or {}
        return (
            document.get("status") == "active"
            and document.get("topics") == sorted(topics, key=str.lower)
            and document.get("listed_as_expert") is expert
            and "member_type" in document
        )

    await eventually(seen)


async def found(site: Site, asker: Person, **query: str) -> list[str]:
    answer = await site.client.get(EXPERTS, params=query, headers=asker.headers)
    assert answer.status_code == 200, answer.text
    return [item["member_id"] for item in answer.json()["items"]]


async def send(site: Site, asker: Person, expert: Person, message: str = "Hello") -> httpx.Response:
    return await site.client.post(
        f"{EXPERTS}/{expert.id}/contact-requests", json={"message": message}, headers=asker.headers
    )


async def mine(site: Site, person: Person) -> dict[str, Any]:
    answer = await site.client.get(MINE, headers=person.headers)
    assert answer.status_code == 200, answer.text
    body: dict[str, Any] = answer.json()
    return body


async def count(site: Site, collection: str, query: dict[str, Any]) -> int:
    return int(await signposting_db(site)[collection].count_documents(query))


async def test_only_members_who_consented_are_found(site: Site) -> None:
    topic = f"Bereavement {uuid.uuid4().hex[:6]}"
    expert = await member(site, topics=[topic], expert=True)
    # Shown in member lists, with the same topic, but not listed as a person who knows.
    unlisted = await member(site, topics=[topic], listed=True)
    no_topics = await member(site, expert=True)
    asker = await member(site)

    assert await found(site, asker, topic=topic) == [expert.id]
    assert await found(site, asker, topic=topic.upper()[4:]) == [expert.id]  # part, any case
    everyone = await found(site, asker)
    assert expert.id in everyone
    assert unlisted.id not in everyone and no_topics.id not in everyone
    assert_problem(await send(site, asker, unlisted), 404)
    assert await count(site, "contact_requests", {"expert_id": unlisted.id}) == 0

    # Withdrawing the consent takes the expert out of the list.
    withdrawn = await site.client.patch(
        "/api/v1/me", json={"listed_as_expert": False}, headers=expert.headers
    )
    assert withdrawn.status_code == 200

    async def gone() -> bool:
        return expert.id not in await found(site, asker, topic=topic)

    await eventually(gone)
    assert_problem(await send(site, asker, expert), 404)


async def test_experts_are_found_by_region(site: Site) -> None:
    topic = f"Advocacy {uuid.uuid4().hex[:6]}"
    north_west = await organisation(site, "north_west")
    in_north_west = await member(site, organisation_id=north_west, topics=[topic], expert=True)
    in_london = await member(site, topics=[topic], expert=True)
    asker = await member(site)

    assert await found(site, asker, topic=topic, region="north_west") == [in_north_west.id]
    assert await found(site, asker, topic=topic, region="london") == [in_london.id]
    assert set(await found(site, asker, topic=topic)) == {in_north_west.id, in_london.id}
    listed = await site.client.get(EXPERTS, params={"topic": topic}, headers=asker.headers)
    assert all("email" not in json.dumps(item) for item in listed.json()["items"])
    assert_problem(
        await site.client.get(EXPERTS, params={"region": "atlantis"}, headers=asker.headers),
        422,
        "region",
    )


async def test_the_email_is_shown_only_once_the_expert_accepts(site: Site) -> None:
    expert = await member(site, topics=["Complaints"], expert=True, name="Erin Expert")
    requester = await member(site, name="Rhys Requester")
    stranger = await member(site)
    sent = await send(site, requester, expert, "Could you tell me about complaints?")
    assert sent.status_code == 201, sent.text
    request_id = sent.json()["id"]
    assert sent.json()["expert_email"] is None and sent.json()["status"] == "pending"

    mine_before = await mine(site, requester)
    assert [r["id"] for r in mine_before["sent"]] == [request_id]
    assert mine_before["sent"][0]["expert_email"] is None
    received = (await mine(site, expert))["received"]
    assert [(r["id"], r["requester_name"], r["message"]) for r in received] == [
        (request_id, "Rhys Requester", "Could you tell me about complaints?")
    ]
    assert expert.email not in json.dumps(await mine(site, requester))

    accept = f"/api/v1/contact-requests/{request_id}/accept"
    assert_problem(await site.client.post(accept, headers=requester.headers), 403)
    assert_problem(await site.client.post(accept, headers=stranger.headers), 404)
    assert (await mine(site, requester))["sent"][0]["status"] == "pending"

    accepted = await site.client.post(accept, headers=expert.headers)
    assert accepted.status_code == 200, accepted.text
    assert accepted.json()["status"] == "accepted"
    assert accepted.json()["expert_email"] is None  # the expert's own answer: not needed
    after = (await mine(site, requester))["sent"][0]
    assert after["status"] == "accepted" and after["expert_email"] == expert.email
    assert (await mine(site, expert))["received"][0]["expert_email"] is None
    assert (await mine(site, stranger)) == {"sent": [], "received": []}
    again = await site.client.post(accept, headers=expert.headers)
    assert again.status_code == 200 and again.json()["status"] == "accepted"


async def test_a_declined_request_shares_nothing(site: Site) -> None:
    expert = await member(site, topics=["Legal advice"], expert=True)
    requester = await member(site)
    request_id = (await send(site, requester, expert)).json()["id"]
    decline = f"/api/v1/contact-requests/{request_id}/decline"
    assert_problem(await site.client.post(decline, headers=requester.headers), 403)
    declined = await site.client.post(decline, headers=expert.headers)
    assert declined.status_code == 200 and declined.json()["status"] == "declined"
    assert_problem(
        await site.client.post(
            f"/api/v1/contact-requests/{request_id}/accept", headers=expert.headers
        ),
        409,
    )
    sent = (await mine(site, requester))["sent"][0]
    assert sent["status"] == "declined" and sent["expert_email"] is None
    document = await signposting_db(site)["contact_requests"].find_one({"_id": request_id})
    assert document["expert_email"] is None


async def test_contact_requests_are_limited_per_member_per_day(site: Site) -> None:
    expert = await member(site, topics=["Peer support"], expert=True)
    other_expert = await member(site, topics=["Peer support"], expert=True)
    requester = await member(site)
    answers = await asyncio.gather(
        *(
            send(site, requester, expert, f"Question {n}")
            for n in range(CONTACT_REQUESTS_PER_DAY + 3)
        )
    )
    statuses = sorted(answer.status_code for answer in answers)
    assert statuses == [201] * CONTACT_REQUESTS_PER_DAY + [429] * 3, statuses
    refused = next(answer for answer in answers if answer.status_code == 429)
    assert_problem(refused, 429)
    assert 0 < int(refused.headers["retry-after"]) <= 86_400
    assert await count(site, "contact_requests", {"requester_id": requester.id}) == (
        CONTACT_REQUESTS_PER_DAY
    )
    assert_problem(await send(site, requester, other_expert), 429)
    # Another member's limit is their own.
    assert (await send(site, await member(site), expert)).status_code == 201


async def test_bad_input_is_refused_and_changes_nothing(site: Site) -> None:
    expert = await member(site, topics=["Staff wellbeing"], expert=True)
    requester = await member(site)
    before = await count(site, "contact_requests", {})
    assert_problem(await send(site, requester, expert, ""), 422, "message")
    assert_problem(await send(site, requester, expert, "x" * 1001), 422, "message")
    assert_problem(await send(site, requester, requester), 409)  # oneself
    missing = await site.client.post(
        f"{EXPERTS}/{uuid.uuid4()}/contact-requests",
        json={"message": "Hi"},
        headers=requester.headers,
    )
    assert_problem(missing, 404)
    assert await count(site, "contact_requests", {}) == before
    assert await count(site, "contact_request_slots", {"member_id": requester.id}) == 0

    requests_before = await count(site, "signposting_requests", {})
    need = {"category": "bereavement", "area": "region:north_west", "audience": "patients"}
    for bad, field in (
        ({**need, "category": "no-such-term"}, "category"),
        ({**need, "area": "region:atlantis"}, "area"),
        ({**need, "area": "icb:nowhere"}, "area"),
        ({**need, "audience": "everyone"}, "audience"),
        ({**need, "text": "x" * 1001}, "text"),
    ):
        assert_problem(
            await site.client.post(NEEDS, json=bad, headers=requester.headers), 422, field
        )
    assert await count(site, "signposting_requests", {}) == requests_before


async def stream_gaps(site: Site) -> list[dict[str, Any]]:
    connection = await connect_nats(site.nats_url)
    try:
        js = connection.jetstream()
        total = int((await js.stream_info("SIGNPOSTING_EVENTS")).state.messages)
        messages = [await js.get_msg("SIGNPOSTING_EVENTS", seq) for seq in range(1, total + 1)]
        return [json.loads(message.data) for message in messages]
    finally:
        await connection.close()


async def test_gaps_are_emitted_without_the_free_text(site: Site) -> None:
    requester = await member(site)
    secret = f"my neighbour's son {uuid.uuid4().hex}"
    # Nobody knows about legal advice in the South West: a gap at once.
    nothing = await site.client.post(
        NEEDS,
        json={
            "category": "legal-advice",
            "area": "region:south_west",
            "audience": "families_and_carers",
            "text": secret,
        },
        headers=requester.headers,
    )
    assert nothing.status_code == 201, nothing.text
    assert nothing.json()["gap_recorded"] is True and nothing.json()["experts"] == []
    # Someone in London knows about bereavement: an answer, not a gap, until it is unhelpful.
    bereaved = await member(site, topics=["Bereaved families"], expert=True)
    answered = await site.client.post(
        NEEDS,
        json={"category": "bereavement", "area": "icb:north-east-london", "audience": "staff"},
        headers=requester.headers,
    )
    assert answered.status_code == 201, answered.text
    body = answered.json()
    assert [e["member_id"] for e in body["experts"]] == [bereaved.id]
    assert body["gap_recorded"] is False

    async def gaps() -> list[dict[str, Any]]:
        events = await stream_gaps(site)
        return [e for e in events if e["event_type"] == "signposting.gap_recorded"]

    first = await eventually(gaps)
    assert [g["payload"]["category"] for g in first] == ["legal-advice"]

    outcome = f"{NEEDS}/{body['id']}/outcome"
    stranger = await member(site)
    assert_problem(
        await site.client.post(outcome, json={"helped": False}, headers=stranger.headers), 404
    )
    unhelpful = await site.client.post(outcome, json={"helped": False}, headers=requester.headers)
    assert unhelpful.status_code == 200 and unhelpful.json()["gap_recorded"] is True
    assert_problem(
        await site.client.post(outcome, json={"helped": True}, headers=requester.headers), 409
    )

    async def two() -> list[dict[str, Any]]:
        found = await gaps()
        return found if len(found) == 2 else []

    both = await eventually(two)
    assert [(g["payload"]["category"], g["payload"]["reason"]) for g in both] == [
        ("legal-advice", "no_match"),
        ("bereavement", "unhelpful"),
    ]
    assert both[1]["payload"]["area"] == "icb:north-east-london"
    month = nothing.json()["created_at"][:7]
    for gap in both:
        assert set(gap["payload"]) == {"category", "area", "audience", "month", "reason"}
        assert gap["payload"]["month"] == month
        assert secret not in json.dumps(gap) and requester.id not in json.dumps(gap)
    # Saying again that it did not help records no second gap.
    again = await site.client.post(outcome, json={"helped": False}, headers=requester.headers)
    assert again.status_code == 200
    await asyncio.sleep(0.5)
    assert len(await gaps()) == 2


async def signposting_export(site: Site, person: Person) -> dict[str, Any]:
    """Signposting's part of the member's export, asked as the gateway asks it (the
    gateway's own export needs every service running)."""
    subject = export_subject("signposting")
    message = signed(subject, {"caller": {"member_id": person.id}, "body": {}})
    connection = await connect_nats(site.nats_url)
    try:
        reply = json.loads((await connection.request(subject, message, timeout=10)).data)
    finally:
        await connection.close()
    assert reply["ok"], reply
    data: dict[str, Any] = reply["data"]
    return data


async def test_erasure_removes_everything_listed(site: Site) -> None:
    leaving = await member(site, topics=["Complaints about care"], expert=True)
    friend = await member(site, topics=["Complaints about care"], expert=True)
    asker = await member(site)
    to_leaving = (await send(site, asker, leaving)).json()["id"]
    from_leaving = (await send(site, leaving, friend)).json()["id"]
    secret = f"about my aunt {uuid.uuid4().hex}"
    need = await site.client.post(
        NEEDS,
        json={"category": "complaints", "area": "national", "audience": "patients", "text": secret},
        headers=leaving.headers,
    )
    assert need.status_code == 201, need.text
    part = await signposting_export(site, leaving)
    assert part["member"]["topics"] == ["Complaints about care"]
    assert {r["id"] for r in part["contact_requests"]["received"]} == {to_leaving}
    assert {r["id"] for r in part["contact_requests"]["sent"]} == {from_leaving}
    assert [r["text"] for r in part["signposting_requests"]] == [secret]

    erased = await site.client.delete("/api/v1/me", headers=leaving.headers)
    assert erased.status_code == 204, erased.text

    async def forgotten() -> bool:
        return await count(site, "people", {"_id": leaving.id}) == 0 and (
            await count(site, "contact_requests", {"_id": {"$in": [to_leaving, from_leaving]}}) == 0
        )

    await eventually(forgotten)
    assert leaving.id not in await found(site, asker)
    assert await count(site, "contact_request_slots", {"member_id": leaving.id}) == 0
    kept = await signposting_db(site)["signposting_requests"].find_one({"_id": need.json()["id"]})
    assert kept["text"] == "" and kept["requester_id"] is None and kept["category"] == "complaints"
    everything = [d async for d in signposting_db(site)["signposting_requests"].find({})]
    assert secret not in json.dumps(everything, default=str)
    assert (await mine(site, asker))["sent"] == []
    assert (await mine(site, friend))["received"] == []


ENDPOINTS = [
    ("GET", EXPERTS, None),
    ("POST", f"{EXPERTS}/{{expert}}/contact-requests", {"message": "Hi"}),
    ("GET", MINE, None),
    ("POST", "/api/v1/contact-requests/{request}/accept", None),
    ("POST", "/api/v1/contact-requests/{request}/decline", None),
    ("POST", NEEDS, {"category": "advocacy", "area": "national", "audience": "staff"}),
    ("POST", f"{NEEDS}/{{need}}/outcome", {"helped": True}),
]


@pytest.mark.parametrize(("method", "path", "body"), ENDPOINTS)
async def test_every_endpoint_is_for_signed_in_members_only(
    site: Site, method: str, path: str, body: dict[str, Any] | None
) -> None:
    expert = await member(site, topics=["Advocacy"], expert=True)
    requester = await member(site)
    request_id = (await send(site, requester, expert)).json()["id"]
    need = await site.client.post(NEEDS, json=ENDPOINTS[5][2], headers=requester.headers)
    url = path.format(expert=expert.id, request=request_id, need=need.json()["id"])
    before = await mine(site, requester), await mine(site, expert)
    anonymous = await site.client.request(method, url, json=body)
    assert_problem(anonymous, 401)
    bad_token = {"Authorization": "Bearer not-a-token"}
    assert_problem(await site.client.request(method, url, json=body, headers=bad_token), 401)
    assert (await mine(site, requester), await mine(site, expert)) == before
    answer = await site.client.get(f"{NEEDS.rsplit('/', 1)[0]}/requests", headers=requester.headers)
    assert answer.status_code in (404, 405)  # no listing of requests, for anyone
