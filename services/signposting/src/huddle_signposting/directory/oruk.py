"""Entries in the Open Referral UK shape, pure. Nested records (phones, areas, languages,
contacts, costs, attributes) get ids derived from the entry's id and their place, so the
same entry always shows the same ids. Nothing about members goes out: no curator, no
``assurer_email``, no suggestions."""

import math
from collections.abc import Sequence
from typing import Any, TypeVar
from uuid import UUID, uuid5

from huddle_shared.contracts import signposting as contract
from huddle_shared.contracts.areas import AREA_NAMES

from huddle_signposting.directory.domain import Entry
from huddle_signposting.directory.taxonomy import (
    ACCEPTING_REFERRALS,
    ACCESS_TERMS,
    AUDIENCE_TERMS,
    TAXONOMY,
    TAXONOMY_OF,
    Term,
)

T = TypeVar("T")

METADATA = contract.OrukMetadata(
    version=contract.ORUK_VERSION,
    profile=contract.ORUK_PROFILE,
    openapi_url=contract.ORUK_OPENAPI_URL,
    description="Huddle's directory of support after patient safety incidents, for patients, "
    "families and carers, staff and Patient Safety Partners.",
    publisher=contract.OrukPublisher(name="Huddle", website="https://huddle.example.org"),
)


def _child_id(parent: UUID, kind: str, n: int | str) -> UUID:
    return uuid5(parent, f"{kind}:{n}")


def taxonomy_term(term: Term) -> contract.OrukTaxonomyTerm:
    taxonomy_id, taxonomy_name = TAXONOMY_OF[term.id]
    parent = TAXONOMY.by_code.get(term.parent) if term.parent else None
    return contract.OrukTaxonomyTerm(
        id=term.id,
        code=term.code,
        name=term.name,
        description=term.description,
        parent_id=parent.id if parent else None,
        taxonomy=taxonomy_name,
        taxonomy_id=taxonomy_id,
        language="en",
    )


def all_terms() -> list[contract.OrukTaxonomyTerm]:
    terms = [*TAXONOMY.terms, *AUDIENCE_TERMS.values(), *ACCESS_TERMS.values()]
    return [taxonomy_term(t) for t in terms]


def organization(entry: Entry) -> contract.OrukOrganization:
    org = entry.organization
    return contract.OrukOrganization(
        id=entry.organization_id,
        name=org["name"],
        description=org.get("description") or org["name"],
        email=org.get("email"),
        website=org.get("website"),
    )


def _attribute(entry: Entry, term: Term, link_type: str) -> contract.OrukAttribute:
    return contract.OrukAttribute(
        id=_child_id(entry.id, "attribute", term.code),
        link_id=entry.id,
        link_type=link_type,
        link_entity="service",
        taxonomy_term_id=term.id,
        taxonomy_term=taxonomy_term(term),
    )


def service(entry: Entry) -> contract.OrukService:
    f = entry.fields
    sid = entry.id
    access = f["access"]
    attributes = [
        _attribute(entry, TAXONOMY.by_id[t], "category")
        for t in entry.taxonomy_term_ids
        if t in TAXONOMY.by_id
    ]
    attributes += [_attribute(entry, AUDIENCE_TERMS[a], "eligibility") for a in entry.audiences]
    attributes.append(_attribute(entry, ACCESS_TERMS[access["referral"]], "access"))
    if access.get("accepting_referrals"):
        attributes.append(_attribute(entry, ACCESS_TERMS[ACCEPTING_REFERRALS], "access"))
    return contract.OrukService(
        id=sid,
        organization_id=entry.organization_id,
        name=f["name"],
        description=f["description"],
        url=f.get("url"),
        email=f.get("email"),
        status=contract.ServiceStatus(f["status"]),
        application_process=access.get("how_to_access") or None,
        fees_description=f.get("fees_description") or None,
        eligibility_description=f.get("eligibility_description") or None,
        minimum_age=f.get("minimum_age"),
        maximum_age=f.get("maximum_age"),
        assured_date=entry.last_checked_on,
        last_modified=entry.last_modified,
        phones=[
            contract.OrukPhone(
                id=_child_id(sid, "phone", n),
                service_id=sid,
                number=p["number"],
                type="voice",
                description=p.get("description"),
            )
            for n, p in enumerate(f.get("phones", []))
        ],
        service_areas=[
            contract.OrukServiceArea(
                id=_child_id(sid, "area", code),
                service_id=sid,
                name=AREA_NAMES.get(code, code),
                description=f"Huddle area code {code}",
            )
            for code in entry.areas
        ],
        languages=[
            contract.OrukLanguage(
                id=_child_id(sid, "language", n),
                service_id=sid,
                name=lang["name"],
                code=lang.get("code"),
            )
            for n, lang in enumerate(f.get("languages", []))
        ],
        contacts=[_contact(sid, n, c) for n, c in enumerate(f.get("contacts", []))],
        cost_options=[
            contract.OrukCostOption(
                id=_child_id(sid, "cost", n),
                service_id=sid,
                option=c.get("option"),
                currency=c.get("currency"),
                amount=c.get("amount"),
                amount_description=c.get("amount_description"),
            )
            for n, c in enumerate(f.get("cost_options", []))
        ],
        attributes=attributes,
        organization=organization(entry),
    )


def _contact(sid: UUID, n: int, c: dict[str, Any]) -> contract.OrukContact:
    contact_id = _child_id(sid, "contact", n)
    phones = []
    if c.get("phone"):
        phones.append(
            contract.OrukPhone(
                id=_child_id(contact_id, "phone", 0), contact_id=contact_id, number=c["phone"]
            )
        )
    return contract.OrukContact(
        id=contact_id,
        service_id=sid,
        name=c.get("name"),
        title=c.get("title"),
        email=c.get("email"),
        phones=phones,
    )


def page_fields(total: int, page: int, per_page: int, size: int) -> dict[str, Any]:
    """The specification's paging fields (pages count from 1)."""
    total_pages = math.ceil(total / per_page) if total else 0
    return {
        "total_items": total,
        "total_pages": total_pages,
        "page_number": page,
        "size": size,
        "first_page": page == 1,
        "last_page": page >= total_pages,
        "empty": size == 0,
    }


def paged(items: Sequence[T], page: int, per_page: int) -> tuple[list[T], dict[str, Any]]:
    start = (page - 1) * per_page
    chosen = list(items[start : start + per_page])
    return chosen, page_fields(len(items), page, per_page, len(chosen))
