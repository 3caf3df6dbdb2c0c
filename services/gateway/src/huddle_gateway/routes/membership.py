"""Organisations and accounts, forwarded to the membership service."""

from typing import Literal
from uuid import UUID

from huddle_shared.contracts import membership as contract
from huddle_shared.contracts.common import GetById
from huddle_shared.contracts.rpc import Caller
from litestar import Controller, get, post, put
from litestar.di import NamedDependency
from litestar.params import FromPath, JSONBody
from pydantic import BaseModel, ConfigDict, Field

from huddle_gateway.rpc import IdempotencyKeyHeader, ServiceClient


class OrganisationController(Controller):
    path = "/api/v1/organisations"
    tags = ["organisations"]

    @post("/", summary="Register an organisation", status_code=201)
    async def register(
        self,
        data: JSONBody[contract.RegisterOrganisation],
        services: NamedDependency[ServiceClient],
        idempotency_key: IdempotencyKeyHeader = None,
    ) -> contract.OrganisationView:
        reply = await services.call(
            contract.REGISTER_ORGANISATION, data, idempotency_key=idempotency_key
        )
        return contract.OrganisationView.model_validate(reply)

    @get("/{organisation_id:uuid}", summary="Read an organisation")
    async def read(
        self, organisation_id: FromPath[UUID], services: NamedDependency[ServiceClient]
    ) -> contract.OrganisationView:
        reply = await services.call(contract.GET_ORGANISATION, GetById(id=organisation_id))
        return contract.OrganisationView.model_validate(reply)


class MemberStatusChange(BaseModel):
    model_config = ConfigDict(extra="forbid")

    status: Literal["active", "suspended"]
    reason: str = Field(default="", max_length=1000)


class AccountController(Controller):
    path = "/api/v1"
    tags = ["members"]

    @post("/accounts", summary="Register a member account", status_code=201)
    async def register(
        self,
        data: JSONBody[contract.RegisterAccount],
        services: NamedDependency[ServiceClient],
        idempotency_key: IdempotencyKeyHeader = None,
    ) -> contract.AccountView:
        reply = await services.call(
            contract.REGISTER_ACCOUNT, data, idempotency_key=idempotency_key
        )
        return contract.AccountView.model_validate(reply)

    @get(
        "/members/{member_id:uuid}",
        summary="Read a member",
        description="Members only. Others are visible only if they agreed to be listed (404 "
        "otherwise); their email only if they agreed to be contacted.",
    )
    async def read(
        self,
        member_id: FromPath[UUID],
        services: NamedDependency[ServiceClient],
        caller: NamedDependency[Caller],
    ) -> contract.ListedMemberView:
        reply = await services.call(contract.GET_MEMBER, GetById(id=member_id), caller)
        return contract.ListedMemberView.model_validate(reply)

    @put("/members/{member_id:uuid}/status", summary="Instance admins: suspend or reinstate")
    async def set_status(
        self,
        member_id: FromPath[UUID],
        data: JSONBody[MemberStatusChange],
        services: NamedDependency[ServiceClient],
        caller: NamedDependency[Caller],
    ) -> contract.MemberView:
        request = contract.SetMemberStatus(member_id=member_id, **data.model_dump())
        reply = await services.call(contract.SET_MEMBER_STATUS, request, caller)
        return contract.MemberView.model_validate(reply)
