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
from markupsafe import Markup

from huddle_gateway.auth import AccessTokens
from huddle_gateway.routes.directory import PublicStats
from huddle_gateway.rpc import Rpc
from huddle_gateway.web import labels
from huddle_gateway.web.charts import bar_chart
from huddle_gateway.web.forms import form_of, problem_to_errors, render_page
from huddle_gateway.web.session import caller_of, safe_next, sign_in, sign_out


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
        (labels.label(labels.REGIONS_IN_FIGURES, code), stats.members_by_region.get(code, 0))
        for code in labels.REGIONS_IN_FIGURES
    ]
    regions += [
        (labels.label(labels.REGIONS_IN_FIGURES, code or None), count)
        for code, count in stats.members_by_region.items()
        if code not in labels.REGIONS_IN_FIGURES
    ]
    return {
        "stats": stats,
        "by_kind": bar_chart("members-by-kind", "Members by kind of organisation", kinds),
        "by_region": bar_chart("members-by-region", "Members by region", regions),
    }


# The infographic as last rendered, with the figures' entity tag: the NHS table macros take
# most of a page's rendering time (about 8 ms of the home page's 10), for figures that
# change far less often than the page is read.
_rendered: dict[tuple[int, str], Markup] = {}


def _infographic(request: Request[Any, Any, Any], stats: contract.Stats, tag: str) -> Markup:
    key = (id(request.app), tag)  # one app's tags say nothing of another's figures
    if key not in _rendered:
        engine = request.app.template_engine
        assert engine is not None  # create_app configures the templates
        html = engine.get_template("partials/infographic.jinja").render(**_figures(stats))
        _rendered.clear()  # only the current figures are ever asked for again
        _rendered[key] = Markup(html)  # noqa: S704 - rendered by autoescaping Jinja
    return _rendered[key]


@get("/", name="home")
async def home(
    request: Request[Any, Any, Any],
    rpc: NamedDependency[Rpc],
    public_stats: NamedDependency[PublicStats],
) -> Template:
    figures = await public_stats.get()
    stats, tag = figures.stats, figures.tag
    # Membership's rule says which: to a visitor, those anyone may find (not invite-only).
    networks = await rpc.call_list(
        networks_contract.NetworkView, networks_contract.LIST_NETWORKS, {}
    )
    return render_page(
        "pages/account/home.jinja",
        {
            "networks": networks,
            "doors": labels.NETWORK_DOORS,
            "stats": stats,
            "infographic": _infographic(request, stats, tag),
        },
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


# --- Create an account ---------------------------------------------------------------------

# The organisation's fields on the page, and the names membership's problems give them.
ORGANISATION_FIELDS = {
    "name": "organisation_name",
    "kind": "organisation_kind",
    "region": "organisation_region",
    "ods_code": "organisation_code",
}
ACCOUNT_FIELDS = {"organisation_id": "organisation-search"}
SEARCH_FIELDS = {"name_prefix": "organisation_name"}
MATCHES_SHOWN = 20


def _choices(values: dict[str, str]) -> dict[str, Any]:
    return {
        "member_types": [
            {
                "value": code,
                "text": labels.MEMBER_TYPES[code],
                "hint": {"text": labels.MEMBER_TYPE_HINTS[code]},
                "checked": values.get("member_type") == code,
            }
            for code in labels.MEMBER_TYPES_AT_SIGN_UP
        ],
        "kinds": [
            {"value": "", "text": "Choose a kind of organisation"},
            *(
                {"value": code, "text": text, "selected": values.get("organisation_kind") == code}
                for code, text in labels.ORGANISATION_KINDS.items()
            ),
        ],
        "regions": [
            {"value": "", "text": labels.NO_REGION},
            *(
                {"value": code, "text": text, "selected": values.get("organisation_region") == code}
                for code, text in labels.REGIONS.items()
            ),
        ],
    }


async def _organisation(rpc: Rpc, organisation_id: str) -> contract.OrganisationView | None:
    try:
        return await rpc.call(
            contract.OrganisationView, contract.GET_ORGANISATION, {"id": organisation_id}
        )
    except ProblemDetailsException as exc:
        if exc.status_code in (404, 422):  # gone, or not an identifier at all
            return None
        raise


@get("/create-account", name="create-account")
async def create_account_page(
    rpc: NamedDependency[Rpc],
    next: FromQuery[str | None] = None,
    organisation_name: FromQuery[str | None] = None,
    organisation: FromQuery[str | None] = None,
    new_organisation: FromQuery[bool] = False,
    choosing: FromQuery[bool] = False,
) -> Template:
    """Step one finds the organisation (a search that needs no JavaScript); step two, with
    one chosen or a new one to add, asks for the account's details."""
    context: dict[str, Any] = {"next": safe_next(next), "values": {}}
    if organisation:
        chosen = await _organisation(rpc, organisation)
        if chosen is not None:
            return render_page(
                "pages/account/create_account.jinja",
                {**context, "organisation": chosen, **_choices({})},
            )
        context["error_summary"] = [
            {
                "text": "That organisation could not be found. Search again.",
                "href": "#organisation_name",
            }
        ]
    elif choosing:  # the list's form was sent with no organisation chosen
        context["error_summary"] = [
            {"text": "Choose your organisation, or search again", "href": "#organisation"}
        ]
    if new_organisation:
        return render_page(
            "pages/account/create_account.jinja",
            {**context, "new_organisation": True, **_choices({})},
        )
    context["query"] = organisation_name
    if organisation_name is not None:
        try:
            page = await rpc.call(
                contract.OrganisationPage,
                contract.SEARCH_ORGANISATIONS,
                {"name_prefix": organisation_name, "limit": MATCHES_SHOWN},
            )
            context["matches"] = page
        except ProblemDetailsException as exc:
            if exc.status_code not in (400, 422):
                raise
            context["error_summary"], context["field_errors"] = problem_to_errors(
                exc, SEARCH_FIELDS
            )
    status = 422 if context.get("error_summary") else 200
    return render_page(
        "pages/account/find_organisation.jinja",
        {**context, "kind_labels": labels.ORGANISATION_KINDS, "region_labels": labels.REGIONS},
        status=status,
    )


@post("/create-account", status_code=303)
async def create_account_submit(
    request: Request[Any, Any, Any],
    rpc: NamedDependency[Rpc],
    idempotent_rpc: NamedDependency[Rpc],
    tokens: NamedDependency[AccessTokens],
) -> Response[Any]:
    form = await form_of(request)
    next_path = safe_next(form.get("next"))
    values = {key: value for key, value in form.items() if key != "password"}
    organisation: contract.OrganisationView | None = None
    try:
        if form.get("organisation_id"):
            organisation = await _organisation(rpc, form["organisation_id"])
            if organisation is None:
                return Redirect("/create-account?organisation=unknown", status_code=303)
        else:  # a new organisation first: the account belongs to it
            wanted = {
                "name": form.get("organisation_name", ""),
                "kind": form.get("organisation_kind", ""),
                "region": form.get("organisation_region") or None,
                "ods_code": form.get("organisation_code", "").strip() or None,
            }
            organisation = await idempotent_rpc.call(
                contract.OrganisationView, contract.REGISTER_ORGANISATION, wanted
            )
        account = {
            "email": form.get("email", "").strip(),
            "password": form.get("password", ""),
            "display_name": form.get("display_name", ""),
            "job_title": form.get("job_title", ""),
            "organisation_id": str(organisation.id),
        }
        if form.get("member_type"):
            account["member_type"] = form["member_type"]
        await idempotent_rpc.send(contract.REGISTER_ACCOUNT, account)
    except ProblemDetailsException as exc:
        if exc.status_code not in (400, 409, 422):
            raise
        fields = ACCOUNT_FIELDS if organisation is not None else ORGANISATION_FIELDS
        summary, field_errors = problem_to_errors(exc, fields)
        context: dict[str, Any] = {
            "next": next_path,
            "values": values,  # never the password
            "error_summary": summary,
            "field_errors": field_errors,
            **_choices(values),
        }
        # An organisation added just now stays chosen: trying again does not add it twice.
        if organisation is not None:
            context["organisation"] = organisation
        else:
            context["new_organisation"] = True
        return render_page(
            "pages/account/create_account.jinja", context, status=int(exc.status_code)
        )
    signed_in = await rpc.call(
        contract.SignedIn,
        contract.SIGN_IN,
        {"email": account["email"], "password": account["password"]},
    )
    response: Response[Any] = Redirect(next_path, status_code=303)
    sign_in(request, response, tokens.issue(signed_in.member_id))
    return response


HANDLERS: list[Any] = [
    home,
    create_account_page,
    create_account_submit,
    sign_in_page,
    sign_in_submit,
    sign_out_page,
    sign_out_submit,
    forgotten_password,
]
