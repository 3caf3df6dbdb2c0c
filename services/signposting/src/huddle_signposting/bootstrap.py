"""Composition root: signposting's adapters, its consumers and its routes.

The directory area (``directory/``: entries, curation, suggestions, search, Open Referral
UK) owns its collections; the organisations projection (``handlers``) owns its own.
"""

from huddle_shared import services
from huddle_shared.config import ServiceSettings
from huddle_shared.contracts.signposting import DIRECTORY_EVENTS
from huddle_shared.runtime import ServiceRuntime
from huddle_shared.service import ServiceBuilder

from huddle_signposting import handlers
from huddle_signposting.directory import handlers as directory_routes
from huddle_signposting.directory.handlers import DirectoryArea, SearchIndex, reminding
from huddle_signposting.directory.repository import (
    DesignatedCurators,
    DirectoryMembers,
    Entries,
    Reminders,
    Suggestions,
)
from huddle_signposting.repository import OrganisationDirectory


def directory_area(service: ServiceBuilder) -> DirectoryArea:
    database, instance = service.database, service.settings.instance_id
    entries = Entries(database, service.relay, instance)
    reminders = Reminders(database, service.relay, instance)
    service.relay.watch(entries.collection)
    service.relay.watch(reminders.collection)
    return DirectoryArea(
        entries=entries,
        suggestions=Suggestions(database),
        members=DirectoryMembers(database),
        curators=DesignatedCurators(database),
        reminders=reminders,
        index=SearchIndex(entries),
    )


def bootstrap(settings: ServiceSettings) -> ServiceRuntime:
    runtime, _ = build(settings)
    return runtime


def build(settings: ServiceSettings) -> tuple[ServiceRuntime, DirectoryArea]:
    """The service, and its directory area (what tests and other areas call in-process)."""
    service = ServiceBuilder(services.SIGNPOSTING, settings)
    directory = OrganisationDirectory(service.database)
    service.include(handlers, directory=directory)
    service.on_start(directory.create_indexes)

    area = directory_area(service)
    service.include(directory_routes, area=area)
    service.publishes(DIRECTORY_EVENTS)
    # Listening before loading, so nothing published meanwhile is missed (as the library).
    service.on_start(lambda: area.index.follow(service.broker.connection))
    service.in_background("directory-index", area.index.load)
    service.in_background("directory-stale-reminders", reminding(area))
    return service.build(), area
