"""The one envelope every event travels in, and the base class for event payloads."""

from datetime import UTC, datetime
from typing import Any, ClassVar, Self, TypeVar
from uuid import UUID

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from huddle_shared.ids import new_id

P = TypeVar("P", bound="EventPayload")


class EventPayload(BaseModel):
    """Base for event payloads. Subclasses name their type, version and producing service."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    event_type: ClassVar[str]
    version: ClassVar[int]
    producer: ClassVar[str]
    # Whether the payload holds personal data (documented in docs/architecture.md).
    carries_personal_data: ClassVar[bool] = False

    @classmethod
    def subject(cls) -> str:
        return event_subject(cls.producer, cls.event_type, cls.version)


def event_subject(producer: str, event_type: str, version: int) -> str:
    """``events.<producer>.<event type>.v<version>``.

    For example ``events.membership.member.registered.v1``.
    """
    return f"events.{producer}.{event_type}.v{version}"


class EventEnvelope(BaseModel):
    """Metadata around a payload: who, what, when, where, and what caused it."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    event_id: UUID = Field(description="Time-ordered UUID (v7); also the NATS message id")
    producer: str = Field(description="The service that published it", examples=["membership"])
    event_type: str = Field(examples=["member.registered"])
    schema_version: int = Field(ge=1)
    occurred_at: AwareDatetime
    instance_id: str = Field(description="The regional instance that produced the event")
    correlation_id: str | None = None
    causation_id: str | None = None
    # Set when the event is staged in its aggregate's outbox: the aggregate (collection and
    # document id) and its place among that aggregate's events (1, 2, 3, ...). Consumers
    # whose state depends on order use them so an older event never overwrites a newer one.
    aggregate_id: str | None = Field(default=None, examples=["members/0190f7c2-..."])
    sequence: int | None = Field(default=None, ge=1)
    payload: dict[str, Any]

    @classmethod
    def wrap(
        cls,
        payload: EventPayload,
        *,
        instance_id: str,
        correlation_id: str | None = None,
        causation_id: str | None = None,
        occurred_at: datetime | None = None,
    ) -> Self:
        return cls(
            event_id=new_id(),
            producer=payload.producer,
            event_type=payload.event_type,
            schema_version=payload.version,
            occurred_at=occurred_at or datetime.now(UTC),
            instance_id=instance_id,
            correlation_id=correlation_id,
            causation_id=causation_id,
            payload=payload.model_dump(mode="json"),
        )

    @property
    def subject(self) -> str:
        return event_subject(self.producer, self.event_type, self.schema_version)

    def payload_as(self, model: type[P]) -> P:
        return model.model_validate(self.payload)
