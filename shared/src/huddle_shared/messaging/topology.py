"""Creates the streams declared in ``contracts.streams``, and keeps an operator's settings.

The provisioning step (``huddle_shared.provision``, as the ``provisioner`` NATS principal)
ensures every stream; services only wait for the streams they write and read.

A missing stream is created with Huddle's settings. An existing one is changed only where
Huddle's guarantees need it (see docs/operators-guide.md, "Streams"):

- ``subjects``: Huddle's subjects are added if missing (others an operator added stay);
- ``duplicate_window``: raised to Huddle's if shorter (never lowered).

Every other setting (limits, replicas, placement, compression, description...) belongs to
the operator: a difference from Huddle's defaults is logged, never undone.
"""

import asyncio
import dataclasses
import logging
from collections.abc import Iterable

from nats.js import JetStreamContext
from nats.js.api import DiscardPolicy, RetentionPolicy, StorageType, StreamConfig
from nats.js.errors import NotFoundError

from huddle_shared.contracts.streams import DEAD_LETTERS, DUPLICATE_WINDOW_SECONDS, StreamSpec
from huddle_shared.services import all_streams, service

log = logging.getLogger(__name__)

# Settings Huddle creates a stream with but leaves to the operator afterwards.
OPERATOR_SETTINGS = (
    "description",
    "retention",
    "storage",
    "discard",
    "max_age",
    "max_bytes",
    "max_msgs",
    "max_msg_size",
    "num_replicas",
)


def stream_config(spec: StreamSpec) -> StreamConfig:
    return StreamConfig(
        name=spec.name,
        description=spec.description,
        subjects=list(spec.subjects),
        retention=RetentionPolicy.LIMITS,
        storage=StorageType.FILE,
        discard=DiscardPolicy.OLD,
        duplicate_window=DUPLICATE_WINDOW_SECONDS,
        max_age=spec.max_age_days * 86400 if spec.max_age_days else None,
    )


def required_changes(spec: StreamSpec, current: StreamConfig) -> dict[str, object]:
    """What an existing stream lacks for Huddle's guarantees (empty: leave it alone)."""
    changes: dict[str, object] = {}
    subjects = list(current.subjects or [])
    missing = [subject for subject in spec.subjects if subject not in subjects]
    if missing:
        # Subjects ours cover would overlap them (JetStream refuses that): ours replace them.
        kept = [s for s in subjects if not any(_covers(ours, s) for ours in missing)]
        changes["subjects"] = [*kept, *missing]
    if (current.duplicate_window or 0) < DUPLICATE_WINDOW_SECONDS:
        changes["duplicate_window"] = DUPLICATE_WINDOW_SECONDS
    return changes


def _covers(pattern: str, subject: str) -> bool:
    return pattern.endswith(">") and subject.startswith(pattern.removesuffix(">"))


def operator_differences(spec: StreamSpec, current: StreamConfig) -> dict[str, str]:
    """Settings that differ from what Huddle would create (kept; reported)."""
    wanted = stream_config(spec)
    differences: dict[str, str] = {}
    for name in OPERATOR_SETTINGS:
        have, want = getattr(current, name), getattr(wanted, name)
        if want is None and have in (None, 0, -1):
            continue  # unlimited either way
        if name == "num_replicas" and have in (None, 1) and want in (None, 1):
            continue
        if have != want:
            differences[name] = f"{have} (Huddle's default: {want})"
    return differences


async def ensure_streams(js: JetStreamContext, specs: Iterable[StreamSpec] | None = None) -> None:
    for spec in all_streams() if specs is None else specs:
        try:
            info = await js.stream_info(spec.name)
        except NotFoundError:
            await js.add_stream(stream_config(spec))
            log.info("stream created", extra={"stream": spec.name})
            continue
        current = info.config
        differences = operator_differences(spec, current)
        if differences:
            log.info(
                "stream settings differ from Huddle's defaults; kept as they are",
                extra={"stream": spec.name, "differences": differences},
            )
        changes = required_changes(spec, current)
        if changes:
            await js.update_stream(dataclasses.replace(current, **changes))  # type: ignore[arg-type]
            log.warning(
                "stream changed where Huddle's guarantees need it",
                extra={"stream": spec.name, "changes": changes},
            )


def owned_streams(service_name: str) -> tuple[StreamSpec, ...]:
    """The streams a service writes: its own events, and the dead letters every consumer
    may write. It reads their info only; the provisioner creates them."""
    return (service(service_name).stream, DEAD_LETTERS)


WAIT_LOG_SECONDS = 10.0


async def wait_for_streams(
    js: JetStreamContext, specs: Iterable[StreamSpec], *, interval: float = 0.05
) -> None:
    """Until every stream exists: a service may start before the provisioning step has
    created them (start order does not matter; `make run` starts both at once), and may not
    create one itself. A short interval: a stream info request is cheap."""
    loop = asyncio.get_running_loop()
    for spec in specs:
        logged_at: float | None = None
        while True:
            try:
                await js.stream_info(spec.name)
                break
            except NotFoundError:
                now = loop.time()
                if logged_at is None or now - logged_at >= WAIT_LOG_SECONDS:
                    log.warning(
                        "waiting for a stream to be created (by python -m huddle_shared.provision)",
                        extra={"stream": spec.name},
                    )
                    logged_at = now
                await asyncio.sleep(interval)
