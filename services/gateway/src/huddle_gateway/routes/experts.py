"""People who know, contact requests and signposting requests, forwarded to the signposting
service. Members only (the service refuses anyone else).

Accepting a contact request shares the expert's email address with the requester: the
gateway asks membership for the signed-in member's own account and sends that address
with the acceptance (events never carry emails, so signposting learns it only here). The
service decides everything else: who is listed, who may accept, the rate limit, the gaps.
"""

from typing import Any
from uuid import UUID

from huddle_shared.contracts import experts as contract
from huddle_shared.contracts import membership as membership_contract
from litestar import Controller, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery, JSONBody
from pydantic import BaseModel, ConfigDict, Field

from huddle_gateway.rpc import Rpc


class ContactRequestBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    message: str = Field(description="A short message: what you would like to ask")


class OutcomeBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    helped: bool


async def accept_as_me(rpc: Rpc, idempotent_rpc: Rpc, request_id: UUID) -> Any:
    """The acceptance, with the signed-in member's own email address from membership."""
    me = await rpc.call(membership_contract.AccountView, membership_contract.GET_ME, {})
    body = {"id": str(request_id), "expert_email": me.email}
    return await idempotent_rpc.send(contract.ACCEPT_CONTACT_REQUEST, body)


class ExpertsController(Controller):
    path = "/api/v1/signposting/experts"
    tags = ["people who know"]

    @get(
        "/",
        summary="People who know, by topic and region",
        description="Members only. Only members who consented to be listed as a person who "
        "knows (`listed_as_expert` on their profile), active, with a topic; never an email "
        "address. `topic` matches any of their topics containing it, ignoring case.",
    )
    async def find(
        self,
        rpc: NamedDependency[Rpc],
        topic: FromQuery[str] = "",
        region: FromQuery[str | None] = None,
    ) -> contract.ExpertList:
        body: dict[str, Any] = {"topic": topic}
        if region:
            body["region"] = region
        return await rpc.call(contract.ExpertList, contract.FIND_EXPERTS, body)

    @post(
        "/{member_id:uuid}/contact-requests",
        summary="Send a person who knows a contact request",
        description=f"A short message; {contract.CONTACT_REQUESTS_PER_DAY} a day per member "
        "(429 with Retry-After beyond). 404 for a member not listed as a person who knows.",
        status_code=201,
    )
    async def contact(
        self,
        member_id: FromPath[UUID],
        data: JSONBody[ContactRequestBody],
        idempotent_rpc: NamedDependency[Rpc],
    ) -> contract.ContactRequestView:
        body = {"expert_id": str(member_id), "message": data.message}
        return await idempotent_rpc.call(
            contract.ContactRequestView, contract.SEND_CONTACT_REQUEST, body
        )


class MyContactRequestsController(Controller):
    path = "/api/v1/me/contact-requests"
    tags = ["people who know"]

    @get(
        "/",
        summary="The contact requests I sent and received, newest first",
        description="`expert_email` appears on a request I sent once the expert accepted it.",
    )
    async def mine(self, rpc: NamedDependency[Rpc]) -> contract.MyContactRequests:
        return await rpc.call(contract.MyContactRequests, contract.MY_CONTACT_REQUESTS, {})


class ContactRequestController(Controller):
    path = "/api/v1/contact-requests"
    tags = ["people who know"]

    @post(
        "/{request_id:uuid}/accept",
        summary="Accept a contact request sent to me: the requester sees my email address",
        description="Only the person asked (403 for the requester, 404 for anyone else); "
        "accepting again changes nothing; 409 once declined.",
        status_code=200,
    )
    async def accept(
        self,
        request_id: FromPath[UUID],
        rpc: NamedDependency[Rpc],
        idempotent_rpc: NamedDependency[Rpc],
    ) -> contract.ContactRequestView:
        answer = await accept_as_me(rpc, idempotent_rpc, request_id)
        return contract.ContactRequestView.model_validate(answer)

    @post(
        "/{request_id:uuid}/decline",
        summary="Decline a contact request sent to me: no email address is shared",
        description="Only the person asked; 409 once accepted.",
        status_code=200,
    )
    async def decline(
        self, request_id: FromPath[UUID], idempotent_rpc: NamedDependency[Rpc]
    ) -> contract.ContactRequestView:
        body = {"id": str(request_id)}
        subject = contract.DECLINE_CONTACT_REQUEST
        return await idempotent_rpc.call(contract.ContactRequestView, subject, body)


class SignpostingRequestController(Controller):
    path = "/api/v1/signposting/requests"
    tags = ["signposting requests"]

    @post(
        "/",
        summary="Describe a need: answered with directory entries and people who know",
        description="`category` a support category's code or id (`GET /api/v1/signposting/"
        "taxonomy`), `area` national, region:<region> or "
        "icb:<board>, `audience`, and free text that never leaves signposting. No match is "
        "recorded as a gap (category, area, audience and month only).",
        status_code=201,
    )
    async def create(
        self,
        data: JSONBody[contract.CreateSignpostingRequest],
        idempotent_rpc: NamedDependency[Rpc],
    ) -> contract.SignpostingRequestView:
        subject = contract.CREATE_SIGNPOSTING_REQUEST
        return await idempotent_rpc.call(contract.SignpostingRequestView, subject, data)

    @post(
        "/{request_id:uuid}/outcome",
        summary="Say whether the answer helped (once); unhelpful is recorded as a gap",
        status_code=200,
    )
    async def outcome(
        self,
        request_id: FromPath[UUID],
        data: JSONBody[OutcomeBody],
        idempotent_rpc: NamedDependency[Rpc],
    ) -> contract.SignpostingRequestView:
        body = {"id": str(request_id), "helped": data.helped}
        subject = contract.RECORD_REQUEST_OUTCOME
        return await idempotent_rpc.call(contract.SignpostingRequestView, subject, body)


EXPERT_HANDLERS = [
    ExpertsController,
    MyContactRequestsController,
    ContactRequestController,
    SignpostingRequestController,
]
