"""The directory's rules, pure: which areas match which, when an entry is stale, what a
change changed, and an entry with its history.

An entry (``Entry``) is one service in the directory. Every change to it is kept in its
own history, in the same document as the entry (so the change and its record are one
write): who, when, and each field's value before and after.
"""

import functools
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any
from uuid import NAMESPACE_URL, UUID, uuid5

from dateutil.relativedelta import relativedelta
from huddle_shared.contracts.areas import (
    ICB_PREFIX,
    NATIONAL,
    REGION_OF_BOARD,
    REGION_PREFIX,
    IntegratedCareBoard,
    region_code,
    region_of_area,
)
from huddle_shared.contracts.envelope import EventPayload
from huddle_shared.contracts.signposting import (
    AreaMatch,
    Audience,
    FieldChange,
    HistoryAction,
    ServiceAddedV1,
    ServiceRetiredV1,
    ServiceStatus,
    ServiceUpdatedV1,
)
from huddle_shared.errors import Conflict, NotFound

PROVIDER_NAMESPACE = uuid5(NAMESPACE_URL, "https://huddle.example.org/signposting/providers")
STALE_AFTER = relativedelta(months=12)
# Freshness counts fully up to 3 months after a check and nothing from 24 months on.
FRESH_DAYS = 91
FADED_AFTER_DAYS = 730


class EntryNotFound(NotFound):
    def __init__(self, service_id: UUID) -> None:
        super().__init__(f"No directory entry {service_id}.")


class EntryRetired(Conflict, detail="This entry has been retired: it can no longer change."):
    pass


@functools.lru_cache(maxsize=100_000)
def provider_id(name: str) -> UUID:
    """One id per provider name, whatever its case or spacing: the same organisation."""
    return uuid5(PROVIDER_NAMESPACE, " ".join(name.casefold().split()))


# --- Areas --------------------------------------------------------------------------------

_MATCH_RANK = {AreaMatch.EXACT: 3, AreaMatch.WITHIN: 2, AreaMatch.NEARBY: 1, AreaMatch.ANY: 0}


def match_of(covered: str, wanted: str) -> AreaMatch | None:
    """How one area a service covers meets the area searched for, or None.

    A national service matches every area; a region's service matches its own boards; a
    board's service matches a search for its region (found nearby, ranked below services
    for the whole region)."""
    if covered == wanted:
        return AreaMatch.EXACT
    if wanted == NATIONAL:
        return None
    if covered == NATIONAL:
        return AreaMatch.WITHIN
    if wanted.startswith(ICB_PREFIX) and covered.startswith(REGION_PREFIX):
        return AreaMatch.WITHIN if region_of_area(wanted) == region_of_area(covered) else None
    if wanted.startswith(REGION_PREFIX) and covered.startswith(ICB_PREFIX):
        return AreaMatch.NEARBY if region_of_area(wanted) == region_of_area(covered) else None
    return None


def best_match(covered: list[str] | tuple[str, ...], wanted: str | None) -> AreaMatch | None:
    if wanted is None:
        return AreaMatch.ANY
    matches = [m for area in covered if (m := match_of(area, wanted)) is not None]
    return max(matches, key=_MATCH_RANK.__getitem__) if matches else None


def areas_matching(wanted: str) -> dict[str, AreaMatch]:
    """Every area whose services a search for ``wanted`` finds, with how (for the index)."""
    found = {wanted: AreaMatch.EXACT}
    if wanted == NATIONAL:
        return found
    found[NATIONAL] = AreaMatch.WITHIN
    if wanted.startswith(ICB_PREFIX):
        board = IntegratedCareBoard(wanted.removeprefix(ICB_PREFIX))
        found[region_code(REGION_OF_BOARD[board])] = AreaMatch.WITHIN
    else:
        region = region_of_area(wanted)
        for board, board_region in REGION_OF_BOARD.items():
            if board_region == region:
                found[f"{ICB_PREFIX}{board.value}"] = AreaMatch.NEARBY
    return found


def area_rank(match: AreaMatch) -> int:
    return _MATCH_RANK[match]


# --- Freshness ----------------------------------------------------------------------------


@functools.lru_cache(maxsize=100_000)  # asked for each result shown: dates repeat
def is_stale(last_checked_on: date, today: date) -> bool:
    """Not checked for 12 months: 12 months after the check (a leap day's on 28 February)."""
    return today >= last_checked_on + STALE_AFTER


def freshness(last_checked_on: date, today: date) -> float:
    """1 for an entry checked in the last 3 months (91 days), falling evenly to 0 at two
    years (the search computes the same over arrays: ``search.freshness_of``)."""
    age = (today - last_checked_on).days
    if age <= FRESH_DAYS:
        return 1.0
    return max(0.0, 1.0 - (age - FRESH_DAYS) / (FADED_AFTER_DAYS - FRESH_DAYS))


# --- Changes and history ------------------------------------------------------------------


def diff(before: dict[str, Any], after: dict[str, Any]) -> list[FieldChange]:
    """Each field whose value differs, with both values (fields in ``after`` only)."""
    return [
        FieldChange(field=name, before=before.get(name), after=value)
        for name, value in after.items()
        if before.get(name) != value
    ]


@dataclass
class Change:
    """One line of an entry's history."""

    at: datetime
    by: UUID | None  # None once the curator has been erased
    action: HistoryAction
    changes: list[FieldChange]
    note: str | None = None


# The fields of an entry a curator edits: the request fields of ``CreateService`` minus the
# provider, which is held apart (its id follows from its name).
EDITABLE = (
    "name",
    "description",
    "url",
    "email",
    "phones",
    "contacts",
    "status",
    "eligibility_description",
    "audiences",
    "minimum_age",
    "maximum_age",
    "taxonomy_term_ids",
    "areas",
    "access",
    "languages",
    "fees_description",
    "cost_options",
)


@dataclass
class Entry:
    """A directory entry. ``fields`` hold the editable fields as JSON values (the contract's
    shapes), ``organization`` the provider's fields."""

    id: UUID
    organization: dict[str, Any]
    fields: dict[str, Any]
    created_at: datetime
    last_modified: datetime
    last_checked_on: date
    last_checked_by: UUID | None
    retired: bool = False
    history: list[Change] = field(default_factory=list)
    version: int = 0
    pending_events: list[EventPayload] = field(default_factory=list)

    @property
    def organization_id(self) -> UUID:
        return provider_id(self.organization["name"])

    @property
    def areas(self) -> list[str]:
        return list(self.fields["areas"])

    @property
    def audiences(self) -> list[Audience]:
        return [Audience(a) for a in self.fields["audiences"]]

    @property
    def taxonomy_term_ids(self) -> list[UUID]:
        return [UUID(str(t)) for t in self.fields["taxonomy_term_ids"]]

    @classmethod
    def create(
        cls,
        service_id: UUID,
        organization: dict[str, Any],
        fields: dict[str, Any],
        *,
        by: UUID,
        at: datetime,
        checked_on: date | None = None,
    ) -> "Entry":
        """A new entry, checked by its author as they wrote it (unless ``checked_on`` says
        otherwise: an import of entries checked earlier)."""
        entry = cls(
            id=service_id,
            organization=dict(organization),
            fields={name: fields[name] for name in EDITABLE},
            created_at=at,
            last_modified=at,
            last_checked_on=checked_on or at.date(),
            last_checked_by=by,
        )
        created = diff({}, {"organization": entry.organization, **entry.fields})
        entry.history.append(Change(at, by, HistoryAction.CREATED, created))
        entry.pending_events.append(
            ServiceAddedV1(
                service_id=entry.id,
                organization_id=entry.organization_id,
                name=entry.fields["name"],
                taxonomy_term_ids=entry.taxonomy_term_ids,
                areas=entry.areas,
                audiences=entry.audiences,
            )
        )
        return entry

    def change(
        self,
        given: dict[str, Any],
        *,
        by: UUID,
        at: datetime,
        action: HistoryAction = HistoryAction.UPDATED,
        note: str | None = None,
    ) -> list[FieldChange]:
        """Apply the fields given (a PATCH); returns what changed (nothing: no history line,
        no event). A curator editing an entry has checked it."""
        if self.retired:
            raise EntryRetired()
        before = {"organization": self.organization, **self.fields}
        after = {name: value for name, value in given.items() if name in before}
        changes = diff(before, after)
        if not changes:
            return []
        for change in changes:
            if change.field == "organization":
                self.organization = dict(change.after)
            else:
                self.fields[change.field] = change.after
        self.last_modified = at
        self.last_checked_on, self.last_checked_by = at.date(), by
        self.history.append(Change(at, by, action, changes, note))
        self.pending_events.append(self._updated([c.field for c in changes]))
        return changes

    def check(self, *, by: UUID, at: datetime) -> None:
        """A curator confirmed the entry is still right."""
        if self.retired:
            raise EntryRetired()
        before = self.last_checked_on.isoformat()
        self.last_checked_on, self.last_checked_by = at.date(), by
        self.last_modified = at
        changes = [FieldChange(field="last_checked_on", before=before, after=at.date().isoformat())]
        self.history.append(Change(at, by, HistoryAction.CHECKED, changes))
        self.pending_events.append(self._updated(["last_checked"]))

    def retire(self, *, by: UUID, at: datetime, reason: str | None) -> bool:
        """Out of search, kept with its history. False if it already was."""
        if self.retired:
            return False
        before = self.fields["status"]
        self.retired = True
        self.fields["status"] = ServiceStatus.DEFUNCT.value
        self.last_modified = at
        changes = [FieldChange(field="status", before=before, after=ServiceStatus.DEFUNCT.value)]
        self.history.append(Change(at, by, HistoryAction.RETIRED, changes, reason))
        self.pending_events.append(ServiceRetiredV1(service_id=self.id))
        return True

    def forget_member(self, member_id: UUID) -> bool:
        """An erased curator: their changes stay, by "a former member"."""
        forgot = False
        if self.last_checked_by == member_id:
            self.last_checked_by, forgot = None, True
        for change in self.history:
            if change.by == member_id:
                change.by, forgot = None, True
        return forgot

    def _updated(self, changed_fields: list[str]) -> ServiceUpdatedV1:
        return ServiceUpdatedV1(
            service_id=self.id,
            changed_fields=changed_fields,
            taxonomy_term_ids=self.taxonomy_term_ids,
            areas=self.areas,
            audiences=self.audiences,
        )


def is_curator(*, instance_admin: bool, designated: bool, active: bool) -> bool:
    """Curators are instance admins and the members they designate, while active."""
    return active and (instance_admin or designated)


class SuggestionNotFound(NotFound):
    def __init__(self, suggestion_id: UUID) -> None:
        super().__init__(f"No suggestion {suggestion_id}.")


class AlreadyDecided(Conflict, detail="This suggestion has already been accepted or declined."):
    pass


@dataclass
class Suggestion:
    """A member's proposed correction: the fields they would change, kept as given, and the
    difference they made to the entry as it was then (what a curator reads)."""

    id: UUID
    service_id: UUID
    given: dict[str, Any]
    changes: list[FieldChange]
    comment: str
    suggested_by: UUID | None
    suggested_at: datetime
    state: str = "open"
    decided_by: UUID | None = None
    decided_at: datetime | None = None
    decline_reason: str | None = None

    @classmethod
    def propose(
        cls,
        suggestion_id: UUID,
        entry: Entry,
        given: dict[str, Any],
        comment: str,
        *,
        by: UUID,
        at: datetime,
    ) -> "Suggestion":
        if entry.retired:
            raise EntryRetired()
        before = {"organization": entry.organization, **entry.fields}
        changes = diff(before, {k: v for k, v in given.items() if k in before})
        return cls(suggestion_id, entry.id, given, changes, comment, by, at)

    def decide(self, *, accepted: bool, by: UUID, at: datetime, reason: str | None = None) -> None:
        if self.state != "open":
            raise AlreadyDecided()
        self.state = "accepted" if accepted else "declined"
        self.decided_by, self.decided_at, self.decline_reason = by, at, reason
