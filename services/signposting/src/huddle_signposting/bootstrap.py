"""Composition root: signposting's adapters, its consumers and its routes.

Areas: the directory of organisations (``handlers``), ``members`` (signposting's copy of
members and their consent), ``experts`` (people who know and contact requests) and
``requests`` (signposting requests and gaps; the directory's search through
``requests.ports.SupportSearch``). Each area owns its collections; they meet only here.
"""

from huddle_shared import services
from huddle_shared.config import ServiceSettings
from huddle_shared.contracts.experts import EXPERT_EVENTS
from huddle_shared.projections.network_roster import NetworkRoster
from huddle_shared.runtime import ServiceRuntime
from huddle_shared.service import ServiceBuilder

from huddle_signposting import handlers
from huddle_signposting.experts import handlers as experts
from huddle_signposting.experts.repository import ContactRequests, ContactSlots
from huddle_signposting.members import handlers as members
from huddle_signposting.members.repository import People
from huddle_signposting.repository import OrganisationDirectory
from huddle_signposting.requests import handlers as requests
from huddle_signposting.requests.interim import InterimSupportSearch
from huddle_signposting.requests.repository import SignpostingRequests


def bootstrap(settings: ServiceSettings) -> ServiceRuntime:
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
    needs = requests.RequestsArea(
        requests=SignpostingRequests(database, service.relay, settings.instance_id),
        # Until the directory area's search is wired in: categories, and no entries.
        support=InterimSupportSearch(),
        experts=experts_area,
    )
    service.include(handlers, directory=directory, experts=experts_area, needs=needs)
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
    return service.build()
