"""Errors on the web app's paths are pages; the API's paths keep problem+json.

401 sends the person to sign in and back; 403, 404 and the rest are pages in the layout
that say what happened in plain words. The API's handlers stay as they are for its paths.
"""

import logging
from collections.abc import Callable
from typing import Any

from litestar import Request, Response
from litestar.exceptions import HTTPException
from litestar.plugins.problem_details import ProblemDetailsException
from litestar.response import Redirect
from litestar.types import ExceptionHandlersMap

from huddle_gateway.web.forms import render_page
from huddle_gateway.web.session import SignInRequired, sign_in_address, sign_out, this_path

log = logging.getLogger(__name__)

# Paths that are not pages: the JSON API, health probes, the schema and reference, files.
NOT_PAGES = ("/api/", "/health", "/schema", "/assets/")

TITLES = {
    400: "There is a problem with the request",
    403: "You do not have permission to see this page",
    404: "Page not found",
    405: "Page not found",
    409: "There is a problem",
    422: "There is a problem",
    429: "Too many attempts",
    503: "Sorry, the service is unavailable",
    504: "Sorry, the service is unavailable",
}
CSRF_FAILED = "CSRF token verification failed"


def is_page(path: str) -> bool:
    return path != "/api" and not path.startswith(NOT_PAGES)


def _status(exc: Exception) -> int:
    if isinstance(exc, HTTPException | ProblemDetailsException):
        return int(exc.status_code)
    return 500


def _detail(exc: Exception, status: int) -> str:
    if status >= 500 and status not in (503, 504):
        return ""
    if isinstance(exc, HTTPException) and exc.detail == CSRF_FAILED:
        return (
            "The form was out of date or was not sent from this site. Go back, reload the "
            "page and try again."
        )
    if status in (404, 405):
        return ""
    detail = getattr(exc, "detail", "")
    return str(detail or "")


def error_page(request: Request[Any, Any, Any], exc: Exception) -> Response[Any]:
    if isinstance(exc, SignInRequired):
        return Redirect(sign_in_address(exc.next_path), status_code=303)
    status = _status(exc)
    if status == 401:  # the cookie's token expired, or a service no longer accepts it
        redirect: Response[Any] = Redirect(sign_in_address(this_path(request)), status_code=303)
        sign_out(redirect)
        return redirect
    if status >= 500 and status not in (503, 504):
        log.exception("unhandled error on a page", extra={"path": request.url.path})
    template = (
        f"pages/errors/{status}.jinja" if status in (403, 404, 405) else "pages/errors/other.jinja"
    )
    if status == 405:
        template, status = "pages/errors/404.jinja", 404
    headers = {}
    if isinstance(exc, ProblemDetailsException | HTTPException) and exc.headers:
        headers = {k: v for k, v in exc.headers.items() if k.lower() == "retry-after"}
    context = {
        "status": status,
        "heading": TITLES.get(status, "Sorry, there is a problem with the service"),
        "detail": _detail(exc, status),
    }
    return render_page(template, context, status=status, headers=headers)


Handler = Callable[[Request[Any, Any, Any], Any], Response[Any]]


def with_error_pages(api_handlers: ExceptionHandlersMap) -> ExceptionHandlersMap:
    """The API's handlers, answering with a page instead on the web app's paths."""

    def wrap(api_handler: Any) -> Handler:
        def handle(request: Request[Any, Any, Any], exc: Any) -> Response[Any]:
            if is_page(request.url.path):
                return error_page(request, exc)
            response: Response[Any] = api_handler(request, exc)
            return response

        return handle

    handlers: ExceptionHandlersMap = {kind: wrap(h) for kind, h in api_handlers.items()}
    handlers[SignInRequired] = wrap(api_handlers[HTTPException])
    return handlers
