"""Networks, joining, invitations and network members, forwarded to the membership service.

Slugs in paths are passed on as they are: the service validates them (422 when malformed).
The bodies here are the requests' HTTP shapes, without what the path already says.
"""

from typing import Any
from uuid import UUID

from huddle_shared.contracts import networks as contract
from huddle_shared.contracts.common import Empty
from huddle_shared.contracts.rpc import Caller
from litestar import Controller, Response, delete, get, patch, post, put
from litestar.di import NamedDependency
from litestar.openapi import ResponseSpec
from litestar.params import FromPath, FromQuery, JSONBody
from pydantic import BaseModel, ConfigDict, EmailStr

from huddle_gateway.rpc import IdempotencyKeyHeader, ServiceClient


class JoinBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    message: contract.Text = ""


class DecisionBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    message: contract.Text = ""


class InvitationBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    email: EmailStr
    role: contract.Role = contract.Role.MEMBER


class RoleBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    role: contract.Role


def _body(model: BaseModel | None, **path: Any) -> dict[str, Any]:
    fields = model.model_dump(mode="json", exclude_unset=True) if model is not None else {}
    return {**fields, **path}


class NetworkController(Controller):
    path = "/api/v1/networks"
    tags = ["networks"]

    @get(
        "/",
        summary="The networks I may see, with my role and status in each",
        description="With `needs_chair=true`, for instance admins only (403 otherwise): the "
        "networks an erasure left without a chair.",
    )
    async def list_networks(
        self,
        services: NamedDependency[ServiceClient],
        caller: NamedDependency[Caller],
        needs_chair: FromQuery[bool] = False,
    ) -> list[contract.NetworkView]:
        subject = contract.LIST_NETWORKS_NEEDING_CHAIR if needs_chair else contract.LIST_NETWORKS
        reply = await services.call(subject, Empty(), caller)
        return [contract.NetworkView.model_validate(item) for item in reply]

    @post(
        "/",
        summary="Instance admins: create a network",
        description="The creator becomes its chair. 409 if the slug is taken; 422 if the "
        "parent does not exist or a glossary key is not an acronym.",
        status_code=201,
    )
    async def create(
        self,
        data: JSONBody[contract.CreateNetwork],
        services: NamedDependency[ServiceClient],
        caller: NamedDependency[Caller],
        idempotency_key: IdempotencyKeyHeader = None,
    ) -> contract.NetworkView:
        reply = await services.call(
            contract.CREATE_NETWORK, data, caller, idempotency_key=idempotency_key
        )
        return contract.NetworkView.model_validate(reply)

    @get(
        "/{slug:str}",
        summary="Read a network",
        description="404 for an invite-only network unless I am an active member of it.",
    )
    async def read(
        self,
        slug: FromPath[str],
        services: NamedDependency[ServiceClient],
        caller: NamedDependency[Caller],
    ) -> contract.NetworkView:
        reply = await services.call(contract.GET_NETWORK, {"slug": slug}, caller)
        return contract.NetworkView.model_validate(reply)

    @patch("/{slug:str}", summary="Network admins: change a network")
    async def update(
        self,
        slug: FromPath[str],
        data: JSONBody[contract.NetworkChanges],
        services: NamedDependency[ServiceClient],
        caller: NamedDependency[Caller],
    ) -> contract.NetworkView:
        reply = await services.call(contract.UPDATE_NETWORK, _body(data, slug=slug), caller)
        return contract.NetworkView.model_validate(reply)

    @post(
        "/{slug:str}/join",
        summary="Join a network",
        description="Open networks: 200, a member at once. Approval networks: 202, a pending "
        "request (asking again answers the same request). Invite-only networks: 403.",
        status_code=200,
        responses={
            202: ResponseSpec(
                data_container=contract.JoinResult, description="Pending: an admin will decide"
            )
        },
    )
    async def join(
        self,
        slug: FromPath[str],
        services: NamedDependency[ServiceClient],
        caller: NamedDependency[Caller],
        data: JSONBody[JoinBody | None] = None,
        idempotency_key: IdempotencyKeyHeader = None,
    ) -> Response[contract.JoinResult]:
        body = _body(data, slug=slug)
        reply = await services.call(
            contract.JOIN_NETWORK, body, caller, idempotency_key=idempotency_key
        )
        result = contract.JoinResult.model_validate(reply)
        pending = result.status == contract.JoinStatus.PENDING
        return Response(result, status_code=202 if pending else 200)

    @get("/{slug:str}/join-requests", summary="Network admins: pending join requests")
    async def join_requests(
        self,
        slug: FromPath[str],
        services: NamedDependency[ServiceClient],
        caller: NamedDependency[Caller],
    ) -> list[contract.JoinRequestView]:
        reply = await services.call(contract.LIST_JOIN_REQUESTS, {"slug": slug}, caller)
        return [contract.JoinRequestView.model_validate(item) for item in reply]

    @post(
        "/{slug:str}/join-requests/{request_id:uuid}/approve",
        summary="Network admins: approve a join request",
        description="Approving again answers the same; approving a declined request is 409.",
        status_code=200,
    )
    async def approve(
        self,
        slug: FromPath[str],
        request_id: FromPath[UUID],
        services: NamedDependency[ServiceClient],
        caller: NamedDependency[Caller],
        data: JSONBody[DecisionBody | None] = None,
        idempotency_key: IdempotencyKeyHeader = None,
    ) -> contract.JoinResult:
        return await self._decide(
            services, caller, slug, request_id, data, approve=True, key=idempotency_key
        )

    @post(
        "/{slug:str}/join-requests/{request_id:uuid}/decline",
        summary="Network admins: decline a join request",
        description="Declining again answers the same; declining an approved request is 409.",
        status_code=200,
    )
    async def decline(
        self,
        slug: FromPath[str],
        request_id: FromPath[UUID],
        services: NamedDependency[ServiceClient],
        caller: NamedDependency[Caller],
        data: JSONBody[DecisionBody | None] = None,
        idempotency_key: IdempotencyKeyHeader = None,
    ) -> contract.JoinResult:
        return await self._decide(
            services, caller, slug, request_id, data, approve=False, key=idempotency_key
        )

    @staticmethod
    async def _decide(
        services: ServiceClient,
        caller: Caller,
        slug: str,
        request_id: UUID,
        data: DecisionBody | None,
        *,
        approve: bool,
        key: str | None,
    ) -> contract.JoinResult:
        body = _body(data, slug=slug, request_id=str(request_id), approve=approve)
        reply = await services.call(contract.DECIDE_JOIN_REQUEST, body, caller, idempotency_key=key)
        return contract.JoinResult.model_validate(reply)

    @post(
        "/{slug:str}/invitations",
        summary="Network admins: invite someone by email",
        description="The token is shown only once; it is single use and lasts 28 days.",
        status_code=201,
    )
    async def invite(
        self,
        slug: FromPath[str],
        data: JSONBody[InvitationBody],
        services: NamedDependency[ServiceClient],
        caller: NamedDependency[Caller],
    ) -> contract.InvitationView:
        # No Idempotency-Key: a stored reply would keep the token, shown only once.
        reply = await services.call(contract.INVITE, _body(data, slug=slug), caller)
        return contract.InvitationView.model_validate(reply)

    @get(
        "/{slug:str}/members",
        summary="The network's members",
        description="Active members only. Lists those who agreed to be listed, with their "
        "email only if they agreed to be contacted; `total` counts everyone.",
    )
    async def members(
        self,
        slug: FromPath[str],
        services: NamedDependency[ServiceClient],
        caller: NamedDependency[Caller],
    ) -> contract.NetworkMembersView:
        reply = await services.call(contract.LIST_NETWORK_MEMBERS, {"slug": slug}, caller)
        return contract.NetworkMembersView.model_validate(reply)

    @put(
        "/{slug:str}/members/{member_id:uuid}/role",
        summary="Network admins: change a member's role",
        description="Only chairs appoint chairs or change a chair's role; the last chair "
        "cannot be demoted (409).",
    )
    async def change_role(
        self,
        slug: FromPath[str],
        member_id: FromPath[UUID],
        data: JSONBody[RoleBody],
        services: NamedDependency[ServiceClient],
        caller: NamedDependency[Caller],
    ) -> contract.ChangeRole:
        body = _body(data, slug=slug, member_id=str(member_id))
        reply = await services.call(contract.CHANGE_ROLE, body, caller)
        return contract.ChangeRole.model_validate(reply)

    @delete(
        "/{slug:str}/members/me",
        summary="Leave a network",
        description="The last chair cannot leave (409).",
        status_code=204,
    )
    async def leave(
        self,
        slug: FromPath[str],
        services: NamedDependency[ServiceClient],
        caller: NamedDependency[Caller],
    ) -> None:
        await services.call(contract.LEAVE_NETWORK, {"slug": slug}, caller)


class InvitationController(Controller):
    path = "/api/v1/invitations"
    tags = ["networks"]

    @post(
        "/{token:str}/accept",
        summary="Accept an invitation",
        description="For the account whose email the invitation was sent to (404 otherwise). "
        "Accepting again answers the same; an expired invitation is 409.",
        status_code=200,
    )
    async def accept(
        self,
        token: FromPath[str],
        services: NamedDependency[ServiceClient],
        caller: NamedDependency[Caller],
        idempotency_key: IdempotencyKeyHeader = None,
    ) -> contract.JoinResult:
        reply = await services.call(
            contract.ACCEPT_INVITATION, {"token": token}, caller, idempotency_key=idempotency_key
        )
        return contract.JoinResult.model_validate(reply)
