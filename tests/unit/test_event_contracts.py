"""Contract: every consumer accepts every version of each event type it handles that is
currently published. A consumer refuses (and keeps) a version it does not handle, so a gap
here would leave events unprocessed in the stream during and after a rolling upgrade."""

from importlib import import_module

import pytest
from huddle_shared.config import ServiceSettings
from huddle_shared.contracts.registry import all_payload_types
from huddle_shared.services import SERVICES

pytestmark = pytest.mark.unit


def published() -> dict[str, set[int]]:
    versions: dict[str, set[int]] = {}
    for model in all_payload_types():
        versions.setdefault(model.event_type, set()).add(model.version)
    return versions


async def test_every_consumer_accepts_every_published_version_of_what_it_handles() -> None:
    versions = published()
    gaps: list[str] = []
    for spec in SERVICES:
        runtime = import_module(f"{spec.package}.bootstrap").bootstrap(ServiceSettings())
        for durable, dispatcher in runtime.dispatchers.items():
            handled: dict[str, set[int]] = {}
            for model in dispatcher.handled:
                handled.setdefault(model.event_type, set()).add(model.version)
            for event_type, accepted in handled.items():
                assert accepted <= versions.get(event_type, set()), (
                    f"{durable} handles {event_type} versions nobody publishes"
                )
                missing = versions[event_type] - accepted
                if missing:
                    gaps.append(f"{durable}: {event_type} v{sorted(missing)}")
        await runtime.client.close()
    assert gaps == [], "consumers that would refuse published versions: " + "; ".join(gaps)


def test_the_largest_event_a_contract_allows_fits_in_one_nats_message() -> None:
    """Free text that travels in events is capped, so no event outgrows NATS's 1 MiB limit
    (four-byte characters everywhere: the worst case in UTF-8)."""
    from huddle_shared.contracts.envelope import EventEnvelope
    from huddle_shared.contracts.networks import GLOSSARY_MAX_ENTRIES, NetworkUpdatedV1
    from pydantic import ValidationError

    wide = "\U0001f600"
    glossary = {f"{n:04d}{wide * 16}": wide * 200 for n in range(GLOSSARY_MAX_ENTRIES)}
    event = NetworkUpdatedV1(
        slug="a" * 64, name=wide * 200, visibility="open", region=None, glossary=glossary
    )
    envelope = EventEnvelope.wrap(event, instance_id="i" * 100, correlation_id="c" * 64)
    assert len(envelope.model_dump_json().encode()) < 1024 * 1024
    with pytest.raises(ValidationError):
        NetworkUpdatedV1(
            slug="a",
            name="n",
            visibility="open",
            region=None,
            glossary={**glossary, "extra": "one entry too many"},
        )
