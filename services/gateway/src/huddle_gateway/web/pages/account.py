"""Group ``account``: the home page, creating an account, signing in and out, a forgotten
password. Every rule (who may sign in, how often, what an account needs) is membership's."""

from typing import Any

from huddle_shared.contracts import membership as contract
from huddle_shared.contracts import networks as networks_contract
from litestar import Request, Response, get, post
from litestar.di import NamedDependency
from litestar.params import FromQuery
from litestar.plugins.problem_details import ProblemDetailsException
from litestar.response import Redirect, Template

from huddle_gateway.auth import AccessTokens
from huddle_gateway.routes.directory import PublicStats
from huddle_gateway.rpc import Rpc
from huddle_gateway.web import labels
from huddle_gateway.web.charts import bar_chart
from huddle_gateway.web.forms import problem_to_errors, render_page
from huddle_gateway.web.session import caller_of, safe_next, sign_in, sign_out


async def form_of(request: Request[Any, Any, Any]) -> dict[str, str]:
    """The posted form's text fields (a field sent twice: its first value)."""
    form = await request.form()
    return {key: value for key, value in form.items() if isinstance(value, str)}


def _figures(stats: contract.Stats) -> dict[str, Any]:
    kinds = [
        (
            labels.label(labels.ORGANISATION_KINDS, code),
            stats.members_by_organisation_kind.get(code, 0),
        )
        for code in labels.ORGANISATION_KINDS
    ]
    kinds += [
        (labels.label(labels.ORGANISATION_KINDS, code), count)
        for code, count in stats.members_by_organisation_kind.items()
        if code not in labels.ORGANISATION_KINDS
    ]
    regions = [
        (labels.label(labels.REGIONS, code), stats.members_by_region.get(code, 0))
        for code in labels.REGIONS
    ]
    regions += [
        (labels.label(labels.REGIONS, code or None), count)
        for code, count in stats.members_by_region.items()
        if code not in labels.REGIONS
    ]
    return {
        "stats": stats,
        "by_kind": bar_chart("members-by-kind", "Members by kind of organisation", kinds),
        "by_region": bar_chart("members-by-region", "Members by region", regions),
    }


@get("/", name="home")
async def home(
    request: Request[Any, Any, Any],
    rpc: NamedDependency[Rpc],
    public_stats: NamedDependency[PublicStats],
) -> Template:
    stats, _ = await public_stats.get()
    # Membership lists networks to members only: a visitor is asked to sign in to see them.
    networks = None
    if caller_of(request).member_id is not None:
        networks = await rpc.call_list(
            networks_contract.NetworkView, networks_contract.LIST_NETWORKS, {}
        )
    return render_page(
        "pages/account/home.jinja",
        {"networks": networks, "doors": labels.NETWORK_DOORS, **_figures(stats)},
    )


@get("/sign-in", name="sign-in")
async def sign_in_page(
    request: Request[Any, Any, Any], next: FromQuery[str | None] = None
) -> Template:
    return render_page(
        "pages/account/sign_in.jinja",
        {"next": safe_next(next), "values": {}, "signed_out": "signed-out" in request.query_params},
    )


@post("/sign-in", status_code=303)
async def sign_in_submit(
    request: Request[Any, Any, Any],
    rpc: NamedDependency[Rpc],
    tokens: NamedDependency[AccessTokens],
) -> Response[Any]:
    form = await form_of(request)
    next_path = safe_next(form.get("next"))
    email = form.get("email", "").strip()
    try:
        signed_in = await rpc.call(
            contract.SignedIn,
            contract.SIGN_IN,
            {"email": email, "password": form.get("password", "")},
        )
    except ProblemDetailsException as exc:
        summary, fields = problem_to_errors(exc)
        if exc.status_code == 401:  # the service says which, never whether the email exists
            fields = {"email": str(exc.detail)}
            summary = [{"text": str(exc.detail), "href": "#email"}]
        return render_page(
            "pages/account/sign_in.jinja",
            {
                "next": next_path,
                "values": {"email": email},  # never the password
                "error_summary": summary,
                "field_errors": fields,
            },
            status=int(exc.status_code),
            headers={k: v for k, v in (exc.headers or {}).items() if k == "Retry-After"},
        )
    response: Response[Any] = Redirect(next_path, status_code=303)
    sign_in(request, response, tokens.issue(signed_in.member_id))
    return response


@get("/sign-out", name="sign-out")
async def sign_out_page(request: Request[Any, Any, Any]) -> Response[Any]:
    if caller_of(request).member_id is None:
        return Redirect("/", status_code=303)
    return render_page("pages/account/sign_out.jinja")


@post("/sign-out", status_code=303)
async def sign_out_submit() -> Response[Any]:
    response: Response[Any] = Redirect("/sign-in?signed-out", status_code=303)
    sign_out(response)
    return response


@get("/forgotten-password", name="forgotten-password")
async def forgotten_password() -> Template:
    return render_page("pages/account/forgotten_password.jinja")


HANDLERS: list[Any] = [
    home,
    sign_in_page,
    sign_in_submit,
    sign_out_page,
    sign_out_submit,
    forgotten_password,
]
