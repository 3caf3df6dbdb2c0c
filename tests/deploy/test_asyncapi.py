"""The committed AsyncAPI documents are current, and say what each service speaks."""

import functools
import json
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import pytest
from huddle_devkit.asyncapi import render
from huddle_shared.services import service_names

pytestmark = pytest.mark.unit

DOCS = Path(__file__).resolve().parents[2] / "docs" / "asyncapi"


@functools.cache
def document(service: str) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(render(service))
    return loaded


def addresses(service: str, action: str) -> set[str]:
    """Subjects of the operations with ``action``: "send" publishes, "receive" consumes."""
    doc = document(service)
    found = set()
    for operation in doc["operations"].values():
        if operation["action"] == action:
            channel = unquote(operation["channel"]["$ref"].removeprefix("#/channels/"))
            found.add(doc["channels"][channel]["address"])
    return found


@pytest.mark.parametrize("service", service_names())
def test_committed_document_is_current(service: str) -> None:
    path = DOCS / f"{service}.json"
    if not path.exists():
        pytest.fail(f"{path.relative_to(DOCS.parents[1])} is missing: run `make asyncapi`")
    if render(service) != path.read_text(encoding="utf-8"):
        pytest.fail(f"{path.relative_to(DOCS.parents[1])} is stale: run `make asyncapi`")


def test_the_document_does_not_depend_on_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    expected = render("notes")
    monkeypatch.setenv("NATS_URL", "nats://192.0.2.1:1")
    monkeypatch.setenv("MONGODB_URL", "mongodb://192.0.2.1:1/")
    monkeypatch.setenv("HUDDLE_INSTANCE_ID", "elsewhere")
    assert render("notes") == expected


@pytest.mark.parametrize("service", service_names())
def test_every_service_documents_its_health_subject(service: str) -> None:
    assert f"rpc.{service}.health" in addresses(service, "receive")


def test_membership_documents_its_events_and_rpc() -> None:
    published = addresses("membership", "send")
    assert {
        "events.membership.organisation.registered.v1",
        "events.membership.personal.{member_id}.member.registered.v1",
        "events.membership.member.erased.v1",
    } <= published
    channels = document("membership")["channels"].values()
    personal = [c for c in channels if "{member_id}" in c["address"]]
    assert personal and all("member_id" in c["parameters"] for c in personal)
    served = addresses("membership", "receive")
    assert "rpc.membership.accounts.register" in served
    assert "rpc.membership.organisations.register" in served
    schemas = document("membership")["components"]["schemas"]
    assert {"MemberRegisteredV1", "OrganisationRegisteredV1"} <= set(schemas)


def test_notes_documents_its_consumer_of_membership_events() -> None:
    assert "events.membership.>" in addresses("notes", "receive")
    channel = document("notes")["channels"]["notes-redaction-names"]
    assert channel["address"] == "events.membership.>"
    assert "member.registered v1" in channel["description"]
    assert "events.notes.note.published.v1" in addresses("notes", "send")
