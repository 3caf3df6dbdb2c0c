"""The notes area's domain. Pure: a note, its workflow and who may move it.

The workflow is a state machine: draft -> submitted -> published -> retracted, and
submitted -> returned (with comments) -> submitted again. Editing happens only in draft or
returned. A second reader approves: a chair or facilitator of the network (or an instance
admin) who wrote none of it. Approval re-runs the identifier check on the body and is
refused while any finding is neither fixed (gone from the body) nor accepted with a reason.
"""

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from itertools import islice
from uuid import UUID
from zoneinfo import ZoneInfo

from dateutil.rrule import rrulestr
from huddle_shared.contracts.envelope import EventPayload
from huddle_shared.contracts.networks import Role
from huddle_shared.contracts.notes import (
    Finding,
    NotePublishedV1,
    NoteRetractedV1,
    NoteState,
    NoteStateChangedV1,
)
from huddle_shared.contracts.rpc import FieldError
from huddle_shared.errors import Conflict, Forbidden, Invalid, NotFound

WRITER_ROLES = frozenset({Role.NOTE_TAKER, Role.FACILITATOR, Role.CHAIR})
REVIEWER_ROLES = frozenset({Role.FACILITATOR, Role.CHAIR})
EDITABLE = frozenset({NoteState.DRAFT, NoteState.RETURNED})
# Which state each move starts from.
MOVES_FROM: dict[str, frozenset[NoteState]] = {
    "submit": EDITABLE,
    "return": frozenset({NoteState.SUBMITTED}),
    "approve": frozenset({NoteState.SUBMITTED}),
    "accept": frozenset({NoteState.SUBMITTED}),
    "retract": frozenset({NoteState.PUBLISHED}),
}


_DOING = {
    "edit": "be edited",
    "submit": "be submitted",
    "return": "be returned",
    "approve": "be approved",
    "accept": "have a finding accepted",
    "retract": "be retracted",
}


# --- Errors ---------------------------------------------------------------------------------


class NoteNotFound(NotFound):
    def __init__(self, note_id: UUID) -> None:
        super().__init__(f"There is no note {note_id}.")


class WrongState(Conflict):
    def __init__(self, move: str, state: NoteState) -> None:
        allowed = " or ".join(sorted(s.value for s in MOVES_FROM.get(move, EDITABLE)))
        super().__init__(f"The note is {state.value}: only a {allowed} note can {_DOING[move]}.")


class UnresolvedFindings(Conflict):
    """Approval refused: each finding listed must be fixed or accepted with a reason."""

    def __init__(self, findings: Sequence[Finding]) -> None:
        super().__init__(
            f"{len(findings)} finding(s) of the identifier check are neither fixed nor "
            "accepted with a reason: fix them, or accept each with a reason, then approve.",
            [
                FieldError(field=f"findings.{f.id}", message=f"{f.category.value}: '{f.text}'")
                for f in findings
            ],
        )


def field_invalid(name: str, message: str) -> Invalid:
    return Invalid(message, [FieldError(field=name, message=message)])


def unknown_themes(asked: Iterable[str], known: Iterable[str]) -> Invalid | None:
    unknown = sorted(set(asked) - set(known))
    if not unknown:
        return None
    return field_invalid(
        "themes",
        f"Not among the network's themes: {', '.join(unknown)}. Chairs and facilitators add "
        "themes to the list first.",
    )


# --- Who may do what ------------------------------------------------------------------------


@dataclass(frozen=True)
class Standing:
    """The caller towards one network: their role there (or none) and whether they are an
    instance admin. ``reader``: may read its library (the port ``Readers`` decided)."""

    member_id: UUID
    role: Role | None
    instance_admin: bool
    reader: bool

    @property
    def writer(self) -> bool:
        return self.instance_admin or self.role in WRITER_ROLES

    @property
    def reviewer_role(self) -> bool:
        return self.instance_admin or self.role in REVIEWER_ROLES


def unresolved(findings: Iterable[Finding], accepted: Iterable[str]) -> list[Finding]:
    """Findings neither fixed (a finding of the current body is not fixed) nor accepted."""
    kept = set(accepted)
    return [finding for finding in findings if finding.id not in kept]


# --- The note ------------------------------------------------------------------------------


@dataclass
class Move:
    """One entry of a note's history (``by`` None: a former member)."""

    state: NoteState
    at: datetime
    by: UUID | None
    comments: str | None = None


@dataclass
class Note:
    id: UUID
    slug: str
    title: str
    body: str
    session_id: UUID | None
    occurrence_start: datetime | None
    held_on: date | None
    themes: list[str]
    tags: list[str]
    resource_ids: list[UUID]
    author_id: UUID | None  # None once the author was erased
    created_at: datetime
    updated_at: datetime
    state: NoteState = NoteState.DRAFT
    published_at: datetime | None = None
    return_comments: str | None = None
    findings: list[Finding] = field(default_factory=list)  # of the body as last saved
    # Every finding id the check ever raised on this note: those gone are the fixed ones.
    seen_finding_ids: set[str] = field(default_factory=set)
    # Everyone who wrote any of it: none of them may be its second reader.
    contributors: set[UUID] = field(default_factory=set)
    history: list[Move] = field(default_factory=list)
    version: int = 0
    pending_events: list[EventPayload] = field(default_factory=list)

    @classmethod
    def draft(
        cls,
        *,
        note_id: UUID,
        slug: str,
        title: str,
        body: str,
        session_id: UUID | None,
        occurrence_start: datetime | None,
        held_on: date | None,
        themes: list[str],
        tags: list[str],
        resource_ids: list[UUID],
        author: Standing,
        findings: list[Finding],
        now: datetime,
    ) -> "Note":
        if not author.writer:
            raise Forbidden(WRITERS_ONLY)
        note = cls(
            id=note_id,
            slug=slug,
            title=title,
            body=body,
            session_id=session_id,
            occurrence_start=occurrence_start.astimezone(UTC) if occurrence_start else None,
            held_on=held_on,
            themes=_unique(themes),
            tags=_unique(tags),
            resource_ids=list(dict.fromkeys(resource_ids)),
            author_id=author.member_id,
            created_at=now,
            updated_at=now,
            contributors={author.member_id},
        )
        note._checked(findings)
        note._move(NoteState.DRAFT, author.member_id, now)
        return note

    # --- Who may ------------------------------------------------------------------------

    def may_see(self, standing: Standing) -> bool:
        """Writers of the network see every state; readers see it published."""
        return standing.writer or (standing.reader and self.state is NoteState.PUBLISHED)

    def may_edit(self, standing: Standing) -> bool:
        """The author, and the network's chairs and facilitators (say, for an erased
        author's draft); only in draft or returned."""
        return self.state in EDITABLE and (
            standing.member_id == self.author_id or standing.reviewer_role
        )

    def may_review(self, standing: Standing) -> bool:
        """A second reader: a chair, facilitator or instance admin who wrote none of it."""
        return (
            self.state is NoteState.SUBMITTED
            and standing.reviewer_role
            and standing.member_id not in self.contributors
            and standing.member_id != self.author_id
        )

    # --- Changes ------------------------------------------------------------------------

    def edit(
        self,
        standing: Standing,
        *,
        title: str | None,
        body: str | None,
        themes: list[str] | None,
        tags: list[str] | None,
        resource_ids: list[UUID] | None,
        findings: list[Finding] | None,
        now: datetime,
    ) -> bool:
        """Change what is given (``findings``: the check of the new body); False if nothing
        changed."""
        self.require_editable(standing)
        changes = {
            "title": title,
            "body": body,
            "themes": _unique(themes) if themes is not None else None,
            "tags": _unique(tags) if tags is not None else None,
            "resource_ids": list(dict.fromkeys(resource_ids)) if resource_ids is not None else None,
        }
        changed = False
        for name, value in changes.items():
            if value is not None and getattr(self, name) != value:
                setattr(self, name, value)
                changed = True
        if body is not None and findings is not None:
            self._checked(findings)
        if changed:
            self.updated_at = now
            self.contributors.add(standing.member_id)
        return changed

    def require_editable(self, standing: Standing) -> None:
        if self.state not in EDITABLE:
            raise WrongState("edit", self.state)
        if not self.may_edit(standing):
            raise Forbidden(
                "Only the note's author and the network's chairs and facilitators edit it."
            )

    def submit(self, standing: Standing, now: datetime) -> None:
        if self.state not in MOVES_FROM["submit"]:
            raise WrongState("submit", self.state)
        if not self.may_edit(standing):
            raise Forbidden(
                "Only the note's author and the network's chairs and facilitators submit it."
            )
        self._move(NoteState.SUBMITTED, standing.member_id, now)

    def return_to_author(self, standing: Standing, comments: str, now: datetime) -> None:
        self._reviewing(standing, "return")
        self.return_comments = comments
        self._move(NoteState.RETURNED, standing.member_id, now, comments)

    def approve(
        self,
        standing: Standing,
        *,
        findings: Sequence[Finding],
        accepted: Iterable[str],
        now: datetime,
    ) -> None:
        """``findings``: the check re-run on the body now; ``accepted``: finding ids a second
        reader accepted with a reason. Refused while any finding is neither."""
        self._reviewing(standing, "approve")
        self._checked(list(findings))
        open_findings = unresolved(findings, accepted)
        if open_findings:
            raise UnresolvedFindings(open_findings)
        accepted_here = {f.id for f in findings} & set(accepted)
        self.published_at = now
        self.return_comments = None
        self._move(NoteState.PUBLISHED, standing.member_id, now)
        self.pending_events.append(
            NotePublishedV1(
                note_id=self.id,
                slug=self.slug,
                session_id=self.session_id,
                occurrence_start=self.occurrence_start,
                themes=list(self.themes),
                words=len(self.body.split()),
                findings_fixed=len(self.seen_finding_ids - {f.id for f in findings}),
                findings_accepted=len(accepted_here),
                resources=len(self.resource_ids),
            )
        )

    def check_acceptable(
        self, standing: Standing, finding_id: str, findings: Sequence[Finding]
    ) -> Finding:
        """The finding a second reader may accept now (of the body's current check)."""
        self._reviewing(standing, "accept")
        for finding in findings:
            if finding.id == finding_id:
                return finding
        raise NotFound(
            f"The note's body has no finding {finding_id} now: it may have been fixed already."
        )

    def retract(self, standing: Standing, reason: str, now: datetime) -> None:
        if self.state not in MOVES_FROM["retract"]:
            raise WrongState("retract", self.state)
        if not (standing.reviewer_role or standing.member_id == self.author_id):
            raise Forbidden(
                "Only the note's author and the network's chairs and facilitators retract it."
            )
        self._move(NoteState.RETRACTED, standing.member_id, now, reason)
        self.pending_events.append(
            NoteRetractedV1(note_id=self.id, slug=self.slug, themes=list(self.themes))
        )

    def forget_member(self, member_id: UUID) -> bool:
        """Erasure: the member no longer shows as author or in the history."""
        changed = False
        if self.author_id == member_id:
            self.author_id = None
            changed = True
        if member_id in self.contributors:
            # Keep the second-reader rule: an erased contributor still may not approve,
            # but they are gone; what remains is that someone else wrote it.
            self.contributors.discard(member_id)
            changed = True
        for move in self.history:
            if move.by == member_id:
                move.by = None
                changed = True
        return changed

    # --- Workings -----------------------------------------------------------------------

    def _reviewing(self, standing: Standing, move: str) -> None:
        if self.state is not NoteState.SUBMITTED:
            raise WrongState(move, self.state)
        if not standing.reviewer_role:
            raise Forbidden("Only the network's chairs and facilitators review notes.")
        if not self.may_review(standing):
            raise Forbidden(
                "A second reader reviews a note: someone who wrote none of it, not its author."
            )

    def _checked(self, findings: list[Finding]) -> None:
        self.findings = list(findings)
        self.seen_finding_ids |= {finding.id for finding in findings}

    def _move(
        self, state: NoteState, by: UUID | None, now: datetime, comments: str | None = None
    ) -> None:
        self.state = state
        self.updated_at = now
        self.history.append(Move(state, now, by, comments))
        self.pending_events.append(NoteStateChangedV1(note_id=self.id, slug=self.slug, state=state))


WRITERS_ONLY = "Only the network's note-takers, facilitators and chairs write notes."


def _unique(values: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(value for value in values))


# --- Sessions, as notes know them -----------------------------------------------------------

MAX_OCCURRENCES = 1000  # scheduling's own limit on a series
_UNTIL = re.compile(r"(?<![A-Z])UNTIL=(\d{8}T\d{6}Z)")


def occurrence_starts(starts_at: datetime, time_zone: str, rule: str | None) -> list[datetime]:
    """The UTC instants a session's rule gives (scheduling validated the rule: it ends)."""
    zone = ZoneInfo(time_zone)
    first = starts_at.astimezone(zone)
    if rule is None:
        return [first.astimezone(UTC)]
    wall_clock = first.replace(tzinfo=None)
    # UNTIL comes in UTC (RFC 5545 beside a TZID); dateutil wants it on the naive wall
    # clock DTSTART is given in, so it is turned into that zone's wall clock.
    until = _UNTIL.search(rule)
    parsed = rrulestr(
        ";".join(p for p in rule.split(";") if not p.startswith("UNTIL=")), dtstart=wall_clock
    )
    if until is not None:
        until_utc = datetime.strptime(until.group(1), "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC)
        parsed = parsed.replace(until=until_utc.astimezone(zone).replace(tzinfo=None))
    return [
        moment.replace(tzinfo=zone).astimezone(UTC)
        for moment in islice(iter(parsed), MAX_OCCURRENCES)
    ]


@dataclass(frozen=True)
class SessionFacts:
    """A session of scheduling's, as notes keep it: its network, its speakers' names (for
    the identifier check), and its occurrences (UTC instant -> the date it is held on)."""

    session_id: UUID
    slug: str
    speakers: tuple[str, ...]
    occurrences: dict[datetime, date]
    cancelled: frozenset[datetime] = frozenset()
    series: bool = False
    whole_cancelled: bool = False

    def occurrence(self, slug: str, occurrence_start: datetime | None) -> tuple[datetime, date]:
        """The occurrence a note of network ``slug`` names, refused clearly otherwise."""
        if self.slug != slug:
            raise field_invalid(
                "session_id",
                "The session belongs to another network: a note is of its own network's sessions.",
            )
        if self.whole_cancelled:
            raise field_invalid("session_id", "The session was called off.")
        if occurrence_start is None:
            if self.series:
                raise field_invalid(
                    "occurrence_start",
                    "The session is a series: say which occurrence (occurrence_start).",
                )
            occurrence_start = next(iter(self.occurrences))
        start = occurrence_start.astimezone(UTC)
        if start not in self.occurrences:
            raise NotFound(f"The session has no occurrence starting at {start.isoformat()}.")
        if start in self.cancelled:
            raise field_invalid("occurrence_start", "That occurrence was cancelled.")
        return start, self.occurrences[start]
