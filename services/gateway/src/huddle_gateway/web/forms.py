"""Rendering pages and turning a service's refusal into what the page shows.

A refusal arrives as the same RFC 9457 problem the API would answer; here it becomes the
NHS error summary (at the top) and a message beside each field the problem names.

Every form is sent once: ``{{ csrf_input | safe }}``, which every form that posts writes,
also writes a one-time key made as that form is rendered (``FormFields``), and the pages'
``idempotent_rpc`` sends it as the Idempotency-Key of the change the form asks for
(``provide_form_rpc``). A double click, or a form sent again from the browser's history,
is applied once and answered as the first time.
"""

import html
import re
import uuid
from collections.abc import Awaitable, Callable, Collection, Mapping
from typing import Any, TypeVar

from huddle_shared.contracts.rpc import Caller
from litestar import Request
from litestar.di import NamedDependency
from litestar.plugins.problem_details import ProblemDetailsException
from litestar.response import Redirect, Template

from huddle_gateway.rpc import Rpc, ServiceClient
from huddle_gateway.web.security import WEB_HEADERS

ONE_TIME_FIELD = "_once"


class FormFields:
    """What ``csrf_input`` writes into a form: the CSRF field and a one-time key, a new one
    each time it is written (so two forms on one page never share a key)."""

    def __init__(self, csrf_input: str) -> None:
        self._csrf_input = csrf_input

    def __html__(self) -> str:
        key = html.escape(str(uuid.uuid4()))
        return f'{self._csrf_input}<input type="hidden" name="{ONE_TIME_FIELD}" value="{key}" />'

    __str__ = __html__


class Page(Template):
    def create_template_context(self, request: Request[Any, Any, Any]) -> dict[str, Any]:
        context = super().create_template_context(request)
        context["csrf_input"] = FormFields(context["csrf_input"])
        return context


def one_time_key(value: object) -> str | None:
    """The form's one-time key, if it is one this site made (a UUID); else none is sent."""
    try:
        return str(uuid.UUID(str(value))) if value else None
    except ValueError:
        return None


async def provide_form_rpc(
    request: Request[Any, Any, Any],
    services: NamedDependency[ServiceClient],
    caller: NamedDependency[Caller],
) -> Rpc:
    """The pages' ``idempotent_rpc``: the Idempotency-Key is the posted form's one-time key.
    Pages use it for the one change a form asks for, never for reads (whose answers the key
    would keep)."""
    key = None
    if request.method == "POST":
        key = one_time_key((await request.form()).get(ONE_TIME_FIELD))
    return Rpc(services, caller, key)


# What a problem's field names are called where the person typed them (``field_labels``
# maps a page's own names; a field not on the page is shown in the summary only).
ErrorSummary = list[dict[str, str]]
FieldErrors = dict[str, str]


def render_page(
    template: str,
    context: Mapping[str, Any] | None = None,
    status: int = 200,
    headers: Mapping[str, str] | None = None,
) -> Template:
    return Page(
        template_name=template,
        context=dict(context or {}),
        status_code=status,
        headers={**WEB_HEADERS, **(headers or {})},
        media_type="text/html",
    )


async def form_of(request: Request[Any, Any, Any]) -> dict[str, str]:
    """The posted form's text fields (a field sent twice: its first value). The CSRF
    middleware has checked the form's token before the handler runs."""
    form = await request.form()
    return {key: value for key, value in form.items() if isinstance(value, str)}


# The service checks the input with pydantic, whose messages are written for programmers:
# the commonest read here as the NHS service manual words them. Only the wording changes;
# what is refused, and why, is still the service's answer.
_PLAIN_WORDING: list[tuple[re.Pattern[str], str]] = [
    (re.compile(r"^Field required$"), "Enter this information"),
    (re.compile(r"^String should have at least 1 character$"), "Enter this information"),
    (
        re.compile(r"^String should have at least (\d+) characters$"),
        r"Enter at least \1 characters",
    ),
    (re.compile(r"^String should have at most (\d+) characters$"), r"Enter \1 characters or fewer"),
    (
        re.compile(r"^value is not a valid email address.*$", re.DOTALL),
        "Enter an email address in the correct format, like name@example.com",
    ),
    (re.compile(r"^Input should be '.*$", re.DOTALL), "Choose one of the options"),
    (re.compile(r"^Input should be a valid UUID.*$", re.DOTALL), "Choose one of the options"),
    (re.compile(r"^String should match pattern .*$", re.DOTALL), "Enter it in the format shown"),
    (
        re.compile(r"^Input should be a valid integer.*$", re.DOTALL),
        "Enter a whole number, like 60",
    ),
    (re.compile(r"^Input should be greater than or equal to (\d+)$"), r"Enter \1 or more"),
    (re.compile(r"^Input should be less than or equal to (\d+)$"), r"Enter \1 or less"),
    (
        re.compile(r"^(Input should be a valid URL|URL scheme should be).*$", re.DOTALL),
        "Enter a web address that starts with https://",
    ),
    (
        re.compile(r"^Input should be a valid datetime.*$", re.DOTALL),
        "Enter a real date and time",
    ),
    # A form's one-time key sent again with other answers (the browser's history), or while
    # the first is still being handled (a double click on a slow answer).
    (
        re.compile(r"^This Idempotency-Key was used with a different request.*$", re.DOTALL),
        "This form was sent already with different answers. Check your answers and send it again",
    ),
    (
        re.compile(r"^A request with this Idempotency-Key is still being handled.*$", re.DOTALL),
        "This form is still being sent. Wait a moment and check whether it worked before "
        "sending it again",
    ),
]


def _plain(message: str) -> str:
    # pydantic's validator messages start "Value error, ": the person needs only the rest.
    message = message.removeprefix("Value error, ").removeprefix("Assertion failed, ")
    for pattern, wording in _PLAIN_WORDING:
        if pattern.match(message):
            return pattern.sub(wording, message)
    return message


def problem_to_errors(
    exc: ProblemDetailsException,
    fields: Mapping[str, str] | None = None,
    labels: Mapping[str, str] | None = None,
) -> tuple[ErrorSummary, FieldErrors]:
    """The error summary (each item links to its field when the page has it) and the
    message per field. ``fields`` maps a problem's field name to the input's id on this page
    (by default the same name); ``labels`` names the box a summary line is for, by input id,
    so a page of many boxes says which ("Title: enter this information")."""
    fields = fields or {}
    extra = exc.extra if isinstance(exc.extra, dict) else {}
    summary: ErrorSummary = []
    by_field: FieldErrors = {}
    for item in extra.get("errors") or []:
        name = str(item.get("field", ""))
        message = _plain(str(item.get("message", "")))
        target = fields.get(name, name)
        if target and target not in by_field:
            by_field[target] = message
            summary.append({"text": message, "href": f"#{target}"})
        elif not target:
            summary.append({"text": message})
    if not summary:
        summary.append({"text": _plain(str(exc.detail))})
    for line in summary:
        label = (labels or {}).get(line.get("href", "").removeprefix("#"))
        if label:
            line["text"] = f"{label}: {line['text'][:1].lower()}{line['text'][1:]}"
    return summary, by_field


class FormProblem(ValueError):
    """What the page itself finds wrong with a box before anything is sent (a date that is
    not one, no file chosen): shown as a refusal would be."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message

    def errors(self) -> tuple[ErrorSummary, FieldErrors]:
        return [{"text": self.message, "href": f"#{self.field}"}], {self.field: self.message}


Answer = TypeVar("Answer")


async def answer_form(
    change: Awaitable[Answer],
    *,
    shown: Collection[int],
    again: Callable[[ProblemDetailsException], Awaitable[Template]],
    then: Callable[[Answer], Redirect],
) -> Template | Redirect:
    """The one change a posted form asks for: done, on to ``then`` (a redirect, so a reload
    does not send it again); refused in a way the page shows (``shown``), the page ``again``
    with the service's message; any other refusal (401, 5xx) raises to the error handlers."""
    try:
        answer = await change
    except ProblemDetailsException as exc:
        if exc.status_code not in shown:
            raise
        return await again(exc)
    return then(answer)
