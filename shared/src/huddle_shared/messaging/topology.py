"""Creates or updates the streams declared in ``contracts.streams`` (idempotent)."""

from collections.abc import Iterable

from nats.js import JetStreamContext
from nats.js.api import DiscardPolicy, RetentionPolicy, StorageType, StreamConfig
from nats.js.errors import NotFoundError

from huddle_shared.contracts.streams import DUPLICATE_WINDOW_SECONDS, StreamSpec
from huddle_shared.services import all_streams


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


async def ensure_streams(js: JetStreamContext, specs: Iterable[StreamSpec] | None = None) -> None:
    for spec in all_streams() if specs is None else specs:
        config = stream_config(spec)
        try:
            await js.stream_info(spec.name)
        except NotFoundError:
            await js.add_stream(config)
        else:
            await js.update_stream(config)
