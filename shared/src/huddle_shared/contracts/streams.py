"""JetStream streams: one per producing service (see ``huddle_shared.services``), plus dead
letters. Every service ensures they exist at start, so start order does not matter."""

from dataclasses import dataclass

DUPLICATE_WINDOW_SECONDS = 120.0
DEAD_LETTER_SUBJECT_PREFIX = "deadletter"


@dataclass(frozen=True)
class StreamSpec:
    name: str
    subjects: tuple[str, ...]
    description: str
    max_age_days: float | None = None


def events_stream(service: str) -> StreamSpec:
    """The stream holding every event ``service`` publishes (``events.<service>.>``)."""
    return StreamSpec(
        name=f"{service.upper()}_EVENTS",
        subjects=(f"events.{service}.>",),
        description=f"Events published by the {service} service",
    )


DEAD_LETTERS = StreamSpec(
    name="DEAD_LETTERS",
    subjects=(f"{DEAD_LETTER_SUBJECT_PREFIX}.>",),
    description="Messages a consumer gave up on, with the reason and original subject",
    max_age_days=90,
)


def dead_letter_subject(consumer: str) -> str:
    return f"{DEAD_LETTER_SUBJECT_PREFIX}.{consumer}"
