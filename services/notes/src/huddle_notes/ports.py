"""What the notes service's areas need from each other, and nothing more.

``notes/`` (notes and their workflow) answers ``Readers`` and ``Knowledge``; ``library/``
(the members-only search index) answers ``Library``; ``resources/`` (files in GridFS)
answers ``Resources``. Each area owns its own collections; the composition root
(``bootstrap.py``) wires one to another through these.
"""

from dataclasses import dataclass
from datetime import date, datetime
from typing import Protocol
from uuid import UUID

from huddle_shared.contracts.rpc import Caller

from huddle_notes.check import Knowledge


@dataclass(frozen=True)
class PublishedNote:
    """What the library indexes of a note once a second reader approved it."""

    note_id: UUID
    slug: str
    title: str
    body: str
    themes: tuple[str, ...]
    tags: tuple[str, ...]
    held_on: date | None
    published_at: datetime


class Readers(Protocol):
    async def may_read(self, slug: str, caller: Caller) -> bool:
        """Members of the network (and of its parent, when a spin-off opens its library to
        it) and instance admins. The caller learns nothing else: a refusal is the caller's
        problem to turn into 404 for an invite-only network."""
        ...

    async def readable_networks(self, caller: Caller) -> set[str]: ...

    async def require_reader(self, slug: str, caller: Caller) -> None:
        """Refuse a caller who may not read the network's notes and resources as every
        notes route does: 401 anonymous, 404 an unknown or invite-only network, 403 else."""
        ...

    async def may_write(self, slug: str, caller: Caller) -> bool:
        """Whether a reader writes the network's notes and resources: its note-takers,
        facilitators and chairs, and instance admins. Refuses those who may not read it as
        ``require_reader`` does."""
        ...


class NetworkKnowledge(Protocol):
    async def for_network(self, slug: str) -> Knowledge:
        """Members' names (current and old), organisations, speakers and the glossary."""
        ...


class Library(Protocol):
    async def add(self, note: PublishedNote) -> None: ...

    async def remove(self, note_id: UUID) -> None: ...


class PublishedNotes(Protocol):
    async def published(self, note_id: UUID) -> PublishedNote | None:
        """The note as the library indexes it, if it is published now (else ``None``)."""
        ...


class Resources(Protocol):
    async def missing(self, slug: str, resource_ids: list[UUID]) -> list[UUID]:
        """Those of ``resource_ids`` that are not the network's resources."""
        ...
