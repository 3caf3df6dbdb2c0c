"""NATS credentials with least privilege: one nkey per principal, and the server's config.

Principals: the gateway, each service of ``huddle_shared.services.SERVICES``, the
``provisioner`` (creates and keeps the streams) and ``devkit`` (operator tooling and tests:
every subject of the account). Each connects with
its own nkey seed (``NATS_NKEY_SEED_FILE``) and its own inbox prefix, and may use only:

- gateway: publish ``rpc.>`` (requests, health included); subscribe its own inbox.
- a service: subscribe ``rpc.<service>.>`` in its queue group and answer (responses only),
  and its own ``events.<service>.>`` (core NATS: keeping its read models current);
  publish its own ``events.<service>.>`` and its dead letters; the JetStream API to read
  its own stream's and the dead letters' info (never to create or change a stream), and
  for each durable consumer it declares: the stream's info, the consumer's info/create,
  fetching and acknowledging;
  plus what its runtime declares it needs (``ServiceBuilder.uses_jetstream_api``: membership
  purges an erased member from every stream).
- provisioner: create, update and read every stream of ``all_streams()``; nothing else.

A service's consumers are read from its built runtime (``bootstrap``; nothing connects),
so a new subscription gets its permissions without a table to keep.

``python -m huddle_devkit.nats_auth DIR`` writes one seed per principal into ``DIR``
(kept: a second run reuses them, so a running system keeps working; ``--rotate NAME`` adds
a second, new key for a rotation) and ``DIR/auth.conf``,
the ``accounts`` block nats-server includes. Everything lives in one account (``HUDDLE``,
with JetStream); a later national export is one more account importing what ``HUDDLE``
exports (docs/decisions/0020-nats-nkeys-least-privilege.md).
"""

from __future__ import annotations

import argparse
import functools
import hashlib
import importlib.util
import json
import os
import secrets
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import nkeys
from huddle_shared.contracts.rpc import queue_group
from huddle_shared.contracts.streams import DEAD_LETTER_SUBJECT_PREFIX, StreamSpec
from huddle_shared.messaging.nats_options import inbox_prefix
from huddle_shared.messaging.topology import owned_streams
from huddle_shared.services import SERVICES, ServiceSpec, all_streams, service_names

if TYPE_CHECKING:  # building the runtimes imports every service: only when the config is made
    from huddle_shared.runtime import ServiceRuntime

ACCOUNT = "HUDDLE"
GATEWAY = "gateway"
DEVKIT = "devkit"
PROVISIONER = "provisioner"
AUTH_CONFIG = "auth.conf"
# What auth.conf was made from (see ``code_fingerprint``): the same, and it is reused as is.
AUTH_FINGERPRINT = "auth.conf.sha256"
SEED_SUFFIX = ".nk"
JS_API = "$JS.API"


@dataclass(frozen=True)
class Permissions:
    publish: tuple[str, ...]
    subscribe: tuple[str, ...]
    # Publish to the reply subject of a request received (once, for each request).
    allow_responses: bool = False

    def config(self) -> dict[str, object]:
        config: dict[str, object] = {
            "publish": {"allow": sorted(set(self.publish))},
            "subscribe": {"allow": sorted(set(self.subscribe))},
        }
        if self.allow_responses:
            config["allow_responses"] = True
        return config


@dataclass(frozen=True)
class Principal:
    name: str
    # None: every subject of the account (the devkit: operator tooling and tests).
    permissions: Permissions | None
    description: str


def own_inbox(principal: str) -> str:
    return f"{inbox_prefix(principal)}.>"


def gateway_permissions() -> Permissions:
    return Permissions(publish=("rpc.>",), subscribe=(own_inbox(GATEWAY),))


def consumer_api(stream: StreamSpec, durable: str) -> tuple[str, ...]:
    """What nats-py's ``pull_subscribe``/``fetch`` and FastStream's acks publish to."""
    consumer = f"{stream.name}.{durable}"
    return (
        f"{JS_API}.STREAM.INFO.{stream.name}",  # waiting for the stream to exist
        f"{JS_API}.CONSUMER.INFO.{consumer}",
        f"{JS_API}.CONSUMER.CREATE.{consumer}",
        f"{JS_API}.CONSUMER.CREATE.{consumer}.>",  # with its filter subject
        f"{JS_API}.CONSUMER.DURABLE.CREATE.{consumer}",  # servers before 2.9
        f"{JS_API}.CONSUMER.MSG.NEXT.{consumer}",
        f"$JS.ACK.{consumer}.>",  # ack, nak (with delay), in progress
    )


def stream_api(stream: StreamSpec) -> tuple[str, ...]:
    """Creating and changing a stream: the provisioner's alone. A stream's config can give it
    any subjects or a republish rule, so a service allowed this could store another
    service's events or capture requests meant for another service."""
    return tuple(f"{JS_API}.STREAM.{verb}.{stream.name}" for verb in ("INFO", "CREATE", "UPDATE"))


def provisioner_permissions() -> Permissions:
    publish = [api for stream in all_streams() for api in stream_api(stream)]
    return Permissions(publish=tuple(publish), subscribe=(own_inbox(PROVISIONER),))


def service_permissions(spec: ServiceSpec, runtime: ServiceRuntime) -> Permissions:
    publish: list[str] = [
        f"events.{spec.name}.>",
        # The outbox dead-letters its own events (``deadletter.outbox-<database>.<subject>``).
        f"{DEAD_LETTER_SUBJECT_PREFIX}.*.events.{spec.name}.>",
    ]
    for stream in owned_streams(spec.name):  # reads them; the provisioner creates them
        publish.append(f"{JS_API}.STREAM.INFO.{stream.name}")
    for durable, stream in runtime.consumers.items():
        publish.append(f"{DEAD_LETTER_SUBJECT_PREFIX}.{durable}.>")
        publish.extend(consumer_api(stream, durable))
    publish.extend(runtime.jetstream_api)
    return Permissions(
        publish=tuple(publish),
        subscribe=(
            f"{spec.rpc_prefix}.> {queue_group(spec.name)}",
            own_inbox(spec.name),
            # Its own events, as they are published (core NATS): every replica keeps its
            # read models current from them (decision 0025). It reads no one else's.
            f"events.{spec.name}.>",
        ),
        allow_responses=True,
    )


def build_runtimes() -> dict[str, ServiceRuntime]:
    from huddle_devkit.asyncapi import build_runtime  # each service's own bootstrap

    return {spec.name: build_runtime(spec.name) for spec in SERVICES}


@functools.cache
def principals() -> tuple[Principal, ...]:
    """Every principal with its permissions, from the service list and built runtimes."""
    return principals_for(build_runtimes())


def principals_for(runtimes: Mapping[str, ServiceRuntime]) -> tuple[Principal, ...]:
    return (
        Principal(GATEWAY, gateway_permissions(), "the HTTP gateway: requests only"),
        *(
            Principal(spec.name, service_permissions(spec, runtimes[spec.name]), spec.summary)
            for spec in SERVICES
        ),
        Principal(
            PROVISIONER, provisioner_permissions(), "creates and keeps the streams, nothing else"
        ),
        Principal(DEVKIT, None, "operator tooling and tests: the whole account"),
    )


def principal_names() -> tuple[str, ...]:
    return (GATEWAY, *service_names(), PROVISIONER, DEVKIT)


@dataclass(frozen=True)
class Credentials:
    """A directory of nkey seeds, one file per principal (``<name>.nk``, mode 0600)."""

    directory: Path

    def seed_file(self, principal: str) -> Path:
        return self.directory / f"{principal}{SEED_SUFFIX}"

    def next_seed_file(self, principal: str) -> Path:
        """A rotation's new seed: accepted beside the current one until it replaces it."""
        return self.directory / f"{principal}.next{SEED_SUFFIX}"

    def public_key(self, principal: str) -> str:
        return _public_key(self.seed_file(principal))

    def public_keys(self, principal: str) -> list[str]:
        """The keys NATS accepts for ``principal``: its seed's, and a rotation's new one."""
        files = [self.seed_file(principal), self.next_seed_file(principal)]
        return [_public_key(path) for path in files if path.is_file()]

    @property
    def config_file(self) -> Path:
        return self.directory / AUTH_CONFIG

    def exists(self) -> bool:
        return all(self.seed_file(name).is_file() for name in principal_names())


def _public_key(seed_file: Path) -> str:
    key_pair = nkeys.from_seed(bytearray(seed_file.read_bytes()))
    try:
        return str(key_pair.public_key.decode())
    finally:
        key_pair.wipe()


def _write_seed(path: Path) -> None:
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "wb") as file:
        file.write(new_seed())  # no newline: nats-py reads the whole file as the seed


def new_seed() -> bytes:
    return bytes(nkeys.encode_seed(secrets.token_bytes(32), nkeys.PREFIX_BYTE_USER))


def ensure_seeds(directory: Path, names: Iterable[str] | None = None) -> Credentials:
    """A seed for each principal, generated once: an existing seed is kept."""
    directory.mkdir(parents=True, exist_ok=True)
    directory.chmod(0o700)
    credentials = Credentials(directory)
    for name in principal_names() if names is None else names:
        if not credentials.seed_file(name).exists():
            _write_seed(credentials.seed_file(name))
    return credentials


def authorization_config(
    credentials: Credentials, chosen: Iterable[Principal] | None = None
) -> str:
    """nats-server's ``accounts`` block: one account with JetStream, a user per principal."""
    lines = [
        "# Generated by huddle_devkit.nats_auth: one nkey user per principal, least privilege.",
        "accounts {",
        f"  {ACCOUNT} {{",
        "    jetstream: enabled",
        "    users: [",
    ]
    for principal in principals() if chosen is None else chosen:
        for key in credentials.public_keys(principal.name):
            user: dict[str, object] = {"nkey": key}
            if principal.permissions is not None:
                user["permissions"] = principal.permissions.config()
            lines.append(f"      # {principal.name}: {principal.description}")
            lines.append(f"      {json.dumps(user, indent=2).replace(chr(10), chr(10) + ' ' * 6)}")
    lines += ["    ]", "  }", "}", ""]
    return "\n".join(lines)


def package_sources() -> list[tuple[str, Path]]:
    """Where the packages the permissions follow from live (found, not imported)."""
    packages = ["huddle_shared", *(spec.package for spec in SERVICES), "huddle_devkit"]
    found: list[tuple[str, Path]] = []
    for package in packages:
        spec = importlib.util.find_spec(package)
        for location in (spec.submodule_search_locations or []) if spec else []:
            found.append((package, Path(location)))
    return found


def code_fingerprint(credentials: Credentials) -> str:
    """A digest of everything ``auth.conf`` follows from: the source of every Huddle package
    (the services' subscriptions and routes, the service list, these rules) and the seeds'
    public keys. Hashing the files takes milliseconds; building every service's runtime to
    read its permissions takes most of a second of imports (decision 0028)."""
    digest = hashlib.sha256()
    for package, source in package_sources():
        for path in sorted(source.rglob("*.py")):
            digest.update(f"{package}/{path.relative_to(source)}".encode())
            digest.update(b"\0")
            digest.update(path.read_bytes())
            digest.update(b"\0")
    for name in principal_names():
        digest.update(f"{name}={','.join(credentials.public_keys(name))};".encode())
    return digest.hexdigest()


def generate(directory: Path, *, rotate: Iterable[str] = ()) -> Credentials:
    """Seeds (kept if present) and ``auth.conf`` in ``directory``: made again when the code
    or the seeds changed since it was made (permissions follow the code), otherwise kept.
    ``rotate``: a new seed for each of those principals, accepted beside the current one
    (see docs/operators-guide.md, "NATS credentials")."""
    credentials = ensure_seeds(directory)
    for name in rotate:
        if name not in principal_names():
            raise SystemExit(f"unknown principal {name!r}: one of {', '.join(principal_names())}")
        if not credentials.next_seed_file(name).exists():
            _write_seed(credentials.next_seed_file(name))
    fingerprint = code_fingerprint(credentials)
    recorded = credentials.directory / AUTH_FINGERPRINT
    if (
        credentials.config_file.is_file()
        and recorded.is_file()
        and recorded.read_text().strip() == fingerprint
    ):
        return credentials
    credentials.config_file.write_text(authorization_config(credentials))
    credentials.config_file.chmod(0o644)  # public keys only
    recorded.write_text(fingerprint + "\n")
    return credentials


def adopt_global_account(jetstream_store: Path) -> bool:
    """Moves streams stored before authentication (NATS's global account ``$G``) into
    ``HUDDLE``, with the server stopped, so an earlier ``make run`` keeps its events.
    ``jetstream_store`` is the ``store_dir`` of the server's config."""
    unauthenticated = jetstream_store / "jetstream" / "$G"
    ours = jetstream_store / "jetstream" / ACCOUNT
    if not unauthenticated.is_dir() or ours.exists():
        return False
    unauthenticated.rename(ours)
    return True


def main() -> None:
    parser = argparse.ArgumentParser(
        prog="python -m huddle_devkit.nats_auth",
        description="Generate NATS nkey seeds (once) and the authorization config.",
    )
    parser.add_argument("directory", type=Path, help="where the seeds and auth.conf go")
    parser.add_argument(
        "--rotate",
        action="append",
        default=[],
        metavar="PRINCIPAL",
        help="also accept a new key for PRINCIPAL (<principal>.next.nk) until it replaces the old",
    )
    parser.add_argument(
        "--owner",
        type=int,
        help="uid to own the seeds (e.g. the containers' user), when run as root",
    )
    args = parser.parse_args()
    credentials = generate(args.directory, rotate=args.rotate)
    if args.owner is not None:
        os.chown(credentials.directory, args.owner, args.owner)
        for seed in credentials.directory.glob(f"*{SEED_SUFFIX}"):
            os.chown(seed, args.owner, args.owner)
    print(f"NATS credentials in {args.directory} (server config: {credentials.config_file})")


if __name__ == "__main__":
    main()
