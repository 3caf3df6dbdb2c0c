"""The notes API (issue 12) against the real gateway, membership and notes on real NATS and
FerretDB: who may call each endpoint, that a member of a sibling network never sees a note
(not even its title in search results), that the check answers the command line's offsets,
and that bad input is refused naming the field, changing nothing. The world and its cast:
tests/notes_support.py.
"""

import json
import subprocess
import sys
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import httpx
import pytest
from notes_support import (
    CALLERS,
    CLEAN_BODY,
    GLOSSARY,
    THEMES,
    World,
    assert_problem,
    notes_world,
)

pytestmark = pytest.mark.component

# An email, a mobile number and an NHS number (valid: its Modulus 11 check holds).
IDENTIFYING = "Email k.smith@example.org or ring 07700 900123 about 943 476 5919."


@pytest.fixture(scope="module")
async def world(
    tmp_path_factory: pytest.TempPathFactory, mongodb_url: str, nats_credentials: Any
) -> AsyncIterator[World]:
    async with notes_world(tmp_path_factory, mongodb_url, nats_credentials) as world:
        yield world


# --- The authorisation matrix -------------------------------------------------------------------

Call = Callable[[World, str, dict[str, str]], Awaitable[httpx.Response]]


async def search_library(world: World, slug: str, headers: dict[str, str]) -> httpx.Response:
    await world.shared_note(slug, "published")
    return await world.client.get(f"/api/v1/networks/{slug}/notes", headers=headers)


async def create_note(world: World, slug: str, headers: dict[str, str]) -> httpx.Response:
    body = {"title": "Made in the matrix", "body": CLEAN_BODY, "themes": ["Falls"]}
    return await world.client.post(f"/api/v1/networks/{slug}/notes", json=body, headers=headers)


async def check_text(world: World, slug: str, headers: dict[str, str]) -> httpx.Response:
    path = f"/api/v1/networks/{slug}/notes/check"
    return await world.client.post(path, json={"text": IDENTIFYING}, headers=headers)


async def read_draft(world: World, slug: str, headers: dict[str, str]) -> httpx.Response:
    note = await world.shared_note(slug, "draft")
    return await world.client.get(f"/api/v1/notes/{note['id']}", headers=headers)


async def read_published(world: World, slug: str, headers: dict[str, str]) -> httpx.Response:
    note = await world.shared_note(slug, "published")
    return await world.client.get(f"/api/v1/notes/{note['id']}", headers=headers)


async def change_draft(world: World, slug: str, headers: dict[str, str]) -> httpx.Response:
    note = await world.note(slug)
    body = {"title": "Renamed"}
    return await world.client.patch(f"/api/v1/notes/{note['id']}", json=body, headers=headers)


async def check_note(world: World, slug: str, headers: dict[str, str]) -> httpx.Response:
    note = await world.shared_note(slug, "draft")
    return await world.client.post(f"/api/v1/notes/{note['id']}/check", headers=headers)


async def apply_all(world: World, slug: str, headers: dict[str, str]) -> httpx.Response:
    note = await world.note(slug, body=IDENTIFYING)
    return await world.client.post(f"/api/v1/notes/{note['id']}/apply", json={}, headers=headers)


async def submit(world: World, slug: str, headers: dict[str, str]) -> httpx.Response:
    note = await world.note(slug)
    return await world.client.post(f"/api/v1/notes/{note['id']}/submit", headers=headers)


async def accept_finding(world: World, slug: str, headers: dict[str, str]) -> httpx.Response:
    note = await world.note(slug, "submitted", body=IDENTIFYING)
    path = f"/api/v1/notes/{note['id']}/findings/{note['findings'][0]['id']}/accept"
    return await world.client.post(path, json={"reason": "A public helpline"}, headers=headers)


async def approve(world: World, slug: str, headers: dict[str, str]) -> httpx.Response:
    note = await world.note(slug, "submitted")
    return await world.client.post(f"/api/v1/notes/{note['id']}/approve", headers=headers)


async def return_note(world: World, slug: str, headers: dict[str, str]) -> httpx.Response:
    note = await world.note(slug, "submitted")
    path = f"/api/v1/notes/{note['id']}/return"
    return await world.client.post(path, json={"comments": "Shorter, please."}, headers=headers)


async def retract(world: World, slug: str, headers: dict[str, str]) -> httpx.Response:
    note = await world.note(slug, "published")
    path = f"/api/v1/notes/{note['id']}/retract"
    return await world.client.post(path, json={"reason": "The speaker asked"}, headers=headers)


async def get_themes(world: World, slug: str, headers: dict[str, str]) -> httpx.Response:
    return await world.client.get(f"/api/v1/networks/{slug}/themes", headers=headers)


async def set_themes(world: World, slug: str, headers: dict[str, str]) -> httpx.Response:
    path = f"/api/v1/networks/{slug}/themes"
    return await world.client.put(path, json={"themes": THEMES}, headers=headers)


# fmt: off
# Writers: note-takers, facilitators, chairs (and instance admins); second readers:
# facilitators and chairs who did not write the note (and instance admins). A note not yet
# published does not exist to the network's readers (404); the author may retract theirs.
#                           anonymous other parent member n-taker author facil. chair admin
MAIN: list[tuple[Call, tuple[int, ...]]] = [
    (search_library, (401, 403, 200, 200, 200, 200, 200, 200, 200)),
    (create_note, (401, 403, 403, 403, 201, 201, 201, 201, 201)),
    (check_text, (401, 403, 403, 403, 200, 200, 200, 200, 200)),
    (read_draft, (401, 403, 404, 404, 200, 200, 200, 200, 200)),
    (read_published, (401, 403, 200, 200, 200, 200, 200, 200, 200)),
    (change_draft, (401, 403, 404, 404, 403, 200, 200, 200, 200)),
    (check_note, (401, 403, 404, 404, 200, 200, 200, 200, 200)),
    (apply_all, (401, 403, 404, 404, 403, 200, 200, 200, 200)),
    (submit, (401, 403, 404, 404, 403, 200, 200, 200, 200)),
    (accept_finding, (401, 403, 404, 404, 403, 403, 200, 200, 200)),
    (approve, (401, 403, 404, 404, 403, 403, 200, 200, 200)),
    (return_note, (401, 403, 404, 404, 403, 403, 200, 200, 200)),
    (retract, (401, 403, 403, 403, 403, 200, 200, 200, 200)),
    (get_themes, (401, 403, 200, 200, 200, 200, 200, 200, 200)),
    (set_themes, (401, 403, 403, 403, 403, 403, 200, 200, 200)),
]
# fmt: on
# An invite-only network's notes do not exist to those outside it; inside, as above.
OUTSIDERS = {"anonymous": 401, "other": 404, "parent": 404}


def _cases() -> list[Any]:
    cases = []
    for call, statuses in MAIN:
        for caller, status in zip(CALLERS, statuses, strict=True):
            name = f"{call.__name__}-main-{caller}"
            cases.append(pytest.param(call, "main", caller, status, id=name))
        for caller, status in {**OUTSIDERS, "member": statuses[3]}.items():
            name = f"{call.__name__}-hidden-{caller}"
            cases.append(pytest.param(call, "hidden", caller, status, id=name))
    return cases


@pytest.mark.parametrize(("call", "network", "caller", "status"), _cases())
async def test_who_may_call_each_notes_endpoint(
    world: World, call: Call, network: str, caller: str, status: int
) -> None:
    response = await call(world, world.networks[network], world.headers(caller))
    if status >= 400:
        assert_problem(response, status)
    else:
        assert response.status_code == status, response.text


@pytest.mark.parametrize(
    ("caller", "status"), [("anonymous", 401), ("other", 200), ("member", 200)]
)
async def test_who_may_see_a_review_queue(world: World, caller: str, status: int) -> None:
    response = await world.client.get("/api/v1/me/reviews", headers=world.headers(caller))
    assert response.status_code == status, response.text


async def test_the_review_queue_is_a_second_readers_and_never_their_own(world: World) -> None:
    slug = world.networks["main"]
    theirs = await world.note(slug, "submitted")
    made = await world.client.post(
        f"/api/v1/networks/{slug}/notes",
        json={"title": "The facilitator's own", "body": CLEAN_BODY},
        headers=world.headers("facilitator"),
    )
    own = await world.act(made.json()["id"], "submit", "facilitator")

    async def queue(caller: str) -> set[str]:
        response = await world.client.get("/api/v1/me/reviews", headers=world.headers(caller))
        assert response.status_code == 200, response.text
        return {item["id"] for item in response.json()["items"]}

    facilitator, chair = await queue("facilitator"), await queue("chair")
    assert theirs["id"] in facilitator and own["id"] not in facilitator
    assert {theirs["id"], own["id"]} <= chair
    for caller in ("author", "member", "other", "parent"):
        assert theirs["id"] not in await queue(caller), caller
    refused = await world.client.post(
        f"/api/v1/notes/{own['id']}/approve", headers=world.headers("facilitator")
    )
    assert_problem(refused, 403)


# --- Siblings see nothing ----------------------------------------------------------------------


async def test_a_sibling_networks_member_never_sees_a_note_not_even_its_title(
    world: World,
) -> None:
    word = f"Quokka{uuid.uuid4().hex[:6]}"
    main, sibling = world.networks["main"], world.networks["sibling"]
    note = await world.note(main, "published", body=f"{CLEAN_BODY} {word}.", themes=["Falls"])
    # The parent's members read it (main is open to them): it is in the library to find.
    found = await world.client.get(
        f"/api/v1/networks/{main}/notes", params={"q": word}, headers=world.headers("parent")
    )
    assert [item["id"] for item in found.json()["items"]] == [note["id"]], found.text
    other = world.headers("other")
    for path, params in (
        (f"/api/v1/networks/{sibling}/notes", {"q": word}),
        (f"/api/v1/networks/{sibling}/notes", {"q": "Night handover"}),
        (f"/api/v1/networks/{sibling}/notes", {"theme": "Falls"}),
        (f"/api/v1/networks/{sibling}/notes", {}),
        ("/api/v1/me/reviews", {}),
    ):
        seen = await world.client.get(path, params=params, headers=other)
        assert seen.status_code == 200, seen.text
        assert word not in seen.text and note["id"] not in seen.text, (path, params)
        assert "Night handover" not in seen.text, (path, params)
    for method, path in (
        ("GET", f"/api/v1/networks/{main}/notes?q={word}"),
        ("GET", f"/api/v1/notes/{note['id']}"),
        ("POST", f"/api/v1/notes/{note['id']}/check"),
    ):
        refused = await world.client.request(method, path, headers=other)
        assert_problem(refused, refused.status_code)
        assert refused.status_code in (403, 404), refused.text  # the matrix says which
        assert word not in refused.text and "Night handover" not in refused.text


# --- The check ---------------------------------------------------------------------------------


def _command_line(text: str, world: World) -> list[dict[str, Any]]:
    line = {
        "text": text,
        "network": {
            "members": world.names(),
            "organisations": [world.organisation],
            "glossary": GLOSSARY,
        },
    }
    ran = subprocess.run(
        [sys.executable, "-m", "huddle_notes.check"],
        input=json.dumps(line) + "\n",
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    findings: list[dict[str, Any]] = json.loads(ran.stdout.splitlines()[0])["findings"]
    return findings


def _spans(findings: list[dict[str, Any]]) -> list[tuple[Any, ...]]:
    keys = ("start", "end", "category", "text", "suggestion")
    return sorted(tuple(finding[key] for key in keys) for finding in findings)


async def test_the_check_answers_the_command_lines_offsets(world: World) -> None:
    people = world.people
    # Non-ASCII before the findings: offsets are code points, not bytes or UTF-16 units.
    body = (
        f"Café chat — naïve questions first. {people['member'].name} said the PSIRF work at "
        f"{world.organisation} went well. {IDENTIFYING} Ward 36 was mentioned."
    )
    note = await world.note(world.networks["main"], body=body)
    checked = await world.client.post(
        f"/api/v1/notes/{note['id']}/check", headers=world.headers("author")
    )
    assert checked.status_code == 200, checked.text
    report = checked.json()
    assert set(report) == {"findings", "acronyms"}
    for finding in report["findings"]:
        assert body[finding["start"] : finding["end"]] == finding["text"], finding
    assert _spans(report["findings"]) == _spans(_command_line(body, world))
    categories = {finding["category"] for finding in report["findings"]}
    assert {"person", "email", "phone", "nhs_number"} <= categories, report
    psirf = [use for use in report["acronyms"] if use["text"] == "PSIRF"]
    assert psirf and psirf[0]["expansion"] == GLOSSARY["PSIRF"], report["acronyms"]
    # The unsaved text, through the editor's endpoint: the same findings.
    unsaved = await world.client.post(
        f"/api/v1/networks/{world.networks['main']}/notes/check",
        json={"text": body},
        headers=world.headers("author"),
    )
    assert _spans(unsaved.json()["findings"]) == _spans(report["findings"])


async def test_one_click_fixes_one_finding_and_the_others_keep_their_text(world: World) -> None:
    note = await world.note(world.networks["main"], body=IDENTIFYING)
    first, *rest = sorted(note["findings"], key=lambda finding: finding["start"])
    assert rest, note["findings"]
    fixed = await world.act(note["id"], "apply", "author", finding_ids=[first["id"]])
    assert first["text"] not in fixed["body"] and first["suggestion"] in fixed["body"]
    assert {f["id"] for f in fixed["findings"]} == {f["id"] for f in rest}
    for finding in fixed["findings"]:  # found again at their new offsets
        assert fixed["body"][finding["start"] : finding["end"]] == finding["text"]
    everything = await world.act(note["id"], "apply", "author")
    assert everything["findings"] == []


async def test_publishing_waits_for_every_finding_fixed_or_accepted(world: World) -> None:
    note = await world.note(world.networks["main"], "submitted", body=IDENTIFYING)
    path = f"/api/v1/notes/{note['id']}"
    reviewer = world.headers("chair")
    refused = await world.client.post(f"{path}/approve", headers=reviewer)
    assert_problem(refused, 409)
    for finding in note["findings"]:
        accepted = await world.client.post(
            f"{path}/findings/{finding['id']}/accept",
            json={"reason": "Public numbers of the helpline"},
            headers=reviewer,
        )
        assert accepted.status_code == 200, accepted.text
    published = await world.act(note["id"], "approve", "chair")
    assert published["state"] == "published"
    log = {(a["finding_id"], a["reason"], a["accepted_by"]) for a in published["acceptances"]}
    reason, chair = "Public numbers of the helpline", world.people["chair"].name
    assert log == {(finding["id"], reason, chair) for finding in note["findings"]}
    # Readers see the note, never the audit log.
    read = await world.client.get(path, headers=world.headers("member"))
    assert read.json()["state"] == "published" and read.json()["acceptances"] == []


# --- Bad input ---------------------------------------------------------------------------------


async def _read(world: World, note_id: str) -> dict[str, Any]:
    read = await world.client.get(f"/api/v1/notes/{note_id}", headers=world.headers("author"))
    assert read.status_code == 200, read.text
    note: dict[str, Any] = read.json()
    return note


BAD_SEARCHES = [
    ({"from": "yesterday"}, "from"),
    ({"to": "2026-13-01"}, "to"),
    ({"per_page": "0"}, "per_page"),
    ({"page": "0"}, "page"),
    ({"state": "lost"}, "state"),
    ({"theme": "x" * 81}, "theme"),
]


@pytest.mark.parametrize(("params", "field"), BAD_SEARCHES, ids=[f for _, f in BAD_SEARCHES])
async def test_a_bad_search_names_its_parameter(
    world: World, params: dict[str, str], field: str
) -> None:
    slug = world.networks["main"]
    refused = await world.client.get(
        f"/api/v1/networks/{slug}/notes", params=params, headers=world.headers("member")
    )
    assert_problem(refused, 422, field)


async def test_bad_note_input_names_the_field_and_changes_nothing(world: World) -> None:
    slug = world.networks["main"]
    author = world.headers("author")
    notes = world.notes_db["notes"]
    before = await notes.count_documents({})
    for body, field in (
        ({"body": "no title"}, "title"),
        ({"title": "x" * 1000, "body": ""}, "title"),
        ({"title": "Themes", "themes": ["Not on the list"]}, "themes"),
        ({"title": "Extra", "colour": "red"}, "colour"),
        ({"title": "Bad session", "session_id": "not-a-uuid"}, "session_id"),
    ):
        refused = await world.client.post(
            f"/api/v1/networks/{slug}/notes", json=body, headers=author
        )
        assert_problem(refused, 422, field)
    assert await notes.count_documents({}) == before

    note = await _read(world, (await world.note(slug, "submitted", body=IDENTIFYING))["id"])
    path = f"/api/v1/notes/{note['id']}"
    for method, suffix, body, field, caller in (
        ("PATCH", "", {"title": ""}, "title", "author"),
        ("PATCH", "", {"themes": "Falls"}, "themes", "author"),
        ("POST", "/return", {"comments": ""}, "comments", "chair"),
        ("POST", "/return", {}, "comments", "chair"),
        (
            "POST",
            f"/findings/{note['findings'][0]['id']}/accept",
            {"reason": "x"},
            "reason",
            "chair",
        ),
        ("POST", "/apply", {"finding_ids": "all"}, "finding_ids", "author"),
    ):
        refused = await world.client.request(
            method, f"{path}{suffix}", json=body, headers=world.headers(caller)
        )
        assert_problem(refused, 422, field)
    assert await _read(world, note["id"]) == note

    themes = f"/api/v1/networks/{slug}/themes"
    too_many = {"themes": [f"Theme {n}" for n in range(101)]}
    refused = await world.client.put(themes, json=too_many, headers=world.headers("chair"))
    assert_problem(refused, 422, "themes")
    kept = await world.client.get(themes, headers=world.headers("member"))
    assert kept.json()["themes"] == THEMES


async def test_a_body_that_is_not_json_is_refused(world: World) -> None:
    refused = await world.client.post(
        f"/api/v1/networks/{world.networks['main']}/notes",
        content=b"title=Form",
        headers={**world.headers("author"), "content-type": "application/x-www-form-urlencoded"},
    )
    assert_problem(refused, 415)
