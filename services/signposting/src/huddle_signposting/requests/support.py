"""The requests area's view of the directory (``ports.SupportSearch``), answered in-process
by the directory area's search index: a need's category is a support category's code, as
readable in a gap event as on the form."""

import contextlib
from uuid import UUID

from huddle_shared.contracts.experts import NeedCategory, SupportEntry
from huddle_shared.contracts.signposting import (
    MAX_SEARCH_TEXT,
    Audience,
    SearchServices,
    ServiceSummary,
)

from huddle_signposting.directory.handlers import SearchIndex
from huddle_signposting.directory.taxonomy import TAXONOMY, Term


def _category(term: Term) -> NeedCategory:
    return NeedCategory(id=term.code, name=term.name)


def _entry(found: ServiceSummary) -> SupportEntry:
    return SupportEntry(
        id=str(found.id),
        name=found.name,
        organisation=found.organization_name,
        description=found.description,
        last_checked_on=found.last_checked_on,
    )


class DirectorySupportSearch:
    def __init__(self, index: SearchIndex) -> None:
        self._index = index

    async def categories(self) -> list[NeedCategory]:
        """The top of the category tree: what a person would pick (a more specific term
        is accepted too)."""
        return [_category(term) for term in TAXONOMY.terms if term.parent is None]

    async def category(self, term_id: str) -> NeedCategory | None:
        """A term by its code, or by its id as the taxonomy lists it."""
        term = TAXONOMY.by_code.get(term_id)
        if term is None:
            with contextlib.suppress(ValueError):
                term = TAXONOMY.by_id.get(UUID(term_id))
        return None if term is None else _category(term)

    async def search(
        self, *, category: str, area: str, audience: Audience, text: str, limit: int
    ) -> list[SupportEntry]:
        """Entries in the category (and below it) for the area and audience. The need's
        words rank them but do not filter them: someone who describes a need in words no
        entry uses must still be shown what the category holds."""
        wanted = SearchServices(
            taxonomy_term_id=TAXONOMY.by_code[category].id,
            area=area,
            audience=audience,
            per_page=limit,
        )
        # A need may say more than a search takes: its first words rank the entries.
        worded = wanted.model_copy(update={"text": text[:MAX_SEARCH_TEXT]})
        ranked = (await self._index.search(worded)).items
        if len(ranked) < limit:
            seen = {found.id for found in ranked}
            rest = (await self._index.search(wanted)).items
            ranked += [found for found in rest if found.id not in seen][: limit - len(ranked)]
        return [_entry(found) for found in ranked]
