"""A stand-in for the directory until the directory area's in-process search is wired in
(``bootstrap``): the top-level categories the issue names, and no entries, so every answer
is people who know only.
"""

from huddle_shared.contracts.experts import NeedCategory, SupportEntry
from huddle_shared.contracts.signposting import Audience

CATEGORIES = (
    NeedCategory(id="psychological-support", name="Counselling and psychological support"),
    NeedCategory(id="advocacy", name="Advocacy"),
    NeedCategory(id="bereavement", name="Bereavement support"),
    NeedCategory(id="legal-advice", name="Legal advice"),
    NeedCategory(id="complaints", name="Complaints"),
    NeedCategory(id="peer-support", name="Peer support"),
    NeedCategory(id="staff-wellbeing", name="Staff wellbeing"),
    NeedCategory(id="patient-safety-partners", name="Support for Patient Safety Partners"),
)


class InterimSupportSearch:
    async def categories(self) -> list[NeedCategory]:
        return list(CATEGORIES)

    async def category(self, term_id: str) -> NeedCategory | None:
        return next((c for c in CATEGORIES if c.id == term_id), None)

    async def search(
        self, *, category: str, area: str, audience: Audience, text: str, limit: int
    ) -> list[SupportEntry]:
        return []
