"""People who know, contact requests and asking for signposting: the pages.

Every rule is the signposting service's (who is listed, the rate limit, who may accept,
what a gap is); the pages send what the person chose and show its answer, or its refusal on
the form. Accepting a request sends the expert's own email address, which the gateway reads
from membership (``routes.experts.accept_as_me``).
"""

from typing import Any
from uuid import UUID

from huddle_shared.contracts import experts as contract
from huddle_shared.contracts.areas import AREA_NAMES
from huddle_shared.contracts.common import Empty, GetById
from huddle_shared.contracts.signposting import Audience
from litestar import Request, get, post
from litestar.di import NamedDependency
from litestar.exceptions import NotFoundException
from litestar.params import FromPath, FromQuery
from litestar.plugins.problem_details import ProblemDetailsException
from litestar.response import Redirect, Template

from huddle_gateway.routes.experts import accept_as_me
from huddle_gateway.rpc import Rpc
from huddle_gateway.web import labels
from huddle_gateway.web.forms import form_of, problem_to_errors, render_page
from huddle_gateway.web.session import require_member

PAGES = "pages/people/"
NO_STORE = {"Cache-Control": "no-store"}  # names, messages and email addresses
SHOWN_ON_THE_FORM = {400, 403, 404, 409, 422, 429}

AUDIENCES = {
    Audience.PATIENTS: "Patients",
    Audience.FAMILIES_AND_CARERS: "Families and carers",
    Audience.STAFF: "Staff",
    Audience.PATIENT_SAFETY_PARTNERS: "Patient Safety Partners",
}
STATUSES = {
    contract.ContactRequestStatus.PENDING: "Waiting for an answer",
    contract.ContactRequestStatus.ACCEPTED: "Accepted",
    contract.ContactRequestStatus.DECLINED: "Declined",
}
WORDS = {
    "regions": labels.REGIONS,
    "member_types": labels.MEMBER_TYPES,
    "audiences": AUDIENCES,
    "statuses": STATUSES,
    "areas": AREA_NAMES,
}


def _page(name: str, context: dict[str, Any], status: int = 200) -> Template:
    return render_page(PAGES + name, {**WORDS, **context}, status=status, headers=NO_STORE)


def _not_found_if_refused(exc: ProblemDetailsException) -> None:
    if exc.status_code in (404, 422):
        raise NotFoundException() from None


@get("/people-who-know", name="web-people-who-know")
async def people_who_know(
    request: Request[Any, Any, Any],
    rpc: NamedDependency[Rpc],
    topic: FromQuery[str] = "",
    region: FromQuery[str] = "",
) -> Template:
    require_member(request)
    body: dict[str, Any] = {"topic": topic}
    if region:
        body["region"] = region
    summary: list[dict[str, str]] = []
    errors: dict[str, str] = {}
    experts: list[contract.ExpertView] = []
    status = 200
    try:
        experts = (await rpc.call(contract.ExpertList, contract.FIND_EXPERTS, body)).items
    except ProblemDetailsException as exc:
        if exc.status_code not in SHOWN_ON_THE_FORM:
            raise
        summary, errors = problem_to_errors(exc)
        status = int(exc.status_code)
    context = {
        "experts": experts,
        "topic": topic,
        "region": region,
        "searched": bool(topic or region),
        "error_summary": summary,
        "errors": errors,
    }
    return _page("find.jinja", context, status)


async def _contact_page(
    rpc: Rpc, member_id: UUID, message: str = "", problem: ProblemDetailsException | None = None
) -> Template:
    try:
        expert = await rpc.call(contract.ExpertView, contract.GET_EXPERT, GetById(id=member_id))
    except ProblemDetailsException as exc:
        _not_found_if_refused(exc)
        raise
    summary, errors = problem_to_errors(problem) if problem else ([], {})
    status = int(problem.status_code) if problem else 200
    context = {
        "expert": expert,
        "message": message,
        "error_summary": summary,
        "errors": errors,
        "per_day": contract.CONTACT_REQUESTS_PER_DAY,
    }
    return _page("contact.jinja", context, status)


@get("/people-who-know/{member_id:uuid}/contact", name="web-contact-expert")
async def contact_expert(
    request: Request[Any, Any, Any], member_id: FromPath[UUID], rpc: NamedDependency[Rpc]
) -> Template:
    require_member(request)
    return await _contact_page(rpc, member_id)


@post("/people-who-know/{member_id:uuid}/contact", name="web-contact-expert-send")
async def send_contact(
    request: Request[Any, Any, Any],
    member_id: FromPath[UUID],
    rpc: NamedDependency[Rpc],
    idempotent_rpc: NamedDependency[Rpc],
) -> Template | Redirect:
    require_member(request)
    message = (await form_of(request)).get("message", "")
    body = {"expert_id": str(member_id), "message": message}
    try:
        await idempotent_rpc.send(contract.SEND_CONTACT_REQUEST, body)
    except ProblemDetailsException as exc:
        if exc.status_code not in SHOWN_ON_THE_FORM:
            raise
        return await _contact_page(rpc, member_id, message, exc)
    return Redirect("/contact-requests?sent=1", status_code=303)


async def _requests_page(
    rpc: Rpc, *, notice: str = "", problem: ProblemDetailsException | None = None
) -> Template:
    mine = await rpc.call(contract.MyContactRequests, contract.MY_CONTACT_REQUESTS, Empty())
    summary, _ = problem_to_errors(problem) if problem else ([], {})
    status = int(problem.status_code) if problem else 200
    context = {"mine": mine, "notice": notice, "error_summary": summary}
    return _page("requests.jinja", context, status)


NOTICES = {
    "sent": "Your contact request has been sent. You will see their email address here if "
    "they accept it.",
    "accepted": "You accepted the request. They can now see your email address.",
    "declined": "You declined the request. Your email address was not shared.",
}


@get("/contact-requests", name="web-contact-requests")
async def contact_requests(request: Request[Any, Any, Any], rpc: NamedDependency[Rpc]) -> Template:
    require_member(request)
    notice = next((text for key, text in NOTICES.items() if request.query_params.get(key)), "")
    return await _requests_page(rpc, notice=notice)


@post("/contact-requests/{request_id:uuid}/{decision:str}", name="web-contact-request-decide")
async def decide_contact_request(
    request: Request[Any, Any, Any],
    request_id: FromPath[UUID],
    decision: FromPath[str],
    rpc: NamedDependency[Rpc],
    idempotent_rpc: NamedDependency[Rpc],
) -> Template | Redirect:
    require_member(request)
    try:
        if decision == "accept":
            await accept_as_me(rpc, idempotent_rpc, request_id)
        elif decision == "decline":
            body = {"id": str(request_id)}
            await idempotent_rpc.send(contract.DECLINE_CONTACT_REQUEST, body)
        else:
            raise NotFoundException()
    except ProblemDetailsException as exc:
        if exc.status_code not in SHOWN_ON_THE_FORM:
            raise
        return await _requests_page(rpc, problem=exc)
    done = "accepted" if decision == "accept" else "declined"
    return Redirect(f"/contact-requests?{done}=1", status_code=303)


async def _need_page(
    rpc: Rpc, values: dict[str, str], problem: ProblemDetailsException | None = None
) -> Template:
    categories = await rpc.call(contract.NeedCategories, contract.NEED_CATEGORIES, Empty())
    summary, errors = problem_to_errors(problem) if problem else ([], {})
    status = int(problem.status_code) if problem else 200
    context = {
        "categories": categories.items,
        "values": values,
        "error_summary": summary,
        "errors": errors,
    }
    return _page("ask.jinja", context, status)


NEED_FIELDS = ("category", "area", "audience", "text")


@get("/ask-for-signposting", name="web-ask-for-signposting")
async def ask_for_signposting(
    request: Request[Any, Any, Any], rpc: NamedDependency[Rpc]
) -> Template:
    require_member(request)
    return await _need_page(rpc, {})


@post("/ask-for-signposting", name="web-ask-for-signposting-send")
async def send_need(
    request: Request[Any, Any, Any],
    rpc: NamedDependency[Rpc],
    idempotent_rpc: NamedDependency[Rpc],
) -> Template | Redirect:
    require_member(request)
    form = await form_of(request)
    values = {name: form.get(name, "") for name in NEED_FIELDS}
    try:
        answer = await idempotent_rpc.call(
            contract.SignpostingRequestView, contract.CREATE_SIGNPOSTING_REQUEST, values
        )
    except ProblemDetailsException as exc:
        if exc.status_code not in SHOWN_ON_THE_FORM:
            raise
        return await _need_page(rpc, values, exc)
    return Redirect(f"/ask-for-signposting/{answer.id}", status_code=303)


async def _answer_page(
    rpc: Rpc, request_id: UUID, problem: ProblemDetailsException | None = None
) -> Template:
    try:
        answer = await rpc.call(
            contract.SignpostingRequestView,
            contract.GET_SIGNPOSTING_REQUEST,
            GetById(id=request_id),
        )
    except ProblemDetailsException as exc:
        _not_found_if_refused(exc)
        raise
    summary, _ = problem_to_errors(problem) if problem else ([], {})
    status = int(problem.status_code) if problem else 200
    return _page("answer.jinja", {"answer": answer, "error_summary": summary}, status)


@get("/ask-for-signposting/{request_id:uuid}", name="web-signposting-answer")
async def signposting_answer(
    request: Request[Any, Any, Any], request_id: FromPath[UUID], rpc: NamedDependency[Rpc]
) -> Template:
    require_member(request)
    return await _answer_page(rpc, request_id)


@post("/ask-for-signposting/{request_id:uuid}/outcome", name="web-signposting-outcome")
async def signposting_outcome(
    request: Request[Any, Any, Any],
    request_id: FromPath[UUID],
    rpc: NamedDependency[Rpc],
    idempotent_rpc: NamedDependency[Rpc],
) -> Template | Redirect:
    require_member(request)
    helped = (await form_of(request)).get("helped", "")
    body: dict[str, Any] = {"id": str(request_id), "helped": {"yes": True, "no": False}.get(helped)}
    try:
        await idempotent_rpc.send(contract.RECORD_REQUEST_OUTCOME, body)
    except ProblemDetailsException as exc:
        if exc.status_code not in SHOWN_ON_THE_FORM:
            raise
        return await _answer_page(rpc, request_id, exc)
    return Redirect(f"/ask-for-signposting/{request_id}", status_code=303)


HANDLERS: list[Any] = [
    people_who_know,
    contact_expert,
    send_contact,
    contact_requests,
    decide_contact_request,
    ask_for_signposting,
    send_need,
    signposting_answer,
    signposting_outcome,
]
