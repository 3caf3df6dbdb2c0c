"""Every error leaves the gateway as RFC 9457 ``application/problem+json``, never a trace."""

import logging
from typing import Any

from huddle_shared.contracts.rpc import ErrorCode, ErrorInfo
from litestar import Request, Response
from litestar.exceptions import HTTPException, ValidationException
from litestar.plugins.problem_details import ProblemDetailsException
from litestar.types import ExceptionHandlersMap

log = logging.getLogger(__name__)

PROBLEM_TYPE_BASE = "https://huddle.invalid/problems/"

# How each service error code reads over HTTP: the only place codes become statuses.
ERROR_STATUS: dict[ErrorCode, int] = {
    ErrorCode.INVALID: 422,
    ErrorCode.NOT_FOUND: 404,
    ErrorCode.CONFLICT: 409,
    ErrorCode.FORBIDDEN: 403,
    ErrorCode.UNAUTHENTICATED: 401,
    ErrorCode.TOO_MANY_REQUESTS: 429,
    ErrorCode.UNAVAILABLE: 503,
}


def problem(
    status: int, title: str, detail: str, *, type_: str, errors: list[dict[str, str]] | None = None
) -> ProblemDetailsException:
    extra: dict[str, Any] = {"errors": errors} if errors else {}
    return ProblemDetailsException(
        status_code=status,
        title=title,
        detail=detail,
        type_=PROBLEM_TYPE_BASE + type_,
        extra=extra or None,
    )


def from_service_error(error: ErrorInfo) -> ProblemDetailsException:
    exc = _from_service_error(error)
    if exc.status_code == 401:
        exc.headers = {"WWW-Authenticate": 'Bearer realm="huddle"'}
    if error.retry_after_seconds is not None:  # RFC 9110, section 10.2.3
        exc.headers = {**(exc.headers or {}), "Retry-After": str(error.retry_after_seconds)}
    return exc


def _from_service_error(error: ErrorInfo) -> ProblemDetailsException:
    return problem(
        ERROR_STATUS[error.code],
        error.title,
        error.detail,
        type_=error.code.value.replace("_", "-"),
        errors=[e.model_dump() for e in error.errors],
    )


def _validation_errors(exc: ValidationException) -> list[dict[str, str]]:
    errors = []
    for item in exc.extra if isinstance(exc.extra, list) else []:
        if isinstance(item, dict):
            errors.append(
                {"field": str(item.get("key", "body")), "message": str(item.get("message", ""))}
            )
    return errors


def handle_problem(request: Request[Any, Any, Any], exc: ProblemDetailsException) -> Response[Any]:
    if exc.instance is None:
        exc.instance = request.url.path
    return exc.to_response(request)


def handle_validation(request: Request[Any, Any, Any], exc: ValidationException) -> Response[Any]:
    errors = _validation_errors(exc)
    if not errors:  # Litestar could not even decode the body
        return handle_problem(
            request, problem(400, "Malformed request", str(exc.detail), type_="malformed-request")
        )
    return handle_problem(
        request,
        problem(
            422, "Invalid request", "The request failed validation.", type_="invalid", errors=errors
        ),
    )


def handle_http(request: Request[Any, Any, Any], exc: HTTPException) -> Response[Any]:
    status = exc.status_code
    if status == 400:  # Litestar could not decode the body (malformed JSON)
        return handle_problem(
            request, problem(400, "Malformed request", str(exc.detail), type_="malformed-request")
        )
    title = "Request failed" if status < 500 else "Server error"
    detail = str(exc.detail) if status < 500 else "The server could not complete the request."
    return handle_problem(request, problem(status, title, detail, type_=f"http-{status}"))


def handle_unexpected(request: Request[Any, Any, Any], exc: Exception) -> Response[Any]:
    log.exception("unhandled error", extra={"path": request.url.path})
    return handle_problem(
        request,
        problem(
            500, "Server error", "The server could not complete the request.", type_="server-error"
        ),
    )


EXCEPTION_HANDLERS: ExceptionHandlersMap = {
    ProblemDetailsException: handle_problem,
    ValidationException: handle_validation,
    HTTPException: handle_http,
    Exception: handle_unexpected,
}
