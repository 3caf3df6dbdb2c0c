"""The one envelope every event travels in, and the base class for event payloads."""

from datetime import UTC, datetime
from typing import Any, ClassVar, Self, TypeVar
from uuid import UUID

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from huddle_shared.ids import new_id

P = TypeVar("P", bound="EventPayload")


class EventPayload(BaseModel):
    """Base for event payloads. Subclasses name their type, version and producing service as
    class arguments: ``class MemberErasedV1(MembershipEvent, event_type="member.erased",
    version=1)``, where ``MembershipEvent`` is ``EventPayload`` with ``producer="membership"``.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    event_type: ClassVar[str]
    version: ClassVar[int]
    producer: ClassVar[str]
    # Whether the payload holds personal data (documented in docs/architecture.md). Such a
    # payload names its member in ``member_id`` and travels on that member's own subject,
    # which erasure purges from every stream (decision 0012).
    carries_personal_data: ClassVar[bool] = False

    def __init_subclass__(
        cls,
        *,
        event_type: str | None = None,
        version: int | None = None,
        producer: str | None = None,
        personal: bool | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init_subclass__(**kwargs)
        if event_type is not None:
            cls.event_type = event_type
        if version is not None:
            cls.version = version
        if producer is not None:
            cls.producer = producer
        if personal is not None:
            cls.carries_personal_data = personal

    @classmethod
    def __pydantic_init_subclass__(cls, **kwargs: Any) -> None:
        super().__pydantic_init_subclass__(**kwargs)
        if not hasattr(cls, "event_type"):
            return  # an intermediate base class
        if cls.event_type.split(".")[0] == PERSONAL_SEGMENT:
            raise TypeError(f"{cls.__name__}: no event type starts with {PERSONAL_SEGMENT!r}")
        if cls.carries_personal_data:
            if "member_id" not in cls.model_fields:
                raise TypeError(f"{cls.__name__} carries personal data but has no member_id")
            _PERSONAL_EVENTS.add((cls.producer, cls.event_type, cls.version))

    @classmethod
    def subject_pattern(cls) -> str:
        """The subject, with ``{member_id}`` standing for the member where it has one."""
        member = "{member_id}" if cls.carries_personal_data else None
        return event_subject(cls.producer, cls.event_type, cls.version, member_id=member)

    @classmethod
    def subject_filter(cls) -> str:
        """A subject filter matching every event of this type (every member's, if personal)."""
        member = "*" if cls.carries_personal_data else None
        return event_subject(cls.producer, cls.event_type, cls.version, member_id=member)


# (producer, event type, version) of the payloads published on a member's own subject.
_PERSONAL_EVENTS: set[tuple[str, str, int]] = set()

PERSONAL_SEGMENT = "personal"


def event_subject(
    producer: str, event_type: str, version: int, *, member_id: UUID | str | None = None
) -> str:
    """``events.<producer>.<event type>.v<version>``, or for an event that carries a
    member's personal data ``events.<producer>.personal.<member id>.<event type>.v<version>``.

    For example ``events.membership.member.erased.v1`` and
    ``events.membership.personal.0190….member.registered.v1``.
    """
    if member_id is None:
        return f"events.{producer}.{event_type}.v{version}"
    return f"events.{producer}.{PERSONAL_SEGMENT}.{member_id}.{event_type}.v{version}"


def member_subjects(producer: str, member_id: UUID | str) -> str:
    """The filter matching every event of ``producer`` that carries the member's data."""
    return f"events.{producer}.{PERSONAL_SEGMENT}.{member_id}.>"


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
        """Where the event is published: the one place that decides it."""
        personal = (self.producer, self.event_type, self.schema_version) in _PERSONAL_EVENTS
        return event_subject(
            self.producer,
            self.event_type,
            self.schema_version,
            member_id=self.payload["member_id"] if personal else None,
        )

    def payload_as(self, model: type[P]) -> P:
        return model.model_validate(self.payload)
