"""Start-up timing shared by the launcher and its ``announce`` process (decision 0028).
Standard library only: both import it before anything else."""

import contextlib
import os
import time

# When `make run` began (``time.time()``, set by the Makefile): the ready line counts from it.
RUN_STARTED_ENV = "HUDDLE_RUN_STARTED_AT"
# When the launcher spawned the processes: each service logs its start-up steps from it
# (the same name as huddle_shared.runtime.SPAWNED_AT_ENV, which imports FastStream).
SPAWNED_AT_ENV = "HUDDLE_SPAWNED_AT"

_IMPORTED_AT = time.time()


def run_started_at() -> float:
    """When `make run` began; without the Makefile's mark, when this process started."""
    with contextlib.suppress(KeyError, ValueError):
        return float(os.environ[RUN_STARTED_ENV])
    return _IMPORTED_AT
