"""Starts the real infrastructure servers on loopback: NATS (JetStream) and FerretDB.

Used by ``make run`` (fixed ports, state under ``var/``) and by the tests (free ports,
temporary state), so both exercise exactly the same servers.
"""

import asyncio
import contextlib
import os
import signal
import socket
import subprocess
import threading
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

from huddle_devkit.nats_auth import PROVISIONER, Credentials, adopt_global_account, generate
from huddle_devkit.paths import ferretdb_binary, nats_server_binary


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def port_open(port: int, host: str = "127.0.0.1") -> bool:
    with contextlib.suppress(OSError), socket.create_connection((host, port), timeout=0.2):
        return True
    return False


class ServerFailed(RuntimeError):
    pass


@dataclass
class ManagedServer:
    name: str
    command: list[str]
    port: int
    log_path: Path
    process: subprocess.Popen[bytes] | None = field(default=None, init=False)
    _log: IO[bytes] | None = field(default=None, init=False)

    def start(self) -> None:
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        self._log = self.log_path.open("ab")
        self.process = subprocess.Popen(
            self.command, stdout=self._log, stderr=subprocess.STDOUT, start_new_session=True
        )

    def wait_ready(self, timeout: float = 30.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process is not None and self.process.poll() is not None:
                raise ServerFailed(f"{self.name} exited early; see {self.log_path}")
            if self.is_ready():
                return
            time.sleep(0.05)
        raise ServerFailed(f"{self.name} not ready after {timeout}s; see {self.log_path}")

    def is_ready(self) -> bool:
        return port_open(self.port)

    def stop(self, timeout: float = 10.0) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        if self._log is not None:
            self._log.close()
            self._log = None


@dataclass
class NatsServer(ManagedServer):
    monitor_port: int = 0
    # The principals' seeds, when the server requires authentication (the default).
    credentials: Credentials | None = None

    @property
    def url(self) -> str:
        return f"nats://127.0.0.1:{self.port}"

    def reload(self) -> None:
        """Read the config again (new users, permissions) without dropping connections."""
        assert self.process is not None
        self.process.send_signal(signal.SIGHUP)

    def wait_ready(self, timeout: float = 30.0) -> None:
        """Ready, with every stream provisioned (services create none themselves)."""
        super().wait_ready(timeout)
        self.provision()

    def provision(self) -> None:
        """``huddle_shared.provision`` as the provisioner. In a thread of its own, since a
        caller (a test fixture) may be inside a running event loop already."""
        from huddle_shared.provision import provision_streams  # nats-py: only when needed

        seed = self.credentials.seed_file(PROVISIONER) if self.credentials else None
        failure: list[BaseException] = []

        def run() -> None:
            try:
                asyncio.run(provision_streams(self.url, seed))
            except BaseException as exc:  # re-raised in the caller's thread
                failure.append(exc)

        worker = threading.Thread(target=run, name="provision-streams")
        worker.start()
        worker.join()
        if failure:
            raise ServerFailed(f"provisioning the streams failed: {failure[0]!r}")

    def is_ready(self) -> bool:
        url = f"http://127.0.0.1:{self.monitor_port}/healthz?js-enabled-only=true"
        with contextlib.suppress(OSError), urllib.request.urlopen(url, timeout=0.5) as response:
            return bool(response.status == 200)
        return False


def nats_server(
    state_dir: Path,
    *,
    port: int | None = None,
    monitor_port: int | None = None,
    auth: bool = True,
    credentials_dir: Path | None = None,
) -> NatsServer:
    """A NATS server with JetStream; acknowledged means on disk (``sync_interval: always``).

    With ``auth`` (the default) only the principals of ``huddle_devkit.nats_auth`` get in,
    each with its own permissions; their seeds are generated once into ``credentials_dir``
    (default: ``state_dir/credentials``) and reused."""
    port = port or free_port()
    monitor_port = monitor_port or free_port()
    state_dir.mkdir(parents=True, exist_ok=True)
    config = state_dir / "nats.conf"
    store = state_dir / "jetstream"
    credentials = None
    authorization: list[str] = []
    if auth:
        adopt_global_account(store)  # streams of a run from before authentication
        credentials = generate(credentials_dir or state_dir / "credentials")
        # nats-server resolves an include relative to the including file.
        included = os.path.relpath(credentials.config_file.resolve(), state_dir.resolve())
        authorization = [f'include "{included}"']
    config.write_text(
        "\n".join(
            [
                "host: 127.0.0.1",
                f"port: {port}",
                f"http: 127.0.0.1:{monitor_port}",
                "server_name: huddle-local",
                "jetstream {",
                f'  store_dir: "{store}"',
                "  sync_interval: always",
                "}",
                *authorization,
                "",
            ]
        )
    )
    return NatsServer(
        name="nats",
        command=[str(nats_server_binary()), "-c", str(config)],
        port=port,
        log_path=state_dir / "nats.log",
        monitor_port=monitor_port,
        credentials=credentials,
    )


@dataclass
class FerretDBServer(ManagedServer):
    @property
    def url(self) -> str:
        return f"mongodb://127.0.0.1:{self.port}/"


def ferretdb_server(
    state_dir: Path, *, port: int | None = None, log_level: str = "warn"
) -> FerretDBServer:
    """FerretDB v1 on SQLite: telemetry and its debug listener are off (see deploy/local).
    At ``log_level="debug"`` its log holds every SQL statement it runs."""
    binary = ferretdb_binary()
    if not binary.exists():
        raise ServerFailed(f"{binary} is missing: run `make tools` (it builds FerretDB once)")
    port = port or free_port()
    data = state_dir / "data"
    data.mkdir(parents=True, exist_ok=True)
    return FerretDBServer(
        name="ferretdb",
        command=[
            *(str(binary), "-listen-addr", f"127.0.0.1:{port}", "-sqlite-url", f"file:{data}/"),
            *("-log-level", log_level),
        ],
        port=port,
        log_path=state_dir / "ferretdb.log",
    )


@contextlib.contextmanager
def running(server: ManagedServer, timeout: float = 30.0) -> Iterator[ManagedServer]:
    server.start()
    try:
        server.wait_ready(timeout)
        yield server
    finally:
        server.stop()
