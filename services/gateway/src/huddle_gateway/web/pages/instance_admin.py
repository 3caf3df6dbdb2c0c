"""Group ``instance_admin``: ``/admin`` and its pages, for instance administrators:
organisations (find, add), creating networks (with a parent network), suspending and
reinstating members, the directory of support's curators, and access keys for other
systems (the API tokens: each shown once, when it is made).

Membership decides who is an instance administrator and refuses everyone else each action;
the pages only ask it (``is_instance_admin`` on the account) to answer a visitor who is not
one with the "no permission" page rather than with forms that would all be refused.
"""

import contextlib
from typing import Any
from urllib.parse import urlencode
from uuid import UUID

from huddle_shared.contracts import membership as contract
from huddle_shared.contracts import networks as networks_contract
from huddle_shared.contracts import signposting as signposting_contract
from huddle_shared.contracts.common import Empty
from litestar import Request, Response, get, post
from litestar.di import NamedDependency
from litestar.exceptions import PermissionDeniedException
from litestar.params import FromPath, FromQuery
from litestar.plugins.problem_details import ProblemDetailsException
from litestar.response import Redirect, Template

from huddle_gateway.rpc import Rpc
from huddle_gateway.web import labels
from huddle_gateway.web.forms import form_of, problem_to_errors, render_page
from huddle_gateway.web.session import require_member

NOT_AN_ADMINISTRATOR = "Only an instance administrator can use these pages."
VISIBILITIES: dict[str, tuple[str, str]] = {
    networks_contract.Visibility.OPEN: ("Open", "Anyone with an account joins at once."),
    networks_contract.Visibility.APPROVAL: (
        "By approval",
        "People ask to join and a chair or facilitator decides.",
    ),
    networks_contract.Visibility.INVITE_ONLY: (
        "By invitation only",
        "Only people who are invited can join, and only members can see it.",
    ),
}
MEMBER_STATUSES = {
    "active": "Active",
    "suspended": "Suspended",
    "left": "Left",
}


async def _administrator(request: Request[Any, Any, Any], rpc: Rpc) -> contract.AccountView:
    require_member(request)
    account = await rpc.call(contract.AccountView, contract.GET_ME, Empty())
    if not account.is_instance_admin or account.status != "active":
        raise PermissionDeniedException(detail=NOT_AN_ADMINISTRATOR)
    return account


def _page(template: str, context: dict[str, Any], status: int = 200) -> Template:
    return render_page(
        f"pages/instance_admin/{template}.jinja",
        {"values": {}, "field_errors": {}, "labels": labels, **context},
        status=status,
    )


def _refusal(exc: ProblemDetailsException, fields: dict[str, str] | None = None) -> dict[str, Any]:
    if exc.status_code == 401:
        raise exc  # signed out meanwhile: to sign-in and back
    summary, field_errors = problem_to_errors(exc, fields)
    return {"error_summary": summary, "field_errors": field_errors}


# --- The overview ------------------------------------------------------------------------------


@get("/admin", name="instance-admin")
async def overview(request: Request[Any, Any, Any], rpc: NamedDependency[Rpc]) -> Template:
    await _administrator(request, rpc)
    needing_chair = await rpc.call_list(
        networks_contract.NetworkView, networks_contract.LIST_NETWORKS_NEEDING_CHAIR, Empty()
    )
    return _page("overview", {"needing_chair": needing_chair})


# --- Organisations ----------------------------------------------------------------------------


async def _organisations_context(rpc: Rpc, name: str) -> dict[str, Any]:
    query = {"name_prefix": name.strip(), "limit": 50}
    found = await rpc.call(contract.OrganisationPage, contract.SEARCH_ORGANISATIONS, query)
    return {"name": name, "organisations": found.items, "total": found.total}


@get("/admin/organisations", name="admin-organisations")
async def organisations(
    request: Request[Any, Any, Any], rpc: NamedDependency[Rpc], name: FromQuery[str] = ""
) -> Template:
    await _administrator(request, rpc)
    context = await _organisations_context(rpc, name[:100])
    context["added"] = request.query_params.get("added") == "1"
    return _page("organisations", context)


@post("/admin/organisations", status_code=303)
async def add_organisation(
    request: Request[Any, Any, Any], rpc: NamedDependency[Rpc], idempotent_rpc: NamedDependency[Rpc]
) -> Response[Any]:
    await _administrator(request, rpc)
    form = await form_of(request)
    body: dict[str, Any] = {
        "name": form.get("name", "").strip(),
        "kind": form.get("kind", ""),
        "region": form.get("region") or None,
        "ods_code": form.get("ods_code", "").strip() or None,
    }
    try:
        added = await idempotent_rpc.call(
            contract.OrganisationView, contract.REGISTER_ORGANISATION, body
        )
    except ProblemDetailsException as exc:
        fields = {"name": "org-name", "kind": "org-kind", "region": "org-region"}
        fields["ods_code"] = "org-code"
        context = await _organisations_context(rpc, "")
        values = {"org-name": body["name"], "org-kind": body["kind"]}
        values |= {"org-region": form.get("region", ""), "org-code": form.get("ods_code", "")}
        context |= _refusal(exc, fields) | {"values": values}
        return _page("organisations", context, status=int(exc.status_code))
    return Redirect(
        "/admin/organisations?" + urlencode({"name": added.name, "added": "1"}), status_code=303
    )


# --- Networks ---------------------------------------------------------------------------------


async def _network_form_context(rpc: Rpc) -> dict[str, Any]:
    networks = await rpc.call_list(
        networks_contract.NetworkView, networks_contract.LIST_NETWORKS, Empty()
    )
    return {"networks": networks, "visibilities": VISIBILITIES}


@get("/admin/networks/new", name="admin-new-network")
async def new_network(request: Request[Any, Any, Any], rpc: NamedDependency[Rpc]) -> Template:
    await _administrator(request, rpc)
    return _page("new_network", await _network_form_context(rpc))


@post("/admin/networks/new", status_code=303)
async def create_network(
    request: Request[Any, Any, Any], rpc: NamedDependency[Rpc], idempotent_rpc: NamedDependency[Rpc]
) -> Response[Any]:
    await _administrator(request, rpc)
    form = await form_of(request)
    rules = [line.strip() for line in form.get("ground_rules", "").splitlines() if line.strip()]
    body: dict[str, Any] = {
        "slug": form.get("slug", "").strip(),
        "name": form.get("name", "").strip(),
        "purpose": form.get("purpose", ""),
        "parent_slug": form.get("parent_slug") or None,
        "visibility": form.get("visibility", ""),
        "region": form.get("region") or None,
        "ground_rules": rules,
    }
    try:
        created = await idempotent_rpc.call(
            networks_contract.NetworkView, networks_contract.CREATE_NETWORK, body
        )
    except ProblemDetailsException as exc:
        fields = {name: name for name in body}
        fields |= {f"ground_rules.{index}": "ground_rules" for index in range(len(rules))}
        context = await _network_form_context(rpc)
        context |= _refusal(exc, fields) | {"values": form}
        return _page("new_network", context, status=int(exc.status_code))
    return Redirect(f"/networks/{created.slug}/admin", status_code=303)


# --- Members ----------------------------------------------------------------------------------


@get("/admin/members", name="admin-members")
async def members(request: Request[Any, Any, Any], rpc: NamedDependency[Rpc]) -> Template:
    await _administrator(request, rpc)
    return _page("members", {})


@post("/admin/members", status_code=200)
async def find_member(request: Request[Any, Any, Any], rpc: NamedDependency[Rpc]) -> Template:
    """A form that posts, so that the address stays out of addresses and logs."""
    await _administrator(request, rpc)
    form = await form_of(request)
    email = form.get("email", "").strip()
    try:
        member = await rpc.call(contract.AdminMemberView, contract.FIND_MEMBER, {"email": email})
    except ProblemDetailsException as exc:
        context = _refusal(exc) | {"values": {"email": email}}
        return _page("members", context, status=int(exc.status_code))
    return _page("members", {"member": member, "values": {"email": email}})


@post("/admin/members/{member_id:uuid}/status", status_code=200)
async def set_status(
    request: Request[Any, Any, Any],
    member_id: FromPath[UUID],
    rpc: NamedDependency[Rpc],
    idempotent_rpc: NamedDependency[Rpc],
) -> Template:
    """Acts on the member the address names, and reads that member again by their id: an
    email address changed meanwhile cannot bring up someone else."""
    await _administrator(request, rpc)
    form = await form_of(request)
    body = {
        "member_id": str(member_id),
        "status": form.get("status", ""),
        "reason": form.get("reason", ""),
    }
    by_id = {"member_id": str(member_id)}
    try:
        await idempotent_rpc.call(contract.MemberView, contract.SET_MEMBER_STATUS, body)
    except ProblemDetailsException as exc:
        context = _refusal(exc, {"reason": "reason", "status": "reason"})
        context["values"] = {"reason": body["reason"]}
        with contextlib.suppress(ProblemDetailsException):  # the form again, if they exist
            member = await rpc.call(contract.AdminMemberView, contract.FIND_MEMBER, by_id)
            context["member"] = member
            context["values"]["email"] = member.email
        return _page("members", context, status=int(exc.status_code))
    member = await rpc.call(contract.AdminMemberView, contract.FIND_MEMBER, by_id)
    done = "suspended" if member.status == "suspended" else "reinstated"
    return _page("members", {"member": member, "values": {"email": member.email}, "done": done})


# --- The directory's curators -----------------------------------------------------------------


async def _curators_page(rpc: Rpc, context: dict[str, Any], status: int = 200) -> Template:
    listed = await rpc.call(
        signposting_contract.Curators, signposting_contract.LIST_CURATORS, Empty()
    )
    return _page("curators", {"curators": listed.curators, **context}, status=status)


@get("/admin/curators", name="admin-curators")
async def curators(
    request: Request[Any, Any, Any],
    rpc: NamedDependency[Rpc],
    done: FromQuery[str] = "",
    member: FromQuery[UUID | None] = None,
) -> Template:
    """``done`` is a fixed word and ``member`` an id: the banner names whoever the list
    says, so a crafted link cannot make it say anything else."""
    await _administrator(request, rpc)
    return await _curators_page(rpc, {"done": done, "member": str(member) if member else ""})


@post("/admin/curators", status_code=303)
async def designate_curator(
    request: Request[Any, Any, Any],
    rpc: NamedDependency[Rpc],
    idempotent_rpc: NamedDependency[Rpc],
) -> Response[Any]:
    """By email address, as the members page finds people; the address is posted, so it
    stays out of addresses and logs."""
    await _administrator(request, rpc)
    email = (await form_of(request)).get("email", "").strip()
    try:
        member = await rpc.call(contract.AdminMemberView, contract.FIND_MEMBER, {"email": email})
        body = {"member_id": str(member.id), "curator": True}
        await idempotent_rpc.call(
            signposting_contract.Curators, signposting_contract.SET_CURATOR, body
        )
    except ProblemDetailsException as exc:
        context = _refusal(exc, {"email": "email", "member_id": "email"})
        return await _curators_page(rpc, context | {"values": {"email": email}}, exc.status_code)
    query = urlencode({"done": "designated", "member": str(member.id)})
    return Redirect(f"/admin/curators?{query}", status_code=303)


@post("/admin/curators/{member_id:uuid}/stop", status_code=303)
async def undesignate_curator(
    request: Request[Any, Any, Any],
    member_id: FromPath[UUID],
    rpc: NamedDependency[Rpc],
    idempotent_rpc: NamedDependency[Rpc],
) -> Response[Any]:
    await _administrator(request, rpc)
    body = {"member_id": str(member_id), "curator": False}
    try:
        await idempotent_rpc.call(
            signposting_contract.Curators, signposting_contract.SET_CURATOR, body
        )
    except ProblemDetailsException as exc:
        return await _curators_page(rpc, _refusal(exc), exc.status_code)
    return Redirect("/admin/curators?done=stopped", status_code=303)


# --- Access keys for other systems (API tokens) -------------------------------------------------


async def _tokens_context(rpc: Rpc) -> dict[str, Any]:
    tokens = await rpc.call_list(contract.ApiTokenSummary, contract.LIST_API_TOKENS, Empty())
    return {"tokens": tokens}


@get("/admin/tokens", name="admin-tokens")
async def tokens(request: Request[Any, Any, Any], rpc: NamedDependency[Rpc]) -> Template:
    await _administrator(request, rpc)
    context = await _tokens_context(rpc)
    context["revoked"] = request.query_params.get("done") == "revoked"
    return _page("tokens", context)


@post("/admin/tokens", status_code=200)
async def create_token(
    request: Request[Any, Any, Any], rpc: NamedDependency[Rpc], idempotent_rpc: NamedDependency[Rpc]
) -> Template:
    """The key is shown here, once: membership keeps only its hash."""
    await _administrator(request, rpc)
    form = await form_of(request)
    body = {"name": form.get("name", "").strip(), "scopes": form.get("scopes", "").split()}
    try:
        created = await idempotent_rpc.call(
            contract.ApiTokenCreated, contract.CREATE_API_TOKEN, body
        )
    except ProblemDetailsException as exc:
        fields = {"name": "token-name", "scopes": "token-scopes"}
        fields |= {f"scopes.{index}": "token-scopes" for index in range(len(body["scopes"]))}
        context = await _tokens_context(rpc)
        values = {"token-name": body["name"], "token-scopes": form.get("scopes", "")}
        context |= _refusal(exc, fields) | {"values": values}
        return _page("tokens", context, status=int(exc.status_code))
    context = await _tokens_context(rpc)
    context["created"] = created
    return _page("tokens", context)


@post("/admin/tokens/{token_id:str}/revoke", status_code=303)
async def revoke_token(
    request: Request[Any, Any, Any],
    token_id: FromPath[str],
    rpc: NamedDependency[Rpc],
    idempotent_rpc: NamedDependency[Rpc],
) -> Response[Any]:
    await _administrator(request, rpc)
    try:
        await idempotent_rpc.send(contract.REVOKE_API_TOKEN, {"id": token_id})
    except ProblemDetailsException as exc:
        context = await _tokens_context(rpc) | _refusal(exc)
        return _page("tokens", context, status=int(exc.status_code))
    return Redirect("/admin/tokens?done=revoked", status_code=303)


HANDLERS: list[Any] = [
    overview,
    organisations,
    add_organisation,
    new_network,
    create_network,
    members,
    find_member,
    set_status,
    curators,
    designate_curator,
    undesignate_curator,
    tokens,
    create_token,
    revoke_token,
]
