"""Sign-in, the caller's own account and privacy rights, and machine clients' API tokens."""

import asyncio
from typing import Any

from huddle_shared.contracts import membership as contract
from huddle_shared.contracts.common import ERASE_ME, export_subject
from huddle_shared.contracts.rpc import Caller
from huddle_shared.services import service_names
from litestar import Controller, delete, get, patch, post
from litestar.di import NamedDependency
from litestar.params import FromPath, JSONBody
from pydantic import BaseModel

from huddle_gateway.auth import AccessTokens
from huddle_gateway.rpc import ServiceClient


class AccessToken(BaseModel):
    access_token: str
    token_type: str = "bearer"  # noqa: S105 - the scheme, not a secret
    expires_in: int


class AuthController(Controller):
    path = "/api/v1/auth"
    tags = ["sign-in"]

    @post(
        "/token",
        status_code=200,
        summary="Exchange email and password for a short-lived access token",
        description="Failed attempts are limited per account and per address (429). The answer "
        "never says whether an email address has an account.",
    )
    async def token(
        self,
        data: JSONBody[contract.SignIn],
        services: NamedDependency[ServiceClient],
        tokens: NamedDependency[AccessTokens],
        caller: NamedDependency[Caller],
    ) -> AccessToken:
        signed_in = contract.SignedIn.model_validate(
            await services.call(contract.SIGN_IN, data, caller)
        )
        return AccessToken(
            access_token=tokens.issue(signed_in.member_id), expires_in=tokens.lifetime_seconds
        )


class MeController(Controller):
    path = "/api/v1/me"
    tags = ["me"]

    @get("/", summary="My account")
    async def read(
        self, services: NamedDependency[ServiceClient], caller: NamedDependency[Caller]
    ) -> contract.AccountView:
        return contract.AccountView.model_validate(await services.call(contract.GET_ME, {}, caller))

    @patch("/", summary="Edit my profile and what I consent to share")
    async def update(
        self,
        data: JSONBody[contract.UpdateProfile],
        services: NamedDependency[ServiceClient],
        caller: NamedDependency[Caller],
    ) -> contract.AccountView:
        reply = await services.call(contract.UPDATE_ME, data, caller)
        return contract.AccountView.model_validate(reply)

    @get("/export", summary="Everything every service holds about me, as one document")
    async def export(
        self, services: NamedDependency[ServiceClient], caller: NamedDependency[Caller]
    ) -> dict[str, Any]:
        parts = await asyncio.gather(
            *(services.call(export_subject(name), {}, caller) for name in service_names())
        )
        return dict(zip(service_names(), parts, strict=True))

    @delete("/", summary="Erase me: every service removes what it holds about me", status_code=204)
    async def erase(
        self, services: NamedDependency[ServiceClient], caller: NamedDependency[Caller]
    ) -> None:
        await services.call(ERASE_ME, {}, caller)


class ApiTokenController(Controller):
    path = "/api/v1/api-tokens"
    tags = ["machine clients"]

    @post("/", summary="Instance admins: create a token for a machine client", status_code=201)
    async def create(
        self,
        data: JSONBody[contract.CreateApiToken],
        services: NamedDependency[ServiceClient],
        caller: NamedDependency[Caller],
    ) -> contract.ApiTokenCreated:
        # No Idempotency-Key: a stored reply would keep the token, shown only once.
        reply = await services.call(contract.CREATE_API_TOKEN, data, caller)
        return contract.ApiTokenCreated.model_validate(reply)

    @delete("/{token_id:str}", summary="Instance admins: revoke a token", status_code=204)
    async def revoke(
        self,
        token_id: FromPath[str],
        services: NamedDependency[ServiceClient],
        caller: NamedDependency[Caller],
    ) -> None:
        await services.call(contract.REVOKE_API_TOKEN, {"id": token_id}, caller)
