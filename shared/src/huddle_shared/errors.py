"""Errors a service's domain or handlers raise; RPC endpoints turn them into error replies."""

from uuid import UUID

from huddle_shared.contracts.rpc import Caller, ErrorCode, FieldError


class HuddleError(Exception):
    code: ErrorCode = ErrorCode.INVALID
    title: str = "Invalid request"

    def __init__(self, detail: str, errors: list[FieldError] | None = None) -> None:
        super().__init__(detail)
        self.detail = detail
        self.errors = errors or []


class Invalid(HuddleError):
    code = ErrorCode.INVALID
    title = "Invalid request"


class NotFound(HuddleError):
    code = ErrorCode.NOT_FOUND
    title = "Not found"


class Conflict(HuddleError):
    code = ErrorCode.CONFLICT
    title = "Conflict"


class Forbidden(HuddleError):
    code = ErrorCode.FORBIDDEN
    title = "Forbidden"


class PermanentFailure(Exception):
    """A message that can never be handled (retrying will not help): dead-letter it now."""


class Unauthenticated(HuddleError):
    code = ErrorCode.UNAUTHENTICATED
    title = "Sign-in required"


class TooManyRequests(HuddleError):
    code = ErrorCode.TOO_MANY_REQUESTS
    title = "Too many attempts"


def require_member(caller: Caller) -> UUID:
    """The calling member's id; anonymous callers and machine clients are refused."""
    if caller.member_id is None:
        raise Unauthenticated("Sign in as a member to do this.")
    return caller.member_id
