"""Organisations and accounts, forwarded to the membership service."""

from uuid import UUID

from huddle_shared.contracts import membership as contract
from litestar import Controller, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath, JSONBody

from huddle_gateway.rpc import ServiceClient


class OrganisationController(Controller):
    path = "/api/v1/organisations"
    tags = ["organisations"]

    @post("/", summary="Register an organisation", status_code=201)
    async def register(
        self,
        data: JSONBody[contract.RegisterOrganisation],
        services: NamedDependency[ServiceClient],
    ) -> contract.OrganisationView:
        reply = await services.call(contract.REGISTER_ORGANISATION, data)
        return contract.OrganisationView.model_validate(reply)

    @get("/{organisation_id:uuid}", summary="Read an organisation")
    async def read(
        self, organisation_id: FromPath[UUID], services: NamedDependency[ServiceClient]
    ) -> contract.OrganisationView:
        reply = await services.call(contract.GET_ORGANISATION, contract.GetById(id=organisation_id))
        return contract.OrganisationView.model_validate(reply)


class AccountController(Controller):
    path = "/api/v1"
    tags = ["members"]

    @post("/accounts", summary="Register a member account", status_code=201)
    async def register(
        self, data: JSONBody[contract.RegisterAccount], services: NamedDependency[ServiceClient]
    ) -> contract.AccountView:
        reply = await services.call(contract.REGISTER_ACCOUNT, data)
        return contract.AccountView.model_validate(reply)

    @get("/members/{member_id:uuid}", summary="Read a member")
    async def read(
        self, member_id: FromPath[UUID], services: NamedDependency[ServiceClient]
    ) -> contract.MemberView:
        reply = await services.call(contract.GET_MEMBER, contract.GetById(id=member_id))
        return contract.MemberView.model_validate(reply)
