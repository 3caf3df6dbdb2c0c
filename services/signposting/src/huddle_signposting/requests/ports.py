"""What the requests area needs of the directory of support (the directory area answers
it in-process, through ``support``)."""

from typing import Protocol

from huddle_shared.contracts.experts import NeedCategory, SupportEntry
from huddle_shared.contracts.signposting import Audience


class SupportSearch(Protocol):
    async def categories(self) -> list[NeedCategory]:
        """The taxonomy terms a need can name, for the need form."""
        ...

    async def category(self, term_id: str) -> NeedCategory | None:
        """The term, or None if no term has this id."""
        ...

    async def search(
        self, *, category: str, area: str, audience: Audience, text: str, limit: int
    ) -> list[SupportEntry]:
        """Ranked directory entries for this need (the best first)."""
        ...
