"""JetStream streams: one per producing service (see ``huddle_shared.services``), plus dead
letters. The provisioning step creates them (``huddle_shared.provision``); each service
waits for the streams it writes and reads (``messaging.topology``), so start order does not
matter.

Settings, and why (docs/operators-guide.md says which ones an operator may change):

- Duplicate window: 2 hours. A publisher re-sends an event (same ``Nats-Msg-Id``) when it
  is unsure whether the first send was stored: the outbox relay after a crash or an outage.
  The re-send must land inside the window to be stored once, so the window must outlast the
  longest restart or outage we plan to ride out (a database or host restart, a deploy that
  fails and is rolled back), not the 2 minutes JetStream defaults to. Consumers are
  idempotent anyway; the window keeps the stream itself free of copies and, with the
  outbox's in-order publishing, keeps one document's events in order.
- Retention: limits-based, on file, no age or size limit for event streams. The streams are
  the history projections are rebuilt from (consumers start at the first message), so
  nothing is discarded unless an operator sets a limit. Dead letters are kept 90 days.
- Message size: NATS's own ``max_payload`` (1 MiB by default) bounds every event; contracts
  cap their free-text fields well below it, and the outbox dead-letters anything larger.
"""

from dataclasses import dataclass

DUPLICATE_WINDOW_SECONDS = 2 * 60 * 60.0
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
