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


def dead_letter_subject(consumer: str, original_subject: str) -> str:
    """``deadletter.<consumer>.<original subject>``: a dead letter keeps its event's subject,
    so erasure can purge a member's dead letters by subject as it purges their events."""
    return f"{DEAD_LETTER_SUBJECT_PREFIX}.{consumer}.{original_subject}"


def dead_letters_of(original_subjects: str) -> str:
    """The filter matching every consumer's dead letters of ``original_subjects``."""
    return f"{DEAD_LETTER_SUBJECT_PREFIX}.*.{original_subjects}"
