"""The requests area: a member's need answered with ranked directory entries (``ports.
SupportSearch``) and people who know (the experts area), whether it helped, and the gaps.

It owns ``signposting_requests``. A gap is emitted (``signposting.gap_recorded``, through
the request's outbox) when nothing matched, or when the member says it did not help.
"""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

from huddle_shared.clock import utc_now
from huddle_shared.contracts import experts as contract
from huddle_shared.contracts.areas import region_of_area
from huddle_shared.contracts.common import Empty, GetById
from huddle_shared.contracts.experts import (
    CreateSignpostingRequest,
    NeedCategories,
    RecordRequestOutcome,
    SignpostingRequestView,
)
from huddle_shared.contracts.rpc import Caller, FieldError
from huddle_shared.errors import Conflict, Invalid, require_member
from huddle_shared.ids import new_id
from huddle_shared.messaging.routes import RouteTable

from huddle_signposting.experts.handlers import ExpertsArea
from huddle_signposting.members.domain import Person
from huddle_signposting.requests.domain import (
    SignpostingRequest,
    SignpostingRequestNotFound,
    knows_about,
)
from huddle_signposting.requests.ports import SupportSearch
from huddle_signposting.requests.repository import SignpostingRequests

SERVICES_SHOWN = 10
EXPERTS_SHOWN = 10


class UnknownCategory(Invalid):
    def __init__(self, term_id: str) -> None:
        message = f"There is no category {term_id!r}: see the taxonomy for the categories."
        super().__init__(message, [FieldError(field="category", message=message)])


class OutcomeChangedMeanwhile(
    Conflict, detail="This request was answered or changed at the same moment; look again."
):
    """Another replica recorded an outcome first, or the requester was erased meanwhile."""


@dataclass
class RequestsArea:
    requests: SignpostingRequests
    support: SupportSearch
    experts: ExpertsArea
    clock: Callable[[], datetime] = utc_now
    new_id: Callable[[], UUID] = new_id

    async def view(self, request: SignpostingRequest) -> SignpostingRequestView:
        # People who know are read again: someone who withdrew since is not shown.
        people = await self.experts.people.many(list(request.expert_ids))
        still = [
            people[i] for i in request.expert_ids if i in people and people[i].is_listed_expert
        ]
        return SignpostingRequestView(
            id=request.id,
            category=request.category,
            category_name=request.category_name,
            area=request.area,
            audience=request.audience,
            text=request.text,
            created_at=request.created_at,
            services=list(request.services),
            experts=await self.experts.views(still),
            helped=request.helped,
            gap_recorded=request.gap_recorded,
        )

    async def export(self, member_id: UUID) -> list[dict[str, Any]]:
        return [
            (await self.view(request)).model_dump(mode="json")
            for request in await self.requests.of_requester(member_id)
        ]


rpc = RouteTable()


@rpc.route(contract.NEED_CATEGORIES, "The categories a need can name.")
async def need_categories(request: Empty, caller: Caller, needs: RequestsArea) -> NeedCategories:
    return NeedCategories(items=await needs.support.categories())


@rpc.route(
    contract.CREATE_SIGNPOSTING_REQUEST,
    "Members: describe a need; answered with directory entries and people who know. "
    "No match emits signposting.gap_recorded.",
)
async def create_request(
    request: CreateSignpostingRequest, caller: Caller, needs: RequestsArea
) -> SignpostingRequestView:
    asker = await needs.experts.active_member(caller)
    category = await needs.support.category(request.category)
    if category is None:
        raise UnknownCategory(request.category)
    services = await needs.support.search(
        category=category.id,
        area=request.area,
        audience=request.audience,
        text=request.text,
        limit=SERVICES_SHOWN,
    )
    region = region_of_area(request.area)

    def matches(person: Person) -> bool:
        in_area = region is None or person.region == region
        return in_area and knows_about(person.topics, category.name)

    experts = await needs.experts.find(asker, matches, region=region, limit=EXPERTS_SHOWN)
    answered, events = SignpostingRequest.answered(
        request_id=needs.new_id(),
        requester_id=asker.member_id,
        category=category.id,
        category_name=category.name,
        area=request.area,
        audience=request.audience,
        text=request.text,
        now=needs.clock(),
        services=tuple(services[:SERVICES_SHOWN]),
        expert_ids=tuple(expert.member_id for expert in experts),
    )
    await needs.requests.add(answered, events)
    return await needs.view(answered)


@rpc.route(contract.GET_SIGNPOSTING_REQUEST, "The requester's own request and its answer.")
async def get_request(
    request: GetById, caller: Caller, needs: RequestsArea
) -> SignpostingRequestView:
    member_id = require_member(caller)
    found = await needs.requests.get(request.id)
    if found is None:
        raise SignpostingRequestNotFound(request.id)
    found.require_requester(member_id)
    return await needs.view(found)


@rpc.route(
    contract.RECORD_REQUEST_OUTCOME,
    "The requester says whether the answer helped; unhelpful emits signposting.gap_recorded.",
)
async def record_outcome(
    request: RecordRequestOutcome, caller: Caller, needs: RequestsArea
) -> SignpostingRequestView:
    member_id = require_member(caller)
    async with needs.requests.lock(request.id):
        found = await needs.requests.get(request.id)
        if found is None:
            raise SignpostingRequestNotFound(request.id)
        outcome, events = found.record_outcome(member_id, request.helped)
        if outcome != found and not await needs.requests.save_outcome(outcome, events):
            raise OutcomeChangedMeanwhile()
    return await needs.view(outcome)
