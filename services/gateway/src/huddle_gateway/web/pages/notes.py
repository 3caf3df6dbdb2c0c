"""The notes pages: a network's members-only library (search, theme, dates), a note, the
editor with the identifier check's findings marked in the text and fixed in one click, the
acronym panel, the second reader's review queue and review, a network's resources (upload
and download) and its theme list.

Every rule is the notes service's: who may read, write, review, what a finding is, which
suggestion replaces it, when a note may be published. The pages turn forms into the
contracts' fields and show the service's answer, or its refusal beside the form.
"""

import asyncio
import base64
import re
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import date
from math import ceil
from typing import Any
from urllib.parse import quote
from uuid import UUID

from huddle_shared.contracts import networks as network_contract
from huddle_shared.contracts import notes as contract
from huddle_shared.contracts import resources as resource_contract
from huddle_shared.contracts.common import Empty
from litestar import Request, Response, get, post
from litestar.datastructures import UploadFile
from litestar.di import NamedDependency
from litestar.exceptions import NotFoundException
from litestar.handlers import HTTPRouteHandler
from litestar.params import FromPath
from litestar.plugins.problem_details import ProblemDetailsException
from litestar.response import Redirect, Stream, Template

from huddle_gateway.routes.resources import ReceivedUpload, forward_upload
from huddle_gateway.rpc import Rpc
from huddle_gateway.web import pagination
from huddle_gateway.web.forms import (
    FormProblem,
    answer_form,
    form_of,
    problem_to_errors,
    render_page,
)
from huddle_gateway.web.notes_text import mark_findings, render_markdown
from huddle_gateway.web.session import require_member

PAGES = "pages/notes/"
SHOWN_ON_THE_PAGE = {400, 403, 404, 409, 413, 415, 422, 429}
NO_STORE = {"Cache-Control": "no-store"}
PER_PAGE = 20
# A whole upload in one request: the file, and the form around it.
MAX_UPLOAD_REQUEST = resource_contract.MAX_RESOURCE_BYTES + 1024 * 1024
WRITERS = {
    network_contract.Role.CHAIR,
    network_contract.Role.FACILITATOR,
    network_contract.Role.NOTE_TAKER,
}
MANAGERS = network_contract.ADMIN_ROLES

# How the codes read (presentation only: the contracts say which exist).
CATEGORIES = {
    contract.FindingCategory.PERSON.value: "person",
    contract.FindingCategory.ORGANISATION.value: "organisation",
    contract.FindingCategory.PLACE.value: "place",
    contract.FindingCategory.EMAIL.value: "email address",
    contract.FindingCategory.PHONE.value: "phone number",
    contract.FindingCategory.NHS_NUMBER.value: "NHS number",
    contract.FindingCategory.POSTCODE.value: "postcode",
    contract.FindingCategory.DATE.value: "date",
    contract.FindingCategory.ROLE_AT_PLACE.value: "job title at a place",
}
STATES = {
    contract.NoteState.DRAFT: "Draft",
    contract.NoteState.SUBMITTED: "Waiting for a second reader",
    contract.NoteState.RETURNED: "Returned with comments",
    contract.NoteState.PUBLISHED: "Published",
    contract.NoteState.RETRACTED: "Retracted",
}
STATE_COLOURS = {
    contract.NoteState.DRAFT: "grey",
    contract.NoteState.SUBMITTED: "blue",
    contract.NoteState.RETURNED: "orange",
    contract.NoteState.PUBLISHED: "green",
    contract.NoteState.RETRACTED: "red",
}
KINDS = {
    resource_contract.ResourceKind.PDF: "Portable document",
    resource_contract.ResourceKind.PPTX: "PowerPoint slides",
    resource_contract.ResourceKind.DOCX: "Word document",
    resource_contract.ResourceKind.XLSX: "Excel spreadsheet",
    resource_contract.ResourceKind.PNG: "Image",
    resource_contract.ResourceKind.JPEG: "Photograph",
}
DONE = {
    "created": "Your draft is saved.",
    "saved": "Your changes are saved and the text has been checked.",
    "applied": "The suggestion has replaced the text.",
    "applied-all": "Every suggestion has replaced the text it was for.",
    "expanded": "The short form has been written out in full.",
    "submitted": "Your notes are waiting for a second reader.",
    "approved": "The notes are published in the network's library.",
    "returned": "The notes have gone back to their note-taker with your comments.",
    "accepted": "The finding is kept, with your reason recorded.",
    "retracted": "The notes are out of the library.",
    "uploaded": "The file is uploaded.",
    "themes": "The theme list is saved.",
}
WORDS = {"categories": CATEGORIES, "states": STATES, "state_colours": STATE_COLOURS, "kinds": KINDS}

BOX_NAMES = {
    "title": "Title",
    "body": "Notes",
    "themes": "Themes",
    "tags": "Tags",
    "comments": "Comments",
    "reason": "Reason",
    "q": "Search",
    "from": "From",
    "to": "To",
    "file": "File",
}


def problem_errors(
    exc: ProblemDetailsException, fields: dict[str, str] | None = None
) -> tuple[list[dict[str, str]], dict[str, str]]:
    """The service's refusal as the page shows it; each summary line names its box."""
    return problem_to_errors(exc, fields, BOX_NAMES)


def _shown(exc: ProblemDetailsException) -> bool:
    return exc.status_code in SHOWN_ON_THE_PAGE


def _then(to: str) -> Callable[[object], Redirect]:
    return lambda _: Redirect(to, status_code=303)


def long_date(day: date | None) -> str:
    return f"{day:%A} {day.day} {day:%B %Y}" if day else ""


def file_size(size: int) -> str:
    if size >= 1024 * 1024:
        return f"{size / (1024 * 1024):.1f} megabytes".replace(".0 ", " ")
    if size >= 1024:
        return f"{ceil(size / 1024)} kilobytes"
    return f"{size} bytes"


def split_tags(text: str) -> list[str]:
    """Tags as typed: separated by commas or new lines, blanks dropped, each once."""
    seen: dict[str, None] = {}
    for part in re.split(r"[,\n]", text):
        if part.strip():
            seen.setdefault(part.strip(), None)
    return list(seen)


def split_lines(text: str) -> list[str]:
    seen: dict[str, None] = {}
    for line in text.splitlines():
        if line.strip():
            seen.setdefault(line.strip(), None)
    return list(seen)


# --- Reading from the service ---------------------------------------------------------------


async def _note(rpc: Rpc, note_id: UUID) -> contract.NoteView:
    return await rpc.call(contract.NoteView, contract.GET_NOTE, {"id": str(note_id)})


async def _network(rpc: Rpc, slug: str) -> network_contract.NetworkView:
    try:
        return await rpc.call(
            network_contract.NetworkView, network_contract.GET_NETWORK, {"slug": slug}
        )
    except ProblemDetailsException as exc:
        if exc.status_code == 422:  # not a network's name at all
            raise NotFoundException() from None
        raise


async def _themes(rpc: Rpc, slug: str) -> contract.Themes:
    return await rpc.call(contract.Themes, contract.GET_THEMES, {"slug": slug})


async def _check(rpc: Rpc, note_id: UUID) -> contract.CheckReport:
    return await rpc.call(contract.CheckReport, contract.CHECK_NOTE, {"id": str(note_id)})


async def _resources(rpc: Rpc, ids: list[UUID]) -> list[resource_contract.ResourceView]:
    """The note's attachments the caller may read (one withdrawn since is left out)."""

    async def one(resource_id: UUID) -> resource_contract.ResourceView | None:
        try:
            return await rpc.call(
                resource_contract.ResourceView,
                resource_contract.GET_RESOURCE,
                {"id": str(resource_id)},
            )
        except ProblemDetailsException as exc:
            if exc.status_code in (403, 404):
                return None
            raise

    found = await asyncio.gather(*(one(i) for i in ids))
    return [r for r in found if r is not None]


def _summaries(data: Any) -> contract.NotePage:
    """The review queue as a page of summaries (a bare list is read as one page)."""
    if isinstance(data, list):
        items = [contract.NoteSummary.model_validate(item) for item in data]
        return contract.NotePage(items=items, total=len(items), page=1, per_page=len(items) or 1)
    return contract.NotePage.model_validate(data)


def _row(summary: contract.NoteSummary) -> dict[str, Any]:
    return {
        "href": f"/notes/{summary.id}",
        "title": summary.title,
        "held_on": long_date(summary.held_on),
        "themes": summary.themes,
        "excerpt": summary.excerpt,
        "state": summary.state,
        "unresolved": summary.unresolved_findings,
    }


def _is(network: network_contract.NetworkView, roles: set[Any] | frozenset[Any]) -> bool:
    return network.my_role is not None and network.my_role in roles


# --- The library -----------------------------------------------------------------------------


def _day(values: dict[str, str], name: str, words: str) -> date | None:
    text = values.get(name, "").strip()
    if not text:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise FormProblem(name, f"{words} must be a real date, like 2027-03-05") from None


def _page_number(text: str) -> int:
    return int(text) if text.isdigit() and 0 < int(text) <= 10_000 else 1


@get("/networks/{slug:str}/notes", name="notes:library")
async def library_page(
    request: Request[Any, Any, Any], slug: FromPath[str], rpc: NamedDependency[Rpc]
) -> Template:
    require_member(request)
    values = {k: request.query_params.get(k, "") for k in ("q", "theme", "from", "to", "state")}
    page = _page_number(request.query_params.get("page", ""))
    network = await _network(rpc, slug)
    themes = await _themes(rpc, slug)  # members only: an outsider is refused here
    writer = _is(network, WRITERS)
    summary: list[dict[str, str]] = []
    errors: dict[str, str] = {}
    found: contract.NotePage | None = None
    status = 200
    try:
        from_date = _day(values, "from", "The first date")
        to_date = _day(values, "to", "The last date")
    except FormProblem as problem:
        summary, errors = problem.errors()
        status = 422
    else:
        state = values["state"] if writer and values["state"] in set(contract.NoteState) else ""
        body: dict[str, Any] = {"slug": slug, "q": values["q"], "page": page, "per_page": PER_PAGE}
        if values["theme"]:
            body["theme"] = values["theme"]
        if from_date:
            body["from_date"] = from_date.isoformat()
        if to_date:
            body["to_date"] = to_date.isoformat()
        if state:
            body["state"] = state
        try:
            found = await rpc.call(contract.NotePage, contract.SEARCH_NOTES, body)
        except ProblemDetailsException as exc:
            if not _shown(exc) or exc.status_code in (403, 404):
                raise
            summary, errors = problem_errors(exc, {"from_date": "from", "to_date": "to"})
            status = exc.status_code
    pages = ceil(found.total / PER_PAGE) if found else 0
    context = {
        "network": network,
        "themes": themes,
        "values": values,
        "writer": writer,
        "manager": _is(network, MANAGERS),
        "found": found,
        "rows": [_row(s) for s in found.items] if found else [],
        "page": page,
        "pages": pages,
        "pagination": pagination.keeping_search(
            f"/networks/{slug}/notes", values, page, pages, "notes"
        ),
        "searched": any(values[k] for k in ("q", "theme", "from", "to")),
        "done": DONE.get(request.query_params.get("done", ""), ""),
        "error_summary": summary,
        "errors": errors,
        **WORDS,
    }
    return render_page(PAGES + "library.jinja", context, status=status, headers=NO_STORE)


# --- A note ----------------------------------------------------------------------------------


async def _note_page(
    request: Request[Any, Any, Any],
    rpc: Rpc,
    note_id: UUID,
    *,
    exc: ProblemDetailsException | None = None,
    values: dict[str, str] | None = None,
) -> Template:
    note = await _note(rpc, note_id)
    network, resources = await asyncio.gather(
        _network(rpc, note.slug), _resources(rpc, note.resource_ids)
    )
    summary, errors = problem_errors(exc) if exc is not None else ([], {})
    reviewing = note.can_review and note.state == contract.NoteState.SUBMITTED
    accepted = {a.finding_id for a in note.acceptances}
    context = {
        "note": note,
        "network": network,
        "held_on": long_date(note.held_on),
        "rendered": render_markdown(note.body),
        "marked": mark_findings(note.body, note.findings, CATEGORIES) if reviewing else "",
        "reviewing": reviewing,
        "open_findings": [f for f in note.findings if f.id not in accepted],
        "resources": [{"view": r, "size": file_size(r.size)} for r in resources],
        "may_retract": note.state == contract.NoteState.PUBLISHED and _is(network, MANAGERS),
        "done": DONE.get(request.query_params.get("done", ""), ""),
        "values": values or {},
        "error_summary": summary,
        "errors": errors,
        **WORDS,
    }
    status = exc.status_code if exc is not None else 200
    return render_page(PAGES + "note.jinja", context, status=status, headers=NO_STORE)


@get("/notes/{note_id:uuid}", name="notes:note")
async def note_page(
    request: Request[Any, Any, Any], note_id: FromPath[UUID], rpc: NamedDependency[Rpc]
) -> Template:
    require_member(request)
    return await _note_page(request, rpc, note_id)


def _to_note(note_id: UUID, done: str, anchor: str = "") -> Redirect:
    return Redirect(f"/notes/{note_id}?done={done}{anchor}", status_code=303)


NoteRefused = Callable[
    [Request[Any, Any, Any], Rpc, UUID, ProblemDetailsException, dict[str, str]],
    Awaitable[Template],
]


async def _again_on_note(
    request: Request[Any, Any, Any],
    rpc: Rpc,
    note_id: UUID,
    exc: ProblemDetailsException,
    values: dict[str, str],
) -> Template:
    return await _note_page(request, rpc, note_id, exc=exc, values=values)


async def _again_in_editor(
    request: Request[Any, Any, Any],
    rpc: Rpc,
    note_id: UUID,
    exc: ProblemDetailsException,
    values: dict[str, str],
) -> Template:
    # The editor's button: the editor again, with the saved text (not this form's fields).
    return await _editor(request, rpc, note_id, exc=exc)


async def _again_beside_reason(
    request: Request[Any, Any, Any],
    rpc: Rpc,
    note_id: UUID,
    exc: ProblemDetailsException,
    values: dict[str, str],
) -> Template:
    # The message goes beside the reason box of the finding it was for.
    page = await _note_page(request, rpc, note_id, exc=exc, values=values)
    summary, errors = problem_errors(exc, {"reason": f"reason-{values.get('finding_id', '')}"})
    page.context["error_summary"], page.context["errors"] = summary, errors
    return page


def _note_action(
    action: str,
    subject: str,
    done: str,
    fields: tuple[str, ...] = (),
    *,
    again: NoteRefused = _again_on_note,
    anchor: str = "",
) -> HTTPRouteHandler:
    """A button on a note: ``POST /notes/{id}/<action>`` sends the form's ``fields`` to
    ``subject``; done, the note with ``done`` said; refused, the page the button was on."""

    async def act(
        request: Request[Any, Any, Any],
        note_id: FromPath[UUID],
        rpc: NamedDependency[Rpc],
        idempotent_rpc: NamedDependency[Rpc],
    ) -> Template | Redirect:
        require_member(request)
        values = await form_of(request)
        body = {"id": str(note_id), **{name: values.get(name, "") for name in fields}}
        return await answer_form(
            idempotent_rpc.send(subject, body),
            shown=SHOWN_ON_THE_PAGE,
            again=lambda exc: again(request, rpc, note_id, exc, values),
            then=lambda _: _to_note(note_id, done, anchor),
        )

    act.__name__ = act.__qualname__ = f"{action}_note"
    return post(f"/notes/{{note_id:uuid}}/{action}", name=f"notes:{action}")(act)


submit_note = _note_action("submit", contract.SUBMIT_NOTE, "submitted", again=_again_in_editor)
approve_note = _note_action("approve", contract.APPROVE_NOTE, "approved")
return_note = _note_action("return", contract.RETURN_NOTE, "returned", ("comments",))
accept_finding = _note_action(
    "accept",
    contract.ACCEPT_FINDING,
    "accepted",
    ("finding_id", "reason"),
    again=_again_beside_reason,
    anchor="#review",
)
retract_note = _note_action("retract", contract.RETRACT_NOTE, "retracted", ("reason",))


# --- The editor ------------------------------------------------------------------------------


def _note_values(note: contract.NoteView) -> dict[str, Any]:
    return {
        "title": note.title,
        "body": note.body,
        "themes": list(note.themes),
        "tags": ", ".join(note.tags),
    }


def _typed_values(form: Any) -> dict[str, Any]:
    return {
        "title": str(form.get("title") or ""),
        "body": str(form.get("body") or "").replace("\r\n", "\n"),
        "themes": [str(t) for t in form.getall("themes", [])],
        "tags": str(form.get("tags") or ""),
    }


def _acronym_panel(report: contract.CheckReport) -> dict[str, list[contract.AcronymUse]]:
    """Each acronym once: the known ones (with the network's expansion), then the rest."""
    known: dict[str, contract.AcronymUse] = {}
    unknown: dict[str, contract.AcronymUse] = {}
    for use in report.acronyms:
        (known if use.expansion else unknown).setdefault(use.text, use)
    return {"known": list(known.values()), "unknown": list(unknown.values())}


def _editor_page(
    network: network_contract.NetworkView,
    themes: contract.Themes,
    values: dict[str, Any],
    *,
    note: contract.NoteView | None = None,
    report: contract.CheckReport | None = None,
    done: str = "",
    summary: list[dict[str, str]] | None = None,
    errors: dict[str, str] | None = None,
    status: int = 200,
) -> Template:
    findings = report.findings if report else []
    # Themes a note already has that the list has dropped since stay on offer, ticked.
    offered = list(themes.themes) + [t for t in values.get("themes", []) if t not in themes.themes]
    context = {
        "network": network,
        "note": note,
        "themes": offered,
        "values": values,
        "report": report,
        "findings": findings,
        "marked": mark_findings(note.body, findings, CATEGORIES) if note and report else "",
        "acronyms": _acronym_panel(report) if report else {"known": [], "unknown": []},
        "action": f"/notes/{note.id}/edit" if note else f"/networks/{network.slug}/notes/new",
        "done": DONE.get(done, ""),
        "error_summary": summary or [],
        "errors": errors or {},
        **WORDS,
    }
    return render_page(PAGES + "editor.jinja", context, status=status, headers=NO_STORE)


async def _editor(
    request: Request[Any, Any, Any],
    rpc: Rpc,
    note_id: UUID,
    *,
    exc: ProblemDetailsException | None = None,
    values: dict[str, Any] | None = None,
) -> Template:
    """The editor of a saved note: the saved text checked, findings marked, or (after a
    refusal) the text as typed, with the service's message."""
    note = await _note(rpc, note_id)
    if not note.can_edit:
        raise _forbidden()
    network, themes, report = await asyncio.gather(
        _network(rpc, note.slug), _themes(rpc, note.slug), _check(rpc, note_id)
    )
    summary, errors = problem_errors(exc) if exc is not None else ([], {})
    return _editor_page(
        network,
        themes,
        values or _note_values(note),
        note=note,
        report=report,
        done=request.query_params.get("done", ""),
        summary=summary,
        errors=errors,
        status=exc.status_code if exc is not None else 200,
    )


def _to_editor(note_id: UUID, done: str) -> Redirect:
    return Redirect(f"/notes/{note_id}/edit?done={done}#findings", status_code=303)


def _forbidden() -> ProblemDetailsException:
    return ProblemDetailsException(status_code=403, detail="Only a note's writers may change it.")


@get("/networks/{slug:str}/notes/new", name="notes:new")
async def new_note_page(
    request: Request[Any, Any, Any], slug: FromPath[str], rpc: NamedDependency[Rpc]
) -> Template:
    require_member(request)
    network = await _network(rpc, slug)
    themes = await _themes(rpc, slug)
    if not _is(network, WRITERS):
        raise _forbidden()
    values = {"title": "", "body": "", "themes": [], "tags": ""}
    return _editor_page(network, themes, values)


@post("/networks/{slug:str}/notes/new", name="notes:create")
async def create_note(
    request: Request[Any, Any, Any],
    slug: FromPath[str],
    rpc: NamedDependency[Rpc],
    idempotent_rpc: NamedDependency[Rpc],
) -> Template | Redirect:
    require_member(request)
    values = _typed_values(await request.form())
    body = {
        "slug": slug,
        "title": values["title"],
        "body": values["body"],
        "themes": values["themes"],
        "tags": split_tags(values["tags"]),
    }

    async def again(exc: ProblemDetailsException) -> Template:
        network, themes = await asyncio.gather(_network(rpc, slug), _themes(rpc, slug))
        summary, errors = problem_errors(exc)
        return _editor_page(
            network, themes, values, summary=summary, errors=errors, status=exc.status_code
        )

    return await answer_form(
        idempotent_rpc.call(contract.NoteView, contract.CREATE_NOTE, body),
        shown=SHOWN_ON_THE_PAGE,
        again=again,
        then=lambda created: _to_editor(created.id, "created"),
    )


@get("/notes/{note_id:uuid}/edit", name="notes:edit")
async def edit_note_page(
    request: Request[Any, Any, Any], note_id: FromPath[UUID], rpc: NamedDependency[Rpc]
) -> Template:
    require_member(request)
    return await _editor(request, rpc, note_id)


@post("/notes/{note_id:uuid}/edit", name="notes:save")
async def save_note(
    request: Request[Any, Any, Any],
    note_id: FromPath[UUID],
    rpc: NamedDependency[Rpc],
    idempotent_rpc: NamedDependency[Rpc],
) -> Template | Redirect:
    require_member(request)
    values = _typed_values(await request.form())
    body = {
        "id": str(note_id),
        "title": values["title"],
        "body": values["body"],
        "themes": values["themes"],
        "tags": split_tags(values["tags"]),
    }
    return await answer_form(
        idempotent_rpc.send(contract.UPDATE_NOTE, body),
        shown=SHOWN_ON_THE_PAGE,
        again=lambda exc: _editor(request, rpc, note_id, exc=exc, values=values),
        then=lambda _: _to_editor(note_id, "saved"),
    )


@post("/notes/{note_id:uuid}/apply", name="notes:apply")
async def apply_suggestions(
    request: Request[Any, Any, Any],
    note_id: FromPath[UUID],
    rpc: NamedDependency[Rpc],
    idempotent_rpc: NamedDependency[Rpc],
) -> Template | Redirect:
    """One click: one finding's suggestion (``finding``), every suggestion (``all``), or a
    known acronym written out (``expand``), in the note's saved text."""
    require_member(request)
    values = await form_of(request)
    body: dict[str, Any] = {"id": str(note_id)}
    if values.get("expand"):
        body["finding_ids"], body["expand_acronyms"], done = [], [values["expand"]], "expanded"
    elif values.get("finding"):
        body["finding_ids"], done = [values["finding"]], "applied"
    else:
        done = "applied-all"  # no ids: every finding
    return await answer_form(
        idempotent_rpc.send(contract.APPLY_SUGGESTIONS, body),
        shown=SHOWN_ON_THE_PAGE,
        again=lambda exc: _editor(request, rpc, note_id, exc=exc),
        then=lambda _: _to_editor(note_id, done),
    )


# --- The review queue ------------------------------------------------------------------------


@get("/notes/review", name="notes:review")
async def review_queue_page(request: Request[Any, Any, Any], rpc: NamedDependency[Rpc]) -> Template:
    require_member(request)
    queue, networks = await asyncio.gather(
        rpc.send(contract.REVIEW_QUEUE, {}),
        rpc.call_list(network_contract.NetworkView, network_contract.LIST_NETWORKS, Empty()),
    )
    names = {n.slug: n.name for n in networks}
    found = _summaries(queue)
    rows = [{**_row(s), "network": names.get(s.slug, s.slug)} for s in found.items]
    context = {
        "rows": rows,
        "total": found.total,
        "second_reader": any(_is(n, MANAGERS) for n in networks),
        **WORDS,
    }
    return render_page(PAGES + "review.jinja", context, headers=NO_STORE)


# --- Themes ----------------------------------------------------------------------------------


def _themes_page(
    network: network_contract.NetworkView,
    themes: contract.Themes,
    values: dict[str, str],
    *,
    done: str = "",
    summary: list[dict[str, str]] | None = None,
    errors: dict[str, str] | None = None,
    status: int = 200,
) -> Template:
    context = {
        "network": network,
        "themes": themes,
        "values": values,
        "done": DONE.get(done, ""),
        "error_summary": summary or [],
        "errors": errors or {},
    }
    return render_page(PAGES + "themes.jinja", context, status=status, headers=NO_STORE)


@get("/networks/{slug:str}/notes/themes", name="notes:themes")
async def themes_page(
    request: Request[Any, Any, Any], slug: FromPath[str], rpc: NamedDependency[Rpc]
) -> Template:
    require_member(request)
    network = await _network(rpc, slug)
    themes = await _themes(rpc, slug)
    if not _is(network, MANAGERS):
        raise ProblemDetailsException(
            status_code=403, detail="Only the network's chairs and facilitators manage its themes."
        )
    values = {"themes": "\n".join(themes.themes), "open_to_parent": str(themes.open_to_parent)}
    return _themes_page(network, themes, values, done=request.query_params.get("done", ""))


@post("/networks/{slug:str}/notes/themes", name="notes:themes-save")
async def save_themes(
    request: Request[Any, Any, Any],
    slug: FromPath[str],
    rpc: NamedDependency[Rpc],
    idempotent_rpc: NamedDependency[Rpc],
) -> Template | Redirect:
    require_member(request)
    values = await form_of(request)
    network = await _network(rpc, slug)
    body: dict[str, Any] = {"slug": slug, "themes": split_lines(values.get("themes", ""))}
    if network.parent_slug:
        body["open_to_parent"] = values.get("open_to_parent") == "yes"

    async def again(exc: ProblemDetailsException) -> Template:
        themes = await _themes(rpc, slug)
        summary, errors = problem_errors(exc, {f"themes.{i}": "themes" for i in range(100)})
        return _themes_page(
            network, themes, values, summary=summary, errors=errors, status=exc.status_code
        )

    return await answer_form(
        idempotent_rpc.send(contract.SET_THEMES, body),
        shown=SHOWN_ON_THE_PAGE,
        again=again,
        then=_then(f"/networks/{slug}/notes/themes?done=themes"),
    )


# --- Resources -------------------------------------------------------------------------------


async def _resources_page(
    request: Request[Any, Any, Any],
    rpc: Rpc,
    slug: str,
    *,
    values: dict[str, str] | None = None,
    summary: list[dict[str, str]] | None = None,
    errors: dict[str, str] | None = None,
    status: int = 200,
) -> Template:
    page = _page_number(request.query_params.get("page", ""))
    network = await _network(rpc, slug)
    listed = await rpc.call(
        resource_contract.ResourcePage,
        resource_contract.LIST_RESOURCES,
        {"slug": slug, "page": page, "per_page": 50},
    )
    pages = ceil(listed.total / 50) if listed.total else 0
    context = {
        "network": network,
        "resources": [{"view": r, "size": file_size(r.size)} for r in listed.items],
        "total": listed.total,
        "pagination": pagination.keeping_search(
            f"/networks/{slug}/resources", {}, page, pages, "files"
        ),
        "writer": _is(network, WRITERS),
        "max_size": file_size(resource_contract.MAX_RESOURCE_BYTES),
        "values": values or {},
        "done": DONE.get(request.query_params.get("done", ""), ""),
        "error_summary": summary or [],
        "errors": errors or {},
        **WORDS,
    }
    return render_page(PAGES + "resources.jinja", context, status=status, headers=NO_STORE)


@get("/networks/{slug:str}/resources", name="notes:resources")
async def resources_page(
    request: Request[Any, Any, Any], slug: FromPath[str], rpc: NamedDependency[Rpc]
) -> Template:
    require_member(request)
    return await _resources_page(request, rpc, slug)


async def _chosen_file(upload: object) -> tuple[UploadFile, bytes]:
    if not isinstance(upload, UploadFile) or not upload.filename:
        raise FormProblem("file", "Choose a file to upload")
    data = await upload.read()
    if not data:
        raise FormProblem("file", "The file you chose is empty")
    if len(data) > resource_contract.MAX_RESOURCE_BYTES:
        raise FormProblem("file", "The file must be 25 megabytes or smaller")
    return upload, data


@post(
    "/networks/{slug:str}/resources",
    name="notes:upload",
    request_max_body_size=MAX_UPLOAD_REQUEST,
)
async def upload_resource(
    request: Request[Any, Any, Any],
    slug: FromPath[str],
    rpc: NamedDependency[Rpc],
    idempotent_rpc: NamedDependency[Rpc],
) -> Template | Redirect:
    require_member(request)
    form = await request.form()
    values = {k: v for k, v in form.items() if isinstance(v, str)}

    async def again(summary: list[dict[str, str]], errors: dict[str, str], status: int) -> Template:
        return await _resources_page(
            request, rpc, slug, values=values, summary=summary, errors=errors, status=status
        )

    try:
        upload, data = await _chosen_file(form.get("file"))
    except FormProblem as problem:
        return await again(*problem.errors(), 422)
    title = values.get("title", "").strip() or upload.filename
    by_file = {"filename": "file", "size": "file", "data": "file"}
    # As the API sends it: a form sent again (its one-time key) gets the first resource.
    received = ReceivedUpload.of_bytes(upload.filename, title, data)
    try:
        return await answer_form(
            forward_upload(idempotent_rpc, slug, received),
            shown=SHOWN_ON_THE_PAGE,
            again=lambda exc: again(*problem_errors(exc, by_file), exc.status_code),
            then=_then(f"/networks/{slug}/resources?done=uploaded"),
        )
    finally:
        received.close()


def _download_name(filename: str) -> str:
    """Content-Disposition's filename: plain ASCII, and the full name as RFC 5987 text."""
    plain = re.sub(r"[^A-Za-z0-9._ -]", "_", filename).strip() or "download"
    return f"attachment; filename=\"{plain}\"; filename*=UTF-8''{quote(filename, safe='')}"


@get("/resources/{resource_id:uuid}/download", name="notes:download")
async def download_resource(
    request: Request[Any, Any, Any], resource_id: FromPath[UUID], rpc: NamedDependency[Rpc]
) -> Response[Any]:
    """The file, read from the service in chunks as the browser takes it; always an
    attachment, as the type its bytes say."""
    require_member(request)
    view = await rpc.call(
        resource_contract.ResourceView, resource_contract.GET_RESOURCE, {"id": str(resource_id)}
    )
    # The first read before answering, so a refusal is still a page, not a broken file.
    first = await rpc.call(
        resource_contract.ResourceContent,
        resource_contract.READ_RESOURCE,
        {"id": str(resource_id), "offset": 0},
    )

    async def chunks() -> AsyncIterator[bytes]:
        content = first
        while True:
            yield base64.b64decode(content.data)
            if content.eof or content.length == 0:
                return
            content = await rpc.call(
                resource_contract.ResourceContent,
                resource_contract.READ_RESOURCE,
                {"id": str(resource_id), "offset": content.offset + content.length},
            )

    return Stream(
        chunks(),
        media_type=view.content_type,
        headers={
            "Content-Disposition": _download_name(view.filename),
            "Content-Length": str(view.size),
            "Cache-Control": "no-store",
            "X-Content-Type-Options": "nosniff",
        },
    )


HANDLERS: list[Any] = [
    library_page,
    new_note_page,
    create_note,
    themes_page,
    save_themes,
    review_queue_page,
    note_page,
    submit_note,
    approve_note,
    return_note,
    accept_finding,
    retract_note,
    edit_note_page,
    save_note,
    apply_suggestions,
    resources_page,
    upload_resource,
    download_resource,
]
