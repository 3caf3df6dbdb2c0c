"""The Open Referral UK schemas the open endpoints' tests rely on: each is a valid draft
2020-12 schema, accepts a document shaped as the specification's examples are, and refuses
what the specification refuses (a missing required field, a wrong type, a bad format) and
what Huddle must never publish (a field of its own)."""

import copy
import json
import uuid
from typing import Any

import jsonschema_rs
import pytest
from oruk import KINDS, SCHEMAS, assert_oruk, oruk_errors

pytestmark = pytest.mark.unit

TERM_ID = str(uuid.uuid4())
ORGANIZATION_ID = str(uuid.uuid4())
SERVICE_ID = str(uuid.uuid4())


def term() -> dict[str, Any]:
    return {
        "id": TERM_ID,
        "name": "Psychological support",
        "description": "Counselling and talking therapies",
        "taxonomy": "huddle-signposting",
    }


def organization() -> dict[str, Any]:
    return {
        "id": ORGANIZATION_ID,
        "name": "Example Counselling Trust",
        "description": "A charity offering counselling after harm in healthcare.",
        "website": "https://example.org/",
    }


def service() -> dict[str, Any]:
    return {
        "id": SERVICE_ID,
        "organization_id": ORGANIZATION_ID,
        "name": "Family counselling after harm",
        "description": "Six free sessions for families.",
        "url": "https://example.org/families",
        "email": "help@example.org",
        "status": "active",
        "application_process": "Self-referral by phone or email.",
        "eligibility_description": "Families and carers of patients harmed in NHS care.",
        "minimum_age": 16,
        "assured_date": "2026-11-02",
        "phones": [{"id": str(uuid.uuid4()), "number": "0161 496 0000"}],
        "service_areas": [{"id": str(uuid.uuid4()), "name": "North West", "extent_type": "text"}],
        "languages": [{"id": str(uuid.uuid4()), "name": "English", "code": "en"}],
        "cost_options": [{"id": str(uuid.uuid4()), "amount": 0, "option": "Free"}],
        "contacts": [{"id": str(uuid.uuid4()), "email": "intake@example.org"}],
        "organization": organization(),
        "attributes": [
            {"id": str(uuid.uuid4()), "taxonomy_term_id": TERM_ID, "taxonomy_term": term()}
        ],
    }


def page(contents: list[Any]) -> dict[str, Any]:
    return {
        "total_items": len(contents),
        "total_pages": 1,
        "page_number": 1,
        "size": len(contents),
        "first_page": True,
        "last_page": True,
        "empty": not contents,
        "contents": contents,
    }


@pytest.mark.parametrize("path", sorted(SCHEMAS.glob("*.json")), ids=lambda p: p.name)
def test_every_schema_is_a_valid_draft_2020_12_schema(path: Any) -> None:
    schema = json.loads(path.read_text())
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    jsonschema_rs.meta.validate(schema)


GOOD: dict[str, Any] = {
    "api_meta": {
        "version": "3.0",
        "profile": "https://openreferraluk.org/",
        "openapi_url": "https://huddle.example/schema/openapi.json",
    },
    "service": service(),
    "service_page": page([service()]),
    "organization": organization(),
    "organization_page": page([organization()]),
    "taxonomy_term": term(),
    "taxonomy_term_page": page([term(), {**term(), "id": str(uuid.uuid4()), "parent_id": TERM_ID}]),
}


@pytest.mark.parametrize("kind", KINDS)
def test_a_document_shaped_as_the_specification_says_is_accepted(kind: str) -> None:
    assert_oruk(kind, GOOD[kind])


def _without(document: dict[str, Any], path: str) -> dict[str, Any]:
    changed = copy.deepcopy(document)
    *parents, last = path.split(".")
    target: Any = changed
    for part in parents:
        target = target[int(part)] if part.isdigit() else target[part]
    del target[last]
    return changed


def _with(document: dict[str, Any], path: str, value: Any) -> dict[str, Any]:
    changed = copy.deepcopy(document)
    *parents, last = path.split(".")
    target: Any = changed
    for part in parents:
        target = target[int(part)] if part.isdigit() else target[part]
    target[last] = value
    return changed


REFUSED = [
    # The specification's required fields.
    ("service", _without(service(), "status"), "status"),
    ("service", _without(service(), "name"), "name"),
    ("service", _without(service(), "phones.0.number"), "number"),
    ("organization", _without(organization(), "description"), "description"),
    ("taxonomy_term", _without(term(), "name"), "name"),
    ("service_page", _without(page([service()]), "total_pages"), "total_pages"),
    ("service_page", _without(page([service()]), "empty"), "empty"),
    ("api_meta", {"version": "3.0"}, "profile"),
    # Its types and formats.
    ("service", _with(service(), "status", "open"), "status"),
    ("service", _with(service(), "minimum_age", "16"), "minimum_age"),
    ("service", _with(service(), "assured_date", "2 November 2026"), "assured_date"),
    ("service", _with(service(), "email", "not an address"), "email"),
    ("service", _with(service(), "id", "psychological-support"), "id"),
    ("service", _with(service(), "description", None), "description"),
    ("service_page", _with(page([service()]), "page_number", "1"), "page_number"),
    ("service_page", _with(page([service()]), "contents.0.status", "gone"), "status"),
    ("taxonomy_term_page", _with(page([term()]), "contents.0.parent_id", 7), "parent_id"),
    # Nothing of Huddle's own.
    ("service", _with(service(), "experts", []), "experts"),
    ("service", _with(service(), "suggestions", []), "suggestions"),
    ("service", _with(service(), "organization.members", []), "members"),
    ("service_page", _with(page([]), "requests", []), "requests"),
]


@pytest.mark.parametrize(
    ("kind", "document", "named"), REFUSED, ids=[f"{k}-{n}" for k, _, n in REFUSED]
)
def test_what_the_specification_refuses_is_refused(kind: str, document: Any, named: str) -> None:
    errors = oruk_errors(kind, document)
    assert errors
    assert any(named in error for error in errors), errors
