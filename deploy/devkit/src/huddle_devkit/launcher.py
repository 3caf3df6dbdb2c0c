"""``make run``: NATS and FerretDB (unless already given), every service, the gateway.

Processes run under honcho, prefixed and coloured; Ctrl-C stops every one of them.
A second run reuses the state under ``var/`` and so keeps the data of the first.
"""

import asyncio
import os
import shlex
import sys
from pathlib import Path

from honcho.manager import Manager
from huddle_shared.provision import provision_streams

from huddle_devkit import caller_keys, demo, system
from huddle_devkit.jwt_secret import ensure_jwt_secret
from huddle_devkit.nats_auth import PROVISIONER
from huddle_devkit.paths import var_dir
from huddle_devkit.servers import (
    ManagedServer,
    ServerFailed,
    ferretdb_server,
    nats_server,
    port_open,
)

NATS_PORT = int(os.environ.get("HUDDLE_NATS_PORT", "4222"))
NATS_MONITOR_PORT = int(os.environ.get("HUDDLE_NATS_MONITOR_PORT", "8222"))
FERRETDB_PORT = int(os.environ.get("HUDDLE_FERRETDB_PORT", "27017"))
# The instance administrator `make run` creates (override both for a real instance).
ADMIN_EMAIL = os.environ.get("HUDDLE_ADMIN_EMAIL", demo.DEMO_ADMIN_EMAIL)
ADMIN_PASSWORD = os.environ.get("HUDDLE_ADMIN_PASSWORD", demo.DEMO_ADMIN_PASSWORD)


def _start(server: ManagedServer) -> None:
    if port_open(server.port):
        raise ServerFailed(
            f"port {server.port} is taken: another `make run`? Stop it, or set "
            "NATS_URL / MONGODB_URL to use servers that are already running."
        )
    server.start()
    server.wait_ready()
    print(f"started {server.name} on 127.0.0.1:{server.port} (log: {server.log_path})", flush=True)


def run(gateway_port: int) -> int:
    started: list[ManagedServer] = []
    try:
        nats_url = os.environ.get("NATS_URL")
        # A NATS given by NATS_URL: its principals' seeds are in HUDDLE_NATS_CREDENTIALS.
        configured = os.environ.get("HUDDLE_NATS_CREDENTIALS")
        credentials = Path(configured) if configured else None
        if not nats_url:
            # Each process its own nkey, generated once into var/secrets/nats and reused.
            credentials = var_dir() / "secrets" / "nats"
            nats = nats_server(
                var_dir() / "nats",
                port=NATS_PORT,
                monitor_port=NATS_MONITOR_PORT,
                credentials_dir=credentials,
            )
            _start(nats)  # provisions the streams too
            started.append(nats)
            nats_url = nats.url
        else:  # the provisioning step for a NATS given by NATS_URL
            seed = credentials / f"{PROVISIONER}.nk" if credentials else None
            asyncio.run(provision_streams(nats_url, seed))
        mongodb_url = os.environ.get("MONGODB_URL")
        if not mongodb_url:
            ferretdb = ferretdb_server(var_dir() / "ferretdb", port=FERRETDB_PORT)
            _start(ferretdb)
            started.append(ferretdb)
            mongodb_url = ferretdb.url

        env = system.environment(
            nats_url=nats_url,
            mongodb_url=mongodb_url,
            gateway_port=gateway_port,
            extra={
                "HUDDLE_ADMIN_EMAIL": ADMIN_EMAIL,
                "HUDDLE_ADMIN_PASSWORD": ADMIN_PASSWORD,
            },
        )
        # Random, made once under var/secrets/: sign-ins outlive a restart. The gateway's
        # alone, like the caller signing key.
        jwt_secret = {
            "HUDDLE_JWT_SECRET": os.environ.get("HUDDLE_JWT_SECRET") or ensure_jwt_secret()
        }
        keys = caller_keys.ensure_caller_keys(var_dir() / "secrets")
        manager = Manager()
        for service in system.service_modules():
            # The private key to the gateway only; the public key to each service.
            own = (
                {**keys.gateway_environment(), **jwt_secret}
                if service == "gateway"
                else keys.service_environment()
            )
            manager.add_process(
                service,
                shlex.join(system.command(service)),
                env={**system.for_process(env, service, credentials), **own},
            )
        url = f"http://127.0.0.1:{gateway_port}"
        announce = [sys.executable, "-m", "huddle_devkit", "announce", "--url", url]
        manager.add_process("ready", shlex.join(announce), env=env)  # HTTP only
        manager.loop()
        return int(manager.returncode or 0)
    except ServerFailed as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    finally:
        for server in reversed(started):
            server.stop()
