"""One compiled checker per network, rebuilt only when what it knows changed."""

from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

import pytest
from huddle_notes.check import Knowledge
from huddle_notes.notes.knowledge import Checkers

pytestmark = pytest.mark.unit


@dataclass
class FakeRevisions:
    revisions: dict[str, str] = field(default_factory=dict)

    async def current(self, slug: str) -> tuple[str, str]:
        return self.revisions.get("instance", ""), self.revisions.get(slug, "")


@dataclass
class FakeKnowledge:
    revisions: FakeRevisions
    members: list[str]
    reads: int = 0

    async def for_network(self, slug: str) -> Knowledge:
        self.reads += 1
        return Knowledge(members=tuple(self.members), glossary=MappingProxyType({}))


class Compiled:
    def __init__(self, knowledge: Knowledge) -> None:
        self.knowledge = knowledge


async def test_a_checker_is_compiled_once_and_again_only_after_its_knowledge_changed() -> None:
    revisions = FakeRevisions()
    knowledge = FakeKnowledge(revisions, ["Rae Okafor"])
    checkers = Checkers(knowledge, compile=Compiled)  # type: ignore[arg-type]
    first: Any = await checkers.for_network("psmn")
    assert await checkers.for_network("psmn") is first and checkers.builds == 1
    await checkers.for_network("other")
    assert checkers.builds == 2

    knowledge.members.append("Fola Adeyemi")  # a member joined the instance ...
    revisions.revisions["instance"] = "r2"  # ... and the projection said so
    rebuilt: Any = await checkers.for_network("psmn")
    assert rebuilt is not first and "Fola Adeyemi" in rebuilt.knowledge.members
    revisions.revisions["psmn"] = "g2"  # the network's glossary or speakers changed
    assert await checkers.for_network("psmn") is not rebuilt
    assert checkers.builds == 4
