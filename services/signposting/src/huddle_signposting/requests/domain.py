"""The requests area's domain. Pure: a need, the rule that makes it a gap, and which people
who know a need's category matches.

A gap is a need Huddle could not meet: nothing matched it (no directory entry and nobody
who knows), or the member said the answer did not help. Each request is recorded as a gap
at most once; the gap names the category, area, audience and month, never the free text.
"""

import re
from dataclasses import dataclass, replace
from datetime import datetime
from uuid import UUID

from huddle_shared.contracts.experts import GapReason, SignpostingGapRecordedV1, SupportEntry
from huddle_shared.contracts.signposting import Audience
from huddle_shared.errors import Conflict, NotFound

# Words that say nothing about what a category is about.
_CATEGORY_NOISE = frozenset(
    [
        "and",
        "for",
        "the",
        "with",
        "from",
        "support",
        "supports",
        "service",
        "services",
        "advice",
        "help",
        "helping",
        "people",
        "their",
        "them",
        "who",
        "others",
        "safety",
        "patient",
        "patients",
    ]
)
STEM = 6  # "partners" and "partner", "bereavement" and "bereaved" share theirs
_WORD = re.compile(r"[^\W\d_]+")


class SignpostingRequestNotFound(NotFound):
    def __init__(self, request_id: UUID) -> None:
        super().__init__(f"There is no signposting request with id {request_id}.")


def month_of(moment: datetime) -> str:
    return f"{moment.year:04d}-{moment.month:02d}"


def _stems(text: str) -> set[str]:
    words = {word.casefold() for word in _WORD.findall(text)}
    return {word[:STEM] for word in words if len(word) > 3 and word not in _CATEGORY_NOISE}


def category_words(name: str) -> set[str]:
    """The stems of the words of a category's name that say what it is about."""
    return _stems(name)


def knows_about(topics: tuple[str, ...], category_name: str) -> bool:
    """A person who knows matches a category when one of their topics shares a word that
    says what the category is about (``Bereaved families`` for "Bereavement support")."""
    wanted = category_words(category_name)
    return any(wanted & _stems(topic) for topic in topics)


def gap_on_answer(services_found: int, experts_found: int) -> GapReason | None:
    """The gap rule at answer time: nothing at all matched."""
    return GapReason.NO_MATCH if services_found == 0 and experts_found == 0 else None


@dataclass(frozen=True)
class SignpostingRequest:
    id: UUID
    requester_id: UUID | None  # None once the requester is erased
    category: str
    category_name: str
    area: str
    audience: Audience
    text: str
    created_at: datetime
    services: tuple[SupportEntry, ...] = ()  # the entries as they were when answered
    expert_ids: tuple[UUID, ...] = ()
    helped: bool | None = None
    gap_recorded: bool = False

    @classmethod
    def answered(
        cls,
        *,
        request_id: UUID,
        requester_id: UUID,
        category: str,
        category_name: str,
        area: str,
        audience: Audience,
        text: str,
        now: datetime,
        services: tuple[SupportEntry, ...],
        expert_ids: tuple[UUID, ...],
    ) -> tuple["SignpostingRequest", list[SignpostingGapRecordedV1]]:
        request = cls(
            request_id,
            requester_id,
            category,
            category_name,
            area,
            audience,
            text,
            now,
            services,
            expert_ids,
        )
        reason = gap_on_answer(len(services), len(expert_ids))
        if reason is None:
            return request, []
        return replace(request, gap_recorded=True), [request.gap(reason)]

    def gap(self, reason: GapReason) -> SignpostingGapRecordedV1:
        return SignpostingGapRecordedV1(
            category=self.category,
            area=self.area,
            audience=self.audience,
            month=month_of(self.created_at),
            reason=reason,
        )

    def require_requester(self, member_id: UUID) -> None:
        if self.requester_id != member_id:
            raise SignpostingRequestNotFound(self.id)  # someone else's: as if none

    def record_outcome(
        self, member_id: UUID, helped: bool
    ) -> tuple["SignpostingRequest", list[SignpostingGapRecordedV1]]:
        """Once: the same answer again changes nothing, another is refused. Unhelpful is a
        gap, unless the request already was one (nothing matched)."""
        self.require_requester(member_id)
        if self.helped is not None:
            if self.helped == helped:
                return self, []
            raise Conflict("You already said whether this helped.")
        outcome = replace(self, helped=helped)
        if helped or self.gap_recorded:
            return outcome, []
        return replace(outcome, gap_recorded=True), [self.gap(GapReason.UNHELPFUL)]
