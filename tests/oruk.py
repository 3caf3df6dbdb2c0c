"""Validating the open Open Referral UK answers against the JSON Schemas in
``tests/oruk_schemas`` (written from the published specification: see its README).

``assert_oruk(kind, document)`` fails with every way ``document`` differs from the schema
``<kind>.json``; formats (uuid, uri, email, date) are checked too. jsonschema-rs reads the
schemas (draft 2020-12, offline: every ``$ref`` is one of these files).
"""

import json
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema_rs

SCHEMAS = Path(__file__).parent / "oruk_schemas"
BASE = "https://huddle.invalid/oruk/"
KINDS = (
    "api_meta",
    "service",
    "service_page",
    "organization",
    "organization_page",
    "taxonomy_term",
    "taxonomy_term_page",
)


def _documents() -> dict[str, Any]:
    return {path.name: json.loads(path.read_text()) for path in sorted(SCHEMAS.glob("*.json"))}


@cache
def validator(kind: str) -> Any:
    documents = _documents()
    registry = jsonschema_rs.Registry([(BASE + name, doc) for name, doc in documents.items()])
    return jsonschema_rs.validator_for(
        documents[f"{kind}.json"], validate_formats=True, registry=registry, base_uri=BASE
    )


def oruk_errors(kind: str, document: Any) -> list[str]:
    return [
        f"{'/'.join(map(str, error.instance_path)) or '(root)'}: {error.message}"
        for error in validator(kind).iter_errors(document)
    ]


def assert_oruk(kind: str, document: Any) -> None:
    errors = oruk_errors(kind, document)
    assert not errors, f"not a valid Open Referral UK {kind}:\n" + "\n".join(errors)
