"""The notes area's RPC handlers and the projections it keeps from other services' events.

Who may do what is decided from notes' own projections (``readers``): the network's
note-takers, facilitators and chairs write (instance admins too); a second reader approves
or returns; its members read what is published. The identifier check runs on every save,
and again on the body at approval.
"""

import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

from huddle_shared.contracts.common import BySlug, Empty, export_subject
from huddle_shared.contracts.envelope import EventEnvelope
from huddle_shared.contracts.membership import (
    MemberErasedV1,
    MemberInstanceAdminChangedV1,
    MemberProfileUpdatedV1,
    MemberRegisteredV1,
    OrganisationRegisteredV1,
)
from huddle_shared.contracts.networks import NetworkCreatedV1, NetworkUpdatedV1
from huddle_shared.contracts.notes import (
    ACCEPT_FINDING,
    APPLY_SUGGESTIONS,
    APPROVE_NOTE,
    CHECK_NOTE,
    CHECK_TEXT,
    CREATE_NOTE,
    FORMER_MEMBER,
    GET_NOTE,
    GET_THEMES,
    RETRACT_NOTE,
    RETURN_NOTE,
    REVIEW_QUEUE,
    SET_THEMES,
    SUBMIT_NOTE,
    UPDATE_NOTE,
    Acceptance,
    AcceptFinding,
    ApplySuggestions,
    CheckReport,
    CheckText,
    CreateNote,
    NotePage,
    NoteRef,
    NoteState,
    NoteSummary,
    NoteView,
    RetractNote,
    ReturnNote,
    ReviewQueueRequest,
    SearchNotes,
    SetThemes,
    StateChange,
    Themes,
    UpdateNote,
)
from huddle_shared.contracts.rpc import Caller
from huddle_shared.contracts.sessions import (
    OccurrenceCancelledV1,
    OccurrenceChangedV1,
    SessionCancelledV1,
    SessionScheduledV1,
    SessionUpdatedV1,
)
from huddle_shared.errors import Conflict, Forbidden, Invalid, NotFound, require_member
from huddle_shared.messaging.routes import RouteTable
from huddle_shared.messaging.subscriptions import Subscription
from huddle_shared.projections.network_roster import NetworkRoster
from huddle_shared.storage.locks import document_locks

from huddle_notes import SERVICE
from huddle_notes.check import apply_suggestions, expand_acronyms
from huddle_notes.markdown_text import opening
from huddle_notes.notes.domain import (
    REVIEWER_ROLES,
    WRITERS_ONLY,
    Note,
    NoteNotFound,
    Standing,
    field_invalid,
    occurrence_starts,
    unknown_themes,
    unresolved,
)
from huddle_notes.notes.knowledge import Checkers
from huddle_notes.notes.readers import StoredReaders
from huddle_notes.notes.repository import (
    INSTANCE,
    Acceptances,
    AlreadyAccepted,
    KnowledgeRevisions,
    Members,
    Networks,
    NetworkThemes,
    NoteRepository,
    Organisations,
    RedactionNames,
    Sessions,
    instant_key,
)
from huddle_notes.ports import Library, PublishedNote, Resources

EXCERPT = 240


@dataclass
class NotesArea:
    notes: NoteRepository
    acceptances: Acceptances
    members: Members
    names: RedactionNames
    organisations: Organisations
    networks: Networks
    themes: NetworkThemes
    sessions: Sessions
    revisions: KnowledgeRevisions
    roster: NetworkRoster
    readers: StoredReaders
    checkers: Checkers
    library: Library | None = None  # the library area, once wired
    resources: Resources | None = None  # the resources area, once wired
    clock: Callable[[], datetime] = field(default=lambda: datetime.now(UTC))


# --- Projections ---------------------------------------------------------------------------

member_events = Subscription(
    "notes-redaction-names",  # its first task's name, kept: the durable already exists
    "Members' names (current and old) and admin flags, organisations' names, and erasure: "
    "what the identifier check knows and who wrote a note.",
)


@member_events.handler
async def on_member_named(
    envelope: EventEnvelope, event: MemberRegisteredV1 | MemberProfileUpdatedV1, area: NotesArea
) -> None:
    """A name the member is known by, at registration or after a rename: both are kept for
    the check, as the old name still identifies them."""
    fields: dict[str, Any] = {"display_name": event.display_name}
    if isinstance(event, MemberRegisteredV1):
        fields["is_instance_admin"] = event.is_instance_admin
    await area.members.record(event.member_id, fields, envelope=envelope)
    added = await area.names.remember(
        event.member_id, event.display_name, event_id=str(envelope.event_id)
    )
    if added:
        await area.revisions.bump(INSTANCE)


@member_events.handler
async def on_instance_admin_changed(
    envelope: EventEnvelope, event: MemberInstanceAdminChangedV1, area: NotesArea
) -> None:
    fields = {"is_instance_admin": event.is_instance_admin}
    await area.members.record(event.member_id, fields, envelope=envelope)


@member_events.handler
async def on_organisation_registered(
    envelope: EventEnvelope, event: OrganisationRegisteredV1, area: NotesArea
) -> None:
    if await area.organisations.record(
        event.organisation_id, event.name, event_id=str(envelope.event_id)
    ):
        await area.revisions.bump(INSTANCE)


@member_events.handler
async def on_member_erased(envelope: EventEnvelope, event: MemberErasedV1, area: NotesArea) -> None:
    """Out of the dictionary and out of authorship: their notes stay, by "a former member".
    Idempotent: a redelivery finds nothing left to change."""
    member_id, event_id = event.member_id, str(envelope.event_id)
    # Authorship first, the names last: a failure part-way is redelivered and finishes.
    for note_id in await area.notes.ids_naming(member_id):
        async with area.notes.lock(note_id):
            note = await area.notes.get(note_id)
            if note.forget_member(member_id):
                await area.notes.save(note)
    await area.acceptances.forget(member_id)
    await area.members.forget(member_id, event_id=event_id)
    await area.names.forget(member_id, event_id=event_id)
    await area.revisions.bump(INSTANCE)


network_events = Subscription(
    "notes-networks",
    "Each network's visibility, parent and glossary: who reads its notes, what the check knows.",
)


@network_events.handler
async def on_network_created(
    envelope: EventEnvelope, event: NetworkCreatedV1, area: NotesArea
) -> None:
    fields = {
        "visibility": event.visibility.value,
        "parent_slug": event.parent_slug,
        "glossary": dict(event.glossary),
    }
    if await area.networks.record(event.slug, fields, envelope=envelope):
        await area.revisions.bump(event.slug)


@network_events.handler
async def on_network_updated(
    envelope: EventEnvelope, event: NetworkUpdatedV1, area: NotesArea
) -> None:
    fields = {"visibility": event.visibility.value, "glossary": dict(event.glossary)}
    if await area.networks.record(event.slug, fields, envelope=envelope):
        await area.revisions.bump(event.slug)


session_events = Subscription(
    "notes-sessions",
    "Sessions' network, speakers and occurrences: which occurrence a note is of, and the "
    "speakers' names the check looks for.",
)


@session_events.handler
async def on_session_scheduled(
    envelope: EventEnvelope, event: SessionScheduledV1 | SessionUpdatedV1, area: NotesArea
) -> None:
    zone_dates = {
        instant_key(start): _held_on(start, event.time_zone).isoformat()
        for start in occurrence_starts(event.starts_at, event.time_zone, event.rrule)
    }
    fields = {
        "slug": event.slug,
        "speakers": sorted({s.name for s in event.speakers if s.name}),
        "occurrences": zone_dates,
        "time_zone": event.time_zone,
        "series": event.rrule is not None,
    }
    await area.sessions.record(event.session_id, fields, envelope=envelope)
    await area.revisions.bump(event.slug)


@session_events.handler
async def on_session_cancelled(
    envelope: EventEnvelope, event: SessionCancelledV1, area: NotesArea
) -> None:
    fields = {"slug": event.slug, "whole_cancelled": True}
    await area.sessions.record(event.session_id, fields, envelope=envelope)


@session_events.handler
async def on_occurrence_changed(
    envelope: EventEnvelope, event: OccurrenceChangedV1, area: NotesArea
) -> None:
    known = await area.sessions.collection.find_one(
        {"_id": str(event.session_id)}, {"time_zone": 1}
    )
    zone = (known or {}).get("time_zone") or "UTC"
    held_on = _held_on(event.starts_at, zone).isoformat()
    fields = {f"moved.{instant_key(event.occurrence_start)}": held_on}
    await area.sessions.record(event.session_id, fields, envelope=envelope)


@session_events.handler
async def on_occurrence_cancelled(
    envelope: EventEnvelope, event: OccurrenceCancelledV1, area: NotesArea
) -> None:
    fields = {f"cancelled.{instant_key(event.occurrence_start)}": True}
    await area.sessions.record(event.session_id, fields, envelope=envelope)


def _held_on(moment: datetime, time_zone: str) -> Any:
    from zoneinfo import ZoneInfo

    return moment.astimezone(ZoneInfo(time_zone)).date()


# --- Views ---------------------------------------------------------------------------------


async def _view(area: NotesArea, note: Note, standing: Standing) -> NoteView:
    insider = standing.writer or note.may_review(standing)
    acceptances = await area.acceptances.of_note(note.id) if insider else []
    people = {note.author_id} | {m.by for m in note.history}
    people |= {UUID(a["accepted_by"]) for a in acceptances if a.get("accepted_by")}
    names = await area.members.names_of({p for p in people if p is not None})

    def name(member_id: UUID | str | None) -> str:
        if member_id is None:
            return FORMER_MEMBER
        return names.get(UUID(str(member_id)), FORMER_MEMBER)

    return NoteView(
        id=note.id,
        slug=note.slug,
        title=note.title,
        body=note.body,
        session_id=note.session_id,
        occurrence_start=note.occurrence_start,
        held_on=note.held_on,
        themes=note.themes,
        tags=note.tags,
        resource_ids=note.resource_ids,
        state=note.state,
        author=name(note.author_id),
        created_at=note.created_at,
        updated_at=note.updated_at,
        published_at=note.published_at,
        return_comments=note.return_comments,
        can_edit=note.may_edit(standing),
        can_review=note.may_review(standing),
        findings=note.findings if insider else [],
        acceptances=[
            Acceptance(
                finding_id=a["finding_id"],
                category=a["category"],
                text=a["text"],
                reason=a["reason"],
                accepted_by=name(a.get("accepted_by")),
                accepted_at=a["accepted_at"],
            )
            for a in acceptances
        ],
        history=[
            StateChange(state=m.state, at=m.at, by=name(m.by), comments=m.comments)
            for m in note.history
        ]
        if insider
        else [],
    )


async def _summary(area: NotesArea, note: Note, standing: Standing) -> NoteSummary:
    insider = standing.writer or note.may_review(standing)
    open_count = 0
    if insider:
        open_count = len(unresolved(note.findings, await area.acceptances.accepted_ids(note.id)))
    return NoteSummary(
        id=note.id,
        slug=note.slug,
        title=note.title,
        state=note.state,
        held_on=note.held_on,
        themes=note.themes,
        excerpt=opening(note.body, EXCERPT),
        published_at=note.published_at,
        unresolved_findings=open_count,
    )


# --- Steps every route shares --------------------------------------------------------------


async def _readable(area: NotesArea, caller: Caller, note_id: UUID) -> tuple[Note, Standing]:
    """The note and the caller's standing; 404 for a note the caller may not see (its
    network's refusal first: 403 for open and approval networks, 404 invite-only)."""
    require_member(caller)
    note = await area.notes.get(note_id)
    _, standing = await area.readers.standing(note.slug, caller)
    if not note.may_see(standing):
        raise NoteNotFound(note_id)
    return note, standing


async def _check_themes(area: NotesArea, slug: str, themes: list[str] | None) -> None:
    if not themes:
        return
    known, _ = await area.themes.get(slug)
    refusal = unknown_themes(themes, known)
    if refusal is not None:
        raise refusal


async def _check_resources(area: NotesArea, slug: str, resource_ids: list[UUID] | None) -> None:
    if not resource_ids:
        return
    if area.resources is None:
        raise field_invalid("resource_ids", "Resources cannot be attached here yet.")
    missing = await area.resources.missing(slug, list(resource_ids))
    if missing:
        raise field_invalid(
            "resource_ids",
            f"Not the network's resources: {', '.join(str(m) for m in missing)}.",
        )


def _published(note: Note) -> PublishedNote:
    assert note.published_at is not None
    return PublishedNote(
        note_id=note.id,
        slug=note.slug,
        title=note.title,
        body=note.body,
        themes=tuple(note.themes),
        tags=tuple(note.tags),
        held_on=note.held_on,
        published_at=note.published_at,
    )


@dataclass
class NotesAsPublished:
    """``ports.PublishedNotes``: what the library re-reads when a note event names a note."""

    notes: NoteRepository

    async def published(self, note_id: UUID) -> PublishedNote | None:
        try:
            note = await self.notes.get(note_id)
        except NoteNotFound:
            return None
        return _published(note) if note.state is NoteState.PUBLISHED else None


@dataclass
class WorkingNotes:
    """Notes that are not published, for the network's writers (their drafts, the review
    queue, what was returned or retracted): the library area asks for them when a search
    names another state. Few per network, so filtered here rather than indexed."""

    area: NotesArea

    async def search(self, request: SearchNotes, caller: Caller) -> NotePage:
        require_member(caller)
        _, standing = await self.area.readers.standing(request.slug, caller)
        if not standing.writer:
            raise Forbidden("Only the network's writers see notes that are not published.")
        words = request.q.casefold().split()
        found = []
        for note in await self.area.notes.in_state(request.slug, request.state):
            text = f"{note.title} {note.body}".casefold()
            held_on = note.held_on
            if request.theme is not None and request.theme not in note.themes:
                continue
            if request.from_date and (held_on is None or held_on < request.from_date):
                continue
            if request.to_date and (held_on is None or held_on > request.to_date):
                continue
            if all(word in text for word in words):
                found.append(note)
        start = (request.page - 1) * request.per_page
        items = [
            await _summary(self.area, note, standing)
            for note in found[start : start + request.per_page]
        ]
        return NotePage(items=items, total=len(found), page=request.page, per_page=request.per_page)


# --- Routes --------------------------------------------------------------------------------

rpc = RouteTable()


@rpc.route(
    CREATE_NOTE, "Draft a note in a network, of one of its sessions or on its own (writers)."
)
async def create_note(request: CreateNote, caller: Caller, area: NotesArea) -> NoteView:
    require_member(caller)
    _, standing = await area.readers.standing(request.slug, caller)
    if not standing.writer:
        raise Forbidden(WRITERS_ONLY)
    await _check_themes(area, request.slug, request.themes)
    now = area.clock()
    occurrence_start, held_on = None, now.date()
    if request.session_id is not None:
        session = await area.sessions.get(request.session_id)
        if session is None:
            raise NotFound(f"There is no session {request.session_id}.")
        occurrence_start, held_on = session.occurrence(request.slug, request.occurrence_start)
    elif request.occurrence_start is not None:
        raise field_invalid("occurrence_start", "An occurrence is of a session: give session_id.")
    await _check_resources(area, request.slug, request.resource_ids)
    report = await area.checkers.check(request.slug, request.body)
    note = Note.draft(
        note_id=uuid.uuid4(),
        slug=request.slug,
        title=request.title,
        body=request.body,
        session_id=request.session_id,
        occurrence_start=occurrence_start,
        held_on=held_on,
        themes=request.themes,
        tags=request.tags,
        resource_ids=request.resource_ids,
        author=standing,
        findings=report.findings,
        now=now,
    )
    await area.notes.add(note)
    return await _view(area, note, standing)


@rpc.route(GET_NOTE, "One note, as the caller may see it.")
async def get_note(request: NoteRef, caller: Caller, area: NotesArea) -> NoteView:
    note, standing = await _readable(area, caller, request.id)
    return await _view(area, note, standing)


@rpc.route(UPDATE_NOTE, "Change a draft or returned note (its author, chairs, facilitators).")
async def update_note(request: UpdateNote, caller: Caller, area: NotesArea) -> NoteView:
    async with area.notes.lock(request.id):
        note, standing = await _readable(area, caller, request.id)
        note.require_editable(standing)  # before any work
        await _check_themes(area, note.slug, request.themes)
        await _check_resources(area, note.slug, request.resource_ids)
        findings = None
        if request.body is not None:
            findings = (await area.checkers.check(note.slug, request.body)).findings
        changed = note.edit(
            standing,
            title=request.title,
            body=request.body,
            themes=request.themes,
            tags=request.tags,
            resource_ids=request.resource_ids,
            findings=findings,
            now=area.clock(),
        )
        if changed or findings is not None:
            await area.notes.save(note)
    return await _view(area, note, standing)


@rpc.route(CHECK_NOTE, "The identifier check of a note's current body (writers, reviewers).")
async def check_note(request: NoteRef, caller: Caller, area: NotesArea) -> CheckReport:
    note, standing = await _readable(area, caller, request.id)
    if not standing.writer:
        raise Forbidden(WRITERS_ONLY)
    return await area.checkers.check(note.slug, note.body)


@rpc.route(CHECK_TEXT, "The identifier check of text not saved yet (the editor; writers).")
async def check_text(request: CheckText, caller: Caller, area: NotesArea) -> CheckReport:
    require_member(caller)
    _, standing = await area.readers.standing(request.slug, caller)
    if not standing.writer:
        raise Forbidden(WRITERS_ONLY)
    return await area.checkers.check(request.slug, request.text)


@rpc.route(APPLY_SUGGESTIONS, "Apply chosen suggestions (or all) and expand glossary acronyms.")
async def apply_note_suggestions(
    request: ApplySuggestions, caller: Caller, area: NotesArea
) -> NoteView:
    async with area.notes.lock(request.id):
        note, standing = await _readable(area, caller, request.id)
        note.require_editable(standing)
        report = await area.checkers.check(note.slug, note.body)
        chosen = report.findings
        if request.finding_ids is not None:
            by_id = {f.id: f for f in report.findings}
            unknown = sorted(set(request.finding_ids) - set(by_id))
            if unknown:
                raise field_invalid(
                    "finding_ids", f"The body has no such findings now: {', '.join(unknown)}."
                )
            chosen = [by_id[i] for i in dict.fromkeys(request.finding_ids)]
        body = apply_suggestions(note.body, chosen) if chosen else note.body
        if request.expand_acronyms:
            network = await area.networks.get(note.slug)
            glossary = network.glossary if network else {}
            unknown = sorted(set(request.expand_acronyms) - set(glossary))
            if unknown:
                raise field_invalid(
                    "expand_acronyms", f"Not in the network's glossary: {', '.join(unknown)}."
                )
            uses = [
                use
                for use in (await area.checkers.check(note.slug, body)).acronyms
                if use.text in request.expand_acronyms and use.expansion
            ]
            body = expand_acronyms(body, uses) if uses else body
        findings = (await area.checkers.check(note.slug, body)).findings
        note.edit(
            standing,
            title=None,
            body=body,
            themes=None,
            tags=None,
            resource_ids=None,
            findings=findings,
            now=area.clock(),
        )
        await area.notes.save(note)
    return await _view(area, note, standing)


@rpc.route(SUBMIT_NOTE, "Send a draft or returned note to a second reader.")
async def submit_note(request: NoteRef, caller: Caller, area: NotesArea) -> NoteView:
    async with area.notes.lock(request.id):
        note, standing = await _readable(area, caller, request.id)
        note.submit(standing, area.clock())
        await area.notes.save(note)
    return await _view(area, note, standing)


@rpc.route(ACCEPT_FINDING, "A second reader keeps one finding on purpose, with a reason.")
async def accept_finding(request: AcceptFinding, caller: Caller, area: NotesArea) -> NoteView:
    async with area.notes.lock(request.id):
        note, standing = await _readable(area, caller, request.id)
        report = await area.checkers.check(note.slug, note.body)
        finding = note.check_acceptable(standing, request.finding_id, report.findings)
        try:
            await area.acceptances.add(
                note.id, finding, request.reason, standing.member_id, area.clock()
            )
        except AlreadyAccepted:
            raise Conflict(f"The finding {finding.id} is accepted already.") from None
    return await _view(area, note, standing)


@rpc.route(
    APPROVE_NOTE, "A second reader publishes a submitted note (409 while findings are open)."
)
async def approve_note(request: NoteRef, caller: Caller, area: NotesArea) -> NoteView:
    async with area.notes.lock(request.id):
        note, standing = await _readable(area, caller, request.id)
        report = await area.checkers.check(note.slug, note.body)
        accepted = await area.acceptances.accepted_ids(note.id)
        note.approve(standing, findings=report.findings, accepted=accepted, now=area.clock())
        await area.notes.save(note)
    if area.library is not None:
        await area.library.add(_published(note))
    return await _view(area, note, standing)


@rpc.route(RETURN_NOTE, "A second reader sends a submitted note back with comments.")
async def return_note(request: ReturnNote, caller: Caller, area: NotesArea) -> NoteView:
    async with area.notes.lock(request.id):
        note, standing = await _readable(area, caller, request.id)
        note.return_to_author(standing, request.comments, area.clock())
        await area.notes.save(note)
    return await _view(area, note, standing)


@rpc.route(RETRACT_NOTE, "Take a published note out of the library, with a reason.")
async def retract_note(request: RetractNote, caller: Caller, area: NotesArea) -> NoteView:
    async with area.notes.lock(request.id):
        note, standing = await _readable(area, caller, request.id)
        note.retract(standing, request.reason, area.clock())
        await area.notes.save(note)
    if area.library is not None:
        await area.library.remove(note.id)
    return await _view(area, note, standing)


@rpc.route(REVIEW_QUEUE, "Submitted notes the caller may approve (never their own).")
async def review_queue(request: ReviewQueueRequest, caller: Caller, area: NotesArea) -> NotePage:
    member_id = require_member(caller)
    admin = await area.members.is_instance_admin(member_id)
    roles = await area.roster.networks_of(member_id)
    slugs = None if admin else sorted(s for s, r in roles.items() if r in REVIEWER_ROLES)
    notes = await area.notes.submitted_in(slugs) if slugs is None or slugs else []
    items = []
    for note in notes:
        standing = Standing(member_id, roles.get(note.slug), admin, reader=True)
        if note.may_review(standing):
            items.append(await _summary(area, note, standing))
    return NotePage(items=items, total=len(items), page=1, per_page=max(len(items), 1))


@rpc.route(GET_THEMES, "A network's themes, and whether its parent's members read it (members).")
async def get_themes(request: BySlug, caller: Caller, area: NotesArea) -> Themes:
    require_member(caller)
    await area.readers.standing(request.slug, caller)
    themes, open_to_parent = await area.themes.get(request.slug)
    return Themes(slug=request.slug, themes=themes, open_to_parent=open_to_parent)


@rpc.route(SET_THEMES, "Set a network's themes (chairs, facilitators).")
async def set_themes(request: SetThemes, caller: Caller, area: NotesArea) -> Themes:
    require_member(caller)
    network, standing = await area.readers.standing(request.slug, caller)
    if not standing.reviewer_role:
        raise Forbidden("Only the network's chairs and facilitators set its themes.")
    if request.open_to_parent and network.parent_slug is None:
        raise field_invalid(
            "open_to_parent",
            "Only a spin-off (a network with a parent) opens its notes to its parent.",
        )
    themes = list(dict.fromkeys(request.themes))
    async with document_locks.hold((SERVICE, "network_themes", request.slug)):
        _, open_now = await area.themes.get(request.slug)
        open_to_parent = open_now if request.open_to_parent is None else request.open_to_parent
        await area.themes.put(request.slug, themes, open_to_parent)
    return Themes(slug=request.slug, themes=themes, open_to_parent=open_to_parent)


@rpc.route(export_subject(SERVICE), "What notes holds about the caller.")
async def export_me(request: Empty, caller: Caller, area: NotesArea) -> dict[str, object]:
    member_id = require_member(caller)
    return {
        "member": await area.members.export(member_id),
        "redaction_names": await area.names.export(member_id),
        "notes": await area.notes.export(member_id),
        "acceptances": await area.acceptances.export(member_id),
    }


__all__ = ["Invalid", "NotesArea"]
