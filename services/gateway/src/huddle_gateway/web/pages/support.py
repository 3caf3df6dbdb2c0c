"""The signposting directory's pages: find support (words, category, area, audience), a
service, a printable page to hand to a patient or family, suggesting a correction, and the
curators' pages (add, edit, retire, history, the suggestions queue, stale entries).

Every rule is the signposting service's: who is a curator, which categories and areas
exist, how results are ranked, when an entry is stale. The pages turn forms into the
contracts' fields and show the service's answer, or its refusal beside the form.
"""

from collections.abc import Callable
from math import ceil
from typing import Any
from uuid import UUID

from huddle_shared.contracts import areas
from huddle_shared.contracts import signposting as contract
from huddle_shared.contracts.membership import Region
from litestar import Request, get, post
from litestar.datastructures import FormMultiDict
from litestar.di import NamedDependency
from litestar.params import FromPath
from litestar.plugins.problem_details import ProblemDetailsException
from litestar.response import Redirect, Template

from huddle_gateway.problems import problem
from huddle_gateway.rpc import Rpc
from huddle_gateway.web import pagination
from huddle_gateway.web.forms import answer_form, problem_to_errors, render_page
from huddle_gateway.web.session import caller_of, require_member

PAGES = "pages/support/"
SHOWN_ON_THE_PAGE = {400, 403, 404, 409, 422, 429}
NO_STORE = {"Cache-Control": "no-store"}
PER_PAGE = 20

AUDIENCES = {audience.value: name for audience, name in contract.AUDIENCE_NAMES.items()}
REFERRALS = {referral.value: name for referral, name in contract.REFERRAL_NAMES.items()}
HISTORY_ACTIONS = {
    contract.HistoryAction.CREATED: "Added",
    contract.HistoryAction.UPDATED: "Changed",
    contract.HistoryAction.CHECKED: "Checked",
    contract.HistoryAction.RETIRED: "Retired",
    contract.HistoryAction.SUGGESTION_ACCEPTED: "Suggested correction accepted",
}
FIELD_WORDS = {
    "organization": "Organisation",
    "name": "Name",
    "description": "Description",
    "url": "Web address",
    "email": "Email address",
    "phones": "Phone numbers",
    "contacts": "Contacts",
    "status": "Status",
    "eligibility_description": "Who it is for",
    "audiences": "Audiences",
    "minimum_age": "Youngest age",
    "maximum_age": "Oldest age",
    "taxonomy_term_ids": "Categories",
    "areas": "Areas",
    "access": "How to access it",
    "languages": "Languages",
    "fees_description": "Cost",
    "cost_options": "Costs",
    "last_checked": "Last checked",
}
DONE = {
    "created": "The entry is added to the directory.",
    "saved": "Your changes are saved. The entry counts as checked today.",
    "retired": "The entry is retired: it no longer shows in search or the open data.",
    "suggested": "Thank you. A curator will look at your suggestion.",
    "accepted": "The suggestion is accepted and the entry changed.",
    "declined": "The suggestion is declined.",
    "checked": "The entry is marked as checked today.",
}
# The form's boxes, by the service's field names (a summary line names its box).
BOX_NAMES = {
    "text": "Words to look for",
    "organization_name": "Organisation",
    "name": "Name",
    "description": "Description",
    "url": "Web address",
    "email": "Email address",
    "phones": "Phone numbers",
    "eligibility_description": "Who it is for",
    "audiences": "Who it is for",
    "minimum_age": "Youngest age",
    "maximum_age": "Oldest age",
    "taxonomy_term_ids": "Categories",
    "areas": "Areas",
    "referral": "How people get to it",
    "how_to_access": "How to access it",
    "languages": "Languages",
    "fees_description": "Cost",
    "comment": "Comment",
    "reason": "Reason",
}
# A problem's field (``organization.name``, ``access.referral``, ``phones.0.number``) as the
# id of the box it was typed in.
PROBLEM_FIELDS = {
    "organization.name": "organization_name",
    "organization": "organization_name",
    "organization.website": "organization_website",
    "access.referral": "referral",
    "access.how_to_access": "how_to_access",
    "access": "referral",
    "text": "text",
}


# --- Small helpers ----------------------------------------------------------------------------


def _shown(exc: ProblemDetailsException) -> bool:
    return exc.status_code in SHOWN_ON_THE_PAGE


def _errors(exc: ProblemDetailsException) -> tuple[list[dict[str, str]], dict[str, str]]:
    extra = exc.extra if isinstance(exc.extra, dict) else {}
    fields = dict(PROBLEM_FIELDS)
    for item in extra.get("errors") or []:  # "phones.1.number" is the phone numbers' box
        name = str(item.get("field", ""))
        if name not in fields and "." in name:
            fields[name] = PROBLEM_FIELDS.get(name.split(".", 1)[0], name.split(".", 1)[0])
    return problem_to_errors(exc, fields, BOX_NAMES)


def _then(to: str) -> Callable[[object], Redirect]:
    return lambda _: Redirect(to, status_code=303)


def _page_number(text: str) -> int:
    return int(text) if text.isdigit() and 0 < int(text) <= 10_000 else 1


def long_date(day: Any) -> str:
    return f"{day.day} {day:%B %Y}" if day else ""


def area_groups() -> list[dict[str, Any]]:
    """England, then each region with its boards: the area choices, as the contracts name
    them (``national``, ``region:<r>``, ``icb:<board>``)."""
    groups: list[dict[str, Any]] = []
    for region in Region:
        code = areas.region_code(region)
        boards = [
            {"code": areas.board_code(board), "name": areas.BOARD_NAMES[board]}
            for board, of in areas.REGION_OF_BOARD.items()
            if of == region
        ]
        groups.append({"code": code, "name": areas.AREA_NAMES[code], "boards": boards})
    return groups


def _lines(text: str) -> list[str]:
    seen: dict[str, None] = {}
    for line in text.replace(",", "\n").splitlines():
        if line.strip():
            seen.setdefault(line.strip(), None)
    return list(seen)


async def _taxonomy(rpc: Rpc) -> contract.Taxonomy:
    return await rpc.call(contract.Taxonomy, contract.GET_TAXONOMY, {})


async def _service(rpc: Rpc, service_id: UUID) -> contract.ServiceView:
    return await rpc.call(contract.ServiceView, contract.GET_SERVICE, {"id": str(service_id)})


async def is_curator(rpc: Rpc, request: Request[Any, Any, Any]) -> bool:
    """Whether the signed-in member curates the directory (the service's list says)."""
    member_id = caller_of(request).member_id
    try:
        listed = await rpc.call(contract.Curators, contract.LIST_CURATORS, {})
    except ProblemDetailsException as exc:
        if exc.status_code in (401, 403):
            return False
        raise
    return any(curator.member_id == member_id for curator in listed.curators)


def _words() -> dict[str, Any]:
    return {
        "audiences": AUDIENCES,
        "referrals": REFERRALS,
        "area_names": areas.AREA_NAMES,
        "area_groups": area_groups(),
        "long_date": long_date,
        "history_actions": HISTORY_ACTIONS,
        "field_words": FIELD_WORDS,
    }


# --- Find support --------------------------------------------------------------------------

SEARCH_FIELDS = ("text", "category", "area", "audience")


@get("/support", name="support:find")
async def find_support(request: Request[Any, Any, Any], rpc: NamedDependency[Rpc]) -> Template:
    require_member(request)
    values = {name: request.query_params.get(name, "").strip() for name in SEARCH_FIELDS}
    page = _page_number(request.query_params.get("page", ""))
    taxonomy = await _taxonomy(rpc)
    body: dict[str, Any] = {"text": values["text"], "page": page, "per_page": PER_PAGE}
    if values["category"]:
        body["taxonomy_term_id"] = values["category"]
    if values["area"]:
        body["area"] = values["area"]
    if values["audience"]:
        body["audience"] = values["audience"]
    summary: list[dict[str, str]] = []
    errors: dict[str, str] = {}
    status = 200
    found: contract.ServicePage | None = None
    try:
        found = await rpc.call(contract.ServicePage, contract.SEARCH_SERVICES, body)
    except ProblemDetailsException as exc:
        if not _shown(exc) or exc.status_code in (401, 403):
            raise
        summary, errors = problem_to_errors(
            exc, {"taxonomy_term_id": "category", "area": "area", "audience": "audience"}
        )
        status = exc.status_code
    pages = ceil(found.total / PER_PAGE) if found else 0
    terms = {str(term.id): term for term in taxonomy.terms}
    context = {
        "values": values,
        "taxonomy": taxonomy,
        "terms": terms,
        "found": found,
        "page": page,
        "pages": pages,
        "pagination": pagination.keeping_search("/support", values, page, pages, "results"),
        "searched": any(values.values()),
        "curator": await is_curator(rpc, request),
        "error_summary": summary,
        "errors": errors,
        **_words(),
    }
    return render_page(PAGES + "find.jinja", context, status=status, headers=NO_STORE)


# --- A service -------------------------------------------------------------------------------


@get("/support/services/{service_id:uuid}", name="support:service")
async def service_page(
    request: Request[Any, Any, Any], service_id: FromPath[UUID], rpc: NamedDependency[Rpc]
) -> Template:
    require_member(request)
    service = await _service(rpc, service_id)
    context = {
        "service": service,
        "done": DONE.get(request.query_params.get("done", ""), ""),
        **_words(),
    }
    return render_page(PAGES + "service.jinja", context, headers=NO_STORE)


@get("/support/services/{service_id:uuid}/print", name="support:print")
async def print_page(
    request: Request[Any, Any, Any], service_id: FromPath[UUID], rpc: NamedDependency[Rpc]
) -> Template:
    require_member(request)
    service = await _service(rpc, service_id)
    return render_page(PAGES + "print.jinja", {"service": service, **_words()}, headers=NO_STORE)


# --- Suggesting a correction -------------------------------------------------------------------

# The fields a member may correct on the form, each a box holding the entry's value as text.
SUGGESTED = ("name", "description", "url", "email", "phones", "how_to_access", "eligibility")


def _suggestion_values(service: contract.ServiceView) -> dict[str, str]:
    return {
        "name": service.name,
        "description": service.description,
        "url": service.url or "",
        "email": service.email or "",
        "phones": "\n".join(phone.number for phone in service.phones),
        "how_to_access": service.access.how_to_access,
        "eligibility": service.eligibility_description,
        "comment": "",
    }


def _suggested_changes(service: contract.ServiceView, typed: dict[str, str]) -> dict[str, Any]:
    """Only what the member changed, as the contract's fields (a PATCH's shape)."""
    before = _suggestion_values(service)
    changed = {name for name in SUGGESTED if typed.get(name, "").strip() != before[name].strip()}
    changes: dict[str, Any] = {}
    for name in ("name", "description"):
        if name in changed:
            changes[name] = typed[name]
    for name in ("url", "email"):
        if name in changed:
            changes[name] = typed[name].strip() or None
    if "phones" in changed:
        kept = {phone.number: phone for phone in service.phones}
        changes["phones"] = [
            kept[number].model_dump(mode="json") if number in kept else {"number": number}
            for number in _lines(typed["phones"].replace(",", "\n"))
        ]
    if "how_to_access" in changed:
        access = service.access.model_dump(mode="json")
        changes["access"] = {**access, "how_to_access": typed["how_to_access"]}
    if "eligibility" in changed:
        changes["eligibility_description"] = typed["eligibility"]
    return changes


def _suggest_page(
    service: contract.ServiceView,
    values: dict[str, str],
    exc: ProblemDetailsException | None = None,
) -> Template:
    summary, errors = _errors(exc) if exc is not None else ([], {})
    if "eligibility_description" in errors:
        errors["eligibility"] = errors.pop("eligibility_description")
    context = {
        "service": service,
        "values": values,
        "error_summary": summary,
        "errors": errors,
        **_words(),
    }
    status = int(exc.status_code) if exc is not None else 200
    return render_page(PAGES + "suggest.jinja", context, status=status, headers=NO_STORE)


@get("/support/services/{service_id:uuid}/suggest", name="support:suggest")
async def suggest_page(
    request: Request[Any, Any, Any], service_id: FromPath[UUID], rpc: NamedDependency[Rpc]
) -> Template:
    require_member(request)
    service = await _service(rpc, service_id)
    return _suggest_page(service, _suggestion_values(service))


@post("/support/services/{service_id:uuid}/suggest", name="support:suggest-send")
async def send_suggestion(
    request: Request[Any, Any, Any],
    service_id: FromPath[UUID],
    rpc: NamedDependency[Rpc],
    idempotent_rpc: NamedDependency[Rpc],
) -> Template | Redirect:
    require_member(request)
    form = await request.form()
    typed = {name: str(form.get(name, "")) for name in (*SUGGESTED, "comment")}
    service = await _service(rpc, service_id)
    body = {
        "service_id": str(service_id),
        "comment": typed["comment"],
        **_suggested_changes(service, typed),
    }

    async def again(exc: ProblemDetailsException) -> Template:
        return _suggest_page(service, typed, exc)

    return await answer_form(
        idempotent_rpc.send(contract.SUGGEST_CORRECTION, body),
        shown=SHOWN_ON_THE_PAGE,
        again=again,
        then=_then(f"/support/services/{service_id}?done=suggested"),
    )


# --- Curators: add and edit ---------------------------------------------------------------------

ENTRY_TEXT = (
    "organization_name",
    "organization_website",
    "organization_description",
    "name",
    "description",
    "url",
    "email",
    "phones",
    "eligibility_description",
    "minimum_age",
    "maximum_age",
    "referral",
    "how_to_access",
    "languages",
    "fees_description",
)
ENTRY_LISTS = ("audiences", "taxonomy_term_ids", "areas")


def _entry_values(service: contract.ServiceView | None) -> dict[str, Any]:
    if service is None:
        return {
            **{name: "" for name in ENTRY_TEXT},
            **{name: [] for name in ENTRY_LISTS},
            "referral": contract.Referral.SELF_REFERRAL.value,
            "accepting_referrals": True,
            "languages": "English",
        }
    return {
        "organization_name": service.organization.name,
        "organization_website": service.organization.website or "",
        "organization_description": service.organization.description,
        "name": service.name,
        "description": service.description,
        "url": service.url or "",
        "email": service.email or "",
        "phones": "\n".join(phone.number for phone in service.phones),
        "eligibility_description": service.eligibility_description,
        "minimum_age": "" if service.minimum_age is None else str(service.minimum_age),
        "maximum_age": "" if service.maximum_age is None else str(service.maximum_age),
        "referral": service.access.referral.value,
        "accepting_referrals": service.access.accepting_referrals,
        "how_to_access": service.access.how_to_access,
        "languages": "\n".join(language.name for language in service.languages),
        "fees_description": service.fees_description,
        "audiences": [audience.value for audience in service.audiences],
        "taxonomy_term_ids": [str(term.id) for term in service.taxonomy_terms],
        "areas": [area.code for area in service.areas],
    }


def _typed_entry(form: FormMultiDict) -> dict[str, Any]:
    values: dict[str, Any] = {name: str(form.get(name, "")) for name in ENTRY_TEXT}
    for name in ENTRY_LISTS:
        values[name] = [str(value) for value in form.getall(name, [])]
    values["accepting_referrals"] = form.get("accepting_referrals") == "yes"
    return values


def _age(text: str) -> int | str | None:
    """A whole number as a number; anything else as typed, for the service to refuse."""
    text = text.strip()
    if not text:
        return None
    return int(text) if text.isdigit() else text


def _entry_body(
    values: dict[str, Any], service: contract.ServiceView | None = None
) -> dict[str, Any]:
    """The form as the contract's fields. Phone numbers and languages the entry had keep
    what the form does not show (their descriptions and codes)."""
    kept_phones = {phone.number: phone for phone in service.phones} if service else {}
    kept_languages = {lang.name: lang for lang in service.languages} if service else {}
    organization: dict[str, Any] = {
        "name": values["organization_name"],
        "description": values["organization_description"],
        "website": values["organization_website"].strip() or None,
    }
    if service is not None and service.organization.email:
        organization["email"] = service.organization.email
    body: dict[str, Any] = {
        "organization": organization,
        "name": values["name"],
        "description": values["description"],
        "url": values["url"].strip() or None,
        "email": values["email"].strip() or None,
        "phones": [
            kept_phones[n].model_dump(mode="json") if n in kept_phones else {"number": n}
            for n in _lines(values["phones"])
        ],
        "eligibility_description": values["eligibility_description"],
        "audiences": values["audiences"],
        "minimum_age": _age(values["minimum_age"]),
        "maximum_age": _age(values["maximum_age"]),
        "taxonomy_term_ids": values["taxonomy_term_ids"],
        "areas": values["areas"],
        "access": {
            "referral": values["referral"],
            "accepting_referrals": values["accepting_referrals"],
            "how_to_access": values["how_to_access"],
        },
        "languages": [
            kept_languages[n].model_dump(mode="json") if n in kept_languages else {"name": n}
            for n in _lines(values["languages"])
        ],
        "fees_description": values["fees_description"],
    }
    return body


async def _entry_page(
    rpc: Rpc,
    values: dict[str, Any],
    service: contract.ServiceView | None = None,
    exc: ProblemDetailsException | None = None,
) -> Template:
    summary, errors = _errors(exc) if exc is not None else ([], {})
    context = {
        "service": service,
        "values": values,
        "taxonomy": await _taxonomy(rpc),
        "error_summary": summary,
        "errors": errors,
        **_words(),
    }
    status = int(exc.status_code) if exc is not None else 200
    return render_page(PAGES + "entry.jinja", context, status=status, headers=NO_STORE)


async def _require_curator(rpc: Rpc, request: Request[Any, Any, Any]) -> None:
    if not await is_curator(rpc, request):
        detail = "Only the directory's curators can do this."
        raise problem(403, "Forbidden", detail, type_="forbidden")


@get("/support/services/new", name="support:new")
async def new_entry_page(request: Request[Any, Any, Any], rpc: NamedDependency[Rpc]) -> Template:
    require_member(request)
    await _require_curator(rpc, request)
    return await _entry_page(rpc, _entry_values(None))


@post("/support/services/new", name="support:create")
async def create_entry(
    request: Request[Any, Any, Any], rpc: NamedDependency[Rpc], idempotent_rpc: NamedDependency[Rpc]
) -> Template | Redirect:
    require_member(request)
    values = _typed_entry(await request.form())

    async def again(exc: ProblemDetailsException) -> Template:
        return await _entry_page(rpc, values, exc=exc)

    async def create() -> contract.ServiceView:
        body = _entry_body(values)
        return await idempotent_rpc.call(contract.ServiceView, contract.CREATE_SERVICE, body)

    return await answer_form(
        create(),
        shown=SHOWN_ON_THE_PAGE,
        again=again,
        then=lambda made: Redirect(f"/support/services/{made.id}?done=created", status_code=303),
    )


@get("/support/services/{service_id:uuid}/edit", name="support:edit")
async def edit_entry_page(
    request: Request[Any, Any, Any], service_id: FromPath[UUID], rpc: NamedDependency[Rpc]
) -> Template:
    require_member(request)
    service = await _service(rpc, service_id)
    if not service.can_curate:
        await _require_curator(rpc, request)
    return await _entry_page(rpc, _entry_values(service), service)


@post("/support/services/{service_id:uuid}/edit", name="support:save")
async def save_entry(
    request: Request[Any, Any, Any],
    service_id: FromPath[UUID],
    rpc: NamedDependency[Rpc],
    idempotent_rpc: NamedDependency[Rpc],
) -> Template | Redirect:
    require_member(request)
    values = _typed_entry(await request.form())
    service = await _service(rpc, service_id)
    body = {"id": str(service_id), **_entry_body(values, service)}

    async def again(exc: ProblemDetailsException) -> Template:
        return await _entry_page(rpc, values, service, exc)

    return await answer_form(
        idempotent_rpc.send(contract.UPDATE_SERVICE, body),
        shown=SHOWN_ON_THE_PAGE,
        again=again,
        then=_then(f"/support/services/{service_id}?done=saved"),
    )


# --- Curators: retire, check, history ------------------------------------------------------------


def _retire_page(
    service: contract.ServiceView, reason: str = "", exc: ProblemDetailsException | None = None
) -> Template:
    summary, errors = _errors(exc) if exc is not None else ([], {})
    context = {"service": service, "reason": reason, "error_summary": summary, "errors": errors}
    status = int(exc.status_code) if exc is not None else 200
    return render_page(PAGES + "retire.jinja", context, status=status, headers=NO_STORE)


@get("/support/services/{service_id:uuid}/retire", name="support:retire")
async def retire_page(
    request: Request[Any, Any, Any], service_id: FromPath[UUID], rpc: NamedDependency[Rpc]
) -> Template:
    require_member(request)
    service = await _service(rpc, service_id)
    if not service.can_curate:
        await _require_curator(rpc, request)
    return _retire_page(service)


@post("/support/services/{service_id:uuid}/retire", name="support:retire-confirmed")
async def retire_entry(
    request: Request[Any, Any, Any],
    service_id: FromPath[UUID],
    rpc: NamedDependency[Rpc],
    idempotent_rpc: NamedDependency[Rpc],
) -> Template | Redirect:
    require_member(request)
    reason = str((await request.form()).get("reason", "")).strip()
    service = await _service(rpc, service_id)
    body: dict[str, Any] = {"id": str(service_id), "reason": reason or None}

    async def again(exc: ProblemDetailsException) -> Template:
        return _retire_page(service, reason, exc)

    return await answer_form(
        idempotent_rpc.send(contract.RETIRE_SERVICE, body),
        shown=SHOWN_ON_THE_PAGE,
        again=again,
        then=_then(f"/support/services/{service_id}?done=retired"),
    )


@post("/support/services/{service_id:uuid}/check", name="support:check")
async def check_entry(
    request: Request[Any, Any, Any],
    service_id: FromPath[UUID],
    idempotent_rpc: NamedDependency[Rpc],
) -> Redirect:
    require_member(request)
    await idempotent_rpc.send(contract.CHECK_SERVICE, {"id": str(service_id)})
    back = "/support/stale" if (await request.form()).get("from") == "stale" else ""
    return Redirect(
        f"{back}?done=checked" if back else f"/support/services/{service_id}?done=checked",
        status_code=303,
    )


@get("/support/services/{service_id:uuid}/history", name="support:history")
async def history_page(
    request: Request[Any, Any, Any], service_id: FromPath[UUID], rpc: NamedDependency[Rpc]
) -> Template:
    require_member(request)
    history = await rpc.call(
        contract.ServiceHistory, contract.SERVICE_HISTORY, {"id": str(service_id)}
    )
    service = await _service(rpc, service_id)
    context = {
        "service": service,
        "entries": list(reversed(history.entries)),  # newest first on the page
        **_words(),
    }
    return render_page(PAGES + "history.jinja", context, headers=NO_STORE)


# --- Curators: the suggestions queue and stale entries -------------------------------------------


async def _suggestions_page(
    request: Request[Any, Any, Any],
    rpc: Rpc,
    exc: ProblemDetailsException | None = None,
    failed: str = "",
) -> Template:
    page = _page_number(request.query_params.get("page", ""))
    found = await rpc.call(
        contract.SuggestionPage,
        contract.LIST_SUGGESTIONS,
        {"state": contract.SuggestionState.OPEN.value, "page": page, "per_page": PER_PAGE},
    )
    summary, errors = _errors(exc) if exc is not None else ([], {})
    if failed and "reason" in errors:  # the box beside the suggestion it was typed for
        errors[f"reason-{failed}"] = errors.pop("reason")
        for line in summary:
            if line.get("href") == "#reason":
                line["href"] = f"#reason-{failed}"
    pages = ceil(found.total / PER_PAGE)
    context = {
        "found": found,
        "pagination": pagination.keeping_search(
            "/support/suggestions", {}, page, pages, "suggestions"
        ),
        "done": DONE.get(request.query_params.get("done", ""), ""),
        "error_summary": summary,
        "errors": errors,
        **_words(),
    }
    status = int(exc.status_code) if exc is not None else 200
    return render_page(PAGES + "suggestions.jinja", context, status=status, headers=NO_STORE)


@get("/support/suggestions", name="support:suggestions")
async def suggestions_page(request: Request[Any, Any, Any], rpc: NamedDependency[Rpc]) -> Template:
    require_member(request)
    return await _suggestions_page(request, rpc)


@post("/support/suggestions/{suggestion_id:uuid}/accept", name="support:accept")
async def accept_suggestion(
    request: Request[Any, Any, Any],
    suggestion_id: FromPath[UUID],
    rpc: NamedDependency[Rpc],
    idempotent_rpc: NamedDependency[Rpc],
) -> Template | Redirect:
    require_member(request)

    async def again(exc: ProblemDetailsException) -> Template:
        return await _suggestions_page(request, rpc, exc)

    return await answer_form(
        idempotent_rpc.send(contract.ACCEPT_SUGGESTION, {"id": str(suggestion_id)}),
        shown=SHOWN_ON_THE_PAGE,
        again=again,
        then=_then("/support/suggestions?done=accepted"),
    )


@post("/support/suggestions/{suggestion_id:uuid}/decline", name="support:decline")
async def decline_suggestion(
    request: Request[Any, Any, Any],
    suggestion_id: FromPath[UUID],
    rpc: NamedDependency[Rpc],
    idempotent_rpc: NamedDependency[Rpc],
) -> Template | Redirect:
    require_member(request)
    reason = str((await request.form()).get("reason", ""))
    body = {"id": str(suggestion_id), "reason": reason}

    async def again(exc: ProblemDetailsException) -> Template:
        return await _suggestions_page(request, rpc, exc, failed=str(suggestion_id))

    return await answer_form(
        idempotent_rpc.send(contract.DECLINE_SUGGESTION, body),
        shown=SHOWN_ON_THE_PAGE,
        again=again,
        then=_then("/support/suggestions?done=declined"),
    )


@get("/support/stale", name="support:stale")
async def stale_page(request: Request[Any, Any, Any], rpc: NamedDependency[Rpc]) -> Template:
    require_member(request)
    page = _page_number(request.query_params.get("page", ""))
    found = await rpc.call(
        contract.ServicePage, contract.STALE_SERVICES, {"page": page, "per_page": PER_PAGE}
    )
    pages = ceil(found.total / PER_PAGE)
    context = {
        "found": found,
        "pagination": pagination.keeping_search("/support/stale", {}, page, pages, "entries"),
        "done": DONE.get(request.query_params.get("done", ""), ""),
        **_words(),
    }
    return render_page(PAGES + "stale.jinja", context, headers=NO_STORE)


HANDLERS: list[Any] = [
    find_support,
    new_entry_page,
    create_entry,
    service_page,
    print_page,
    suggest_page,
    send_suggestion,
    edit_entry_page,
    save_entry,
    retire_page,
    retire_entry,
    check_entry,
    history_page,
    suggestions_page,
    accept_suggestion,
    decline_suggestion,
    stale_page,
]
