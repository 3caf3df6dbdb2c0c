"""`make run`'s Python processes, forked from the launcher once it has imported what every
service imports (FastStream, nats-py, PyMongo, pydantic, OpenTelemetry, huddle_shared).

Each service is still its own process (its own pid, session, environment, output and
signals, started as ``python -m <package>`` would run it), but the six of them no longer
each spend a second or more of CPU importing the same libraries at once on a small machine:
the imports are done once, and the children share those pages until they write them
(like gunicorn's ``--preload``). Decision 0028. ``HUDDLE_RUN_EXEC=1`` starts each one as a
fresh interpreter instead (the way Compose and the end-to-end tests run them).
"""

import contextlib
import importlib
import io
import os
import runpy
import signal
import sys
import traceback
from typing import IO, Any

from honcho.manager import Manager
from honcho.process import Process

EXEC_ENV = "HUDDLE_RUN_EXEC"

# Imported by every service's bootstrap (and the gateway); nothing here connects or starts
# a thread at import, so a fork after it is safe.
PRELOAD = (
    "huddle_shared.config",
    "huddle_shared.service",
    "huddle_shared.runtime",
    "huddle_shared.telemetry",
    "huddle_shared.contracts.membership",
    "huddle_shared.projections.network_roster",
    # The gateway's web framework: the gateway starts last otherwise, and readiness waits on it.
    "litestar",
    "uvicorn",
)


def preforking() -> bool:
    return os.environ.get(EXEC_ENV, "") not in ("1", "true", "yes") and hasattr(os, "fork")


def preload() -> None:
    for module in PRELOAD:
        importlib.import_module(module)


def _exit_code(exc: SystemExit) -> int:
    """As the interpreter does for an uncaught SystemExit."""
    if exc.code is None:
        return 0
    if isinstance(exc.code, int):
        return exc.code
    print(exc.code, file=sys.stderr)
    return 1


def _run_child(module: str, argv: list[str], env: dict[str, str], write: int) -> int:
    os.setsid()  # like honcho's Popen: its own session, so Ctrl-C reaches the launcher only
    for sig in (signal.SIGINT, signal.SIGTERM):  # the launcher's (honcho's) handlers: not ours
        signal.signal(sig, signal.SIG_DFL)
    devnull = os.open(os.devnull, os.O_RDONLY)
    os.dup2(devnull, 0)
    os.close(devnull)
    os.dup2(write, 1)
    os.dup2(write, 2)
    os.close(write)
    # New stream objects: the inherited ones may hold a lock or buffered output of the parent.
    sys.stdin = io.TextIOWrapper(io.FileIO(0, "r", closefd=False))
    sys.stdout = io.TextIOWrapper(io.FileIO(1, "w", closefd=False), write_through=True)
    sys.stderr = io.TextIOWrapper(io.FileIO(2, "w", closefd=False), write_through=True)
    os.environ.clear()
    os.environ.update(env)
    sys.argv = [module, *argv]
    try:
        runpy.run_module(module, run_name="__main__", alter_sys=True)
        return 0
    except SystemExit as exc:
        return _exit_code(exc)
    except BaseException:
        traceback.print_exc()
        return 1


class ForkedChild:
    """What honcho's Process needs of a Popen: ``pid``, ``stdout`` (lines), ``wait``."""

    def __init__(self, module: str, argv: list[str], env: dict[str, str]) -> None:
        read, write = os.pipe()
        pid = os.fork()
        if pid == 0:  # the child: never returns into the launcher's code
            code = 1
            try:
                os.close(read)
                code = _run_child(module, argv, env, write)
            finally:
                for stream in (sys.stdout, sys.stderr):
                    with contextlib.suppress(Exception):  # exiting anyway
                        stream.flush()
                os._exit(code)
        os.close(write)
        self.pid = pid
        self.stdout: IO[bytes] = os.fdopen(read, "rb")
        self.returncode: int | None = None

    def wait(self) -> int:
        _, status = os.waitpid(self.pid, 0)
        self.returncode = os.waitstatus_to_exitcode(status)
        return self.returncode


class PreforkedProcess(Process):
    """A honcho process whose child is forked from the launcher to run ``module``."""

    def __init__(self, cmd: str, *, module: str, argv: list[str], **kwargs: Any) -> None:
        super().__init__(cmd, **kwargs)
        self._child_ctor = lambda _cmd, env, cwd: ForkedChild(module, argv, env)


class PreforkingManager(Manager):
    """honcho's Manager, with ``add_module`` for a process forked from this one."""

    def add_module(
        self, name: str, module: str, argv: list[str], *, env: dict[str, str]
    ) -> Process:
        ctor: Any = self._process_ctor  # type: ignore[has-type]  # honcho is untyped
        self._process_ctor = lambda cmd, **kwargs: PreforkedProcess(
            cmd, module=module, argv=argv, **kwargs
        )
        try:
            return self.add_process(
                name, f"(forked) python -m {' '.join([module, *argv])}", env=env
            )
        finally:
            self._process_ctor = ctor
