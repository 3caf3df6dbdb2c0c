"""Composition root: signposting's adapters, its consumers and its routes.

Areas: ``directory`` (entries, curation, suggestions, search, Open Referral UK), the
organisations projection (``handlers``), ``members`` (signposting's copy of members and their
consent), ``experts`` (people who know and contact requests) and ``requests`` (signposting
requests and gaps, answered from the directory's search through ``requests.ports``). Each
area owns its collections; they meet only here.
"""

from huddle_shared import services
from huddle_shared.config import ServiceSettings
from huddle_shared.contracts.experts import EXPERT_EVENTS
from huddle_shared.contracts.signposting import DIRECTORY_EVENTS
from huddle_shared.projections.network_roster import NetworkRoster
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
from huddle_signposting.experts import handlers as experts
from huddle_signposting.experts.repository import ContactRequests, ContactSlots
from huddle_signposting.members import handlers as members
from huddle_signposting.members.repository import People
from huddle_signposting.repository import OrganisationDirectory
from huddle_signposting.requests import handlers as requests
from huddle_signposting.requests.repository import SignpostingRequests
from huddle_signposting.requests.support import DirectorySupportSearch


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
    database = service.database
    directory = OrganisationDirectory(database)
    roster = NetworkRoster(database)
    roster.attach(service, used_for="people who know in the asker's networks come first")
    people = People(database)
    experts_area = experts.ExpertsArea(
        people=people,
        contacts=ContactRequests(database),
        slots=ContactSlots(database),
        organisations=directory,
        rosters=roster,
    )
    area = directory_area(service)
    needs = requests.RequestsArea(
        requests=SignpostingRequests(database, service.relay, settings.instance_id),
        support=DirectorySupportSearch(area.index),
        experts=experts_area,
    )
    service.include(handlers, directory=directory, experts=experts_area, needs=needs, area=area)
    service.include(
        members,
        people=people,
        erasing=(experts_area, needs.requests),
        kept_replies=service.idempotency_keys,
    )
    service.include(experts, experts=experts_area)
    service.include(requests, needs=needs)
    service.publishes(EXPERT_EVENTS)
    service.on_start(directory.create_indexes)

    service.include(directory_routes, area=area)
    service.publishes(DIRECTORY_EVENTS)
    # Listening before loading, so nothing published meanwhile is missed (as the library).
    service.on_start(lambda: area.index.follow(service.broker.connection))
    service.in_background("directory-index", area.index.load)
    service.in_background("directory-stale-reminders", reminding(area))
    return service.build(), area
