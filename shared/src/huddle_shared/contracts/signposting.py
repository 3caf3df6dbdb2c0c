"""Signposting's contracts: its directory of support (Open Referral UK shaped), its events, its
RPC operations, their requests and views. People who know and signposting requests are in
``contracts.experts``.

Two families of views: Huddle's own (``ServiceView``, ``ServiceSummary``, ``ServicePage``,
history, suggestions), for members and curators, and the Open Referral UK ones (``Oruk*``),
whose field names and nesting follow the published specification (HSDS 3 with the UK
profile) and which carry nothing about members: no curator, no suggestion, no request.
"""

from datetime import date
from enum import StrEnum
from typing import Annotated, Any
from uuid import UUID

from pydantic import (
    AwareDatetime,
    BaseModel,
    ConfigDict,
    EmailStr,
    Field,
    StringConstraints,
    model_validator,
)

from huddle_shared.contracts.areas import AreaCode
from huddle_shared.contracts.envelope import EventPayload
from huddle_shared.contracts.membership import Name
from huddle_shared.contracts.rpc import rpc_subject

SERVICE = "signposting"


class Audience(StrEnum):
    """Who a service is for, and who a need is for."""

    PATIENTS = "patients"
    FAMILIES_AND_CARERS = "families_and_carers"
    STAFF = "staff"
    PATIENT_SAFETY_PARTNERS = "patient_safety_partners"


AUDIENCE_NAMES: dict[Audience, str] = {
    Audience.PATIENTS: "Patients",
    Audience.FAMILIES_AND_CARERS: "Families and carers",
    Audience.STAFF: "Staff",
    Audience.PATIENT_SAFETY_PARTNERS: "Patient Safety Partners",
}


class ServiceStatus(StrEnum):
    """The specification's codelist for ``service.status``. A retired entry is ``defunct``."""

    ACTIVE = "active"
    INACTIVE = "inactive"
    DEFUNCT = "defunct"
    TEMPORARILY_CLOSED = "temporarily closed"


class Referral(StrEnum):
    """How a person gets to the service."""

    SELF_REFERRAL = "self_referral"
    REFERRAL_NEEDED = "referral_needed"  # by a GP, a clinician or another professional
    SELF_OR_PROFESSIONAL = "self_or_professional"


REFERRAL_NAMES: dict[Referral, str] = {
    Referral.SELF_REFERRAL: "Self-referral",
    Referral.REFERRAL_NEEDED: "Referral needed",
    Referral.SELF_OR_PROFESSIONAL: "Self-referral or professional referral",
}


class HistoryAction(StrEnum):
    CREATED = "created"
    UPDATED = "updated"
    CHECKED = "checked"  # a curator confirmed the entry is still right
    RETIRED = "retired"
    SUGGESTION_ACCEPTED = "suggestion_accepted"


class SuggestionState(StrEnum):
    OPEN = "open"
    ACCEPTED = "accepted"
    DECLINED = "declined"


# How an author or curator shows once they have been erased.
FORMER_MEMBER = "a former member"
MAX_PER_PAGE = 100
MAX_AREAS = 60
MAX_TERMS = 20

ShortText = Annotated[str, StringConstraints(strip_whitespace=True, max_length=200)]
LongText = Annotated[str, StringConstraints(strip_whitespace=True, max_length=5000)]
MAX_SEARCH_TEXT = 500
SearchText = Annotated[str, StringConstraints(strip_whitespace=True, max_length=MAX_SEARCH_TEXT)]
Comment = Annotated[str, StringConstraints(strip_whitespace=True, min_length=3, max_length=2000)]
# http(s) only: a web address a reader can open, kept as typed (no normalising slash).
WebAddress = Annotated[
    str, StringConstraints(strip_whitespace=True, max_length=2000, pattern=r"^https?://[^\s]+$")
]
PhoneNumber = Annotated[
    str,
    StringConstraints(
        strip_whitespace=True, min_length=3, max_length=40, pattern=r"^\+?[0-9 ()-]+$"
    ),
]
LanguageCode = Annotated[
    str, StringConstraints(strip_whitespace=True, to_lower=True, pattern=r"^[a-z]{2,3}$")
]
Age = Annotated[int, Field(ge=0, le=130)]


# --- Parts of an entry (requests and Huddle's views alike) --------------------------------


class Phone(BaseModel):
    model_config = ConfigDict(extra="forbid")

    number: PhoneNumber
    description: ShortText | None = Field(default=None, examples=["Helpline, 9am to 5pm weekdays"])


class Contact(BaseModel):
    """A named contact or team (never a member of Huddle: curators type these in)."""

    model_config = ConfigDict(extra="forbid")

    name: ShortText | None = None
    title: ShortText | None = Field(default=None, examples=["Referrals coordinator"])
    email: EmailStr | None = None
    phone: PhoneNumber | None = None


class Language(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: ShortText = Field(examples=["English"])
    code: LanguageCode | None = Field(default=None, description="ISO 639-1 or 639-3")


class CostOption(BaseModel):
    model_config = ConfigDict(extra="forbid")

    option: ShortText | None = Field(default=None, examples=["Per session"])
    amount: float | None = Field(default=None, ge=0)
    currency: Annotated[str, StringConstraints(pattern=r"^[A-Z]{3}$")] = "GBP"
    amount_description: ShortText | None = None


class ProviderFields(BaseModel):
    """The organisation that provides a service (Open Referral's ``organization``). The
    directory keys providers by name: the same name (ignoring case) is the same provider."""

    model_config = ConfigDict(extra="forbid")

    name: Name
    description: LongText = ""
    website: WebAddress | None = None
    email: EmailStr | None = None


class Access(BaseModel):
    """How to get to the service."""

    model_config = ConfigDict(extra="forbid")

    referral: Referral
    accepting_referrals: bool = Field(default=True, description="Currently taking people on")
    how_to_access: LongText = Field(
        default="", description="The steps, in words (Open Referral's application_process)"
    )


# --- Requests -----------------------------------------------------------------------------


class _AgeRange(BaseModel):
    @model_validator(mode="after")
    def _ages_in_order(self) -> Any:
        low, high = getattr(self, "minimum_age", None), getattr(self, "maximum_age", None)
        if low is not None and high is not None and low > high:
            raise ValueError("minimum_age must not be above maximum_age")
        return self


class CreateService(_AgeRange):
    """A new directory entry (curators only). Taxonomy terms must be known, areas real."""

    model_config = ConfigDict(extra="forbid")

    organization: ProviderFields
    name: Name
    description: LongText = Field(min_length=1)
    url: WebAddress | None = None
    email: EmailStr | None = None
    phones: list[Phone] = Field(default_factory=list, max_length=10)
    contacts: list[Contact] = Field(default_factory=list, max_length=10)
    status: ServiceStatus = ServiceStatus.ACTIVE
    eligibility_description: LongText = ""
    audiences: list[Audience] = Field(min_length=1, max_length=len(Audience))
    minimum_age: Age | None = None
    maximum_age: Age | None = None
    taxonomy_term_ids: list[UUID] = Field(min_length=1, max_length=MAX_TERMS)
    areas: list[AreaCode] = Field(min_length=1, max_length=MAX_AREAS)
    access: Access
    languages: list[Language] = Field(
        default_factory=lambda: [Language(name="English", code="en")], max_length=30
    )
    fees_description: LongText = ""
    cost_options: list[CostOption] = Field(default_factory=list, max_length=10)
    last_checked_on: date | None = Field(
        default=None,
        description="When its details were last confirmed, if before today (entries "
        "brought in from another list); today if left out. Never in the future.",
    )


class ServiceChanges(_AgeRange):
    """Only the fields given change (a PATCH): a field left out keeps its value; ``null``
    clears a field that may be empty (url, email, ages)."""

    model_config = ConfigDict(extra="forbid")

    organization: ProviderFields | None = None
    name: Name | None = None
    description: LongText | None = Field(default=None, min_length=1)
    url: WebAddress | None = None
    email: EmailStr | None = None
    phones: list[Phone] | None = Field(default=None, max_length=10)
    contacts: list[Contact] | None = Field(default=None, max_length=10)
    status: ServiceStatus | None = None
    eligibility_description: LongText | None = None
    audiences: list[Audience] | None = Field(default=None, min_length=1, max_length=len(Audience))
    minimum_age: Age | None = None
    maximum_age: Age | None = None
    taxonomy_term_ids: list[UUID] | None = Field(default=None, min_length=1, max_length=MAX_TERMS)
    areas: list[AreaCode] | None = Field(default=None, min_length=1, max_length=MAX_AREAS)
    access: Access | None = None
    languages: list[Language] | None = Field(default=None, max_length=30)
    fees_description: LongText | None = None
    cost_options: list[CostOption] | None = Field(default=None, max_length=10)

    def given(self) -> dict[str, Any]:
        """The fields the caller sent (``null`` included), as plain JSON values."""
        return self.model_dump(mode="json", include=self.model_fields_set)

    @model_validator(mode="after")
    def _required_fields_not_cleared(self) -> "ServiceChanges":
        clearable = {"url", "email", "minimum_age", "maximum_age"}
        cleared = sorted(
            name for name in self.model_fields_set - clearable if getattr(self, name) is None
        )
        if cleared:
            raise ValueError(f"these fields cannot be cleared: {', '.join(cleared)}")
        return self


class UpdateService(ServiceChanges):
    id: UUID


class ServiceRef(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: UUID


class RetireService(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: UUID
    reason: Comment | None = None


class SearchServices(BaseModel):
    """Search the directory. Without ``text``, results are ordered by area match and
    freshness. A taxonomy term matches its descendants; an area matches the services that
    cover it (a national service every area; a region's service its boards; a board's
    service its region's searches). Retired entries only for curators asking for them."""

    model_config = ConfigDict(extra="forbid")

    text: SearchText = ""
    taxonomy_term_id: UUID | None = None
    area: AreaCode | None = None
    audience: Audience | None = None
    organization_id: UUID | None = None
    modified_after: AwareDatetime | None = None
    include_retired: bool = False
    page: int = Field(default=1, ge=1, le=10_000)
    per_page: int = Field(default=20, ge=1, le=MAX_PER_PAGE)


class PageRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    page: int = Field(default=1, ge=1, le=10_000)
    per_page: int = Field(default=20, ge=1, le=MAX_PER_PAGE)


class StaleRequest(PageRequest):
    """Entries not checked for 12 months, oldest check first (curators only)."""


class SuggestCorrection(ServiceChanges):
    """Any active member may suggest a correction to an entry: the fields they would change
    (as for a PATCH) and a comment saying why. Nothing changes until a curator accepts."""

    service_id: UUID
    comment: Comment


class SuggestionsRequest(PageRequest):
    state: SuggestionState | None = SuggestionState.OPEN
    service_id: UUID | None = None


class SuggestionRef(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: UUID


class DeclineSuggestion(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: UUID
    reason: Comment


class SetCurator(BaseModel):
    """An instance admin designates (or undesignates) a member as a curator."""

    model_config = ConfigDict(extra="forbid")

    member_id: UUID
    curator: bool


class OrukServicesQuery(BaseModel):
    """``GET /services`` of the Open Referral API (open to anyone; ``per_page`` capped)."""

    model_config = ConfigDict(extra="forbid")

    search: SearchText = ""
    taxonomy_term_id: UUID | None = None
    organization_id: UUID | None = None
    modified_after: AwareDatetime | None = None
    page: int = Field(default=1, ge=1, le=10_000)
    per_page: int = Field(default=50, ge=1, le=MAX_PER_PAGE)


class OrukListQuery(BaseModel):
    model_config = ConfigDict(extra="forbid")

    page: int = Field(default=1, ge=1, le=10_000)
    per_page: int = Field(default=50, ge=1, le=MAX_PER_PAGE)


# --- Huddle's views -----------------------------------------------------------------------


class TermView(BaseModel):
    id: UUID
    code: str
    name: str
    description: str
    parent_id: UUID | None
    depth: int = Field(description="0 for a top-level category")


class Taxonomy(BaseModel):
    """The category tree, each parent before its children."""

    terms: list[TermView]


class AreaView(BaseModel):
    code: str
    name: str


class ProviderView(BaseModel):
    id: UUID
    name: str
    description: str
    website: str | None
    email: str | None


class ServiceView(BaseModel):
    id: UUID
    organization: ProviderView
    name: str
    description: str
    url: str | None
    email: str | None
    phones: list[Phone]
    contacts: list[Contact]
    status: ServiceStatus
    retired: bool
    eligibility_description: str
    audiences: list[Audience]
    minimum_age: int | None
    maximum_age: int | None
    taxonomy_terms: list[TermView]
    areas: list[AreaView]
    access: Access
    languages: list[Language]
    fees_description: str
    cost_options: list[CostOption]
    created_at: AwareDatetime
    last_modified: AwareDatetime
    last_checked_on: date = Field(description="When a curator last confirmed the entry")
    last_checked_by: str | None = Field(
        description="The curator's display name (members and curators only), or a former member"
    )
    stale: bool = Field(description="Not checked for 12 months")
    can_curate: bool = Field(description="The caller may edit, check and retire it")


class AreaMatch(StrEnum):
    """How a result's areas meet the area asked for (best first)."""

    EXACT = "exact"  # covers that very area
    WITHIN = "within"  # covers a wider area holding it (its region, or England)
    NEARBY = "nearby"  # a board's service found from its region's search
    ANY = "any"  # no area asked for


class ServiceSummary(BaseModel):
    id: UUID
    name: str
    organization_id: UUID
    organization_name: str
    description: str
    audiences: list[Audience]
    taxonomy_term_ids: list[UUID]
    areas: list[AreaView]
    referral: Referral
    accepting_referrals: bool
    phones: list[Phone]
    url: str | None
    email: str | None
    status: ServiceStatus
    last_checked_on: date
    stale: bool
    area_match: AreaMatch
    score: float = Field(description="Higher is better; only its order means anything")


class ServicePage(BaseModel):
    items: list[ServiceSummary]
    total: int
    page: int
    per_page: int


class FieldChange(BaseModel):
    field: str
    before: Any = Field(description="The JSON value before (null if none)")
    after: Any


class HistoryEntry(BaseModel):
    at: AwareDatetime
    by: str = Field(description="The curator's display name, or a former member")
    action: HistoryAction
    changes: list[FieldChange]
    note: str | None = Field(description="A retirement's reason, or the accepted suggestion's")


class ServiceHistory(BaseModel):
    service_id: UUID
    entries: list[HistoryEntry] = Field(description="Oldest first")


class SuggestionView(BaseModel):
    id: UUID
    service_id: UUID
    service_name: str
    changes: list[FieldChange] = Field(description="Against the entry as it was suggested")
    comment: str
    state: SuggestionState
    suggested_by: str = Field(description="Display name, or a former member")
    suggested_at: AwareDatetime
    decided_by: str | None
    decided_at: AwareDatetime | None
    decline_reason: str | None


class SuggestionPage(BaseModel):
    items: list[SuggestionView]
    total: int
    page: int
    per_page: int


class CuratorView(BaseModel):
    member_id: UUID
    display_name: str
    instance_admin: bool
    designated: bool


class Curators(BaseModel):
    curators: list[CuratorView]


# --- Open Referral UK views ---------------------------------------------------------------
# Field names and nesting as in HSDS 3 (openreferral/specification schema/*.json, the
# compiled service.json) with the UK profile (OpenReferralUK/uk-profile profile/*.json).
# Absent values are left out rather than sent as null: the specification's fields are typed
# (a string is never null), so ``model_dump`` here drops ``None``.

ORUK_VERSION = "3.0"
ORUK_PROFILE = "https://github.com/OpenReferralUK/uk-profile"
ORUK_OPENAPI_URL = "https://raw.githubusercontent.com/OpenReferralUK/uk-profile/main/openapi.json"
# Huddle's own category tree, and the two vocabularies it uses for attributes.
TAXONOMY_ID = UUID("8a6f5a8e-2f38-5c3c-9d8e-6b1c2d0f4a11")
AUDIENCE_TAXONOMY_ID = UUID("a1f0e2d4-7c55-5b8e-8f3a-2a6c1b9e7d22")
ACCESS_TAXONOMY_ID = UUID("c3b9d7e1-4a2f-5e6b-9c8d-1f2e3a4b5c33")


class OrukModel(BaseModel):
    def model_dump(self, **kwargs: Any) -> dict[str, Any]:
        kwargs.setdefault("exclude_none", True)
        return super().model_dump(**kwargs)

    def model_dump_json(self, **kwargs: Any) -> str:
        kwargs.setdefault("exclude_none", True)
        return super().model_dump_json(**kwargs)


class OrukTaxonomy(OrukModel):
    id: UUID
    name: str
    description: str
    uri: str | None = None
    version: str | None = None


class OrukTaxonomyTerm(OrukModel):
    id: UUID
    code: str | None = None
    name: str
    description: str
    parent_id: UUID | None = None
    taxonomy: str | None = None
    taxonomy_id: UUID | None = None
    taxonomy_detail: OrukTaxonomy | None = None
    language: str | None = None


class OrukAttribute(OrukModel):
    id: UUID
    link_id: UUID
    link_type: str | None = None
    link_entity: str | None = None
    taxonomy_term_id: UUID
    value: str | None = None
    taxonomy_term: OrukTaxonomyTerm | None = None


class OrukPhone(OrukModel):
    id: UUID
    service_id: UUID | None = None
    organization_id: UUID | None = None
    contact_id: UUID | None = None
    number: str
    type: str | None = None
    description: str | None = None


class OrukContact(OrukModel):
    id: UUID
    service_id: UUID | None = None
    organization_id: UUID | None = None
    name: str | None = None
    title: str | None = None
    email: str | None = None
    phones: list[OrukPhone] = Field(default_factory=list)


class OrukServiceArea(OrukModel):
    id: UUID
    service_id: UUID
    name: str | None = None
    description: str | None = None
    extent_type: str | None = None
    uri: str | None = Field(default=None, description="A persistent identifier of the area")


class OrukLanguage(OrukModel):
    id: UUID
    service_id: UUID | None = None
    name: str | None = None
    code: str | None = None
    note: str | None = None


class OrukCostOption(OrukModel):
    id: UUID
    service_id: UUID
    option: str | None = None
    currency: str | None = None
    amount: float | None = None
    amount_description: str | None = None


class OrukOrganization(OrukModel):
    id: UUID
    name: str
    description: str
    email: str | None = None
    website: str | None = None


class OrukService(OrukModel):
    id: UUID
    organization_id: UUID
    name: str
    description: str
    url: str | None = None
    email: str | None = None
    status: ServiceStatus
    application_process: str | None = None
    fees_description: str | None = None
    eligibility_description: str | None = None
    minimum_age: int | None = None
    maximum_age: int | None = None
    assured_date: date | None = Field(default=None, description="When it was last checked")
    assurer_email: str | None = None
    last_modified: AwareDatetime | None = None
    phones: list[OrukPhone] = Field(default_factory=list)
    service_areas: list[OrukServiceArea] = Field(default_factory=list)
    languages: list[OrukLanguage] = Field(default_factory=list)
    contacts: list[OrukContact] = Field(default_factory=list)
    cost_options: list[OrukCostOption] = Field(default_factory=list)
    attributes: list[OrukAttribute] = Field(
        default_factory=list,
        description="Its taxonomy terms: categories, audiences (link_type eligibility) and "
        "how to access it",
    )
    organization: OrukOrganization | None = None


class OrukPage(OrukModel):
    """The specification's ``Page``; ``contents`` is the page's entities."""

    total_items: int
    total_pages: int
    page_number: int
    size: int
    first_page: bool
    last_page: bool
    empty: bool


class OrukServicePage(OrukPage):
    contents: list[OrukService]


class OrukTaxonomyTermPage(OrukPage):
    contents: list[OrukTaxonomyTerm]


class OrukOrganizationPage(OrukPage):
    contents: list[OrukOrganization]


class OrukPublisher(OrukModel):
    name: str
    website: str | None = None


class OrukMetadata(OrukModel):
    """``GET /``: the API's version and profile."""

    version: str
    profile: str
    openapi_url: str
    description: str | None = None
    publisher: OrukPublisher | None = None


# --- Events -------------------------------------------------------------------------------


class SignpostingEvent(EventPayload, producer=SERVICE):
    """Base of the events signposting publishes. Directory events carry no personal data:
    never the curator, the suggester or a contact's details."""


class ServiceAddedV1(SignpostingEvent, event_type="service.added", version=1):
    service_id: UUID
    organization_id: UUID
    name: Annotated[str, StringConstraints(max_length=200)]
    taxonomy_term_ids: list[UUID]
    areas: list[str]
    audiences: list[Audience]


class ServiceUpdatedV1(SignpostingEvent, event_type="service.updated", version=1):
    """An entry changed, or was checked (``changed_fields`` is then ``["last_checked"]``)."""

    service_id: UUID
    changed_fields: list[Annotated[str, StringConstraints(max_length=60)]]
    taxonomy_term_ids: list[UUID]
    areas: list[str]
    audiences: list[Audience]


class ServiceRetiredV1(SignpostingEvent, event_type="service.retired", version=1):
    service_id: UUID


class DirectoryEntriesStaleV1(SignpostingEvent, event_type="directory.entries_stale", version=1):
    """The periodic reminder to curators: entries not checked for 12 months."""

    stale_count: int = Field(ge=0)
    service_ids: list[UUID] = Field(max_length=1000, description="The oldest checked first")
    oldest_checked_on: date | None
    as_of: AwareDatetime


DIRECTORY_EVENTS: tuple[type[EventPayload], ...] = (
    ServiceAddedV1,
    ServiceUpdatedV1,
    ServiceRetiredV1,
    DirectoryEntriesStaleV1,
)

# --- RPC ----------------------------------------------------------------------------------

CREATE_SERVICE = rpc_subject(SERVICE, "services.create")
UPDATE_SERVICE = rpc_subject(SERVICE, "services.update")
RETIRE_SERVICE = rpc_subject(SERVICE, "services.retire")
CHECK_SERVICE = rpc_subject(SERVICE, "services.check")
GET_SERVICE = rpc_subject(SERVICE, "services.get")
SEARCH_SERVICES = rpc_subject(SERVICE, "services.search")
SERVICE_HISTORY = rpc_subject(SERVICE, "services.history")
STALE_SERVICES = rpc_subject(SERVICE, "services.stale")
SUGGEST_CORRECTION = rpc_subject(SERVICE, "suggestions.create")
LIST_SUGGESTIONS = rpc_subject(SERVICE, "suggestions.list")
ACCEPT_SUGGESTION = rpc_subject(SERVICE, "suggestions.accept")
DECLINE_SUGGESTION = rpc_subject(SERVICE, "suggestions.decline")
GET_TAXONOMY = rpc_subject(SERVICE, "taxonomy.get")
SET_CURATOR = rpc_subject(SERVICE, "curators.set")
LIST_CURATORS = rpc_subject(SERVICE, "curators.list")
# The open data: anyone may ask (the gateway relays them with CORS *).
ORUK_METADATA = rpc_subject(SERVICE, "oruk.metadata")
ORUK_SERVICES = rpc_subject(SERVICE, "oruk.services")
ORUK_SERVICE = rpc_subject(SERVICE, "oruk.service")
ORUK_TAXONOMY_TERMS = rpc_subject(SERVICE, "oruk.taxonomy_terms")
ORUK_ORGANIZATIONS = rpc_subject(SERVICE, "oruk.organizations")
