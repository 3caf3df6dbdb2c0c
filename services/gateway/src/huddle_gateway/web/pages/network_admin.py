"""Group ``network_admin``: ``/networks/{slug}/admin``, for a network's chairs and
facilitators: join requests (approve or decline, with a message), invitations (make one,
see each one's status), and the members with their roles (change a role).

Membership decides everything: who may see the page (its reads refuse anyone who is not an
admin of the network: 403, or 404 when the network is hidden from them), who may be invited
in which role, who may change which role. A refusal of a form re-renders the page with the
service's message at the top and beside the field.
"""

import asyncio
from typing import Any
from uuid import UUID

from huddle_shared.contracts import networks as contract
from litestar import Request, Response, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath
from litestar.plugins.problem_details import ProblemDetailsException
from litestar.response import Redirect, Template

from huddle_gateway.rpc import Rpc
from huddle_gateway.web.forms import form_of, problem_to_errors, render_page
from huddle_gateway.web.session import is_secure, require_member

TEMPLATE = "pages/network_admin/admin.jinja"

ROLES: dict[str, str] = {
    contract.Role.CHAIR: "Chair",
    contract.Role.FACILITATOR: "Facilitator",
    contract.Role.NOTE_TAKER: "Note-taker",
    contract.Role.MEMBER: "Member",
    contract.Role.OBSERVER: "Observer",
}
INVITATION_STATUSES: dict[str, tuple[str, str]] = {  # words, and the tag's colour
    contract.InvitationStatus.PENDING: ("Waiting for a reply", "blue"),
    contract.InvitationStatus.ACCEPTED: ("Accepted", "green"),
    contract.InvitationStatus.EXPIRED: ("Expired", "grey"),
}
DONE = {
    "approved": "You approved the request. They are now a member.",
    "declined": "You declined the request.",
    "role": "The role was changed.",
}


async def _page_context(slug: str, rpc: Rpc) -> dict[str, Any]:
    """Everything the page shows. The network is read first: for someone who may not see
    it that is a 404; the admins' reads then refuse anyone else (403)."""
    network = await rpc.call(contract.NetworkView, contract.GET_NETWORK, {"slug": slug})
    by_slug = {"slug": slug}
    requests, invitations, roster = await asyncio.gather(  # independent reads, at once
        rpc.call_list(contract.JoinRequestView, contract.LIST_JOIN_REQUESTS, by_slug),
        rpc.call_list(contract.InvitationSummary, contract.LIST_INVITATIONS, by_slug),
        rpc.call(contract.NetworkRosterView, contract.LIST_NETWORK_ROSTER, by_slug),
    )
    return {
        "network": network,
        "join_requests": requests,
        "invitations": invitations,
        "roster": roster.members,
        "roles": ROLES,
        "invitation_statuses": INVITATION_STATUSES,
        "values": {},
        "field_errors": {},
    }


async def _refused(
    slug: str,
    rpc: Rpc,
    exc: ProblemDetailsException,
    fields: dict[str, str],
    values: dict[str, str],
    beside: str | None = None,
) -> Template:
    """The page again, with the service's refusal at the top and beside its field (or
    beside ``beside``, when the refusal names none). A page the caller may no longer see
    is the error page instead: reading it again raises that."""
    if exc.status_code == 401:
        raise exc  # signed out meanwhile: to sign-in and back
    extra = exc.extra if isinstance(exc.extra, dict) else {}
    if beside and not extra.get("errors"):
        exc.extra = {**extra, "errors": [{"field": beside, "message": str(exc.detail)}]}
    summary, field_errors = problem_to_errors(exc, fields)
    context = await _page_context(slug, rpc)
    context.update(error_summary=summary, field_errors=field_errors, values=values)
    return render_page(TEMPLATE, context, status=int(exc.status_code))


@get("/networks/{slug:str}/admin", name="network-admin")
async def admin_page(
    request: Request[Any, Any, Any], slug: FromPath[str], rpc: NamedDependency[Rpc]
) -> Template:
    require_member(request)
    context = await _page_context(slug, rpc)
    context["done"] = DONE.get(request.query_params.get("done", ""))
    return render_page(TEMPLATE, context)


@post("/networks/{slug:str}/admin/join-requests/{request_id:uuid}", status_code=303)
async def decide(
    request: Request[Any, Any, Any],
    slug: FromPath[str],
    request_id: FromPath[UUID],
    idempotent_rpc: NamedDependency[Rpc],
    rpc: NamedDependency[Rpc],
) -> Response[Any]:
    require_member(request)
    form = await form_of(request)
    approve = form.get("decision") == "approve"
    body = {
        "slug": slug,
        "request_id": str(request_id),
        "approve": approve,
        "message": form.get("message", ""),
    }
    try:
        await idempotent_rpc.call(contract.JoinResult, contract.DECIDE_JOIN_REQUEST, body)
    except ProblemDetailsException as exc:
        message_field = f"message-{request_id}"
        values = {message_field: form.get("message", "")}
        fields = {"message": message_field}
        return await _refused(slug, rpc, exc, fields, values, beside="message")
    done = "approved" if approve else "declined"
    return Redirect(f"/networks/{slug}/admin?done={done}", status_code=303)


@post("/networks/{slug:str}/admin/invitations", status_code=200)
async def invite(
    request: Request[Any, Any, Any],
    slug: FromPath[str],
    rpc: NamedDependency[Rpc],
    idempotent_rpc: NamedDependency[Rpc],
) -> Template:
    """The link is shown here, once: membership keeps only the token's hash."""
    require_member(request)
    form = await form_of(request)
    values = {"invite-email": form.get("email", "").strip(), "invite-role": form.get("role", "")}
    body = {"slug": slug, "email": values["invite-email"], "role": values["invite-role"]}
    try:
        invitation = await idempotent_rpc.call(contract.InvitationView, contract.INVITE, body)
    except ProblemDetailsException as exc:
        fields = {"email": "invite-email", "role": "invite-role"}
        return await _refused(slug, rpc, exc, fields, values, beside="role")
    context = await _page_context(slug, rpc)
    context["invited"] = {
        "email": invitation.email,
        "role": ROLES.get(invitation.role, invitation.role),
        "link": invitation_link(request, invitation.token),
        "expires_at": invitation.expires_at,
    }
    return render_page(TEMPLATE, context)


@post("/networks/{slug:str}/admin/members/{member_id:uuid}/role", status_code=303)
async def change_role(
    request: Request[Any, Any, Any],
    slug: FromPath[str],
    member_id: FromPath[UUID],
    rpc: NamedDependency[Rpc],
    idempotent_rpc: NamedDependency[Rpc],
) -> Response[Any]:
    require_member(request)
    form = await form_of(request)
    role_field = f"role-{member_id}"
    body = {"slug": slug, "member_id": str(member_id), "role": form.get("role", "")}
    try:
        await idempotent_rpc.call(contract.ChangeRole, contract.CHANGE_ROLE, body)
    except ProblemDetailsException as exc:
        # The service's reason (only chairs appoint chairs; the last chair stays) belongs
        # beside this member's role.
        values = {role_field: form.get("role", "")}
        return await _refused(slug, rpc, exc, {"role": role_field}, values, beside="role")
    return Redirect(f"/networks/{slug}/admin?done=role", status_code=303)


HANDLERS: list[Any] = [admin_page, decide, invite, change_role]


def invitation_link(request: Request[Any, Any, Any], token: str) -> str:
    """The link the invitee opens: at the instance's public address when it is configured
    (HUDDLE_PUBLIC_URL: a Host header cannot choose where the link leads); otherwise at the
    request's host, https when TLS ended here or at a trusted proxy that says so (the
    gateway's server trusts no proxy headers itself)."""
    public_url: str | None = getattr(request.app.state, "public_url", None)
    if public_url:
        return f"{public_url}/invitations/{token}"
    base = request.base_url
    scheme = "https" if is_secure(request) else base.scheme
    return f"{scheme}://{base.netloc}/invitations/{token}"
