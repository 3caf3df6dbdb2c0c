"""Organisations and accounts, forwarded to the membership service."""

from typing import Literal
from uuid import UUID

from huddle_shared.contracts import membership as contract
from huddle_shared.contracts.common import GetById
from litestar import Controller, get, post, put
from litestar.di import NamedDependency
from litestar.params import FromPath, JSONBody
from pydantic import BaseModel, ConfigDict, Field

from huddle_gateway.auth import AS_ANONYMOUS
from huddle_gateway.headers import PUBLIC_CACHE
from huddle_gateway.rpc import Rpc


class OrganisationController(Controller):
    path = "/api/v1/organisations"
    tags = ["organisations"]
    dependencies = AS_ANONYMOUS

    @post("/", summary="Register an organisation", status_code=201)
    async def register(
        self, data: JSONBody[contract.RegisterOrganisation], idempotent_rpc: NamedDependency[Rpc]
    ) -> contract.OrganisationView:
        return await idempotent_rpc.call(
            contract.OrganisationView, contract.REGISTER_ORGANISATION, data
        )

    @get("/{organisation_id:uuid}", summary="Read an organisation", cache_control=PUBLIC_CACHE)
    async def read(
        self, organisation_id: FromPath[UUID], rpc: NamedDependency[Rpc]
    ) -> contract.OrganisationView:
        request = GetById(id=organisation_id)
        return await rpc.call(contract.OrganisationView, contract.GET_ORGANISATION, request)


class MemberStatusChange(BaseModel):
    model_config = ConfigDict(extra="forbid")

    status: Literal["active", "suspended"]
    reason: str = Field(default="", max_length=1000)


class MemberTypeChange(BaseModel):
    model_config = ConfigDict(extra="forbid")

    member_type: contract.MemberType


class AccountController(Controller):
    path = "/api/v1"
    tags = ["members"]

    @post(
        "/accounts",
        summary="Register a member account",
        status_code=201,
        dependencies=AS_ANONYMOUS,
    )
    async def register(
        self, data: JSONBody[contract.RegisterAccount], idempotent_rpc: NamedDependency[Rpc]
    ) -> contract.AccountView:
        return await idempotent_rpc.call(contract.AccountView, contract.REGISTER_ACCOUNT, data)

    @post(
        "/members/find",
        summary="Instance admins: find a member by email address",
        description="A POST so that the address stays out of addresses and logs. 404 when no "
        "member has it.",
        status_code=200,
    )
    async def find(
        self, data: JSONBody[contract.FindMember], rpc: NamedDependency[Rpc]
    ) -> contract.AdminMemberView:
        return await rpc.call(contract.AdminMemberView, contract.FIND_MEMBER, data)

    @get(
        "/members/{member_id:uuid}",
        summary="Read a member",
        description="Members only. Others are visible only if they agreed to be listed (404 "
        "otherwise); their email only if they agreed to be contacted.",
    )
    async def read(
        self, member_id: FromPath[UUID], rpc: NamedDependency[Rpc]
    ) -> contract.ListedMemberView:
        return await rpc.call(contract.ListedMemberView, contract.GET_MEMBER, GetById(id=member_id))

    @put("/members/{member_id:uuid}/status", summary="Instance admins: suspend or reinstate")
    async def set_status(
        self,
        member_id: FromPath[UUID],
        data: JSONBody[MemberStatusChange],
        rpc: NamedDependency[Rpc],
    ) -> contract.MemberView:
        request = contract.SetMemberStatus(member_id=member_id, **data.model_dump())
        return await rpc.call(contract.MemberView, contract.SET_MEMBER_STATUS, request)

    @put(
        "/members/{member_id:uuid}/type",
        summary="Instance admins: change a member's type",
        description="The only way to make someone a national observer: it is never chosen at "
        "sign-up.",
    )
    async def set_type(
        self,
        member_id: FromPath[UUID],
        data: JSONBody[MemberTypeChange],
        rpc: NamedDependency[Rpc],
    ) -> contract.MemberView:
        request = contract.SetMemberType(member_id=member_id, member_type=data.member_type)
        return await rpc.call(contract.MemberView, contract.SET_MEMBER_TYPE, request)
