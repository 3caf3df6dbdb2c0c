"""The directory's RPC routes and event handlers: entries and their curation, history,
suggestions, the taxonomy, curators, stale reminders, search and the Open Referral UK views.

Who may do what (decided here, from the directory's own data):
- the taxonomy and the Open Referral UK views: anyone, signed in or not (open data);
- search and an entry's page: any signed-in member;
- suggesting a correction: an active member;
- creating, editing, checking, retiring, history, stale entries, the suggestions queue,
  accepting and declining: curators (instance admins and the members they designate);
- designating curators: instance admins.
"""

import asyncio
import json
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, TypeVar
from uuid import UUID

from huddle_shared.clock import utc_now
from huddle_shared.contracts import signposting as contract
from huddle_shared.contracts.areas import AREA_NAMES
from huddle_shared.contracts.envelope import EventEnvelope
from huddle_shared.contracts.membership import (
    MemberErasedV1,
    MemberInstanceAdminChangedV1,
    MemberProfileUpdatedV1,
    MemberRegisteredV1,
    MemberStatusChangedV1,
)
from huddle_shared.contracts.rpc import Caller, FieldError
from huddle_shared.errors import Forbidden, Invalid, require_member
from huddle_shared.ids import new_id
from huddle_shared.messaging.reconnects import on_reconnect
from huddle_shared.messaging.routes import RouteTable
from huddle_shared.messaging.subscriptions import Subscription

from huddle_signposting.directory import oruk
from huddle_signposting.directory.domain import (
    EDITABLE,
    Entry,
    Suggestion,
    is_curator,
    is_stale,
)
from huddle_signposting.directory.repository import (
    ChangedMeanwhile,
    DesignatedCurators,
    DirectoryMembers,
    Entries,
    Reminders,
    Suggestions,
)
from huddle_signposting.directory.search import (
    DirectoryIndex,
    Indexed,
    Query,
    query_terms,
    weights_of,
)
from huddle_signposting.directory.taxonomy import AUDIENCE_TERMS, TAXONOMY

log = logging.getLogger(__name__)

SAVE_ATTEMPTS = 5
ACTIVE = "active"
EXCERPT_CHARS = 240
# The stale reminder: looked for every few hours, sent once a week (ISO week) at most.
REMINDER_CHECK_SECONDS = 6 * 3600.0

T = TypeVar("T")


def _indexed(entry: Entry) -> Indexed:
    f = entry.fields
    words = " ".join(
        [
            f["description"],
            f.get("eligibility_description", ""),
            entry.organization["name"],
            *TAXONOMY.names(entry.taxonomy_term_ids),
            f["access"].get("how_to_access", ""),
        ]
    )
    return Indexed(
        service_id=entry.id,
        name=f["name"],
        organization_id=entry.organization_id,
        areas=tuple(entry.areas),
        audiences=frozenset(entry.audiences),
        term_ids=frozenset(entry.taxonomy_term_ids),
        last_checked_on=entry.last_checked_on,
        last_modified=entry.last_modified,
        retired=entry.retired,
        weights=weights_of(f["name"], words),
    )


def _excerpt(text: str) -> str:
    if len(text) <= EXCERPT_CHARS:
        return text
    cut = text.rfind(" ", 0, EXCERPT_CHARS)
    return text[: cut if cut > 0 else EXCERPT_CHARS] + "…"


def _areas(codes: list[str]) -> list[contract.AreaView]:
    return [contract.AreaView(code=c, name=AREA_NAMES.get(c, c)) for c in codes]


def summary_of(entry: Entry) -> contract.ServiceSummary:
    f = entry.fields
    return contract.ServiceSummary(
        id=entry.id,
        name=f["name"],
        organization_id=entry.organization_id,
        organization_name=entry.organization["name"],
        description=_excerpt(f["description"]),
        audiences=entry.audiences,
        taxonomy_term_ids=entry.taxonomy_term_ids,
        areas=_areas(entry.areas),
        referral=contract.Referral(f["access"]["referral"]),
        accepting_referrals=f["access"].get("accepting_referrals", True),
        phones=[contract.Phone.model_validate(p) for p in f.get("phones", [])],
        url=f.get("url"),
        email=f.get("email"),
        status=contract.ServiceStatus(f["status"]),
        last_checked_on=entry.last_checked_on,
        stale=False,
        area_match=contract.AreaMatch.ANY,
        score=0.0,
    )


class SearchIndex:
    """The directory in memory on every replica: entries by id and their search index.
    Loaded at start, kept current by this replica's writes and by every replica's events
    (``follow``), so all replicas answer alike."""

    def __init__(self, entries: Entries, clock: Callable[[], datetime] = utc_now) -> None:
        self._store = entries
        self._clock = clock
        self.entries: dict[UUID, Entry] = {}
        self.index = DirectoryIndex()
        self._lock = asyncio.Lock()
        self._loaded = asyncio.Event()
        self._summaries: dict[UUID, tuple[tuple[int, datetime], contract.ServiceSummary]] = {}

    async def load(self) -> None:
        started = time.perf_counter()
        entries: dict[UUID, Entry] = {}
        index = DirectoryIndex()
        async for entry in self._store.all():
            entries[entry.id] = entry
            index.add(_indexed(entry))
        async with self._lock:
            self.entries, self.index = entries, index
            self._loaded.set()
        log.info(
            "directory: %d entries loaded in %.1fs", len(entries), time.perf_counter() - started
        )

    async def wait_loaded(self) -> None:
        await self._loaded.wait()

    async def put(self, entry: Entry) -> None:
        """This replica wrote the entry: index it now (its event reaches the others)."""
        await self._loaded.wait()
        async with self._lock:
            self.entries[entry.id] = entry
            self.index.add(_indexed(entry))

    async def refresh(self, service_id: UUID) -> None:
        """An entry changed on some replica: index what the record says now, so late or
        repeated events change nothing."""
        await self._loaded.wait()
        entry = await self._store.find(service_id)
        async with self._lock:
            if entry is None:
                self.entries.pop(service_id, None)
                self.index.remove(service_id)
                return
            known = self.entries.get(service_id)
            if known is None or known.version <= entry.version:
                self.entries[service_id] = entry
                self.index.add(_indexed(entry))

    async def follow(self, connection: Any) -> None:
        """A start hook, before the load: a core NATS subscription to the directory's events
        (every replica hears each one, unlike a shared durable consumer). Core delivery is at
        most once, so after a reconnect the whole directory is loaded again."""

        async def on_message(message: Any) -> None:
            try:
                service_id = UUID(json.loads(message.data)["payload"]["service_id"])
            except (ValueError, KeyError, TypeError):
                log.warning("directory: unreadable service event ignored")
                return
            await self.refresh(service_id)

        for event in (
            contract.ServiceAddedV1,
            contract.ServiceUpdatedV1,
            contract.ServiceRetiredV1,
        ):
            await connection.subscribe(event.subject_filter(), cb=on_message)

        on_reconnect(connection, self.load, name="the directory's search index")

    def query(self, request: contract.SearchServices) -> Query:
        term_ids = None
        if request.taxonomy_term_id is not None:
            if request.taxonomy_term_id not in TAXONOMY.by_id:
                raise _unknown_term("taxonomy_term_id", request.taxonomy_term_id)
            term_ids = TAXONOMY.matching(request.taxonomy_term_id)
        return Query(
            terms=tuple(query_terms(request.text)),
            term_ids=term_ids,
            area=request.area,
            audience=request.audience,
            organization_id=request.organization_id,
            modified_after=request.modified_after,
            include_retired=request.include_retired,
            page=request.page,
            per_page=request.per_page,
        )

    async def search(self, request: contract.SearchServices) -> contract.ServicePage:
        """The directory search, for any caller in this process (the requests area too):
        who may search is the caller's to check."""
        query = self.query(request)
        await self._loaded.wait()
        today = self._clock().date()
        results = self.index.search(query, today)
        items = [
            self.summary(self.entries[hit.entry.service_id], today, hit.area_match, hit.score)
            for hit in results.hits
        ]
        return contract.ServicePage(
            items=items, total=results.total, page=request.page, per_page=request.per_page
        )

    def summary(
        self,
        entry: Entry,
        today: date,
        match: contract.AreaMatch = contract.AreaMatch.ANY,
        score: float = 0.0,
    ) -> contract.ServiceSummary:
        """An entry as a result; the parts that change only with the entry are kept (a
        page of results then costs copies, not validation)."""
        cached = self._summaries.get(entry.id)
        if cached is None or cached[0] != (entry.version, entry.last_modified):
            cached = ((entry.version, entry.last_modified), summary_of(entry))
            self._summaries[entry.id] = cached
        update = {
            "stale": is_stale(entry.last_checked_on, today),
            "area_match": match,
            "score": round(score, 6),
        }
        return cached[1].model_copy(update=update)

    async def provides(self, organization_id: UUID) -> bool:
        """Whether any entry, retired or not, names this organisation as its provider."""
        await self._loaded.wait()
        return any(e.organization_id == organization_id for e in self.entries.values())

    async def stale(self) -> list[Entry]:
        await self._loaded.wait()
        today = self._clock().date()
        found = [
            e for e in self.entries.values() if not e.retired and is_stale(e.last_checked_on, today)
        ]
        return sorted(found, key=lambda e: (e.last_checked_on, e.fields["name"]))

    async def listed(self) -> list[Entry]:
        """Entries not retired, by name (the open data's lists)."""
        await self._loaded.wait()
        live = [e for e in self.entries.values() if not e.retired]
        return sorted(live, key=lambda e: (e.fields["name"].casefold(), str(e.id)))


def _unknown_term(name: str, term: UUID) -> Invalid:
    return Invalid(
        f"Unknown taxonomy term {term}: see the taxonomy for the terms there are.",
        [FieldError(field=name, message="unknown taxonomy term")],
    )


@dataclass
class DirectoryArea:
    entries: Entries
    suggestions: Suggestions
    members: DirectoryMembers
    curators: DesignatedCurators
    reminders: Reminders
    index: SearchIndex
    clock: Callable[[], datetime] = field(default=utc_now)

    # --- Who ------------------------------------------------------------------------------

    async def _member(self, caller: Caller) -> tuple[UUID, dict[str, Any]]:
        member_id = require_member(caller)
        return member_id, (await self.members.get(member_id)) or {}

    async def can_curate(self, member_id: UUID | None) -> bool:
        if member_id is None:
            return False
        known = (await self.members.get(member_id)) or {}
        return is_curator(
            instance_admin=bool(known.get("is_instance_admin")),
            designated=await self.curators.is_designated(member_id),
            active=known.get("status", ACTIVE) == ACTIVE and bool(known),
        )

    async def require_curator(self, caller: Caller) -> UUID:
        member_id = require_member(caller)
        if not await self.can_curate(member_id):
            raise Forbidden("Only the directory's curators can do this.")
        return member_id

    async def require_active_member(self, caller: Caller) -> UUID:
        member_id, known = await self._member(caller)
        if not known or known.get("status", ACTIVE) != ACTIVE:
            raise Forbidden("Only active members can suggest a correction.")
        return member_id

    async def require_instance_admin(self, caller: Caller) -> UUID:
        member_id, known = await self._member(caller)
        if not known.get("is_instance_admin") or known.get("status", ACTIVE) != ACTIVE:
            raise Forbidden("Only instance administrators can designate curators.")
        return member_id

    # --- Views ----------------------------------------------------------------------------

    async def _names(self, ids: set[UUID | None]) -> dict[UUID, str]:
        return await self.members.names_of({i for i in ids if i is not None})

    async def view(self, entry: Entry, caller_id: UUID | None) -> contract.ServiceView:
        names = await self._names({entry.last_checked_by})
        f = entry.fields
        today = self.clock().date()
        org = entry.organization
        return contract.ServiceView(
            id=entry.id,
            organization=contract.ProviderView(
                id=entry.organization_id,
                name=org["name"],
                description=org.get("description", ""),
                website=org.get("website"),
                email=org.get("email"),
            ),
            name=f["name"],
            description=f["description"],
            url=f.get("url"),
            email=f.get("email"),
            phones=f.get("phones", []),
            contacts=f.get("contacts", []),
            status=contract.ServiceStatus(f["status"]),
            retired=entry.retired,
            eligibility_description=f.get("eligibility_description", ""),
            audiences=entry.audiences,
            minimum_age=f.get("minimum_age"),
            maximum_age=f.get("maximum_age"),
            taxonomy_terms=[_term_view(t) for t in entry.taxonomy_term_ids if t in TAXONOMY.by_id],
            areas=_areas(entry.areas),
            access=contract.Access.model_validate(f["access"]),
            languages=f.get("languages", []),
            fees_description=f.get("fees_description", ""),
            cost_options=f.get("cost_options", []),
            created_at=entry.created_at,
            last_modified=entry.last_modified,
            last_checked_on=entry.last_checked_on,
            last_checked_by=(
                names.get(entry.last_checked_by, contract.FORMER_MEMBER)
                if entry.last_checked_by
                else contract.FORMER_MEMBER
            ),
            stale=is_stale(entry.last_checked_on, today),
            can_curate=await self.can_curate(caller_id),
        )

    async def suggestion_view(self, s: Suggestion) -> contract.SuggestionView:
        names = await self._names({s.suggested_by, s.decided_by})
        entry = self.index.entries.get(s.service_id) or await self.entries.get(s.service_id)
        return contract.SuggestionView(
            id=s.id,
            service_id=s.service_id,
            service_name=entry.fields["name"],
            changes=s.changes,
            comment=s.comment,
            state=contract.SuggestionState(s.state),
            suggested_by=names.get(s.suggested_by, contract.FORMER_MEMBER)
            if s.suggested_by
            else contract.FORMER_MEMBER,
            suggested_at=s.suggested_at,
            decided_by=(names.get(s.decided_by, contract.FORMER_MEMBER) if s.decided_by else None),
            decided_at=s.decided_at,
            decline_reason=s.decline_reason,
        )

    # --- Changes --------------------------------------------------------------------------

    def validate_terms(self, terms: list[UUID] | None) -> None:
        if terms is not None and (unknown := TAXONOMY.unknown(terms)):
            raise _unknown_term("taxonomy_term_ids", unknown[0])

    async def _saving(self, service_id: UUID, change: Callable[[Entry], T]) -> tuple[Entry, T]:
        """Read, change and write one entry, again if another replica wrote it meanwhile."""
        for _ in range(SAVE_ATTEMPTS):
            async with self.entries.lock(service_id):
                entry = await self.entries.get(service_id)
                outcome = change(entry)
                if not entry.pending_events:
                    return entry, outcome
                try:
                    await self.entries.save(entry)
                except ChangedMeanwhile:
                    continue
            await self.index.put(entry)
            return entry, outcome
        raise ChangedMeanwhile()


def _term_view(term_id: UUID) -> contract.TermView:
    term = TAXONOMY.by_id[term_id]
    parent = TAXONOMY.by_code.get(term.parent) if term.parent else None
    return contract.TermView(
        id=term.id,
        code=term.code,
        name=term.name,
        description=term.description,
        parent_id=parent.id if parent else None,
        depth=TAXONOMY.depth(term),
    )


def _fields_of(request: contract.CreateService) -> dict[str, Any]:
    dumped = request.model_dump(mode="json")
    return {name: dumped[name] for name in EDITABLE}


def _page(items: list[T], page: int, per_page: int) -> list[T]:
    start = (page - 1) * per_page
    return items[start : start + per_page]


rpc = RouteTable()


@rpc.route(contract.CREATE_SERVICE, "Add an entry to the directory (curators).")
async def create_service(
    request: contract.CreateService, caller: Caller, area: DirectoryArea
) -> contract.ServiceView:
    curator = await area.require_curator(caller)
    area.validate_terms(request.taxonomy_term_ids)
    now = area.clock()
    if request.last_checked_on is not None and request.last_checked_on > now.date():
        raise Invalid(
            "An entry cannot have been checked in the future.",
            [FieldError(field="last_checked_on", message="must not be after today")],
        )
    entry = Entry.create(
        new_id(),
        request.organization.model_dump(mode="json"),
        _fields_of(request),
        by=curator,
        at=now,
        checked_on=request.last_checked_on,
    )
    await area.entries.add(entry)
    await area.index.put(entry)
    return await area.view(entry, curator)


@rpc.route(contract.UPDATE_SERVICE, "Change the fields given of an entry (curators).")
async def update_service(
    request: contract.UpdateService, caller: Caller, area: DirectoryArea
) -> contract.ServiceView:
    curator = await area.require_curator(caller)
    area.validate_terms(request.taxonomy_term_ids)
    given = request.given()
    given.pop("id", None)
    now = area.clock()
    entry, _ = await area._saving(request.id, lambda e: e.change(given, by=curator, at=now))
    return await area.view(entry, curator)


@rpc.route(contract.CHECK_SERVICE, "Mark an entry checked today (curators).")
async def check_service(
    request: contract.ServiceRef, caller: Caller, area: DirectoryArea
) -> contract.ServiceView:
    curator = await area.require_curator(caller)
    now = area.clock()
    entry, _ = await area._saving(request.id, lambda e: e.check(by=curator, at=now))
    return await area.view(entry, curator)


@rpc.route(contract.RETIRE_SERVICE, "Retire an entry: out of search, kept with its history.")
async def retire_service(
    request: contract.RetireService, caller: Caller, area: DirectoryArea
) -> contract.ServiceView:
    curator = await area.require_curator(caller)
    now = area.clock()
    entry, _ = await area._saving(
        request.id, lambda e: e.retire(by=curator, at=now, reason=request.reason)
    )
    return await area.view(entry, curator)


@rpc.route(contract.GET_SERVICE, "One entry (signed-in members).")
async def get_service(
    request: contract.ServiceRef, caller: Caller, area: DirectoryArea
) -> contract.ServiceView:
    member_id = require_member(caller)
    entry = await area.entries.get(request.id)
    if entry.retired and not await area.can_curate(member_id):
        raise Forbidden("This entry has been retired.") from None
    return await area.view(entry, member_id)


@rpc.route(
    contract.SEARCH_SERVICES,
    "Search the directory: words, category (with its children), area, audience; ranked by "
    "relevance, area match and freshness (signed-in members).",
)
async def search_services(
    request: contract.SearchServices, caller: Caller, area: DirectoryArea
) -> contract.ServicePage:
    member_id = require_member(caller)
    if request.include_retired and not await area.can_curate(member_id):
        raise Forbidden("Only curators can search retired entries.")
    return await area.index.search(request)


@rpc.route(contract.SERVICE_HISTORY, "Every change to an entry: who, when, what (curators).")
async def service_history(
    request: contract.ServiceRef, caller: Caller, area: DirectoryArea
) -> contract.ServiceHistory:
    await area.require_curator(caller)
    entry = await area.entries.get(request.id)
    names = await area._names({c.by for c in entry.history})
    return contract.ServiceHistory(
        service_id=entry.id,
        entries=[
            contract.HistoryEntry(
                at=c.at,
                by=names.get(c.by, contract.FORMER_MEMBER) if c.by else contract.FORMER_MEMBER,
                action=c.action,
                changes=c.changes,
                note=c.note,
            )
            for c in entry.history
        ],
    )


@rpc.route(contract.STALE_SERVICES, "Entries not checked for 12 months, oldest first (curators).")
async def stale_services(
    request: contract.StaleRequest, caller: Caller, area: DirectoryArea
) -> contract.ServicePage:
    await area.require_curator(caller)
    stale = await area.index.stale()
    today = area.clock().date()
    chosen = _page(stale, request.page, request.per_page)
    items = [area.index.summary(e, today) for e in chosen]
    return contract.ServicePage(
        items=items, total=len(stale), page=request.page, per_page=request.per_page
    )


@rpc.route(contract.SUGGEST_CORRECTION, "Suggest a correction to an entry (active members).")
async def suggest_correction(
    request: contract.SuggestCorrection, caller: Caller, area: DirectoryArea
) -> contract.SuggestionView:
    member_id = await area.require_active_member(caller)
    area.validate_terms(request.taxonomy_term_ids)
    given = request.given()
    for name in ("service_id", "comment"):
        given.pop(name, None)
    if not given:
        raise Invalid("Say which fields you would change.")
    entry = await area.entries.get(request.service_id)
    suggestion = Suggestion.propose(
        new_id(), entry, given, request.comment, by=member_id, at=area.clock()
    )
    if not suggestion.changes:
        raise Invalid("The entry already says that: nothing would change.")
    await area.suggestions.add(suggestion)
    return await area.suggestion_view(suggestion)


@rpc.route(contract.LIST_SUGGESTIONS, "The suggestions queue (curators).")
async def list_suggestions(
    request: contract.SuggestionsRequest, caller: Caller, area: DirectoryArea
) -> contract.SuggestionPage:
    await area.require_curator(caller)
    state = request.state.value if request.state else None
    found = await area.suggestions.listed(state, request.service_id)
    chosen = _page(found, request.page, request.per_page)
    return contract.SuggestionPage(
        items=[await area.suggestion_view(s) for s in chosen],
        total=len(found),
        page=request.page,
        per_page=request.per_page,
    )


async def _decide(
    area: DirectoryArea,
    suggestion_id: UUID,
    decide: Callable[[Suggestion], Awaitable[None]],
) -> contract.SuggestionView:
    async with area.suggestions.lock(suggestion_id):
        suggestion, version = await area.suggestions.get(suggestion_id)
        await decide(suggestion)
        await area.suggestions.save(suggestion, version)
    return await area.suggestion_view(suggestion)


@rpc.route(contract.ACCEPT_SUGGESTION, "Accept a suggestion: its changes apply (curators).")
async def accept_suggestion(
    request: contract.SuggestionRef, caller: Caller, area: DirectoryArea
) -> contract.SuggestionView:
    curator = await area.require_curator(caller)
    now = area.clock()

    async def accept(suggestion: Suggestion) -> None:
        suggestion.decide(accepted=True, by=curator, at=now)
        await area._saving(
            suggestion.service_id,
            lambda e: e.change(
                suggestion.given,
                by=curator,
                at=now,
                action=contract.HistoryAction.SUGGESTION_ACCEPTED,
                note=suggestion.comment,
            ),
        )

    return await _decide(area, request.id, accept)


@rpc.route(contract.DECLINE_SUGGESTION, "Decline a suggestion, saying why (curators).")
async def decline_suggestion(
    request: contract.DeclineSuggestion, caller: Caller, area: DirectoryArea
) -> contract.SuggestionView:
    curator = await area.require_curator(caller)
    now = area.clock()

    async def decline(suggestion: Suggestion) -> None:
        suggestion.decide(accepted=False, by=curator, at=now, reason=request.reason)

    return await _decide(area, request.id, decline)


@rpc.route(contract.GET_TAXONOMY, "The category tree (anyone).")
async def get_taxonomy(request: contract.PageRequest, caller: Caller) -> contract.Taxonomy:
    return contract.Taxonomy(terms=[_term_view(t.id) for t in TAXONOMY.terms])


@rpc.route(contract.SET_CURATOR, "Designate or undesignate a curator (instance admins).")
async def set_curator(
    request: contract.SetCurator, caller: Caller, area: DirectoryArea
) -> contract.Curators:
    admin = await area.require_instance_admin(caller)
    if request.curator:
        if not await area.members.get(request.member_id):
            raise Invalid(
                "No such member.", [FieldError(field="member_id", message="unknown member")]
            )
        await area.curators.designate(request.member_id, by=admin, at=area.clock())
    else:
        await area.curators.undesignate(request.member_id)
    return await _curators(area)


@rpc.route(contract.LIST_CURATORS, "Who curates the directory (curators).")
async def list_curators(
    request: contract.PageRequest, caller: Caller, area: DirectoryArea
) -> contract.Curators:
    await area.require_curator(caller)
    return await _curators(area)


async def _curators(area: DirectoryArea) -> contract.Curators:
    admins = {UUID(d["_id"]) for d in await area.members.instance_admins()}
    designated = set(await area.curators.all_ids())
    names = await area.members.names_of(admins | designated)
    return contract.Curators(
        curators=sorted(
            (
                contract.CuratorView(
                    member_id=m,
                    display_name=names.get(m, contract.FORMER_MEMBER),
                    instance_admin=m in admins,
                    designated=m in designated,
                )
                for m in admins | designated
            ),
            key=lambda c: (c.display_name.casefold(), str(c.member_id)),
        )
    )


# --- Open Referral UK (anyone; nothing about members) -------------------------------------


@rpc.route(contract.ORUK_METADATA, "Open Referral UK: the API's version and profile.")
async def oruk_metadata(request: contract.OrukListQuery, caller: Caller) -> contract.OrukMetadata:
    return oruk.METADATA


@rpc.route(contract.ORUK_SERVICES, "Open Referral UK: services, searched and paged.")
async def oruk_services(
    request: contract.OrukServicesQuery, caller: Caller, area: DirectoryArea
) -> contract.OrukServicePage:
    audience = next(
        (a for a, t in AUDIENCE_TERMS.items() if t.id == request.taxonomy_term_id), None
    )
    category = None if audience is not None else request.taxonomy_term_id
    if request.organization_id is not None and not await area.index.provides(
        request.organization_id
    ):
        raise Invalid(
            f"Unknown organization {request.organization_id}: see /organizations.",
            [FieldError(field="organization_id", message="unknown organization")],
        )
    search = contract.SearchServices(
        text=request.search,
        taxonomy_term_id=category,
        audience=audience,
        organization_id=request.organization_id,
        modified_after=request.modified_after,
        page=request.page,
        per_page=request.per_page,
    )
    if request.search or category or audience:
        page = await area.index.search(search)
        entries = [area.index.entries[item.id] for item in page.items]
        total = page.total
    else:  # a plain listing (or by organisation, or changes since): by name, stable
        listed = [
            e
            for e in await area.index.listed()
            if (request.organization_id is None or e.organization_id == request.organization_id)
            and (request.modified_after is None or e.last_modified >= request.modified_after)
        ]
        entries = _page(listed, request.page, request.per_page)
        total = len(listed)
    fields = oruk.page_fields(total, request.page, request.per_page, len(entries))
    return contract.OrukServicePage(**fields, contents=[oruk.service(e) for e in entries])


@rpc.route(contract.ORUK_SERVICE, "Open Referral UK: one service, fully nested.")
async def oruk_service(
    request: contract.ServiceRef, caller: Caller, area: DirectoryArea
) -> contract.OrukService:
    return oruk.service(await area.entries.get(request.id))


@rpc.route(contract.ORUK_TAXONOMY_TERMS, "Open Referral UK: taxonomy terms, paged.")
async def oruk_taxonomy_terms(
    request: contract.OrukListQuery, caller: Caller
) -> contract.OrukTaxonomyTermPage:
    chosen, fields = oruk.paged(oruk.all_terms(), request.page, request.per_page)
    return contract.OrukTaxonomyTermPage(**fields, contents=chosen)


@rpc.route(contract.ORUK_ORGANIZATIONS, "Open Referral UK: organisations, paged.")
async def oruk_organizations(
    request: contract.OrukListQuery, caller: Caller, area: DirectoryArea
) -> contract.OrukOrganizationPage:
    providers: dict[UUID, Entry] = {}
    for entry in await area.index.listed():
        known = providers.get(entry.organization_id)
        if known is None or known.last_modified < entry.last_modified:
            providers[entry.organization_id] = entry
    ordered = sorted(providers.values(), key=lambda e: e.organization["name"].casefold())
    chosen, fields = oruk.paged(ordered, request.page, request.per_page)
    return contract.OrukOrganizationPage(**fields, contents=[oruk.organization(e) for e in chosen])


# --- Stale reminders ----------------------------------------------------------------------


async def remind_if_due(area: DirectoryArea) -> bool:
    """Publish the week's stale reminder if there are stale entries and no replica has yet
    (the week's reminder is claimed by its ``_id``). True if this call sent it."""
    now = area.clock()
    stale = await area.index.stale()
    if not stale:
        return False
    year, week, _ = now.isocalendar()
    event = contract.DirectoryEntriesStaleV1(
        stale_count=len(stale),
        service_ids=[e.id for e in stale[:1000]],
        oldest_checked_on=stale[0].last_checked_on,
        as_of=now,
    )
    return await area.reminders.claim(f"stale:{year}-W{week:02d}", now, event)


def reminding(area: DirectoryArea, every: float = REMINDER_CHECK_SECONDS) -> Callable[[], Any]:
    async def loop() -> None:
        await area.index.wait_loaded()
        while True:
            try:
                await remind_if_due(area)
            except Exception:  # a passing outage: the next round tries again
                log.exception("directory: stale reminder failed")
            await asyncio.sleep(every)

    return loop


# --- Members, from membership's events ----------------------------------------------------

member_events = Subscription(
    "signposting-directory-members",
    "Members' names, instance-admin flags and status: who curates the directory, who may "
    "suggest a correction, and how history names them.",
)


@member_events.handler
async def on_member_registered(
    envelope: EventEnvelope, event: MemberRegisteredV1, area: DirectoryArea
) -> None:
    fields = {
        "display_name": event.display_name,
        "is_instance_admin": event.is_instance_admin,
        "status": ACTIVE,
    }
    await area.members.record(event.member_id, fields, envelope=envelope)


@member_events.handler
async def on_profile_updated(
    envelope: EventEnvelope, event: MemberProfileUpdatedV1, area: DirectoryArea
) -> None:
    await area.members.record(
        event.member_id, {"display_name": event.display_name}, envelope=envelope
    )


@member_events.handler
async def on_instance_admin_changed(
    envelope: EventEnvelope, event: MemberInstanceAdminChangedV1, area: DirectoryArea
) -> None:
    fields = {"is_instance_admin": event.is_instance_admin}
    await area.members.record(event.member_id, fields, envelope=envelope)


@member_events.handler
async def on_status_changed(
    envelope: EventEnvelope, event: MemberStatusChangedV1, area: DirectoryArea
) -> None:
    await area.members.record(event.member_id, {"status": event.status}, envelope=envelope)


@member_events.handler
async def on_member_erased(
    envelope: EventEnvelope, event: MemberErasedV1, area: DirectoryArea
) -> None:
    """Their changes stay, by a former member; their open suggestions go; they curate no
    more. Idempotent: a redelivery finds nothing left to change."""
    member_id, event_id = event.member_id, str(envelope.event_id)
    for service_id in await area.entries.ids_naming(member_id):
        async with area.entries.lock(service_id):
            entry = await area.entries.get(service_id)
            if entry.forget_member(member_id):
                await area.entries.save(entry)
        await area.index.refresh(service_id)
    await area.suggestions.forget(member_id)
    await area.curators.forget(member_id, event_id=event_id)
    # Last: a failure part-way is redelivered, and the member is still known then.
    await area.members.forget(member_id, event_id=event_id)
