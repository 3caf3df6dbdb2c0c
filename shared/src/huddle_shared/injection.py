"""Binding a handler's dependencies by parameter name (as cosmicpython's bootstrap does)."""

import functools
import inspect
from collections.abc import Callable, Mapping
from typing import Any


def inject(function: Callable[..., Any], skip: int, dependencies: Mapping[str, Any]) -> Any:
    """``function`` with every parameter after the first ``skip`` bound from ``dependencies``.

    Raises TypeError naming what is missing, so a wiring mistake fails at start-up.
    """
    wanted = list(inspect.signature(function).parameters)[skip:]
    missing = [name for name in wanted if name not in dependencies]
    if missing:
        raise TypeError(f"{function.__qualname__} needs {missing}")
    return functools.partial(function, **{name: dependencies[name] for name in wanted})
