"""The signposting directory's HTTP API (issue 13) against the real gateway, membership and
signposting on real NATS and FerretDB: who may call each endpoint; bad input is a clear
problem+json; and the open Open Referral UK endpoints, which anyone may call from any site
(``Access-Control-Allow-Origin: *``), answer as the specification shapes them (validated
against the JSON Schemas in tests/oruk_schemas) and never carry a member, a curator, an
expert, a suggestion or a request.

The cast: ``admin``, the configured instance administrator (a curator by that alone);
``curator``, a member the admin designated; ``member``, any other member; ``anonymous``.
"""

import json
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import httpx
import pytest
from huddle_shared.contracts import signposting as contract
from huddle_shared.contracts.common import export_subject
from notes_support import assert_problem
from oruk import assert_oruk
from signposting_support import CALLERS, CORS, PSYCHOLOGICAL, World, signposting_world
from support import connect_nats, eventually, signed

pytestmark = pytest.mark.component


@pytest.fixture(scope="module")
async def world(
    tmp_path_factory: pytest.TempPathFactory, mongodb_url: str, nats_credentials: Any
) -> AsyncIterator[World]:
    async with signposting_world(tmp_path_factory, mongodb_url, nats_credentials) as world:
        yield world


# --- Who may call each endpoint -------------------------------------------------------------

Call = Callable[[World, dict[str, str]], Awaitable[httpx.Response]]


async def search(world: World, headers: dict[str, str]) -> httpx.Response:
    return await world.client.get(
        "/api/v1/signposting/services", params={"text": "counselling"}, headers=headers
    )


async def create(world: World, headers: dict[str, str]) -> httpx.Response:
    body = world.entry(f"Matrix entry {uuid.uuid4().hex[:6]}")
    return await world.client.post("/api/v1/signposting/services", json=body, headers=headers)


async def read(world: World, headers: dict[str, str]) -> httpx.Response:
    service_id = world.services["families"]["id"]
    return await world.client.get(f"/api/v1/signposting/services/{service_id}", headers=headers)


async def change(world: World, headers: dict[str, str]) -> httpx.Response:
    service_id = world.services["staff"]["id"]
    body = {"description": f"Changed {uuid.uuid4().hex[:6]}"}
    return await world.client.patch(
        f"/api/v1/signposting/services/{service_id}", json=body, headers=headers
    )


async def retire(world: World, headers: dict[str, str]) -> httpx.Response:
    made = await world.create(f"To retire {uuid.uuid4().hex[:6]}")
    return await world.client.delete(
        f"/api/v1/signposting/services/{made['id']}",
        params={"reason": "It closed in June"},
        headers=headers,
    )


async def history(world: World, headers: dict[str, str]) -> httpx.Response:
    service_id = world.services["families"]["id"]
    return await world.client.get(
        f"/api/v1/signposting/services/{service_id}/history", headers=headers
    )


async def suggest(world: World, headers: dict[str, str]) -> httpx.Response:
    service_id = world.services["families"]["id"]
    body = {"comment": "Their website moved", "url": f"https://example.org/{uuid.uuid4().hex}"}
    return await world.client.post(
        f"/api/v1/signposting/services/{service_id}/suggestions", json=body, headers=headers
    )


async def suggestions(world: World, headers: dict[str, str]) -> httpx.Response:
    return await world.client.get("/api/v1/signposting/suggestions", headers=headers)


async def accept(world: World, headers: dict[str, str]) -> httpx.Response:
    made = await world.create(f"To correct {uuid.uuid4().hex[:6]}")
    suggestion = await world.suggestion(made["id"])
    return await world.client.post(
        f"/api/v1/signposting/suggestions/{suggestion['id']}/accept", headers=headers
    )


async def decline(world: World, headers: dict[str, str]) -> httpx.Response:
    suggestion = await world.suggestion(world.services["families"]["id"])
    return await world.client.post(
        f"/api/v1/signposting/suggestions/{suggestion['id']}/decline",
        json={"reason": "The number is right: we rang it"},
        headers=headers,
    )


async def taxonomy(world: World, headers: dict[str, str]) -> httpx.Response:
    return await world.client.get("/api/v1/signposting/taxonomy", headers=headers)


async def _curating(world: World, headers: dict[str, str], curator: bool) -> httpx.Response:
    """Designate (or undesignate) someone new, once signposting has heard of them."""
    person = await world.site.person()
    path = f"/api/v1/signposting/curators/{person.id}"

    async def attempt() -> httpx.Response | None:
        if curator:
            answer = await world.client.put(path, headers=headers)
        else:
            answer = await world.client.delete(path, headers=headers)
        return None if answer.status_code == 422 else answer

    answered: httpx.Response = await eventually(attempt)
    return answered


async def designate(world: World, headers: dict[str, str]) -> httpx.Response:
    return await _curating(world, headers, curator=True)


async def undesignate(world: World, headers: dict[str, str]) -> httpx.Response:
    return await _curating(world, headers, curator=False)


async def curators(world: World, headers: dict[str, str]) -> httpx.Response:
    return await world.client.get("/api/v1/signposting/curators", headers=headers)


# fmt: off
#                              anonymous member curator admin
MATRIX: list[tuple[Call, tuple[int, ...]]] = [
    (search,      (401, 200, 200, 200)),
    (create,      (401, 403, 201, 201)),
    (read,        (401, 200, 200, 200)),
    (change,      (401, 403, 200, 200)),
    (retire,      (401, 403, 200, 200)),
    (history,     (401, 403, 200, 200)),
    (suggest,     (401, 201, 201, 201)),
    (suggestions, (401, 403, 200, 200)),
    (accept,      (401, 403, 200, 200)),
    (decline,     (401, 403, 200, 200)),
    (taxonomy,    (200, 200, 200, 200)),  # the category tree is no secret
    (curators,    (401, 403, 200, 200)),
    (designate,   (401, 403, 403, 200)),  # instance admins only
    (undesignate, (401, 403, 403, 200)),
]
# fmt: on


@pytest.mark.parametrize(
    ("call", "caller", "status"),
    [
        pytest.param(call, caller, status, id=f"{call.__name__}-{caller}")
        for call, statuses in MATRIX
        for caller, status in zip(CALLERS, statuses, strict=True)
    ],
)
async def test_who_may_call_each_directory_endpoint(
    world: World, call: Call, caller: str, status: int
) -> None:
    response = await call(world, world.headers(caller))
    if status >= 400:
        assert_problem(response, status)
    else:
        assert response.status_code == status, response.text
    assert CORS not in response.headers  # only the open data is for other sites


async def test_a_retired_entry_leaves_search_and_the_open_data(world: World) -> None:
    made = await world.create(f"Closing service {uuid.uuid4().hex[:6]}")
    curator = world.headers("curator")
    retired = await world.client.delete(
        f"/api/v1/signposting/services/{made['id']}", headers=curator
    )
    assert retired.status_code == 200, retired.text
    assert retired.json()["retired"] is True
    found = await world.client.get(
        "/api/v1/signposting/services", params={"text": made["name"]}, headers=curator
    )
    assert made["id"] not in [item["id"] for item in found.json()["items"]]
    listed = await world.client.get("/api/v1/oruk/services", params={"per_page": 100})
    assert made["id"] not in [service["id"] for service in listed.json()["contents"]]
    gone = await world.client.get(f"/api/v1/oruk/services/{made['id']}")
    assert gone.status_code == 200 and gone.json()["status"] == "defunct", gone.text
    assert_oruk("service", gone.json())
    # Curators still see it, as retired; members do not.
    assert (
        await world.client.get(f"/api/v1/signposting/services/{made['id']}", headers=curator)
    ).json()["retired"]
    hidden = await world.client.get(
        f"/api/v1/signposting/services/{made['id']}", headers=world.headers("member")
    )
    assert hidden.status_code in (403, 404), hidden.text


async def test_a_curators_change_is_in_the_history_with_who_and_what(world: World) -> None:
    made = await world.create(f"History entry {uuid.uuid4().hex[:6]}")
    changed = await world.client.patch(
        f"/api/v1/signposting/services/{made['id']}",
        json={"description": "Now six sessions, not four."},
        headers=world.headers("admin"),
    )
    assert changed.status_code == 200, changed.text
    assert changed.json()["description"] == "Now six sessions, not four."
    entries = (
        await world.client.get(
            f"/api/v1/signposting/services/{made['id']}/history", headers=world.headers("curator")
        )
    ).json()["entries"]
    assert [entry["action"] for entry in entries] == ["created", "updated"]
    last = entries[-1]
    assert last["by"] == world.people["admin"].name
    assert {
        "field": "description",
        "before": made["description"],
        "after": "Now six sessions, not four.",
    } in last["changes"]


async def test_an_accepted_suggestion_changes_the_entry_and_a_declined_one_does_not(
    world: World,
) -> None:
    made = await world.create(f"Suggested entry {uuid.uuid4().hex[:6]}")
    curator = world.headers("curator")
    first = await world.suggestion(made["id"])
    accepted = await world.client.post(
        f"/api/v1/signposting/suggestions/{first['id']}/accept", headers=curator
    )
    assert accepted.status_code == 200 and accepted.json()["state"] == "accepted", accepted.text
    entry = (
        await world.client.get(f"/api/v1/signposting/services/{made['id']}", headers=curator)
    ).json()
    assert [phone["number"] for phone in entry["phones"]] == ["0161 496 0999"]
    second = await world.client.post(
        f"/api/v1/signposting/services/{made['id']}/suggestions",
        json={"comment": "It closed", "name": "Something else"},
        headers=world.headers("member"),
    )
    declined = await world.client.post(
        f"/api/v1/signposting/suggestions/{second.json()['id']}/decline",
        json={"reason": "It is still open"},
        headers=curator,
    )
    assert declined.status_code == 200 and declined.json()["state"] == "declined"
    again = await world.client.post(
        f"/api/v1/signposting/suggestions/{second.json()['id']}/accept", headers=curator
    )
    assert_problem(again, 409)
    entry = (
        await world.client.get(f"/api/v1/signposting/services/{made['id']}", headers=curator)
    ).json()
    assert entry["name"] == made["name"]


# --- Bad input ------------------------------------------------------------------------------------

BAD_QUERIES = [
    pytest.param(
        "/api/v1/oruk/services",
        {"organization_id": str(uuid.uuid4())},
        "organization_id",
        id="oruk-unknown-organization",
    ),
    pytest.param("/api/v1/oruk/services", {"per_page": "10000"}, "per_page", id="oruk-per-page"),
    pytest.param("/api/v1/oruk/services", {"per_page": "0"}, "per_page", id="oruk-per-page-0"),
    pytest.param("/api/v1/oruk/services", {"page": "0"}, "page", id="oruk-page-0"),
    pytest.param(
        "/api/v1/oruk/services",
        {"modified_after": "last tuesday"},
        "modified_after",
        id="oruk-modified-after-words",
    ),
    pytest.param(
        "/api/v1/oruk/services",
        {"modified_after": "2026-01-01T00:00:00"},
        "modified_after",
        id="oruk-modified-after-no-zone",
    ),
    pytest.param(
        "/api/v1/oruk/services",
        {"taxonomy_term_id": str(uuid.uuid4())},
        "taxonomy_term_id",
        id="oruk-unknown-term",
    ),
    pytest.param(
        "/api/v1/oruk/services",
        {"taxonomy_term_id": "counselling"},
        "taxonomy_term_id",
        id="oruk-term-not-an-id",
    ),
    pytest.param(
        "/api/v1/oruk/taxonomy_terms", {"per_page": "10000"}, "per_page", id="oruk-terms-per-page"
    ),
    pytest.param(
        "/api/v1/oruk/organizations", {"per_page": "10000"}, "per_page", id="oruk-orgs-per-page"
    ),
    pytest.param(
        "/api/v1/signposting/services", {"area": "region:atlantis"}, "area", id="unknown-area"
    ),
    pytest.param(
        "/api/v1/signposting/services", {"area": "icb:nowhere"}, "area", id="unknown-board"
    ),
    pytest.param(
        "/api/v1/signposting/services",
        {"taxonomy_term_id": str(uuid.uuid4())},
        "taxonomy_term_id",
        id="unknown-term",
    ),
    pytest.param("/api/v1/signposting/services", {"per_page": "10000"}, "per_page", id="per-page"),
    pytest.param(
        "/api/v1/signposting/services", {"audience": "everyone"}, "audience", id="audience"
    ),
]


@pytest.mark.parametrize(("path", "query", "named"), BAD_QUERIES)
async def test_bad_queries_are_a_problem_naming_the_parameter(
    world: World, path: str, query: dict[str, str], named: str
) -> None:
    response = await world.client.get(path, params=query, headers=world.headers("member"))
    assert_problem(response, 422)
    fields = [error["field"] for error in response.json().get("errors", [])]
    assert any(named in field for field in fields), response.json()


@pytest.mark.parametrize(
    ("fields", "named"),
    [
        pytest.param({"taxonomy_term_ids": [str(uuid.uuid4())]}, "taxonomy_term_ids", id="term"),
        pytest.param({"areas": ["region:atlantis"]}, "areas", id="area"),
        pytest.param({"areas": []}, "areas", id="no-area"),
        pytest.param({"audiences": ["everyone"]}, "audiences", id="audience"),
        pytest.param({"minimum_age": 40, "maximum_age": 18}, "", id="ages"),
        pytest.param({"url": "ftp://example.org"}, "url", id="url"),
    ],
)
async def test_an_entry_with_bad_fields_is_refused_and_nothing_is_added(
    world: World, fields: dict[str, Any], named: str
) -> None:
    name = f"Refused entry {uuid.uuid4().hex[:8]}"
    response = await world.client.post(
        "/api/v1/signposting/services",
        json=world.entry(name, **fields),
        headers=world.headers("curator"),
    )
    assert_problem(response, 422)
    if named:
        fields_named = [error["field"] for error in response.json().get("errors", [])]
        assert any(named in field for field in fields_named), response.json()
    found = await world.client.get(
        "/api/v1/signposting/services", params={"text": name}, headers=world.headers("curator")
    )
    assert name not in found.text


async def test_unknown_entries_are_not_found(world: World) -> None:
    missing = str(uuid.uuid4())
    assert_problem(
        await world.client.get(
            f"/api/v1/signposting/services/{missing}", headers=world.headers("member")
        ),
        404,
    )
    open_missing = await world.client.get(f"/api/v1/oruk/services/{missing}")
    assert_problem(open_missing, 404)
    assert open_missing.headers[CORS] == "*"
    assert_problem(await world.client.get("/api/v1/oruk/services/not-an-id"), 404)


# --- The open data ---------------------------------------------------------------------------------

OPEN_PATHS = (
    "/api/v1/oruk/",
    "/api/v1/oruk/services",
    "/api/v1/oruk/taxonomy_terms",
    "/api/v1/oruk/organizations",
)


@pytest.mark.parametrize("path", OPEN_PATHS)
@pytest.mark.parametrize("caller", CALLERS)
async def test_anyone_may_read_the_open_data_from_any_site_and_everyone_reads_the_same(
    world: World, path: str, caller: str
) -> None:
    headers = {**world.headers(caller), "Origin": "https://elsewhere.example"}
    response = await world.client.get(path, headers=headers)
    assert response.status_code == 200, response.text
    assert response.headers[CORS] == "*"
    assert response.headers["cross-origin-resource-policy"] == "cross-origin"
    assert "public" in response.headers["cache-control"]
    anonymous = await world.client.get(path)
    assert response.json() == anonymous.json()


async def test_a_token_that_does_not_verify_is_not_even_read_by_the_open_data(
    world: World,
) -> None:
    response = await world.client.get(
        "/api/v1/oruk/services", headers={"Authorization": "Bearer not-a-token"}
    )
    assert response.status_code == 200, response.text


async def test_a_browsers_preflight_is_allowed(world: World) -> None:
    response = await world.client.options(
        "/api/v1/oruk/services",
        headers={
            "Origin": "https://elsewhere.example",
            "Access-Control-Request-Method": "GET",
            "Access-Control-Request-Headers": "accept",
        },
    )
    assert response.status_code in (200, 204), response.text
    assert response.headers[CORS] == "*"
    assert "GET" in response.headers["access-control-allow-methods"]


async def test_problems_from_the_open_data_carry_the_cors_header_too(world: World) -> None:
    response = await world.client.get("/api/v1/oruk/services", params={"per_page": "10000"})
    assert_problem(response, 422)
    assert response.headers[CORS] == "*"


async def test_the_metadata_names_the_specification_and_this_apis_document(
    world: World,
) -> None:
    for path in ("/api/v1/oruk/", "/api/v1/oruk"):
        response = await world.client.get(path)
        assert response.status_code == 200, response.text
        assert_oruk("api_meta", response.json())
    meta = response.json()
    assert meta["version"].startswith("3.")
    assert meta["openapi_url"] == world.site.url + "/schema/openapi.json"
    document = await world.client.get("/schema/openapi.json")
    assert "/api/v1/oruk/services" in document.json()["paths"]


async def test_services_lists_and_one_service_follow_the_specification(world: World) -> None:
    listed = await world.client.get("/api/v1/oruk/services", params={"per_page": 100})
    assert listed.status_code == 200, listed.text
    assert_oruk("service_page", listed.json())
    ids = [service["id"] for service in listed.json()["contents"]]
    families = world.services["families"]["id"]
    assert families in ids
    one = await world.client.get(f"/api/v1/oruk/services/{families}")
    assert one.status_code == 200, one.text
    service = one.json()
    assert_oruk("service", service)
    assert service["name"] == "Family counselling after harm"
    assert service["status"] == "active"
    assert [phone["number"] for phone in service["phones"]] == ["0161 496 0000"]
    assert service["organization"]["name"] == "Example Counselling Trust"
    terms = [attribute["taxonomy_term_id"] for attribute in service["attributes"]]
    assert world.terms[PSYCHOLOGICAL] in terms
    assert service["service_areas"] and service["assured_date"]


async def test_paging_follows_the_specification(world: World) -> None:
    total = (await world.client.get("/api/v1/oruk/services")).json()["total_items"]
    assert total >= 2
    first = (await world.client.get("/api/v1/oruk/services", params={"per_page": 1})).json()
    assert_oruk("service_page", first)
    assert first["page_number"] == 1 and first["size"] == 1 and first["total_pages"] == total
    assert first["first_page"] and not first["last_page"] and not first["empty"]
    last = (
        await world.client.get("/api/v1/oruk/services", params={"per_page": 1, "page": total})
    ).json()
    assert last["last_page"] and not last["first_page"]
    assert last["contents"][0]["id"] != first["contents"][0]["id"]
    beyond = (
        await world.client.get("/api/v1/oruk/services", params={"per_page": 1, "page": total + 1})
    ).json()
    assert_oruk("service_page", beyond)
    assert beyond["empty"] and beyond["size"] == 0 and beyond["contents"] == []


async def test_the_open_filters_narrow_the_list(world: World) -> None:
    families, staff = world.services["families"], world.services["staff"]

    async def ids(**query: Any) -> list[str]:
        page = await world.client.get("/api/v1/oruk/services", params={"per_page": 100, **query})
        assert page.status_code == 200, page.text
        assert_oruk("service_page", page.json())
        return [service["id"] for service in page.json()["contents"]]

    by_words = await ids(search="wellbeing line")
    assert staff["id"] in by_words and families["id"] not in by_words
    by_term = await ids(taxonomy_term_id=world.terms[PSYCHOLOGICAL])
    assert families["id"] in by_term
    by_provider = await ids(organization_id=staff["organization"]["id"])
    assert by_provider == [staff["id"]]
    assert await ids(modified_after="2999-01-01T00:00:00Z") == []
    assert families["id"] in await ids(modified_after="2000-01-01T00:00:00+00:00")


async def test_terms_and_organizations_follow_the_specification(world: World) -> None:
    terms = await world.client.get("/api/v1/oruk/taxonomy_terms", params={"per_page": 100})
    assert terms.status_code == 200, terms.text
    assert_oruk("taxonomy_term_page", terms.json())
    assert world.terms[PSYCHOLOGICAL] in [term["id"] for term in terms.json()["contents"]]
    organizations = await world.client.get("/api/v1/oruk/organizations")
    assert organizations.status_code == 200, organizations.text
    assert_oruk("organization_page", organizations.json())
    names = [organization["name"] for organization in organizations.json()["contents"]]
    assert {"Example Counselling Trust", "Example Staff Support"} <= set(names)


async def _everything_open(world: World) -> list[Any]:
    """Every answer of the open data: each page of each list, and each entry."""
    documents = [(await world.client.get("/api/v1/oruk/")).json()]
    lists = ("/api/v1/oruk/services", "/api/v1/oruk/taxonomy_terms", "/api/v1/oruk/organizations")
    for path in lists:
        page = 1
        while True:
            answer = (await world.client.get(path, params={"page": page, "per_page": 100})).json()
            documents.append(answer)
            if answer["last_page"] or answer["empty"]:
                break
            page += 1
    for service_id in {s["id"] for s in world.services.values()}:
        documents.append((await world.client.get(f"/api/v1/oruk/services/{service_id}")).json())
    return documents


def _keys(document: Any) -> set[str]:
    if isinstance(document, dict):
        return set(document) | {key for value in document.values() for key in _keys(value)}
    if isinstance(document, list):
        return {key for value in document for key in _keys(value)}
    return set()


async def test_the_open_data_never_names_a_member_a_suggestion_or_a_request(
    world: World,
) -> None:
    secret = f"Only-the-curators-may-read-{uuid.uuid4().hex[:8]}"
    suggested = await world.client.post(
        f"/api/v1/signposting/services/{world.services['families']['id']}/suggestions",
        json={"comment": secret, "description": secret},
        headers=world.headers("member"),
    )
    assert suggested.status_code == 201, suggested.text
    asked = await world.client.post(
        "/api/v1/signposting/requests",
        json={
            "category": PSYCHOLOGICAL,
            "area": "national",
            "audience": "patients",
            "text": secret,
        },
        headers=world.headers("member"),
    )
    assert asked.status_code == 201, asked.text
    documents = await _everything_open(world)
    text = json.dumps(documents)
    assert world.services["families"]["id"] in text  # the harvest did read the entries
    for person in world.people.values():
        for detail in (person.id, person.email, person.name):
            assert detail not in text, f"{detail!r} is in the open data"
    assert secret not in text
    keys = {key.lower() for key in _keys(documents)}
    for word in ("suggest", "expert", "curat", "member", "request", "checked_by", "score"):
        assert not [key for key in keys if word in key], f"a field about {word!r}: {keys}"


async def test_an_admin_designates_a_curator_who_may_then_curate_until_undesignated(
    world: World,
) -> None:
    person = await world.site.person(name="Dee Designated")
    path = f"/api/v1/signposting/curators/{person.id}"
    body = world.entry(f"By a new curator {uuid.uuid4().hex[:6]}")

    async def add() -> httpx.Response:
        return await world.client.post(
            "/api/v1/signposting/services", json=body, headers=person.headers
        )

    async def known() -> httpx.Response | None:
        answer = await world.client.put(path, headers=world.headers("admin"))
        return None if answer.status_code == 422 else answer

    assert (await add()).status_code == 403
    designated = await eventually(known)
    assert designated.status_code == 200, designated.text
    listed = {c["member_id"]: c for c in designated.json()["curators"]}
    assert listed[person.id]["designated"] and listed[person.id]["display_name"] == person.name
    assert listed[world.people["admin"].id]["instance_admin"]
    assert (await world.client.put(path, headers=world.headers("admin"))).status_code == 200
    assert (await add()).status_code == 201
    stopped = await world.client.delete(path, headers=world.headers("admin"))
    assert stopped.status_code == 200
    assert person.id not in {c["member_id"] for c in stopped.json()["curators"]}
    assert (await add()).status_code == 403


async def test_designating_someone_signposting_has_never_heard_of_is_a_problem(
    world: World,
) -> None:
    unknown = await world.client.put(
        f"/api/v1/signposting/curators/{uuid.uuid4()}", headers=world.headers("admin")
    )
    assert_problem(unknown, 422)
    assert "member_id" in unknown.text


async def test_a_need_is_answered_from_the_directory_in_its_category_area_and_audience(
    world: World,
) -> None:
    families, staff = world.services["families"]["id"], world.services["staff"]["id"]

    async def answer(**need: str) -> dict[str, Any]:
        asked = await world.client.post(
            "/api/v1/signposting/requests", json=need, headers=world.headers("member")
        )
        assert asked.status_code == 201, asked.text
        answered: dict[str, Any] = asked.json()
        return answered

    # A board in the North West finds the region's service; words no entry uses still do.
    need = {"category": PSYCHOLOGICAL, "area": "icb:greater-manchester"}
    for text in ("counselling for a family after harm", "zzyzx quux"):
        found = await answer(**need, audience="families_and_carers", text=text)
        assert families in [entry["id"] for entry in found["services"]], found
        assert staff not in [entry["id"] for entry in found["services"]]
        entry = next(e for e in found["services"] if e["id"] == families)
        assert entry["last_checked_on"] and entry["organisation"] == "Example Counselling Trust"
        assert not found["gap_recorded"]
    # The staff line is national and for staff: it covers the board, the family service not.
    staff_found = [e["id"] for e in (await answer(**need, audience="staff"))["services"]]
    assert staff in staff_found and families not in staff_found
    # Another region, another category: nothing in the directory, so a gap.
    nothing = await answer(category="legal-advice", area="region:south_west", audience="staff")
    assert nothing["services"] == [] and nothing["gap_recorded"]


async def test_the_openapi_document_has_every_directory_and_open_data_path(world: World) -> None:
    paths = (await world.client.get("/schema/openapi.json")).json()["paths"]
    expected = {
        "/api/v1/signposting/services": {"get", "post"},
        "/api/v1/signposting/services/{service_id}": {"get", "patch", "delete"},
        "/api/v1/signposting/services/{service_id}/history": {"get"},
        "/api/v1/signposting/services/{service_id}/suggestions": {"post"},
        "/api/v1/signposting/suggestions": {"get"},
        "/api/v1/signposting/suggestions/{suggestion_id}/accept": {"post"},
        "/api/v1/signposting/suggestions/{suggestion_id}/decline": {"post"},
        "/api/v1/signposting/taxonomy": {"get"},
        "/api/v1/oruk": {"get"},
        "/api/v1/oruk/services": {"get"},
        "/api/v1/oruk/services/{service_id}": {"get"},
        "/api/v1/oruk/taxonomy_terms": {"get"},
        "/api/v1/oruk/organizations": {"get"},
    }
    for path, methods in expected.items():
        assert path in paths, path
        assert methods <= set(paths[path]), (path, set(paths[path]))
    per_page = next(
        p for p in paths["/api/v1/oruk/services"]["get"]["parameters"] if p["name"] == "per_page"
    )
    assert per_page["schema"]["maximum"] == 100


async def exported(world: World, who: str) -> dict[str, Any]:
    """Signposting's part of the member's export, asked as the gateway does (the whole
    export needs every service running)."""
    subject = export_subject(contract.SERVICE)
    message = {"body": {}, "caller": {"member_id": world.people[who].id}}
    nc = await connect_nats(world.site.nats_url)
    try:
        reply = json.loads((await nc.request(subject, signed(subject, message), timeout=10)).data)
    finally:
        await nc.close()
    assert reply["ok"], reply
    part: dict[str, Any] = reply["data"]
    return part


async def test_a_members_export_holds_their_suggestions_and_their_curator_record(
    world: World,
) -> None:
    suggested = await world.suggestion(world.services["families"]["id"], caller="member")
    mine = await exported(world, "member")
    assert suggested["id"] in [s["_id"] for s in mine["directory_suggestions"]]
    assert mine["directory_member"]["display_name"] == world.people["member"].name
    assert mine["directory_curator"] is None  # not designated
    assert (await exported(world, "curator"))["directory_curator"]["designated_by"]
