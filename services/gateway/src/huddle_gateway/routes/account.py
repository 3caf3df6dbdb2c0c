"""Sign-in, the caller's own account and privacy rights, and machine clients' API tokens."""

import asyncio
from typing import Any

from huddle_shared.contracts import membership as contract
from huddle_shared.contracts.common import ERASE_ME, export_subject
from huddle_shared.services import service_names
from litestar import Controller, delete, get, patch, post
from litestar.di import NamedDependency
from litestar.params import FromPath, JSONBody
from pydantic import BaseModel

from huddle_gateway.auth import AccessTokens
from huddle_gateway.rpc import Rpc


class AccessToken(BaseModel):
    access_token: str
    token_type: str = "bearer"  # noqa: S105 - the scheme, not a secret
    expires_in: int


async def everything_about_me(rpc: Rpc) -> dict[str, Any]:
    """The caller's export: each service's part, asked all at once (the API and the web app's
    download give the same document)."""
    parts = await asyncio.gather(*(rpc.send(export_subject(name), {}) for name in service_names()))
    return dict(zip(service_names(), parts, strict=True))


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
        rpc: NamedDependency[Rpc],
        tokens: NamedDependency[AccessTokens],
    ) -> AccessToken:
        signed_in = await rpc.call(contract.SignedIn, contract.SIGN_IN, data)
        return AccessToken(
            access_token=tokens.issue(signed_in.member_id), expires_in=tokens.lifetime_seconds
        )


class MeController(Controller):
    path = "/api/v1/me"
    tags = ["me"]

    @get("/", summary="My account")
    async def read(self, rpc: NamedDependency[Rpc]) -> contract.AccountView:
        return await rpc.call(contract.AccountView, contract.GET_ME, {})

    @patch("/", summary="Edit my profile and what I consent to share")
    async def update(
        self, data: JSONBody[contract.UpdateProfile], rpc: NamedDependency[Rpc]
    ) -> contract.AccountView:
        return await rpc.call(contract.AccountView, contract.UPDATE_ME, data)

    @get("/export", summary="Everything every service holds about me, as one document")
    async def export(self, rpc: NamedDependency[Rpc]) -> dict[str, Any]:
        return await everything_about_me(rpc)

    @delete("/", summary="Erase me: every service removes what it holds about me", status_code=204)
    async def erase(self, rpc: NamedDependency[Rpc]) -> None:
        await rpc.send(ERASE_ME, {})


class ApiTokenController(Controller):
    path = "/api/v1/api-tokens"
    tags = ["machine clients"]

    @get("/", summary="Instance admins: every token, newest first (never the tokens themselves)")
    async def list_tokens(self, rpc: NamedDependency[Rpc]) -> list[contract.ApiTokenSummary]:
        return await rpc.call_list(contract.ApiTokenSummary, contract.LIST_API_TOKENS, {})

    @post("/", summary="Instance admins: create a token for a machine client", status_code=201)
    async def create(
        self, data: JSONBody[contract.CreateApiToken], rpc: NamedDependency[Rpc]
    ) -> contract.ApiTokenCreated:
        # No Idempotency-Key: a stored reply would keep the token, shown only once.
        return await rpc.call(contract.ApiTokenCreated, contract.CREATE_API_TOKEN, data)

    @delete("/{token_id:str}", summary="Instance admins: revoke a token", status_code=204)
    async def revoke(self, token_id: FromPath[str], rpc: NamedDependency[Rpc]) -> None:
        await rpc.send(contract.REVOKE_API_TOKEN, {"id": token_id})
