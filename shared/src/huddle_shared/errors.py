"""Errors a service's domain or handlers raise; RPC endpoints turn them into error replies."""

from typing import ClassVar
from uuid import UUID

from huddle_shared.contracts.rpc import Caller, ErrorCode, FieldError


class HuddleError(Exception):
    """Each kind of error names its reply's code and title where it is declared:
    ``class NotFound(HuddleError, code=ErrorCode.NOT_FOUND, title="Not found")``. An error
    that always says the same may declare that too (``detail="..."``) and be raised bare."""

    code: ClassVar[ErrorCode] = ErrorCode.INVALID
    title: ClassVar[str] = "Invalid request"
    default_detail: ClassVar[str | None] = None
    # A clash with another change at the same moment: the same request may succeed if sent
    # again, so its answer is not kept for an idempotency key.
    retryable: ClassVar[bool] = False
    # How long the caller should wait before asking again, when the error says (429).
    retry_after_seconds: int | None = None

    def __init_subclass__(
        cls,
        *,
        code: ErrorCode | None = None,
        title: str | None = None,
        detail: str | None = None,
    ) -> None:
        super().__init_subclass__()
        if code is not None:
            cls.code = code
        if title is not None:
            cls.title = title
        if detail is not None:
            cls.default_detail = detail

    def __init__(self, detail: str | None = None, errors: list[FieldError] | None = None) -> None:
        detail = detail if detail is not None else self.default_detail
        if detail is None:
            raise TypeError(f"{type(self).__name__} needs a detail")
        super().__init__(detail)
        self.detail = detail
        self.errors = errors or []


class Invalid(HuddleError, code=ErrorCode.INVALID, title="Invalid request"): ...


class NotFound(HuddleError, code=ErrorCode.NOT_FOUND, title="Not found"): ...


class Conflict(HuddleError, code=ErrorCode.CONFLICT, title="Conflict"): ...


class Forbidden(HuddleError, code=ErrorCode.FORBIDDEN, title="Forbidden"): ...


class Unauthenticated(HuddleError, code=ErrorCode.UNAUTHENTICATED, title="Sign-in required"): ...


class TooManyRequests(HuddleError, code=ErrorCode.TOO_MANY_REQUESTS, title="Too many attempts"):
    def __init__(
        self, detail: str | None = None, *, retry_after_seconds: int | None = None
    ) -> None:
        super().__init__(detail)
        self.retry_after_seconds = retry_after_seconds


class PermanentFailure(Exception):
    """A message that can never be handled (retrying will not help): dead-letter it now."""


def require_member(caller: Caller) -> UUID:
    """The calling member's id; anonymous callers and machine clients are refused."""
    if caller.member_id is None:
        raise Unauthenticated("Sign in as a member to do this.")
    return caller.member_id
