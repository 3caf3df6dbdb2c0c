"""Request-reply between the gateway and services over NATS core (queue groups).

Services never speak HTTP: a handler returns a ``Reply`` whose error carries a code, and
the gateway maps codes to HTTP status (see ``ERROR_STATUS``).
"""

from datetime import datetime
from enum import StrEnum
from typing import Annotated, Any, Self
from uuid import UUID

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field


class ErrorCode(StrEnum):
    INVALID = "invalid"
    NOT_FOUND = "not_found"
    CONFLICT = "conflict"
    FORBIDDEN = "forbidden"
    UNAUTHENTICATED = "unauthenticated"
    TOO_MANY_REQUESTS = "too_many_requests"
    UNAVAILABLE = "unavailable"


class Caller(BaseModel):
    """Who is asking, as the gateway established it from a verified token.

    It carries identity only, never rights: each service decides what the caller may do
    from its own data (roles, memberships), so a forged claim gains nothing.
    """

    model_config = ConfigDict(frozen=True)

    member_id: UUID | None = None
    api_token_id: str | None = None
    scopes: tuple[str, ...] = ()
    address: str | None = Field(default=None, description="Client address, for rate limits")

    @property
    def is_anonymous(self) -> bool:
        return self.member_id is None and self.api_token_id is None


ANONYMOUS = Caller()


IDEMPOTENCY_KEY_HEADER = "Idempotency-Key"
# 1 to 255 visible ASCII characters: a UUID is the usual choice.
IDEMPOTENCY_KEY_PATTERN = r"^[\x21-\x7e]{1,255}$"

IdempotencyKey = Annotated[
    str,
    Field(
        pattern=IDEMPOTENCY_KEY_PATTERN,
        description="Client-chosen key: a retry with the same key gets the first answer",
    ),
]


# The field of an RPC message that carries the gateway's signature of its caller; a
# service that refuses it answers ``unauthenticated`` with a field error naming it.
CALLER_ASSERTION_FIELD = "caller_assertion"


class RpcRequest(BaseModel):
    """Every RPC message: the caller, the operation's own request, and how long the caller
    waits (``deadline``) and which retries are the same request (``idempotency_key``).

    Services act on ``caller`` only with a valid ``caller_assertion`` (see
    ``huddle_shared.messaging.caller_assertions``); without one they answer
    ``unauthenticated`` and do nothing."""

    caller: Caller = ANONYMOUS
    body: dict[str, Any] = Field(default_factory=dict)
    deadline: AwareDatetime | None = Field(
        default=None, description="When the caller stops waiting; later, the request is dropped"
    )
    idempotency_key: IdempotencyKey | None = None
    caller_assertion: str | None = Field(
        default=None,
        max_length=4096,
        description="Required: the gateway's signed assertion (a compact JWT, EdDSA) that "
        "binds the caller, subject, body, deadline and idempotency key of this message",
    )

    def expired(self, now: datetime) -> bool:
        return self.deadline is not None and now >= self.deadline


class FieldError(BaseModel):
    field: str
    message: str


class ErrorInfo(BaseModel):
    code: ErrorCode
    title: str
    detail: str
    errors: list[FieldError] = Field(default_factory=list)
    retryable: bool = Field(default=False, description="The same request may succeed later")
    retry_after_seconds: int | None = Field(
        default=None, ge=0, description="How long to wait before trying again (HTTP Retry-After)"
    )


class Reply(BaseModel):
    """What every RPC handler answers: data on success, an error otherwise."""

    model_config = ConfigDict(extra="forbid")

    ok: bool
    data: Any = None
    error: ErrorInfo | None = None

    @classmethod
    def success(cls, data: BaseModel | dict[str, Any] | list[Any] | None) -> Self:
        if isinstance(data, BaseModel):
            data = data.model_dump(mode="json")
        return cls(ok=True, data=data)

    @classmethod
    def failure(
        cls,
        code: ErrorCode,
        title: str,
        detail: str,
        errors: list[FieldError] | None = None,
        *,
        retryable: bool = False,
        retry_after_seconds: int | None = None,
    ) -> Self:
        error = ErrorInfo(
            code=code,
            title=title,
            detail=detail,
            errors=errors or [],
            retryable=retryable,
            retry_after_seconds=retry_after_seconds,
        )
        return cls(ok=False, error=error)


class HealthReport(BaseModel):
    service: str
    status: str
    instance_id: str
    database: str


def rpc_subject(service: str, operation: str) -> str:
    """``rpc.<service>.<operation>``, e.g. ``rpc.membership.accounts.register``."""
    return f"rpc.{service}.{operation}"


def health_subject(service: str) -> str:
    return rpc_subject(service, "health")


def queue_group(service: str) -> str:
    """Replicas of a service share RPC work through one queue group."""
    return f"{service}-rpc"
