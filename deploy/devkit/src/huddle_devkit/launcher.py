"""``make run``: NATS and FerretDB (unless already given), every service, the gateway.

Processes run under honcho, prefixed and coloured; Ctrl-C stops every one of them.
A second run reuses the state under ``var/`` and so keeps the data of the first.

Start-up is kept short (decision 0028): both servers start at once, and the launcher
imports nothing heavy itself, so the six Python processes it spawns have the CPU.
"""

import compileall
import importlib.util
import os
import shlex
import sys
import time
from pathlib import Path

from huddle_devkit import caller_keys, preforked, system
from huddle_devkit.jwt_secret import ensure_jwt_secret
from huddle_devkit.nats_auth import PROVISIONER, package_sources
from huddle_devkit.paths import var_dir
from huddle_devkit.servers import (
    ManagedServer,
    ServerFailed,
    ferretdb_server,
    nats_server,
    port_open,
)
from huddle_devkit.startup import RUN_STARTED_ENV, SPAWNED_AT_ENV, run_started_at

NATS_PORT = int(os.environ.get("HUDDLE_NATS_PORT", "4222"))
NATS_MONITOR_PORT = int(os.environ.get("HUDDLE_NATS_MONITOR_PORT", "8222"))
FERRETDB_PORT = int(os.environ.get("HUDDLE_FERRETDB_PORT", "27017"))
# The instance administrator `make run` creates (override both for a real instance): the
# demo's account, named here so that starting does not import the demo loader.
ADMIN_EMAIL = os.environ.get("HUDDLE_ADMIN_EMAIL", "admin@demo.example.org")
ADMIN_PASSWORD = os.environ.get("HUDDLE_ADMIN_PASSWORD", "huddle-demo-admin")


def _spawn(server: ManagedServer) -> None:
    if port_open(server.port):
        raise ServerFailed(
            f"port {server.port} is taken: another `make run`? Stop it, or set "
            "NATS_URL / MONGODB_URL to use servers that are already running."
        )
    server.start()


def gateway_source() -> list[tuple[str, Path]]:
    spec = importlib.util.find_spec("huddle_gateway")
    locations = (spec.submodule_search_locations or []) if spec else []
    return [("huddle_gateway", Path(location)) for location in locations]


def compile_sources() -> None:
    """Byte-compile the workspace's own packages (``make setup`` compiles the installed ones).
    Python writes no cache when PYTHONDONTWRITEBYTECODE is set, and then every process
    would compile every module it imports at each start. Up-to-date files are skipped."""
    for _package, source in [*package_sources(), *gateway_source()]:
        compileall.compile_dir(source, quiet=2)


def run(gateway_port: int) -> int:
    started: list[ManagedServer] = []
    try:
        compile_sources()
        nats_url = os.environ.get("NATS_URL")
        # A NATS given by NATS_URL: its principals' seeds are in HUDDLE_NATS_CREDENTIALS.
        configured = os.environ.get("HUDDLE_NATS_CREDENTIALS")
        credentials = Path(configured) if configured else None
        mongodb_url = os.environ.get("MONGODB_URL")
        # Both servers start at once; the launcher imports the services' libraries meanwhile.
        if not nats_url:
            # Each process its own nkey, generated once into var/secrets/nats and reused.
            credentials = var_dir() / "secrets" / "nats"
            nats = nats_server(
                var_dir() / "nats",
                port=NATS_PORT,
                monitor_port=NATS_MONITOR_PORT,
                credentials_dir=credentials,
            )
            _spawn(nats)
            started.append(nats)
            nats_url = nats.url
        if not mongodb_url:
            ferretdb = ferretdb_server(var_dir() / "ferretdb", port=FERRETDB_PORT)
            _spawn(ferretdb)
            started.append(ferretdb)
            mongodb_url = ferretdb.url
        prefork = preforked.preforking()
        if prefork:
            preforked.preload()
        for server in started:
            server.wait_ready()  # NATS: provisions the streams too
            print(
                f"started {server.name} on 127.0.0.1:{server.port} (log: {server.log_path})",
                flush=True,
            )
        if not any(server.name == "nats" for server in started):
            # The provisioning step for a NATS given by NATS_URL.
            import asyncio

            from huddle_shared.provision import provision_streams

            seed = credentials / f"{PROVISIONER}.nk" if credentials else None
            asyncio.run(provision_streams(nats_url, seed))

        env = system.environment(
            nats_url=nats_url,
            mongodb_url=mongodb_url,
            gateway_port=gateway_port,
            extra={
                "HUDDLE_ADMIN_EMAIL": ADMIN_EMAIL,
                "HUDDLE_ADMIN_PASSWORD": ADMIN_PASSWORD,
                RUN_STARTED_ENV: repr(run_started_at()),
            },
        )
        # Random, made once under var/secrets/: sign-ins outlive a restart. The gateway's
        # alone, like the caller signing key.
        jwt_secret = {
            "HUDDLE_JWT_SECRET": os.environ.get("HUDDLE_JWT_SECRET") or ensure_jwt_secret()
        }
        keys = caller_keys.ensure_caller_keys(var_dir() / "secrets")
        spawned_at = time.time()
        env[SPAWNED_AT_ENV] = repr(spawned_at)  # each service logs its start-up steps from it
        manager = preforked.PreforkingManager()
        for service, package in system.service_modules().items():
            # The private key to the gateway only; the public key to each service.
            own = (
                {**keys.gateway_environment(), **jwt_secret}
                if service == "gateway"
                else keys.service_environment()
            )
            service_env = {**system.for_process(env, service, credentials), **own}
            if prefork:
                manager.add_module(service, package, [], env=service_env)
            else:
                manager.add_process(service, shlex.join(system.command(service)), env=service_env)
        url = f"http://127.0.0.1:{gateway_port}"
        announce = ["announce", "--url", url]
        if prefork:
            manager.add_module("ready", "huddle_devkit", announce, env=env)  # HTTP only
        else:
            command = [sys.executable, "-m", "huddle_devkit", *announce]
            manager.add_process("ready", shlex.join(command), env=env)
        print(
            f"starting every service {spawned_at - run_started_at():.2f}s after `make run` began"
            + (" (forked from the launcher)" if prefork else ""),
            flush=True,
        )
        manager.loop()
        return int(manager.returncode or 0)
    except ServerFailed as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    finally:
        for server in reversed(started):
            server.stop()
