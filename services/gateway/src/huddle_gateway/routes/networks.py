"""Networks, joining, invitations and network members, forwarded to the membership service.

Slugs in paths are passed on as they are: the service validates them (422 when malformed).
The bodies here are the requests' HTTP shapes, without what the path already says.
"""

from typing import Any, Literal
from uuid import UUID

from huddle_shared.contracts import networks as contract
from huddle_shared.contracts.common import Empty
from litestar import Controller, Response, delete, get, patch, post, put
from litestar.di import NamedDependency
from litestar.handlers import HTTPRouteHandler
from litestar.openapi import ResponseSpec
from litestar.params import FromPath, FromQuery, JSONBody, Parameter
from pydantic import BaseModel, ConfigDict, EmailStr, Field

from huddle_gateway.rpc import Rpc


class JoinBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    message: contract.Text = ""
    accepted_ground_rules: bool = Field(default=False, description=contract.ACCEPTED_GROUND_RULES)


class AcceptBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    accepted_ground_rules: bool = Field(default=False, description=contract.ACCEPTED_GROUND_RULES)


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


def _decision_route(decision: Literal["approve", "decline"], description: str) -> HTTPRouteHandler:
    """A network admin's decision on a join request: two routes, alike but for the verb."""

    async def decide(
        self: Controller,
        slug: FromPath[str],
        request_id: FromPath[UUID],
        idempotent_rpc: NamedDependency[Rpc],
        data: JSONBody[DecisionBody | None] = None,
    ) -> contract.JoinResult:
        approve = decision == "approve"
        body = _body(data, slug=slug, request_id=str(request_id), approve=approve)
        return await idempotent_rpc.call(contract.JoinResult, contract.DECIDE_JOIN_REQUEST, body)

    # As a method of the controller it is: the OpenAPI operation's name and place follow these.
    decide.__name__, decide.__qualname__ = decision, f"NetworkController.{decision}"
    return post(
        f"/{{slug:str}}/join-requests/{{request_id:uuid}}/{decision}",
        summary=f"Network admins: {decision} a join request",
        description=description,
        status_code=200,
    )(decide)


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
        self, rpc: NamedDependency[Rpc], needs_chair: FromQuery[bool] = False
    ) -> list[contract.NetworkView]:
        subject = contract.LIST_NETWORKS_NEEDING_CHAIR if needs_chair else contract.LIST_NETWORKS
        return await rpc.call_list(contract.NetworkView, subject, Empty())

    @post(
        "/",
        summary="Instance admins: create a network",
        description="The creator becomes its chair. 409 if the slug is taken; 422 if the "
        "parent does not exist or a glossary key is not an acronym.",
        status_code=201,
    )
    async def create(
        self, data: JSONBody[contract.CreateNetwork], idempotent_rpc: NamedDependency[Rpc]
    ) -> contract.NetworkView:
        return await idempotent_rpc.call(contract.NetworkView, contract.CREATE_NETWORK, data)

    @get(
        "/{slug:str}",
        summary="Read a network",
        description="404 for an invite-only network unless I am an active member of it.",
    )
    async def read(self, slug: FromPath[str], rpc: NamedDependency[Rpc]) -> contract.NetworkView:
        return await rpc.call(contract.NetworkView, contract.GET_NETWORK, {"slug": slug})

    @patch("/{slug:str}", summary="Network admins: change a network")
    async def update(
        self,
        slug: FromPath[str],
        data: JSONBody[contract.NetworkChanges],
        rpc: NamedDependency[Rpc],
    ) -> contract.NetworkView:
        body = _body(data, slug=slug)
        return await rpc.call(contract.NetworkView, contract.UPDATE_NETWORK, body)

    @post(
        "/{slug:str}/join",
        summary="Join a network",
        description="Open networks: 200, a member at once. Approval networks: 202, a pending "
        "request (asking again answers the same request). Invite-only networks: 403. A network "
        "with ground rules needs `accepted_ground_rules: true` (422 otherwise).",
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
        idempotent_rpc: NamedDependency[Rpc],
        data: JSONBody[JoinBody | None] = None,
    ) -> Response[contract.JoinResult]:
        body = _body(data, slug=slug)
        result = await idempotent_rpc.call(contract.JoinResult, contract.JOIN_NETWORK, body)
        pending = result.status == contract.JoinStatus.PENDING
        return Response(result, status_code=202 if pending else 200)

    @get("/{slug:str}/join-requests", summary="Network admins: pending join requests")
    async def join_requests(
        self, slug: FromPath[str], rpc: NamedDependency[Rpc]
    ) -> list[contract.JoinRequestView]:
        subject = contract.LIST_JOIN_REQUESTS
        return await rpc.call_list(contract.JoinRequestView, subject, {"slug": slug})

    approve = _decision_route(
        "approve", "Approving again answers the same; approving a declined request is 409."
    )
    decline = _decision_route(
        "decline", "Declining again answers the same; declining an approved request is 409."
    )

    @post(
        "/{slug:str}/invitations",
        summary="Network admins: invite someone by email",
        description="The token is shown only once; it is single use and lasts 28 days.",
        status_code=201,
    )
    async def invite(
        self, slug: FromPath[str], data: JSONBody[InvitationBody], rpc: NamedDependency[Rpc]
    ) -> contract.InvitationView:
        # No Idempotency-Key: a stored reply would keep the token, shown only once.
        return await rpc.call(contract.InvitationView, contract.INVITE, _body(data, slug=slug))

    @get(
        "/{slug:str}/invitations",
        summary="Network admins: the network's invitations and their status",
        description="Newest first: pending, accepted or expired. Never the tokens, which are "
        "shown only when an invitation is made.",
    )
    async def invitations(
        self, slug: FromPath[str], rpc: NamedDependency[Rpc]
    ) -> list[contract.InvitationSummary]:
        subject = contract.LIST_INVITATIONS
        return await rpc.call_list(contract.InvitationSummary, subject, {"slug": slug})

    @get(
        "/{slug:str}/roster",
        summary="Network admins: every active member and their role",
        description="Listed or not, so that admins can manage roles; no email addresses.",
    )
    async def roster(
        self, slug: FromPath[str], rpc: NamedDependency[Rpc]
    ) -> contract.NetworkRosterView:
        subject = contract.LIST_NETWORK_ROSTER
        return await rpc.call(contract.NetworkRosterView, subject, {"slug": slug})

    @get(
        "/{slug:str}/members",
        summary="The network's members",
        description="Active members only. Lists those who agreed to be listed, with their "
        "email only if they agreed to be contacted, ordered by name: all of them, or a page "
        "(`limit` from `offset`). `total` counts everyone, `listed` those listed.",
    )
    async def members(
        self,
        slug: FromPath[str],
        rpc: NamedDependency[Rpc],
        limit: int | None = Parameter(
            default=None,
            ge=1,
            le=contract.MEMBERS_PAGE_MAX,
            description="Page size (default: every listed member)",
        ),
        offset: int | None = Parameter(
            default=None,
            ge=0,
            le=contract.MEMBERS_OFFSET_MAX,
            description="Listed members to skip (default 0)",
        ),
    ) -> contract.NetworkMembersView:
        given = {"slug": slug, "limit": limit, "offset": offset}
        body = {name: value for name, value in given.items() if value is not None}
        return await rpc.call(contract.NetworkMembersView, contract.LIST_NETWORK_MEMBERS, body)

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
        rpc: NamedDependency[Rpc],
    ) -> contract.ChangeRole:
        body = _body(data, slug=slug, member_id=str(member_id))
        return await rpc.call(contract.ChangeRole, contract.CHANGE_ROLE, body)

    @delete(
        "/{slug:str}/members/me",
        summary="Leave a network",
        description="The last chair cannot leave (409).",
        status_code=204,
    )
    async def leave(self, slug: FromPath[str], rpc: NamedDependency[Rpc]) -> None:
        await rpc.send(contract.LEAVE_NETWORK, {"slug": slug})


class InvitationController(Controller):
    path = "/api/v1/invitations"
    tags = ["networks"]

    @get(
        "/{token:str}",
        summary="Read an invitation before accepting it",
        description="For the account whose email the invitation was sent to (404 otherwise): "
        "the network, the role it gives and whether it is waiting, accepted or expired.",
    )
    async def read(
        self, token: FromPath[str], rpc: NamedDependency[Rpc]
    ) -> contract.InvitationPreview:
        body = {"token": token}
        return await rpc.call(contract.InvitationPreview, contract.READ_INVITATION, body)

    @post(
        "/{token:str}/accept",
        summary="Accept an invitation",
        description="For the account whose email the invitation was sent to (404 otherwise). "
        "Accepting again answers the same; an expired invitation is 409. A network with ground "
        "rules needs `accepted_ground_rules: true` (422 otherwise).",
        status_code=200,
    )
    async def accept(
        self,
        token: FromPath[str],
        idempotent_rpc: NamedDependency[Rpc],
        data: JSONBody[AcceptBody | None] = None,
    ) -> contract.JoinResult:
        body = _body(data, token=token)
        return await idempotent_rpc.call(contract.JoinResult, contract.ACCEPT_INVITATION, body)
