"""The organisation directory and the public statistics: read-only, open to anyone.

Plain async functions ``(request, caller, deps)``; ``routes`` binds them to subjects.
"""

from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from functools import partial

from huddle_shared.contracts import membership as contract
from huddle_shared.contracts.common import Empty
from huddle_shared.contracts.rpc import Caller
from huddle_shared.messaging.routes import Route

from huddle_membership.directory_repository import DirectoryRepository, OrganisationFacts
from huddle_membership.handlers import organisation_view

UNSPECIFIED_REGION = "unspecified"  # national bodies and others without a region


@dataclass
class DirectoryDependencies:
    directory: DirectoryRepository


async def search_organisations(
    request: contract.SearchOrganisations, caller: Caller, deps: DirectoryDependencies
) -> contract.OrganisationPage:
    organisations, total = await deps.directory.search(
        name_prefix=request.name_prefix,
        kind=request.kind,
        region=request.region,
        limit=request.limit,
        offset=request.offset,
    )
    return contract.OrganisationPage(
        items=[organisation_view(organisation) for organisation in organisations], total=total
    )


def members_by(
    active_members_by_organisation: Mapping[str, int],
    organisations: Mapping[str, OrganisationFacts],
) -> tuple[dict[str, int], dict[str, int]]:
    """Active members per organisation kind and per region. Every kind and region is
    present (zero when nobody is there), so the figures keep one shape."""
    by_kind = Counter(dict.fromkeys((kind.value for kind in contract.OrganisationKind), 0))
    by_region = Counter(
        dict.fromkeys([*(region.value for region in contract.Region), UNSPECIFIED_REGION], 0)
    )
    for organisation_id, count in active_members_by_organisation.items():
        facts = organisations.get(organisation_id)
        if facts is None:  # a member of an organisation that is not stored: not attributable
            continue
        by_kind[facts.kind] += count
        by_region[facts.region or UNSPECIFIED_REGION] += count
    return dict(by_kind), dict(by_region)


async def stats(request: Empty, caller: Caller, deps: DirectoryDependencies) -> contract.Stats:
    counts = await deps.directory.counts()
    by_kind, by_region = members_by(counts.active_members_by_organisation, counts.organisations)
    return contract.Stats(
        members=sum(counts.active_members_by_organisation.values()),
        organisations=counts.organisation_total,
        networks=counts.network_total,
        members_by_organisation_kind=by_kind,
        members_by_region=by_region,
    )


def routes(deps: DirectoryDependencies) -> list[Route]:
    return [
        Route(
            contract.SEARCH_ORGANISATIONS,
            partial(search_organisations, deps=deps),
            "Organisations by name prefix (ignoring case), kind and region; a page by name.",
        ),
        Route(
            contract.STATS,
            partial(stats, deps=deps),
            "Public counts: active members, organisations, networks; members by kind, region.",
        ),
    ]
