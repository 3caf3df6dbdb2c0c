"""The member's own pages: the profile and its three consents, downloading one's data, and
deleting one's account.

Every rule is membership's (what a name may be, who may edit, what erasure removes): the
pages send what the person typed and show the service's answer, or its refusal beside the
field it names.
"""

from datetime import UTC, datetime
from typing import Any

import pydantic_core
from huddle_shared.contracts import membership as contract
from huddle_shared.contracts.common import ERASE_ME, GetById
from litestar import Request, Response, get, post
from litestar.di import NamedDependency
from litestar.plugins.problem_details import ProblemDetailsException
from litestar.response import Redirect, Template

from huddle_gateway.routes.account import everything_about_me
from huddle_gateway.rpc import Rpc
from huddle_gateway.web import labels
from huddle_gateway.web.forms import form_of, problem_to_errors, render_page
from huddle_gateway.web.session import require_member, sign_out

# The service's refusals a form shows on the page; 401 still sends the person to sign in,
# and a service that is down or slow is the error page.
SHOWN_ON_THE_FORM = {400, 403, 404, 409, 422}

CONSENTS = ("listed_in_directory", "contactable", "listed_as_expert")
CHECKED = "yes"

NO_STORE = {"Cache-Control": "no-store"}  # personal data: never kept by a cache


def _topics_text(topics: list[str]) -> str:
    return "\n".join(topics)


def _typed(form: dict[str, str]) -> dict[str, Any]:
    """What the person sent, as the service's ``UpdateProfile`` names it. Each field goes as
    typed (the service trims and checks it); an unticked box is not sent by a browser, and
    the form always has both, so an absent one means "no"."""
    return {
        "display_name": form.get("display_name", ""),
        "job_title": form.get("job_title", ""),
        "topics": [line for line in form.get("topics", "").splitlines() if line.strip()],
        **{consent: form.get(consent) == CHECKED for consent in CONSENTS},
    }


# What the fields are called in a sentence: a service's message about a field may start
# lower-case ("must not be ..."), read after the field's name.
FIELD_NAMES = {"display_name": "Your name", "job_title": "Your job title", "topics": "A topic"}


def _field_of(problem_field: str) -> str:
    # "topics.3" is the fourth line of the one topics box.
    return problem_field.split(".", 1)[0]


def _sentence(field: str, message: str) -> str:
    if message[:1].islower() and field in FIELD_NAMES:
        return f"{FIELD_NAMES[field]} {message}"
    return message


async def _organisation_name(rpc: Rpc, organisation_id: Any) -> str:
    organisation = await rpc.call(
        contract.OrganisationView, contract.GET_ORGANISATION, GetById(id=organisation_id)
    )
    return organisation.name


async def _profile_page(
    rpc: Rpc,
    account: contract.AccountView,
    *,
    values: dict[str, Any] | None = None,
    problem: ProblemDetailsException | None = None,
    saved: bool = False,
) -> Template:
    shown = values or {
        "display_name": account.display_name,
        "job_title": account.job_title,
        "topics": account.topics,
        **{consent: getattr(account, consent) for consent in CONSENTS},
    }
    summary: list[dict[str, str]] = []
    field_errors: dict[str, str] = {}
    status = 200
    if problem is not None:
        summary, by_field = problem_to_errors(problem)
        for name, message in by_field.items():
            field = _field_of(name)
            field_errors.setdefault(field, _sentence(field, message))
        for item in summary:
            if "href" in item:
                field = _field_of(item["href"].removeprefix("#"))
                item["href"] = f"#{field}"
                item["text"] = _sentence(field, item["text"])
        status = int(problem.status_code)
    context = {
        "account": account,
        "organisation_name": await _organisation_name(rpc, account.organisation_id),
        "member_type": labels.label(labels.MEMBER_TYPES, account.member_type),
        "values": {**shown, "topics": _topics_text(shown["topics"])},
        "error_summary": summary,
        "field_errors": field_errors,
        "saved": saved,
    }
    return render_page("pages/profile/me.jinja", context, status=status, headers=NO_STORE)


@get("/me", name="web-profile")
async def profile(request: Request[Any, Any, Any], rpc: NamedDependency[Rpc]) -> Template:
    require_member(request)
    account = await rpc.call(contract.AccountView, contract.GET_ME, {})
    return await _profile_page(rpc, account, saved=request.query_params.get("saved") == "1")


@post("/me", name="web-profile-save")
async def save_profile(
    request: Request[Any, Any, Any], rpc: NamedDependency[Rpc], idempotent_rpc: NamedDependency[Rpc]
) -> Template | Redirect:
    require_member(request)
    typed = _typed(await form_of(request))
    try:
        await idempotent_rpc.send(contract.UPDATE_ME, typed)
    except ProblemDetailsException as refused:
        if refused.status_code not in SHOWN_ON_THE_FORM:
            raise
        account = await rpc.call(contract.AccountView, contract.GET_ME, {})
        return await _profile_page(rpc, account, values=typed, problem=refused)
    # After a post, a redirect: reloading the page does not send the form again.
    return Redirect("/me?saved=1", status_code=303)


@get("/me/data", name="web-download-my-data")
async def download_my_data(
    request: Request[Any, Any, Any], rpc: NamedDependency[Rpc]
) -> Response[bytes]:
    require_member(request)
    export = await everything_about_me(rpc)
    filename = f"huddle-my-data-{datetime.now(UTC).date().isoformat()}.json"
    return Response(
        pydantic_core.to_json(export, indent=2),
        media_type="application/json",
        headers={
            **NO_STORE,
            "Content-Disposition": f'attachment; filename="{filename}"',
            "X-Content-Type-Options": "nosniff",
        },
    )


@get("/me/delete", name="web-delete-account")
async def confirm_deletion(request: Request[Any, Any, Any], rpc: NamedDependency[Rpc]) -> Template:
    require_member(request)
    account = await rpc.call(contract.AccountView, contract.GET_ME, {})
    return render_page("pages/profile/delete.jinja", {"account": account}, headers=NO_STORE)


@post("/me/delete", name="web-delete-account-confirmed")
async def delete_account(
    request: Request[Any, Any, Any], rpc: NamedDependency[Rpc], idempotent_rpc: NamedDependency[Rpc]
) -> Template | Redirect:
    require_member(request)
    try:
        await idempotent_rpc.send(ERASE_ME, {})
    except ProblemDetailsException as refused:
        if refused.status_code not in SHOWN_ON_THE_FORM:
            raise
        account = await rpc.call(contract.AccountView, contract.GET_ME, {})
        summary, _ = problem_to_errors(refused)
        context = {"account": account, "error_summary": summary}
        return render_page(
            "pages/profile/delete.jinja", context, status=int(refused.status_code), headers=NO_STORE
        )
    done = Redirect("/account-deleted", status_code=303)
    sign_out(done)  # the token would still verify until it expires; the account is gone
    return done


@get("/account-deleted", name="web-account-deleted")
async def account_deleted() -> Template:
    return render_page("pages/profile/deleted.jinja")


HANDLERS: list[Any] = [
    profile,
    save_profile,
    download_my_data,
    confirm_deletion,
    delete_account,
    account_deleted,
]
