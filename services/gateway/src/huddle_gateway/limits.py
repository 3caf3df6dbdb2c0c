"""Limits on what a request may carry, checked before anything validates or forwards it.

Bodies: only ``application/json`` (415 otherwise: a cross-site form can send ``text/plain``
or a form encoding without the browser asking first, never JSON), parsed by pydantic-core's
JSON parser (Rust: UTF-8 checked, nesting capped by the parser itself, so no input reaches
Python's recursion limit) and then held to ``MAX_JSON_DEPTH``. Sizes: the body by Litestar
(``request_max_body_size``, 413); the header section and the query string here (431, 414).
See docs/decisions/0022-input-limits-at-the-gateway.md.
"""

from typing import Any

import pydantic_core
from litestar import Request
from litestar.datastructures import State
from litestar.enums import ScopeType
from litestar.middleware import ASGIMiddleware
from litestar.types import ASGIApp, Receive, Scope, Send

from huddle_gateway.problems import problem

# Every request body the API takes is an object of objects at most four deep; 32 leaves room
# and is far below where anything (Python, MongoDB's 100) would fail.
MAX_JSON_DEPTH = 32
JSON_MEDIA_TYPE = "application/json"


class LimitedRequest(Request[Any, Any, State]):
    """Litestar's request, with the body read as JSON only within the limits above.

    Litestar asks ``json()`` for the body of every route that takes ``JSONBody`` (and only
    when there is a body), so this is the one place bodies are decoded."""

    async def json(self) -> Any:
        if not _is_json(self.headers.get("content-type", "")):
            raise problem(
                415,
                "Unsupported media type",
                f"Send the body as {JSON_MEDIA_TYPE}.",
                type_="unsupported-media-type",
            )
        return parse_json(await self.body())


def _is_json(content_type: str) -> bool:
    media_type, *parameters = (part.strip().lower() for part in content_type.split(";"))
    if media_type != JSON_MEDIA_TYPE:
        return False
    charsets = [p.partition("=")[2].strip('"') for p in parameters if p.startswith("charset=")]
    return all(charset in ("utf-8", "utf8") for charset in charsets)  # RFC 8259: JSON is UTF-8


def parse_json(body: bytes) -> Any:
    """The body's JSON value, or a 400 problem: malformed, not UTF-8, or nested too deep."""
    try:
        value = pydantic_core.from_json(body, allow_inf_nan=False)
    except ValueError as exc:  # the parser says where; never a trace
        raise malformed(f"The body is not valid JSON in UTF-8: {exc}.") from None
    if json_depth(value, stop_after=MAX_JSON_DEPTH) > MAX_JSON_DEPTH:
        raise malformed(f"The body is nested more than {MAX_JSON_DEPTH} levels deep.")
    return value


def json_depth(value: Any, *, stop_after: int) -> int:
    """How deeply arrays and objects nest in ``value`` (a scalar is 0), counting no further
    than ``stop_after + 1``. Level by level, without recursion."""
    depth = 0
    level = [value] if isinstance(value, dict | list) else []
    while level and depth <= stop_after:
        depth += 1
        level = [
            child
            for container in level
            for child in (container.values() if isinstance(container, dict) else container)
            if isinstance(child, dict | list)
        ]
    return depth


def malformed(detail: str) -> Exception:
    return problem(400, "Malformed request", detail, type_="malformed-request")


class HeaderLimits(ASGIMiddleware):
    """Refuses a request whose header section or query string is larger than allowed.

    The server (``huddle_gateway.server``) drops far larger ones before they reach the app."""

    scopes = (ScopeType.HTTP,)

    def __init__(self, max_header_bytes: int, max_query_bytes: int) -> None:
        self.max_header_bytes = max_header_bytes
        self.max_query_bytes = max_query_bytes

    async def handle(self, scope: Scope, receive: Receive, send: Send, next_app: ASGIApp) -> None:
        header_bytes = sum(len(name) + len(value) + 4 for name, value in scope["headers"])
        if header_bytes > self.max_header_bytes:
            raise problem(
                431,
                "Request headers too large",
                f"The request's headers must total at most {self.max_header_bytes} bytes.",
                type_="headers-too-large",
            )
        if len(scope.get("query_string", b"")) > self.max_query_bytes:
            raise problem(
                414,
                "Query string too long",
                f"The query string must be at most {self.max_query_bytes} bytes.",
                type_="uri-too-long",
            )
        await next_app(scope, receive, send)
