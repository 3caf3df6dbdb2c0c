"""Adding a service is one entry in ``huddle_shared.services.SERVICES`` plus its package."""

import sys
import textwrap
from pathlib import Path

import pytest
from huddle_devkit import asyncapi, system
from huddle_shared import services
from huddle_shared.contracts.envelope import EventPayload
from huddle_shared.contracts.registry import all_payload_types

pytestmark = pytest.mark.unit

PROBE_BOOTSTRAP = """
from functools import partial

from huddle_shared import services
from huddle_shared.contracts.common import Empty
from huddle_shared.contracts.membership import MemberErasedV1
from huddle_shared.contracts.rpc import Caller
from huddle_shared.contracts.common import export_subject
from huddle_shared.messaging.routes import RouteTable
from huddle_shared.messaging.subscriptions import Subscription
from huddle_shared.service import ServiceBuilder

members = Subscription("probe-members", "Probe.")


rpc = RouteTable()


@rpc.route(export_subject("probe"), "What probe holds about the caller.")
async def export_me(request: Empty, caller: Caller) -> dict[str, object]:
    return {}


@members.handler
async def on_erased(envelope, event: MemberErasedV1) -> None:
    return None


def bootstrap(settings):
    service = ServiceBuilder(services.service("probe"), settings)
    service.consume(members)
    service.serve(rpc.bind())
    return service.build()
"""


@pytest.fixture
def probe_service(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> services.ServiceSpec:
    package = tmp_path / "huddle_probe"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "bootstrap.py").write_text(textwrap.dedent(PROBE_BOOTSTRAP))
    monkeypatch.syspath_prepend(str(tmp_path))
    spec = services.ServiceSpec("probe", "A service added for this test")
    monkeypatch.setattr(services, "SERVICES", (*services.SERVICES, spec))
    yield spec
    for name in [module for module in sys.modules if module.startswith("huddle_probe")]:
        del sys.modules[name]


def test_one_entry_gives_a_stream_a_process_and_an_asyncapi_document(
    probe_service: services.ServiceSpec,
) -> None:
    assert "probe" in services.service_names()
    stream = next(s for s in services.all_streams() if s.name == "PROBE_EVENTS")
    assert stream.subjects == ("events.probe.>",)
    assert services.stream_for_subject("events.probe.thing.happened.v1") == stream
    assert services.all_streams()[-1].name == "DEAD_LETTERS"

    assert system.service_modules()["probe"] == "huddle_probe"
    assert system.command("probe")[-2:] == ["-m", "huddle_probe"]

    document = asyncapi.document("probe")
    assert document["info"]["description"] == "A service added for this test"
    assert {"rpc.probe.health", "rpc.probe.privacy.export", "probe-members"} <= set(
        document["operations"]
    )
    assert "reply" in document["operations"]["rpc.probe.privacy.export"]


def test_the_database_name_and_subjects_follow_the_name() -> None:
    spec = services.service("notes")
    assert spec.database("huddle") == "huddle_notes"
    assert spec.rpc_prefix == "rpc.notes"
    assert spec.package == "huddle_notes"
    with pytest.raises(LookupError):
        services.service("nobody")


def _concrete_payloads() -> set[type[EventPayload]]:
    import importlib
    import pkgutil

    import huddle_shared.contracts as contracts

    for module in pkgutil.iter_modules(contracts.__path__):
        importlib.import_module(f"huddle_shared.contracts.{module.name}")
    found: set[type[EventPayload]] = set()
    pending = list(EventPayload.__subclasses__())
    while pending:
        model = pending.pop()
        pending.extend(model.__subclasses__())
        # Only the contracts' own: tests define payloads of their own (test_subscriptions).
        if "event_type" in vars(model) and model.__module__.startswith("huddle_shared.contracts"):
            found.add(model)
    return found


def test_the_registry_knows_every_event_payload_in_the_contracts() -> None:
    missing = _concrete_payloads() - set(all_payload_types())
    assert not missing, f"add to their module's EVENTS: {sorted(m.__name__ for m in missing)}"


def test_a_service_cannot_publish_an_event_the_registry_lacks() -> None:
    from typing import ClassVar

    from huddle_shared.config import ServiceSettings
    from huddle_shared.service import ServiceBuilder

    class UnregisteredV1(EventPayload):
        event_type: ClassVar[str] = "thing.unregistered"
        version: ClassVar[int] = 1
        producer: ClassVar[str] = "membership"

    builder = ServiceBuilder(services.MEMBERSHIP, ServiceSettings())
    with pytest.raises(LookupError, match=r"thing\.unregistered"):
        builder.publishes([UnregisteredV1])
