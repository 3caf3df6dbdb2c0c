"""`make run`'s launcher as people run it, twice on the same state (decision 0028): every
service forked from the launcher starts, the gateway reports ready, Ctrl-C stops them all."""

import os
import re
import signal
import subprocess
import threading
import time
from pathlib import Path

import pytest
from huddle_devkit.servers import free_port
from huddle_shared.services import service_names
from support import start_make_run

pytestmark = pytest.mark.e2e

READY = re.compile(r"ready (\d+\.\d)s after `make run` began")


class Launcher:
    def __init__(self, root: Path) -> None:
        self.root = root
        self.lines: list[str] = []
        self.ports = {
            name: str(free_port())
            for name in (
                "HUDDLE_NATS_PORT",
                "HUDDLE_NATS_MONITOR_PORT",
                "HUDDLE_FERRETDB_PORT",
                "GATEWAY_PORT",
            )
        }

    def start(self) -> subprocess.Popen[str]:
        self.lines.clear()
        process = start_make_run(self.root, self.ports)  # its own var/
        assert process.stdout is not None
        stdout = process.stdout

        def read() -> None:
            for line in stdout:
                self.lines.append(line.rstrip("\n"))

        threading.Thread(target=read, daemon=True).start()
        return process

    def wait_for(self, pattern: re.Pattern[str], timeout: float) -> re.Match[str]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for line in list(self.lines):
                if found := pattern.search(line):
                    return found
            time.sleep(0.05)
        raise AssertionError(f"no {pattern.pattern!r} in:\n" + "\n".join(self.lines[-60:]))


def _stop(process: subprocess.Popen[str]) -> None:
    os.killpg(process.pid, signal.SIGINT)  # Ctrl-C reaches the launcher's group
    try:
        process.wait(30)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        raise


def test_a_second_make_run_starts_every_service_forked_and_stops_them_all(tmp_path: Path) -> None:
    launcher = Launcher(tmp_path)
    figures = []
    for _run in range(2):  # the second start has the state of the first
        process = launcher.start()
        try:
            figures.append(float(launcher.wait_for(READY, timeout=90).group(1)))
            assert any("forked from the launcher" in line for line in launcher.lines)
            for service in service_names():
                launcher.wait_for(
                    re.compile(rf"^\S+ {service}\s+\|.*service started.*startup_seconds"), 10
                )
        finally:
            _stop(process)
        pids = [int(p) for p in re.findall(r"started \(pid=(\d+)\)", "\n".join(launcher.lines))]
        assert len(set(pids)) == len(service_names()) + 2  # the gateway and `ready` too
        for pid in pids:  # every forked process is gone with the launcher
            with pytest.raises(ProcessLookupError):
                os.kill(pid, 0)
    print(f"ready after {figures[0]:.1f}s (first start), {figures[1]:.1f}s (second)")
