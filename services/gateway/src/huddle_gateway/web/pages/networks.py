"""The networks pages: the list, a network (purpose, ground rules, glossary, members), joining,
and accepting an invitation from its link.

Every door is the membership service's: an open network answers "active", an approval one
"pending", an invite-only one refuses (403) or is not there at all (404) for outsiders. The
pages only show those answers, and pass on the form's question, whether the person accepts
the ground rules they were shown: membership refuses a join or an acceptance without it
(beside the checkbox, in its words).
"""

import asyncio
import re
from collections.abc import Awaitable
from datetime import datetime
from typing import Any, TypeVar
from urllib.parse import quote

from huddle_shared.contracts import networks as contract
from huddle_shared.contracts.common import Empty
from litestar import Request, get, post
from litestar.di import NamedDependency
from litestar.exceptions import NotFoundException
from litestar.params import FromPath
from litestar.plugins.problem_details import ProblemDetailsException
from litestar.response import Redirect, Template

from huddle_gateway.rpc import Rpc
from huddle_gateway.web import pagination
from huddle_gateway.web.forms import problem_to_errors, render_page
from huddle_gateway.web.session import (
    caller_of,
    require_member,
    safe_next,
    sign_in_address,
    this_path,
)

PAGES = "pages/networks/"
View = TypeVar("View")

# How the codes read on the pages (presentation only: the contracts say which exist).
ROLES = {
    contract.Role.CHAIR: "Chair",
    contract.Role.FACILITATOR: "Facilitator",
    contract.Role.NOTE_TAKER: "Note-taker",
    contract.Role.MEMBER: "Member",
    contract.Role.OBSERVER: "Observer",
}
A_ROLE = {
    contract.Role.CHAIR: "a chair",
    contract.Role.FACILITATOR: "a facilitator",
    contract.Role.NOTE_TAKER: "a note-taker",
    contract.Role.MEMBER: "a member",
    contract.Role.OBSERVER: "an observer",
}
DOORS = {
    contract.Visibility.OPEN: "Anyone with an account can join.",
    contract.Visibility.APPROVAL: "Ask to join: a chair or facilitator decides.",
    contract.Visibility.INVITE_ONLY: "By invitation only.",
}
WORDS = {"a_role": A_ROLE, "doors": DOORS}

ACCEPT_FIELD = "accept_ground_rules"
# The service's field names, as the fields are called on these forms.
FORM_FIELDS = {"accepted_ground_rules": ACCEPT_FIELD}


def _refusal(exc: ProblemDetailsException) -> bool:
    """A refusal the page shows (the rest, 401 and 5xx, are the error pages')."""
    return exc.status_code in (400, 403, 404, 409, 422, 429)


async def _network(rpc: Rpc, slug: str) -> contract.NetworkView:
    """The network as the caller may see it; a malformed slug is a page not found, too."""
    try:
        return await rpc.call(contract.NetworkView, contract.GET_NETWORK, {"slug": slug})
    except ProblemDetailsException as exc:
        if exc.status_code == 422:
            raise NotFoundException() from None
        raise


async def _or_none(call: Awaitable[View]) -> View | None:
    """What a read answers, or None when the service says it is not there for this caller."""
    try:
        return await call
    except ProblemDetailsException as exc:
        if exc.status_code == 404:
            return None
        raise


# The members list is read and rendered a page at a time: a national network has thousands.
MEMBERS_PER_PAGE = 50
MAX_PAGE_NUMBER = contract.MEMBERS_OFFSET_MAX // MEMBERS_PER_PAGE
PAGE_NUMBER = re.compile(r"[0-9]{1,9}")


def _page_number(request: Request[Any, Any, Any]) -> int:
    """``?page=N``, a whole number from 1; anything else is an address that leads nowhere."""
    given = request.query_params.get("page")
    if given is None:
        return 1
    if not PAGE_NUMBER.fullmatch(given) or not 1 <= int(given) <= MAX_PAGE_NUMBER:
        raise NotFoundException()
    return int(given)


async def _roster(
    rpc: Rpc, network: contract.NetworkView, page: int
) -> contract.NetworkMembersView | None:
    """One page of who else is in the network: for its members only (the service's rule;
    asking as an outsider would only be refused)."""
    if network.my_role is None:
        return None
    body = {
        "slug": network.slug,
        "offset": (page - 1) * MEMBERS_PER_PAGE,
        "limit": MEMBERS_PER_PAGE,
    }
    return await _or_none(
        rpc.call(contract.NetworkMembersView, contract.LIST_NETWORK_MEMBERS, body)
    )


async def _parent(rpc: Rpc, network: contract.NetworkView) -> contract.NetworkView | None:
    """The parent network, named only when the caller may see it."""
    if not network.parent_slug:
        return None
    body = {"slug": network.parent_slug}
    return await _or_none(rpc.call(contract.NetworkView, contract.GET_NETWORK, body))


def _glossary(glossary: dict[str, str]) -> list[tuple[str, str]]:
    """The short forms and what they stand for, in alphabetical order."""
    return sorted(glossary.items(), key=lambda item: item[0].lower())


def _long_date(moment: datetime) -> str:
    return f"{moment.day} {moment:%B %Y}"


# --- The list and a network ---------------------------------------------------------------


@get("/networks", name="networks:list")
async def networks_page(request: Request[Any, Any, Any], rpc: NamedDependency[Rpc]) -> Template:
    """Membership says which networks: a visitor sees those anyone may find."""
    networks = await rpc.call_list(contract.NetworkView, contract.LIST_NETWORKS, Empty())
    return render_page(PAGES + "list.jinja", {"networks": networks, **WORDS})


@get("/networks/{slug:str}", name="networks:network")
async def network_page(
    request: Request[Any, Any, Any], slug: FromPath[str], rpc: NamedDependency[Rpc]
) -> Template:
    require_member(request)
    page = _page_number(request)
    network = await _network(rpc, slug)
    roster, parent = await asyncio.gather(_roster(rpc, network, page), _parent(rpc, network))
    pages = -(-roster.listed // MEMBERS_PER_PAGE) if roster else 0
    if roster is not None and page > max(pages, 1):
        raise NotFoundException()  # past the last page
    context = {
        "network": network,
        "parent": parent,
        "roster": roster,
        "roles": ROLES,
        "page": page,
        "pages": pages,
        "pagination": (
            pagination.numbered(
                page, pages, lambda n: f"/networks/{slug}?page={n}#members", "members"
            )
            if roster
            else None
        ),
        "glossary": _glossary(network.glossary),
        **WORDS,
    }
    return render_page(PAGES + "network.jinja", context)


# --- Joining ----------------------------------------------------------------------------------


def _join_form(
    network: contract.NetworkView,
    *,
    accepted: bool = False,
    message: str = "",
    exc: ProblemDetailsException | None = None,
    status: int = 200,
) -> Template:
    summary, errors = problem_to_errors(exc, FORM_FIELDS) if exc is not None else ([], {})
    context = {
        "network": network,
        "accepted": accepted,
        "message": message,
        "error_summary": summary,
        "errors": errors,
        **WORDS,
    }
    return render_page(PAGES + "join.jinja", context, status=status)


@get("/networks/{slug:str}/join", name="networks:join")
async def join_page(
    request: Request[Any, Any, Any], slug: FromPath[str], rpc: NamedDependency[Rpc]
) -> Template | Redirect:
    require_member(request)
    network = await _network(rpc, slug)
    if network.my_role is not None or network.my_status == contract.JoinStatus.PENDING:
        return Redirect(f"/networks/{slug}", status_code=303)  # nothing to join: already in
    return _join_form(network)


@post("/networks/{slug:str}/join", name="networks:join-send")
async def join(
    request: Request[Any, Any, Any],
    slug: FromPath[str],
    rpc: NamedDependency[Rpc],
    idempotent_rpc: NamedDependency[Rpc],
) -> Template | Redirect:
    require_member(request)
    form = await request.form()
    accepted = form.get(ACCEPT_FIELD) == "yes"
    message = str(form.get("message") or "")
    network = await _network(rpc, slug)
    body: dict[str, Any] = {"slug": slug, "accepted_ground_rules": accepted}
    if network.visibility == contract.Visibility.APPROVAL:
        body["message"] = message
    try:
        await idempotent_rpc.send(contract.JOIN_NETWORK, body)
    except ProblemDetailsException as exc:
        if not _refusal(exc):
            raise
        return _join_form(
            network, accepted=accepted, message=message, exc=exc, status=exc.status_code
        )
    return Redirect(f"/networks/{slug}/joined", status_code=303)


@get("/networks/{slug:str}/joined", name="networks:joined")
async def joined_page(
    request: Request[Any, Any, Any], slug: FromPath[str], rpc: NamedDependency[Rpc]
) -> Template | Redirect:
    """After joining: a member now, or a request sent; otherwise the network's own page."""
    require_member(request)
    network = await _network(rpc, slug)
    if network.my_role is None and network.my_status != contract.JoinStatus.PENDING:
        return Redirect(f"/networks/{slug}", status_code=303)
    return render_page(PAGES + "joined.jinja", {"network": network, **WORDS})


# --- Leaving ----------------------------------------------------------------------------------


def _leave_form(
    network: contract.NetworkView, exc: ProblemDetailsException | None = None, status: int = 200
) -> Template:
    summary, errors = problem_to_errors(exc) if exc is not None else ([], {})
    context = {"network": network, "error_summary": summary, "errors": errors, **WORDS}
    return render_page(PAGES + "leave.jinja", context, status=status)


@get("/networks/{slug:str}/leave", name="networks:leave")
async def leave_page(
    request: Request[Any, Any, Any], slug: FromPath[str], rpc: NamedDependency[Rpc]
) -> Template | Redirect:
    require_member(request)
    network = await _network(rpc, slug)
    if network.my_role is None:
        return Redirect(f"/networks/{slug}", status_code=303)  # not in it: nothing to leave
    return _leave_form(network)


@post("/networks/{slug:str}/leave", name="networks:leave-send")
async def leave(
    request: Request[Any, Any, Any],
    slug: FromPath[str],
    rpc: NamedDependency[Rpc],
    idempotent_rpc: NamedDependency[Rpc],
) -> Template:
    """Answered here, not by a redirect: after leaving, an invite-only network's own page is
    no longer there for them."""
    require_member(request)
    network = await _network(rpc, slug)
    try:
        await idempotent_rpc.send(contract.LEAVE_NETWORK, {"slug": slug})
    except ProblemDetailsException as exc:
        if not _refusal(exc):
            raise
        return _leave_form(network, exc, status=exc.status_code)
    return render_page(PAGES + "left.jinja", {"network": network, **WORDS})


# --- Invitations ------------------------------------------------------------------------------


def _invitation_page(
    request: Request[Any, Any, Any],
    token: str,
    invitation: contract.InvitationPreview | None,
    *,
    exc: ProblemDetailsException | None = None,
    accepted: bool = False,
    status: int = 200,
) -> Template:
    summary, errors = problem_to_errors(exc, FORM_FIELDS) if exc is not None else ([], {})
    back_here = safe_next(this_path(request))
    context = {
        "token": token,
        "invitation": invitation,
        "signed_in_member": caller_of(request).member_id is not None,
        "sign_in_link": sign_in_address(back_here),
        "create_account_link": f"/create-account?next={quote(back_here, safe='/')}",
        "accepted": accepted,
        "expires": _long_date(invitation.expires_at) if invitation else "",
        "error_summary": summary,
        "errors": errors,
        **WORDS,
    }
    return render_page(PAGES + "invitation.jinja", context, status=status)


async def _preview(rpc: Rpc, token: str) -> contract.InvitationPreview | None:
    """The invitation as its invitee sees it; None when there is none for this account (a
    malformed token included: to the person it is the same link that leads nowhere)."""
    try:
        return await rpc.call(
            contract.InvitationPreview, contract.READ_INVITATION, {"token": token}
        )
    except ProblemDetailsException as exc:
        if exc.status_code in (404, 422):
            return None
        raise


@get("/invitations/{token:str}", name="networks:invitation")
async def invitation_page(
    request: Request[Any, Any, Any], token: FromPath[str], rpc: NamedDependency[Rpc]
) -> Template:
    """Anyone may open the link; reading it needs the invitee's account, so a visitor is
    asked to sign in (or create an account) and comes back here."""
    if caller_of(request).member_id is None:
        return _invitation_page(request, token, None)
    invitation = await _preview(rpc, token)
    return _invitation_page(request, token, invitation, status=200 if invitation else 404)


@post("/invitations/{token:str}", name="networks:invitation-accept")
async def accept_invitation(
    request: Request[Any, Any, Any],
    token: FromPath[str],
    rpc: NamedDependency[Rpc],
    idempotent_rpc: NamedDependency[Rpc],
) -> Template | Redirect:
    require_member(request)
    form = await request.form()
    accepted = form.get(ACCEPT_FIELD) == "yes"
    body = {"token": token, "accepted_ground_rules": accepted}
    try:
        result = await idempotent_rpc.call(contract.JoinResult, contract.ACCEPT_INVITATION, body)
    except ProblemDetailsException as exc:
        if not _refusal(exc):
            raise
        invitation = await _preview(rpc, token)  # as it is now, to show the form again
        status = exc.status_code if invitation is not None else 404
        return _invitation_page(
            request, token, invitation, exc=exc, accepted=accepted, status=status
        )
    return Redirect(f"/networks/{result.slug}/joined", status_code=303)


HANDLERS: list[Any] = [
    networks_page,
    network_page,
    join_page,
    join,
    joined_page,
    leave_page,
    leave,
    invitation_page,
    accept_invitation,
]
