"""Notes, their workflow, the identifier check and the library, forwarded to the notes service.

The bodies are the contracts' HTTP shapes without what the path names (the network, the
note, the finding). The service decides everything: who may read or write (an invite-only
network's notes do not exist to others: 404), which moves the workflow allows (409), and
what the check finds. Offsets in findings are Unicode code-point offsets into the body, end
exclusive, as from ``python -m huddle_notes.check``.
"""

from datetime import date
from typing import Annotated, Any
from uuid import UUID

from huddle_shared.contracts import notes as contract
from litestar import Controller, get, patch, post, put
from litestar.di import NamedDependency
from litestar.handlers import HTTPRouteHandler
from litestar.params import FromPath, JSONBody, QueryParameter
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from huddle_gateway.problems import problem
from huddle_gateway.rpc import Rpc

WRITERS = "The network's note-takers, facilitators and chairs, and instance admins (403)"
REVIEWERS = "A second reader: a facilitator or chair of the network who is not the author (403)"
HIDDEN = "an invite-only network's notes do not exist to non-members (404)"


class NewNote(BaseModel):
    model_config = ConfigDict(extra="forbid")

    title: contract.Title
    body: contract.Body = ""
    session_id: UUID | None = Field(default=None, description="The session it is a note of")
    occurrence_start: AwareDatetime | None = Field(
        default=None, description="Which occurrence of a series; not needed for a single session"
    )
    themes: list[contract.Theme] = Field(
        default_factory=list, max_length=contract.MAX_NOTE_THEMES, description="From the list"
    )
    tags: list[contract.Theme] = Field(default_factory=list, max_length=contract.MAX_TAGS)
    resource_ids: list[UUID] = Field(default_factory=list, max_length=contract.MAX_RESOURCES)


class CommentsBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    comments: contract.Comments


class ReasonBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: contract.Reason


class ApplyBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    finding_ids: list[str] | None = Field(
        default=None,
        max_length=10_000,
        description="The findings to replace by their suggestions; left out or null: all",
    )
    expand_acronyms: list[str] = Field(
        default_factory=list, max_length=500, description="Glossary acronyms to expand"
    )


class TextBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    text: contract.Body


class ThemesBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    themes: list[contract.Theme] = Field(max_length=contract.MAX_THEMES)
    open_to_parent: bool | None = Field(
        default=None, description="A spin-off only: let its parent network's members read it"
    )


_DATE: dict[str, Any] = {
    "description": "Held on or after (`from`) or on or before (`to`) this date, inclusive",
    "schema_extra": {"format": "date"},
}
_STATES: dict[str, Any] = {
    "description": "Default: published (writers may ask for the others)",
    "schema_extra": {"enum": [state.value for state in contract.NoteState]},
}


def _date(name: str, value: str | None) -> str | None:
    """An ISO 8601 date, or a problem naming the parameter as sent (``from``, ``to``)."""
    if value is None:
        return None
    try:
        return date.fromisoformat(value).isoformat()
    except ValueError:
        raise problem(
            422,
            "Invalid request",
            "The request failed validation.",
            type_="invalid",
            errors=[{"field": name, "message": "A date, as 2026-12-02"}],
        ) from None


def _body(model: BaseModel | None, **path: Any) -> dict[str, Any]:
    fields = model.model_dump(mode="json", exclude_unset=True) if model is not None else {}
    return {**fields, **{name: str(value) for name, value in path.items()}}


class NetworkNotesController(Controller):
    path = "/api/v1/networks/{slug:str}"
    tags = ["notes"]

    @get(
        "/notes",
        summary="A network's library: its published notes, found by words, theme and dates",
        description="Ranked by the words in `q` (newest first without). Members of the "
        "network (and of its parent, where a spin-off opens its library to it) and instance "
        f"admins (403); {HIDDEN}. Writers may ask for their drafts and other `state`s.",
    )
    async def search(
        self,
        slug: FromPath[str],
        rpc: NamedDependency[Rpc],
        q: Annotated[str, QueryParameter(description="Words to find")] = "",
        theme: Annotated[str | None, QueryParameter(description="Only this theme")] = None,
        start: Annotated[str | None, QueryParameter(name="from", **_DATE)] = None,
        end: Annotated[str | None, QueryParameter(name="to", **_DATE)] = None,
        # ``state`` itself is a name Litestar keeps for the application's state.
        note_state: Annotated[str | None, QueryParameter(name="state", **_STATES)] = None,
        page: Annotated[int | None, QueryParameter(description="From 1")] = None,
        per_page: Annotated[int | None, QueryParameter(description="Default 20")] = None,
    ) -> contract.NotePage:
        given = {
            "q": q,
            "theme": theme,
            "from_date": _date("from", start),
            "to_date": _date("to", end),
            "state": note_state,
            "page": page,
            "per_page": per_page,
        }
        body = {"slug": slug, **{k: v for k, v in given.items() if v is not None}}
        return await rpc.call(contract.NotePage, contract.SEARCH_NOTES, body)

    @post(
        "/notes",
        summary="Writers: draft a note",
        description=f"{WRITERS}; {HIDDEN}. The check runs on every save: the answer carries "
        "its findings. Themes come from the network's list (422 otherwise).",
        status_code=201,
    )
    async def create(
        self,
        slug: FromPath[str],
        data: JSONBody[NewNote],
        idempotent_rpc: NamedDependency[Rpc],
    ) -> contract.NoteView:
        body = _body(data, slug=slug)
        return await idempotent_rpc.call(contract.NoteView, contract.CREATE_NOTE, body)

    @post(
        "/notes/check",
        summary="Writers: check text that is not saved yet",
        description="The editor's check as the note-taker types, against the network's "
        f"knowledge (members, organisations, speakers, glossary). {WRITERS}; {HIDDEN}.",
        status_code=200,
    )
    async def check_text(
        self, slug: FromPath[str], data: JSONBody[TextBody], rpc: NamedDependency[Rpc]
    ) -> contract.CheckReport:
        body = _body(data, slug=slug)
        return await rpc.call(contract.CheckReport, contract.CHECK_TEXT, body)

    @get(
        "/themes",
        summary="A network's themes",
        description=f"Its members and instance admins (403); {HIDDEN}.",
    )
    async def themes(self, slug: FromPath[str], rpc: NamedDependency[Rpc]) -> contract.Themes:
        return await rpc.call(contract.Themes, contract.GET_THEMES, {"slug": slug})

    @put(
        "/themes",
        summary="Chairs and facilitators: set a network's themes",
        description="The whole list, replacing the last. The network's chairs and "
        f"facilitators and instance admins (403); {HIDDEN}.",
    )
    async def set_themes(
        self,
        slug: FromPath[str],
        data: JSONBody[ThemesBody],
        idempotent_rpc: NamedDependency[Rpc],
    ) -> contract.Themes:
        body = _body(data, slug=slug)
        return await idempotent_rpc.call(contract.Themes, contract.SET_THEMES, body)


def _move(
    action: str,
    subject: str,
    summary: str,
    description: str,
    data: type[BaseModel] | None = None,
    *,
    name: str = "",
) -> HTTPRouteHandler:
    """A workflow move, ``POST /api/v1/notes/{note_id}/<action>``: the body (``data``, if
    the move takes one) and the note's id to ``subject``; the note as it now is back. Each
    move is still its own operation in the OpenAPI; its id comes from ``name`` (by default
    ``action``), as it did from the method's name."""
    route = post(f"/{action}", summary=summary, description=description, status_code=200)

    if data is None:

        async def move(
            self: Controller, note_id: FromPath[UUID], idempotent_rpc: NamedDependency[Rpc]
        ) -> contract.NoteView:
            return await idempotent_rpc.call(contract.NoteView, subject, _body(None, id=note_id))

    else:

        async def move(  # type: ignore[misc]  # one name, two signatures
            self: Controller,
            note_id: FromPath[UUID],
            data: JSONBody[data],  # type: ignore[valid-type]  # the model given
            idempotent_rpc: NamedDependency[Rpc],
        ) -> contract.NoteView:
            return await idempotent_rpc.call(contract.NoteView, subject, _body(data, id=note_id))

    move.__name__ = move.__qualname__ = name or action
    return route(move)


class NoteController(Controller):
    path = "/api/v1/notes/{note_id:uuid}"
    tags = ["notes"]

    @get(
        "/",
        summary="One note",
        description="A published note for the network's readers; drafts and notes waiting "
        "for review only for writers and second readers, who also see its findings, "
        f"acceptances and history (403 for other members); {HIDDEN}.",
    )
    async def read(self, note_id: FromPath[UUID], rpc: NamedDependency[Rpc]) -> contract.NoteView:
        return await rpc.call(contract.NoteView, contract.GET_NOTE, {"id": str(note_id)})

    @patch(
        "/",
        summary="Writers: change a draft or a returned note",
        description="Fields left out stay. The check runs again; findings keep their ids "
        "while the text they found is unchanged. 409 once submitted or published.",
    )
    async def update(
        self,
        note_id: FromPath[UUID],
        data: JSONBody[contract.NoteFields],
        idempotent_rpc: NamedDependency[Rpc],
    ) -> contract.NoteView:
        body = _body(data, id=note_id)
        return await idempotent_rpc.call(contract.NoteView, contract.UPDATE_NOTE, body)

    @post(
        "/check",
        summary="Writers and second readers: the identifier check on the note's body",
        description='`{"findings": [{"id", "start", "end", "category", "text", "suggestion"}], '
        '"acronyms": [{"start", "end", "text", "expansion"}]}`, with the offsets the command '
        "line (`python -m huddle_notes.check`) gives for the same text.",
        status_code=200,
    )
    async def check(
        self, note_id: FromPath[UUID], rpc: NamedDependency[Rpc]
    ) -> contract.CheckReport:
        return await rpc.call(contract.CheckReport, contract.CHECK_NOTE, {"id": str(note_id)})

    @post(
        "/apply",
        summary="Writers: one click, replace findings by their suggestions",
        description="`finding_ids` (left out: every finding, 'apply all') and the glossary "
        "acronyms to expand. The other findings are found again at their new offsets.",
        status_code=200,
    )
    async def apply(
        self,
        note_id: FromPath[UUID],
        idempotent_rpc: NamedDependency[Rpc],
        data: JSONBody[ApplyBody | None] = None,
    ) -> contract.NoteView:
        body = _body(data, id=note_id)
        return await idempotent_rpc.call(contract.NoteView, contract.APPLY_SUGGESTIONS, body)

    submit = _move(
        "submit",
        contract.SUBMIT_NOTE,
        "The author: send a note to a second reader",
        "From draft or returned; 409 otherwise.",
    )

    @post(
        "/findings/{finding_id:str}/accept",
        summary="Second readers: keep a finding on purpose, with a reason",
        description=f"{REVIEWERS}. Kept in the note's audit log (who, when, which, why).",
        status_code=200,
    )
    async def accept_finding(
        self,
        note_id: FromPath[UUID],
        finding_id: FromPath[str],
        data: JSONBody[ReasonBody],
        idempotent_rpc: NamedDependency[Rpc],
    ) -> contract.NoteView:
        body = _body(data, id=note_id, finding_id=finding_id)
        return await idempotent_rpc.call(contract.NoteView, contract.ACCEPT_FINDING, body)

    approve = _move(
        "approve",
        contract.APPROVE_NOTE,
        "Second readers: publish a submitted note",
        f"{REVIEWERS}. Refused (409) while the check has findings that were "
        "neither fixed nor accepted with a reason.",
    )
    return_note = _move(
        "return",
        contract.RETURN_NOTE,
        "Second readers: send a submitted note back, with comments",
        f"{REVIEWERS}.",
        CommentsBody,
        name="return_note",  # its operationId as it was
    )
    retract = _move(
        "retract",
        contract.RETRACT_NOTE,
        "Chairs and facilitators: take a published note out of the library",
        "With a reason; 409 unless published.",
        ReasonBody,
    )


class MyReviewsController(Controller):
    path = "/api/v1/me/reviews"
    tags = ["notes"]

    @get(
        "/",
        summary="Notes waiting for me as a second reader",
        description="Submitted notes in the networks I chair or facilitate, never my own.",
    )
    async def queue(self, rpc: NamedDependency[Rpc]) -> contract.NotePage:
        return await rpc.call(contract.NotePage, contract.REVIEW_QUEUE, {})


NOTE_HANDLERS = (NetworkNotesController, NoteController, MyReviewsController)
