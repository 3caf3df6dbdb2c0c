"""Notes' contracts (owned by the notes service): notes and their workflow, the identifier
check's findings, the members-only library, and the events that say what changed.

A note belongs to a network and, optionally, to one occurrence of a session (named as in
``contracts.sessions``: the session's id and its ``occurrence_start``). Offsets in findings
are Unicode code-point offsets into the note's body (Python ``str`` indices), end exclusive:
the same in the service, over HTTP and from ``python -m huddle_notes.check``.
"""

from datetime import date
from enum import StrEnum
from typing import Annotated
from uuid import UUID

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, StringConstraints

from huddle_shared.contracts.common import Slug
from huddle_shared.contracts.envelope import EventPayload
from huddle_shared.contracts.membership import Name
from huddle_shared.contracts.rpc import rpc_subject

SERVICE = "notes"

Title = Name
# A note of a long session runs to tens of thousands of words; 400,000 characters is about
# 60,000 words and stays well inside NATS's 1 MiB message limit with its findings.
Body = Annotated[str, StringConstraints(max_length=400_000)]
Theme = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=80)]
Reason = Annotated[str, StringConstraints(strip_whitespace=True, min_length=3, max_length=1000)]
Comments = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=5000)]
MAX_THEMES = 100
MAX_NOTE_THEMES = 20
MAX_TAGS = 20
MAX_RESOURCES = 50
# How a note's author shows once they have been erased.
FORMER_MEMBER = "a former member"


class NoteState(StrEnum):
    DRAFT = "draft"
    SUBMITTED = "submitted"  # waiting for a second reader
    RETURNED = "returned"  # the second reader sent it back with comments
    PUBLISHED = "published"  # in the members-only library
    RETRACTED = "retracted"  # taken out of the library


class FindingCategory(StrEnum):
    PERSON = "person"
    ORGANISATION = "organisation"
    PLACE = "place"  # wards and units, towns, venues
    EMAIL = "email"
    PHONE = "phone"
    NHS_NUMBER = "nhs_number"
    POSTCODE = "postcode"
    DATE = "date"
    ROLE_AT_PLACE = "role_at_place"  # "head of midwifery at the Royal Free"


class Finding(BaseModel):
    """Something in the body that could identify a person or where they work."""

    model_config = ConfigDict(frozen=True)

    id: str = Field(
        description="Stable while the text it found is unchanged: the same finding keeps its "
        "id across saves, so an acceptance given for it still holds"
    )
    start: int = Field(ge=0, description="Code-point offset into the body")
    end: int = Field(ge=0, description="Code-point offset, exclusive")
    category: FindingCategory
    text: str
    suggestion: str = Field(description='What to write instead, e.g. "a member", "[date]"')


class AcronymUse(BaseModel):
    """An all-capital token in the body: known ones with the network's expansion (one click
    expands them); unknown ones for the author to expand or add to the glossary."""

    model_config = ConfigDict(frozen=True)

    start: int = Field(ge=0)
    end: int = Field(ge=0)
    text: str
    expansion: str | None = Field(description="From the network's glossary; null if unknown")


class CheckReport(BaseModel):
    findings: list[Finding]
    acronyms: list[AcronymUse]


class Acceptance(BaseModel):
    """A second reader kept a finding on purpose: kept in the note's audit log."""

    finding_id: str
    category: FindingCategory
    text: str
    reason: str
    accepted_by: str = Field(description="The reviewer's display name, or a former member")
    accepted_at: AwareDatetime


class StateChange(BaseModel):
    state: NoteState
    at: AwareDatetime
    by: str = Field(description="Display name, or a former member")
    comments: str | None = None


# --- Requests -----------------------------------------------------------------------------


class NoteFields(BaseModel):
    model_config = ConfigDict(extra="forbid")

    title: Title | None = None
    body: Body | None = None
    themes: list[Theme] | None = Field(
        default=None, max_length=MAX_NOTE_THEMES, description="From the network's theme list"
    )
    tags: list[Theme] | None = Field(default=None, max_length=MAX_TAGS, description="Free tags")
    resource_ids: list[UUID] | None = Field(default=None, max_length=MAX_RESOURCES)


class CreateNote(BaseModel):
    model_config = ConfigDict(extra="forbid")

    slug: Slug
    title: Title
    body: Body = ""
    session_id: UUID | None = None
    occurrence_start: AwareDatetime | None = Field(
        default=None, description="Which occurrence of a series; not needed for a single session"
    )
    themes: list[Theme] = Field(default_factory=list, max_length=MAX_NOTE_THEMES)
    tags: list[Theme] = Field(default_factory=list, max_length=MAX_TAGS)
    resource_ids: list[UUID] = Field(default_factory=list, max_length=MAX_RESOURCES)


class UpdateNote(NoteFields):
    id: UUID


class NoteRef(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: UUID


class ApplySuggestions(BaseModel):
    """One click: replace findings by their suggestions and expand known acronyms, in the
    note's current body. ``finding_ids`` left out means every finding ("apply all")."""

    model_config = ConfigDict(extra="forbid")

    id: UUID
    finding_ids: list[str] | None = Field(default=None, max_length=10_000)
    expand_acronyms: list[str] = Field(
        default_factory=list, max_length=500, description="Glossary acronyms to expand"
    )


class AcceptFinding(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: UUID
    finding_id: str
    reason: Reason


class ReturnNote(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: UUID
    comments: Comments


class RetractNote(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: UUID
    reason: Reason


class SearchNotes(BaseModel):
    """A network's library: published notes, ranked by the words asked for (newest first
    without words). Writers may ask for other states (their drafts, the review queue)."""

    model_config = ConfigDict(extra="forbid")

    slug: Slug
    q: Annotated[str, StringConstraints(strip_whitespace=True, max_length=500)] = ""
    theme: Theme | None = None
    from_date: date | None = Field(default=None, description="Held on or after (inclusive)")
    to_date: date | None = Field(default=None, description="Held on or before (inclusive)")
    state: NoteState = NoteState.PUBLISHED
    page: int = Field(default=1, ge=1, le=10_000)
    per_page: int = Field(default=20, ge=1, le=100)


class ReviewQueueRequest(BaseModel):
    """Submitted notes the caller may approve: in networks they chair or facilitate, and
    never their own."""

    model_config = ConfigDict(extra="forbid")


class SetThemes(BaseModel):
    model_config = ConfigDict(extra="forbid")

    slug: Slug
    themes: list[Theme] = Field(max_length=MAX_THEMES)
    open_to_parent: bool | None = Field(
        default=None, description="A spin-off only: let its parent network's members read it"
    )


class CheckText(BaseModel):
    """Check text that is not saved yet (the editor, as the note-taker types)."""

    model_config = ConfigDict(extra="forbid")

    slug: Slug
    text: Body


# --- Views --------------------------------------------------------------------------------


class NoteView(BaseModel):
    id: UUID
    slug: str
    title: str
    body: str
    session_id: UUID | None
    occurrence_start: AwareDatetime | None
    held_on: date | None = Field(description="The occurrence's date, or the note's own date")
    themes: list[str]
    tags: list[str]
    resource_ids: list[UUID]
    state: NoteState
    author: str = Field(description="The note-taker's display name, or a former member")
    created_at: AwareDatetime
    updated_at: AwareDatetime
    published_at: AwareDatetime | None
    return_comments: str | None = Field(description="The second reader's, when returned")
    can_edit: bool
    can_review: bool = Field(description="The caller may approve or return it now")
    findings: list[Finding] = Field(description="Writers and reviewers only; empty otherwise")
    acceptances: list[Acceptance] = Field(description="Writers and reviewers only")
    history: list[StateChange] = Field(description="Writers and reviewers only")


class NoteSummary(BaseModel):
    id: UUID
    slug: str
    title: str
    state: NoteState
    held_on: date | None
    themes: list[str]
    excerpt: str = Field(description="The start of the body, or where the words asked for are")
    published_at: AwareDatetime | None
    unresolved_findings: int = Field(description="Writers and reviewers only; 0 otherwise")


class NotePage(BaseModel):
    items: list[NoteSummary]
    total: int
    page: int
    per_page: int


class Themes(BaseModel):
    slug: str
    themes: list[str]
    open_to_parent: bool = Field(
        description="A spin-off's library is readable by its parent network's members too"
    )


# --- Events -------------------------------------------------------------------------------


class NotesEvent(EventPayload, producer=SERVICE):
    """Base of the events the notes service publishes. None carries a body, a title or who
    wrote it: insights counts themes, nothing more."""


class NoteStateChangedV1(NotesEvent, event_type="note.state_changed", version=1):
    """Every move in the workflow: drafted, submitted, returned, published, retracted."""

    note_id: UUID
    slug: str
    state: NoteState


class NotePublishedV1(NotesEvent, event_type="note.published", version=1):
    note_id: UUID
    slug: str
    session_id: UUID | None
    occurrence_start: AwareDatetime | None
    themes: list[str]
    words: int
    findings_fixed: int = Field(description="Findings the check raised that were fixed")
    findings_accepted: int = Field(description="Findings kept by the second reader, with reasons")
    resources: int


class NoteRetractedV1(NotesEvent, event_type="note.retracted", version=1):
    note_id: UUID
    slug: str
    themes: list[str]


NOTE_EVENTS: tuple[type[EventPayload], ...] = (
    NoteStateChangedV1,
    NotePublishedV1,
    NoteRetractedV1,
)

# --- RPC ----------------------------------------------------------------------------------

CREATE_NOTE = rpc_subject(SERVICE, "notes.create")
SEARCH_NOTES = rpc_subject(SERVICE, "notes.search")
GET_NOTE = rpc_subject(SERVICE, "notes.get")
UPDATE_NOTE = rpc_subject(SERVICE, "notes.update")
CHECK_NOTE = rpc_subject(SERVICE, "notes.check")
CHECK_TEXT = rpc_subject(SERVICE, "notes.check_text")
APPLY_SUGGESTIONS = rpc_subject(SERVICE, "notes.apply")
SUBMIT_NOTE = rpc_subject(SERVICE, "notes.submit")
ACCEPT_FINDING = rpc_subject(SERVICE, "notes.findings.accept")
APPROVE_NOTE = rpc_subject(SERVICE, "notes.approve")
RETURN_NOTE = rpc_subject(SERVICE, "notes.return")
RETRACT_NOTE = rpc_subject(SERVICE, "notes.retract")
REVIEW_QUEUE = rpc_subject(SERVICE, "notes.review_queue")
GET_THEMES = rpc_subject(SERVICE, "themes.get")
SET_THEMES = rpc_subject(SERVICE, "themes.set")
