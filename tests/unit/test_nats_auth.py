"""NATS permissions follow from the service list and each service's built runtime."""

import stat
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from huddle_devkit import nats_auth
from huddle_shared.contracts.streams import DEAD_LETTERS
from huddle_shared.services import MEMBERSHIP, SERVICES, all_streams, service, service_names

pytestmark = pytest.mark.unit


def permissions(name: str) -> nats_auth.Permissions:
    found = {p.name: p for p in nats_auth.principals()}[name].permissions
    assert found is not None
    return found


def test_every_process_is_a_principal_of_its_own() -> None:
    names = [p.name for p in nats_auth.principals()]
    assert names == ["gateway", *service_names(), "provisioner", "devkit"]
    assert len(set(names)) == len(names)


def test_the_gateway_may_only_send_requests_and_read_its_own_replies() -> None:
    gateway = permissions("gateway")
    assert gateway.publish == ("rpc.>",)
    assert gateway.subscribe == ("_INBOX_gateway.>",)
    assert not gateway.allow_responses


@pytest.mark.parametrize("spec", SERVICES, ids=lambda s: s.name)
def test_a_service_publishes_only_its_own_events_and_serves_only_its_own_rpc(spec: Any) -> None:
    granted = permissions(spec.name)
    events = [s for s in granted.publish if s.startswith("events.")]
    assert events == [f"events.{spec.name}.>"]
    assert set(granted.subscribe) == {
        f"rpc.{spec.name}.> {spec.name}-rpc",  # only in its queue group
        f"_INBOX_{spec.name}.>",
        f"events.{spec.name}.>",  # its own events only, for its read models (decision 0025)
    }
    assert granted.allow_responses
    assert not any(s in (">", "$JS.API.>", "$JS.>", "deadletter.>") for s in granted.publish)
    # No stream management at all (a stream's config could republish into another's
    # subjects): it reads its own stream's and the dead letters' info only.
    assert not [s for s in granted.publish if ".STREAM.CREATE." in s or ".STREAM.UPDATE." in s]
    read = {s.rsplit(".", 1)[1] for s in granted.publish if ".STREAM.INFO." in s}
    assert {spec.stream.name, DEAD_LETTERS.name} <= read


def test_only_the_provisioner_creates_and_changes_streams_and_does_nothing_else() -> None:
    granted = next(p for p in nats_auth.principals() if p.name == nats_auth.PROVISIONER)
    assert granted.permissions is not None
    publish = set(granted.permissions.publish)
    for stream in all_streams():
        for verb in ("INFO", "CREATE", "UPDATE"):
            assert f"$JS.API.STREAM.{verb}.{stream.name}" in publish
    assert all(s.startswith("$JS.API.STREAM.") for s in publish)
    assert set(granted.permissions.subscribe) == {"_INBOX_provisioner.>"}


@pytest.mark.parametrize("spec", SERVICES, ids=lambda s: s.name)
def test_each_declared_consumer_gets_exactly_its_consumers_rights(spec: Any) -> None:
    runtime = nats_auth.build_runtimes()[spec.name]
    granted = set(permissions(spec.name).publish)
    for durable, stream in runtime.consumers.items():
        assert f"$JS.API.CONSUMER.MSG.NEXT.{stream.name}.{durable}" in granted
        assert f"$JS.ACK.{stream.name}.{durable}.>" in granted
        assert f"deadletter.{durable}.>" in granted
    consumers = {s.split(".")[6] for s in granted if s.startswith("$JS.API.CONSUMER.MSG.NEXT.")}
    assert consumers == set(runtime.consumers)


def test_only_membership_may_purge_streams_for_erasure() -> None:
    for spec in SERVICES:
        purges = [s for s in permissions(spec.name).publish if ".STREAM.PURGE." in s]
        if spec is MEMBERSHIP:
            assert len(purges) == len(SERVICES) + 1  # every events stream and the dead letters
        else:
            assert purges == []


def test_a_new_subscription_is_granted_without_a_table_to_keep() -> None:
    stream = service("membership").stream
    runtime: Any = SimpleNamespace(consumers={"notes-new-purpose": stream}, jetstream_api=())
    granted = nats_auth.service_permissions(service("notes"), runtime)
    assert "$JS.API.CONSUMER.MSG.NEXT.MEMBERSHIP_EVENTS.notes-new-purpose" in granted.publish


def test_seeds_are_generated_once_private_and_reused(tmp_path: Path) -> None:
    first = nats_auth.generate(tmp_path / "nats")
    seeds = {name: first.seed_file(name).read_bytes() for name in nats_auth.principal_names()}
    assert len(set(seeds.values())) == len(seeds)
    assert all(seed.startswith(b"SU") for seed in seeds.values())
    mode = stat.S_IMODE(first.seed_file("gateway").stat().st_mode)
    assert mode == 0o600
    again = nats_auth.generate(tmp_path / "nats")
    assert {n: again.seed_file(n).read_bytes() for n in seeds} == seeds
    config = again.config_file.read_text()
    for name in seeds:
        assert again.public_key(name) in config
        assert seeds[name].decode() not in config  # public keys only
