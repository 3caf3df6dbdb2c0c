"""What each network's identifier check knows, and its compiled checkers.

``StoredKnowledge`` answers ``ports.NetworkKnowledge`` from notes' projections: every
member's names on the instance (current and old), every organisation, the speakers of the
network's sessions and its glossary. ``Checkers`` keeps one compiled ``Checker`` per network
(compiling is not free) and rebuilds it only when its knowledge's revision changed.
Compiling and checking run in a worker thread: a 20,000-word note must not stall the event
loop's other requests.
"""

import asyncio
from dataclasses import dataclass, field
from types import MappingProxyType

from huddle_shared.contracts.notes import CheckReport

from huddle_notes.check import Checker, Knowledge
from huddle_notes.notes.repository import (
    KnowledgeRevisions,
    Networks,
    Organisations,
    RedactionNames,
    Sessions,
)


@dataclass
class StoredKnowledge:
    names: RedactionNames
    organisations: Organisations
    sessions: Sessions
    networks: Networks
    revisions: KnowledgeRevisions

    async def for_network(self, slug: str) -> Knowledge:
        network = await self.networks.get(slug)
        return Knowledge(
            members=tuple(await self.names.all_names()),
            organisations=tuple(await self.organisations.all_names()),
            speakers=tuple(await self.sessions.speakers_of(slug)),
            glossary=MappingProxyType(dict(network.glossary) if network else {}),
        )


@dataclass
class Checkers:
    knowledge: StoredKnowledge
    compile: type[Checker] = Checker
    _compiled: dict[str, tuple[tuple[str, str], Checker]] = field(default_factory=dict)
    _locks: dict[str, asyncio.Lock] = field(default_factory=dict)
    builds: int = 0  # how many times a checker was compiled (tests and figures read it)

    async def for_network(self, slug: str) -> Checker:
        revision = await self.knowledge.revisions.current(slug)
        cached = self._compiled.get(slug)
        if cached is not None and cached[0] == revision:
            return cached[1]
        async with self._locks.setdefault(slug, asyncio.Lock()):
            cached = self._compiled.get(slug)
            if cached is not None and cached[0] == revision:
                return cached[1]
            knowledge = await self.knowledge.for_network(slug)
            checker = await asyncio.to_thread(self.compile, knowledge)
            self.builds += 1
            self._compiled[slug] = (revision, checker)
            return checker

    async def check(self, slug: str, text: str) -> CheckReport:
        checker = await self.for_network(slug)
        return await asyncio.to_thread(checker.check, text)
