"""Demo people who know (issue 13): a few dozen demo members who agreed to be listed as a
person who knows, in every region, each with one of the kinds of support signposting names
added to their topics (so that a need finds someone). Chosen the same way every time from
the members who fill in their profile.
"""

import random
from collections.abc import Callable, Sequence
from dataclasses import replace
from typing import Protocol, TypeVar

# Spelled out: the pages allow no acronyms.
SIGNPOSTING_TOPICS = (
    "Bereavement support",
    "Psychological support after harm",
    "Advocacy for families",
    "Complaints",
    "Peer support",
    "Staff wellbeing",
    "Legal advice for families",
    "Support for Patient Safety Partners",
)
PER_REGION = 5  # seven regions: 35, and a few more from national organisations
NATIONAL = 3


class Profile(Protocol):
    @property
    def completes_profile(self) -> bool: ...

    @property
    def organisation(self) -> str: ...

    @property
    def topics(self) -> tuple[str, ...]: ...


M = TypeVar("M", bound=Profile)


def with_experts(members: Sequence[M], region_of: Callable[[str], str | None]) -> list[M]:
    """``members`` with a few per region (``region_of`` an organisation's name) listed as
    people who know; the rest unchanged."""
    rng = random.Random(13)
    by_region: dict[str | None, list[int]] = {}
    for index, member in enumerate(members):
        if member.completes_profile:
            by_region.setdefault(region_of(member.organisation), []).append(index)
    chosen: list[int] = []
    for region in sorted(by_region, key=lambda r: r or ""):
        wanted = NATIONAL if region is None else PER_REGION
        chosen += rng.sample(by_region[region], min(wanted, len(by_region[region])))
    listed = list(members)
    for turn, index in enumerate(sorted(chosen)):
        member = members[index]
        # Every kind of support in turn, so each region has several.
        extra = SIGNPOSTING_TOPICS[turn % len(SIGNPOSTING_TOPICS)]
        topics = tuple(sorted({*member.topics, extra}, key=str.lower))
        listed[index] = replace(member, topics=topics, listed_as_expert=True)  # type: ignore[type-var]
    return listed
