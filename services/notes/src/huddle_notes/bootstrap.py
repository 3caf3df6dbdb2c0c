"""Composition root: notes' areas, their adapters, consumers and routes.

The notes area (notes, their workflow, the projections; answers ``ports.Readers`` and
``ports.NetworkKnowledge``) calls the library area (``ports.Library``) on publish and
retract, and the resources area (``ports.Resources``) to check attachments. Each area owns
its collections; they meet only here.
"""

import dataclasses

from huddle_shared import services
from huddle_shared.config import ServiceSettings
from huddle_shared.contracts.notes import NOTE_EVENTS
from huddle_shared.contracts.resources import CHUNK_BYTES
from huddle_shared.projections.network_roster import NetworkRoster
from huddle_shared.runtime import ServiceRuntime
from huddle_shared.service import ServiceBuilder

from huddle_notes.library import handlers as library_routes
from huddle_notes.library.handlers import LibraryIndex
from huddle_notes.library.repository import LibraryNotes
from huddle_notes.notes import handlers as notes
from huddle_notes.notes.knowledge import Checkers, StoredKnowledge
from huddle_notes.notes.readers import StoredReaders
from huddle_notes.notes.repository import (
    NOTES,
    Acceptances,
    KnowledgeRevisions,
    Members,
    Networks,
    NetworkThemes,
    NoteRepository,
    Organisations,
    RedactionNames,
    Sessions,
)
from huddle_notes.ports import Library, Resources
from huddle_notes.resources import handlers as resource_routes
from huddle_notes.resources.handlers import ResourceLibrary
from huddle_notes.resources.repository import StagedUploads, StoredFiles


def notes_area(
    service: ServiceBuilder,
    roster: NetworkRoster,
    *,
    library: Library | None = None,
    resources: Resources | None = None,
) -> notes.NotesArea:
    database, settings = service.database, service.settings
    service.relay.watch(database[NOTES])
    members, names = Members(database), RedactionNames(database)
    organisations, networks = Organisations(database), Networks(database)
    themes, sessions = NetworkThemes(database), Sessions(database)
    revisions = KnowledgeRevisions(database)
    knowledge = StoredKnowledge(names, organisations, sessions, networks, revisions)
    return notes.NotesArea(
        notes=NoteRepository(database, service.relay, settings.instance_id),
        acceptances=Acceptances(database),
        members=members,
        names=names,
        organisations=organisations,
        networks=networks,
        themes=themes,
        sessions=sessions,
        revisions=revisions,
        roster=roster,
        readers=StoredReaders(roster, members, networks, themes),
        checkers=Checkers(knowledge),
        library=library,
        resources=resources,
    )


def bootstrap(settings: ServiceSettings) -> ServiceRuntime:
    service = ServiceBuilder(services.NOTES, settings)
    roster = NetworkRoster(service.database)
    roster.attach(service, used_for="who may read and write its notes")

    area = notes_area(service, roster)
    database = service.database
    # The library and resources areas ask the notes area who may read and write
    # (``ports.Readers``).
    library = LibraryIndex(LibraryNotes(database), area.readers, notes.NotesAsPublished(area.notes))
    resources = ResourceLibrary(
        StagedUploads(database), StoredFiles(database, CHUNK_BYTES), area.readers
    )
    area = dataclasses.replace(area, library=library, resources=resources)
    service.include(notes, area=area)
    service.include(library_routes, library=library, working=notes.WorkingNotes(area))
    service.include(resource_routes, resources=resources)
    service.in_background("library-index", library.load)
    service.in_background("stale-uploads", resources.sweep_forever)
    service.publishes(NOTE_EVENTS)
    service.on_start(
        # Listening before loading, so nothing published meanwhile is missed (decision 0039).
        lambda: library.follow(service.broker.connection),
        area.notes.create_indexes,
        area.acceptances.create_indexes,
        area.sessions.create_indexes,
    )
    return service.build()
