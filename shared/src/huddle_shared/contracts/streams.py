"""JetStream streams, declared in one place: one per producing service, plus dead letters.

Every service ensures these exist at start (creating or updating them), so start order
does not matter.
"""

from dataclasses import dataclass

DUPLICATE_WINDOW_SECONDS = 120.0
DEAD_LETTER_SUBJECT_PREFIX = "deadletter"


@dataclass(frozen=True)
class StreamSpec:
    name: str
    subjects: tuple[str, ...]
    description: str
    max_age_days: float | None = None


MEMBERSHIP = StreamSpec(
    name="MEMBERSHIP_EVENTS",
    subjects=("events.membership.>",),
    description="Events published by the membership service",
)
SCHEDULING = StreamSpec(
    name="SCHEDULING_EVENTS",
    subjects=("events.scheduling.>",),
    description="Events published by the scheduling service",
)
NOTES = StreamSpec(
    name="NOTES_EVENTS",
    subjects=("events.notes.>",),
    description="Events published by the notes service",
)
SIGNPOSTING = StreamSpec(
    name="SIGNPOSTING_EVENTS",
    subjects=("events.signposting.>",),
    description="Events published by the signposting service",
)
INSIGHTS = StreamSpec(
    name="INSIGHTS_EVENTS",
    subjects=("events.insights.>",),
    description="Events published by the insights service",
)
DEAD_LETTERS = StreamSpec(
    name="DEAD_LETTERS",
    subjects=(f"{DEAD_LETTER_SUBJECT_PREFIX}.>",),
    description="Messages a consumer gave up on, with the reason and original subject",
    max_age_days=90,
)

ALL_STREAMS: tuple[StreamSpec, ...] = (
    MEMBERSHIP,
    SCHEDULING,
    NOTES,
    SIGNPOSTING,
    INSIGHTS,
    DEAD_LETTERS,
)


def stream_for_subject(subject: str) -> StreamSpec:
    for spec in ALL_STREAMS:
        for pattern in spec.subjects:
            if subject.startswith(pattern.removesuffix(">")):
                return spec
    raise LookupError(f"no stream captures {subject!r}")


def dead_letter_subject(consumer: str) -> str:
    return f"{DEAD_LETTER_SUBJECT_PREFIX}.{consumer}"
