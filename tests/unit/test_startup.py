"""`make run`'s start-up (decision 0028): forked service processes, the reused NATS
authorization config, light imports for the launcher's helpers, the start-up clock."""

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
from huddle_devkit import nats_auth
from huddle_devkit.preforked import ForkedChild
from huddle_shared.runtime import SPAWNED_AT_ENV, StartupClock


@pytest.fixture
def child_module(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """A module that reports what a process started as ``python -m`` sees."""
    (tmp_path / "startup_probe.py").write_text(
        textwrap.dedent(
            """
            import os, signal, sys, time
            if __name__ == "__main__":
                print("argv", sys.argv[1:])
                print("env", os.environ.get("PROBE"), os.environ.get("ONLY_PARENT"))
                print("sigterm default", signal.getsignal(signal.SIGTERM) is signal.SIG_DFL)
                print("stderr line", file=sys.stderr)
                if sys.argv[1:] == ["sleep"]:
                    time.sleep(30)
                raise SystemExit(int(sys.argv[1]) if sys.argv[1:] != ["message"] else "bad input")
            """
        )
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    return "startup_probe"


def _run(child: ForkedChild) -> tuple[list[str], int]:
    lines = [line.decode().rstrip("\n") for line in iter(child.stdout.readline, b"")]
    child.stdout.close()
    return lines, child.wait()


def test_a_forked_child_runs_the_module_as_python_dash_m_would(
    child_module: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ONLY_PARENT", "leaks")
    # honcho ignores these in the process that forks the child: the child must not.
    previous = signal.signal(signal.SIGTERM, signal.SIG_IGN)
    try:
        lines, code = _run(ForkedChild(child_module, ["3"], {"PROBE": "given"}))
    finally:
        signal.signal(signal.SIGTERM, previous)
    assert code == 3
    assert "argv ['3']" in lines
    assert "env given None" in lines  # its own environment, not the launcher's
    assert "sigterm default True" in lines
    assert "stderr line" in lines  # stdout and stderr both reach honcho


def test_a_forked_childs_exit_message_is_printed_and_it_exits_1(child_module: str) -> None:
    lines, code = _run(ForkedChild(child_module, ["message"], {}))
    assert code == 1
    assert lines[-1] == "bad input"


def test_sigterm_stops_a_forked_child(child_module: str) -> None:
    previous = signal.signal(signal.SIGTERM, signal.SIG_IGN)
    try:
        child = ForkedChild(child_module, ["sleep"], {})
    finally:
        signal.signal(signal.SIGTERM, previous)
    assert child.stdout.readline().startswith(b"argv")
    os.kill(child.pid, signal.SIGTERM)
    started = time.monotonic()
    assert child.wait() == -signal.SIGTERM
    assert time.monotonic() - started < 5
    child.stdout.close()


def test_the_authorization_config_is_reused_until_the_code_or_a_key_changes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    nats_auth.generate(tmp_path)
    config = (tmp_path / nats_auth.AUTH_CONFIG).read_text()

    def no_building() -> tuple[nats_auth.Principal, ...]:
        raise AssertionError("the runtimes were built although nothing changed")

    monkeypatch.setattr(nats_auth, "principals", no_building)
    nats_auth.generate(tmp_path)  # reused: nothing built
    assert (tmp_path / nats_auth.AUTH_CONFIG).read_text() == config
    monkeypatch.undo()

    built: list[bool] = []
    real = nats_auth.principals

    def counted() -> tuple[nats_auth.Principal, ...]:
        built.append(True)
        return real()

    monkeypatch.setattr(nats_auth, "principals", counted)
    # A rotation adds a key: the config must name it.
    nats_auth.generate(tmp_path, rotate=["notes"])
    assert built
    assert (
        nats_auth.Credentials(tmp_path).public_keys("notes")[1]
        in (tmp_path / nats_auth.AUTH_CONFIG).read_text()
    )

    built.clear()
    monkeypatch.setattr(nats_auth, "code_fingerprint", lambda credentials: "code changed")
    nats_auth.generate(tmp_path)
    assert built


def test_the_fingerprint_follows_the_services_source(tmp_path: Path) -> None:
    credentials = nats_auth.ensure_seeds(tmp_path)
    packages = {package for package, _ in nats_auth.package_sources()}
    assert {"huddle_shared", "huddle_membership", "huddle_devkit"} <= packages
    assert nats_auth.code_fingerprint(credentials) == nats_auth.code_fingerprint(credentials)


@pytest.mark.parametrize(
    "module", ["huddle_devkit.__main__", "huddle_devkit.launcher", "huddle_shared.provision"]
)
def test_the_launchers_helpers_import_no_broker_database_or_http_client(module: str) -> None:
    """`announce` runs beside the starting services, the launcher before them: neither may
    spend seconds importing what only a service needs."""
    heavy = ("faststream", "pymongo", "httpx", "litestar", "opentelemetry.sdk")
    probe = f"import sys, {module}; print(','.join(m for m in {heavy!r} if m in sys.modules))"
    result = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == ""


def test_the_startup_clock_counts_imports_from_the_spawn(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(SPAWNED_AT_ENV, repr(time.time() - 2.0))
    clock = StartupClock()
    clock.step("database")
    report = clock.report()
    assert 1.9 < report["imports"] < 10
    assert report["total"] == pytest.approx(report["imports"] + report["database"], abs=0.002)
    monkeypatch.setenv(SPAWNED_AT_ENV, "not a time")
    assert "imports" not in StartupClock().report()
