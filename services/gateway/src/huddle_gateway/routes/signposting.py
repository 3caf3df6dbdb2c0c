"""The signposting directory for members and curators, forwarded to the signposting service.

The bodies are the contracts' shapes without what the path names (the entry, the
suggestion). The service decides everything: who is a curator (instance admins and the
members they designate: 403 for others), which taxonomy terms and areas exist (422
naming the field), what a search finds and in what order. The open Open Referral UK
endpoints, which anyone may call, are in ``routes.oruk``.
"""

from typing import Annotated, Any
from uuid import UUID

from huddle_shared.contracts import signposting as contract
from litestar import Controller, delete, get, patch, post, put
from litestar.di import NamedDependency
from litestar.params import FromPath, JSONBody, QueryParameter
from pydantic import BaseModel, ConfigDict, Field

from huddle_gateway.rpc import Rpc

CURATORS = "Curators: instance admins and the members they designate (403 for other members)"
MEMBERS = "Signed-in members (401 for anyone else)"
_PER_PAGE = f"Default 20, at most {contract.MAX_PER_PAGE}"


class SuggestionBody(contract.ServiceChanges):
    """A suggested correction: the fields to change, as for a PATCH, and why."""

    comment: contract.Comment


class DeclineBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: contract.Comment = Field(description="Told to the member who suggested it")


def given(**fields: Any) -> dict[str, Any]:
    """The query's values that were sent (the service has the defaults)."""
    return {name: value for name, value in fields.items() if value is not None}


def with_path(model: BaseModel | None, **path: Any) -> dict[str, Any]:
    """The fields the caller sent (``null`` included, for a PATCH) and the path's ids."""
    fields = model.model_dump(mode="json", exclude_unset=True) if model is not None else {}
    return {**fields, **{name: str(value) for name, value in path.items()}}


class DirectoryController(Controller):
    path = "/api/v1/signposting"
    tags = ["signposting"]

    @get(
        "/services",
        summary="Find support in the directory",
        description="By words, category (a term finds its sub-categories too), area (a "
        "national service matches every area; a board's service its region) and audience; "
        "ranked by relevance, area match and freshness, a page at a time. Each result says "
        f"when it was last checked and whether that is over 12 months ago. {MEMBERS}; "
        "retired entries only for curators who ask for them. An unknown term or area is 422.",
    )
    async def search(
        self,
        rpc: NamedDependency[Rpc],
        text: Annotated[str | None, QueryParameter(description="Words to find")] = None,
        taxonomy_term_id: Annotated[
            UUID | None, QueryParameter(description="A category (see /taxonomy)")
        ] = None,
        area: Annotated[
            str | None,
            QueryParameter(description="`national`, `region:<region>` or `icb:<board>`"),
        ] = None,
        audience: Annotated[contract.Audience | None, QueryParameter()] = None,
        organization_id: Annotated[
            UUID | None, QueryParameter(description="Only this provider's")
        ] = None,
        include_retired: Annotated[
            bool | None, QueryParameter(description="Curators: retired entries too")
        ] = None,
        page: Annotated[int | None, QueryParameter(description="From 1")] = None,
        per_page: Annotated[int | None, QueryParameter(description=_PER_PAGE)] = None,
    ) -> contract.ServicePage:
        body = given(
            text=text,
            taxonomy_term_id=str(taxonomy_term_id) if taxonomy_term_id else None,
            area=area,
            audience=audience,
            organization_id=str(organization_id) if organization_id else None,
            include_retired=include_retired,
            page=page,
            per_page=per_page,
        )
        return await rpc.call(contract.ServicePage, contract.SEARCH_SERVICES, body)

    @post(
        "/services",
        summary="Curators: add an entry",
        description=f"{CURATORS}. The provider is found by its name (the same name, ignoring "
        "case, is the same organisation) or added. Taxonomy terms must exist and areas be "
        "real (422 naming the field). Kept in the entry's history.",
        status_code=201,
    )
    async def create(
        self, data: JSONBody[contract.CreateService], idempotent_rpc: NamedDependency[Rpc]
    ) -> contract.ServiceView:
        body = with_path(data)
        return await idempotent_rpc.call(contract.ServiceView, contract.CREATE_SERVICE, body)

    @get(
        "/services/{service_id:uuid}",
        summary="One entry",
        description=f"{MEMBERS}; a retired entry only for curators (403 for others).",
    )
    async def read(
        self, service_id: FromPath[UUID], rpc: NamedDependency[Rpc]
    ) -> contract.ServiceView:
        return await rpc.call(contract.ServiceView, contract.GET_SERVICE, {"id": str(service_id)})

    @patch(
        "/services/{service_id:uuid}",
        summary="Curators: change an entry",
        description=f"{CURATORS}. Fields left out stay; `null` clears `url`, `email` and the "
        "ages. Saving an entry counts as checking it. Each change is kept in its history "
        "(who, when, each field before and after).",
    )
    async def update(
        self,
        service_id: FromPath[UUID],
        data: JSONBody[contract.ServiceChanges],
        idempotent_rpc: NamedDependency[Rpc],
    ) -> contract.ServiceView:
        body = with_path(data, id=service_id)
        return await idempotent_rpc.call(contract.ServiceView, contract.UPDATE_SERVICE, body)

    @delete(
        "/services/{service_id:uuid}",
        summary="Curators: retire an entry",
        description=f"{CURATORS}. It leaves search and the open data (its status becomes "
        "`defunct`) but is kept, with its history. Answers with the entry as it now is.",
        status_code=200,
    )
    async def retire(
        self,
        service_id: FromPath[UUID],
        idempotent_rpc: NamedDependency[Rpc],
        reason: Annotated[
            str | None, QueryParameter(description="Why, kept in its history")
        ] = None,
    ) -> contract.ServiceView:
        body = given(id=str(service_id), reason=reason)
        return await idempotent_rpc.call(contract.ServiceView, contract.RETIRE_SERVICE, body)

    @get(
        "/services/{service_id:uuid}/history",
        summary="Curators: an entry's history",
        description=f"{CURATORS}. Every change, oldest first: who, when, what changed.",
    )
    async def history(
        self, service_id: FromPath[UUID], rpc: NamedDependency[Rpc]
    ) -> contract.ServiceHistory:
        body = {"id": str(service_id)}
        return await rpc.call(contract.ServiceHistory, contract.SERVICE_HISTORY, body)

    @post(
        "/services/{service_id:uuid}/suggestions",
        summary="Suggest a correction to an entry",
        description=f"{MEMBERS}: the fields you would change (as for a PATCH) and a comment "
        "saying why. Nothing changes until a curator accepts it.",
        status_code=201,
    )
    async def suggest(
        self,
        service_id: FromPath[UUID],
        data: JSONBody[SuggestionBody],
        idempotent_rpc: NamedDependency[Rpc],
    ) -> contract.SuggestionView:
        body = with_path(data, service_id=service_id)
        return await idempotent_rpc.call(contract.SuggestionView, contract.SUGGEST_CORRECTION, body)

    @get(
        "/suggestions",
        summary="Curators: suggested corrections",
        description=f"{CURATORS}. Open ones by default, oldest first.",
    )
    async def suggestions(
        self,
        rpc: NamedDependency[Rpc],
        suggestion_state: Annotated[
            contract.SuggestionState | None, QueryParameter(name="state")
        ] = None,
        service_id: Annotated[UUID | None, QueryParameter(description="Only this entry's")] = None,
        page: Annotated[int | None, QueryParameter(description="From 1")] = None,
        per_page: Annotated[int | None, QueryParameter(description=_PER_PAGE)] = None,
    ) -> contract.SuggestionPage:
        body = given(
            state=suggestion_state,
            service_id=str(service_id) if service_id else None,
            page=page,
            per_page=per_page,
        )
        return await rpc.call(contract.SuggestionPage, contract.LIST_SUGGESTIONS, body)

    @post(
        "/suggestions/{suggestion_id:uuid}/accept",
        summary="Curators: accept a suggested correction",
        description=f"{CURATORS}. The entry changes as suggested (kept in its history); "
        "409 if it was decided already.",
        status_code=200,
    )
    async def accept(
        self, suggestion_id: FromPath[UUID], idempotent_rpc: NamedDependency[Rpc]
    ) -> contract.SuggestionView:
        body = {"id": str(suggestion_id)}
        return await idempotent_rpc.call(contract.SuggestionView, contract.ACCEPT_SUGGESTION, body)

    @post(
        "/suggestions/{suggestion_id:uuid}/decline",
        summary="Curators: decline a suggested correction, saying why",
        description=f"{CURATORS}. Nothing changes; 409 if it was decided already.",
        status_code=200,
    )
    async def decline(
        self,
        suggestion_id: FromPath[UUID],
        data: JSONBody[DeclineBody],
        idempotent_rpc: NamedDependency[Rpc],
    ) -> contract.SuggestionView:
        body = with_path(data, id=suggestion_id)
        return await idempotent_rpc.call(contract.SuggestionView, contract.DECLINE_SUGGESTION, body)

    @get(
        "/taxonomy",
        summary="The directory's categories",
        description="The category tree, each parent before its children. Anyone may read it.",
    )
    async def taxonomy(self, rpc: NamedDependency[Rpc]) -> contract.Taxonomy:
        return await rpc.call(contract.Taxonomy, contract.GET_TAXONOMY, {})

    @get(
        "/curators",
        summary="Curators: who curates the directory",
        description=f"{CURATORS}. The instance admins (curators by that alone) and the "
        "members they designated, by name.",
    )
    async def curators(self, rpc: NamedDependency[Rpc]) -> contract.Curators:
        return await rpc.call(contract.Curators, contract.LIST_CURATORS, {})

    @put(
        "/curators/{member_id:uuid}",
        summary="Instance admins: designate a member as a curator",
        description="Instance admins only (403 for anyone else); 422 for a member "
        "signposting does not know. Doing it twice changes nothing.",
    )
    async def designate(
        self, member_id: FromPath[UUID], idempotent_rpc: NamedDependency[Rpc]
    ) -> contract.Curators:
        body = {"member_id": str(member_id), "curator": True}
        return await idempotent_rpc.call(contract.Curators, contract.SET_CURATOR, body)

    @delete(
        "/curators/{member_id:uuid}",
        summary="Instance admins: stop a member curating",
        description="Instance admins only (403 for anyone else). An instance admin stays a "
        "curator by being one.",
        status_code=200,
    )
    async def undesignate(
        self, member_id: FromPath[UUID], idempotent_rpc: NamedDependency[Rpc]
    ) -> contract.Curators:
        body = {"member_id": str(member_id), "curator": False}
        return await idempotent_rpc.call(contract.Curators, contract.SET_CURATOR, body)


SIGNPOSTING_HANDLERS = (DirectoryController,)
