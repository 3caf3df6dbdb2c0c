"""How the services' codes read on a page, in plain words (no acronyms). Presentation only:
which codes exist, and what they allow, is the contracts' and the services' business."""

from huddle_shared.contracts.membership import MemberType, OrganisationKind, Region

ORGANISATION_KINDS: dict[str, str] = {
    OrganisationKind.NHS_TRUST: "NHS trust",
    OrganisationKind.INTEGRATED_CARE_BOARD: "Integrated care board",
    OrganisationKind.INDEPENDENT_SECTOR_PROVIDER: "Independent healthcare provider",
    OrganisationKind.CHARITY: "Charity",
    OrganisationKind.UNIVERSITY: "University",
    OrganisationKind.NATIONAL_BODY: "National body",
    OrganisationKind.OTHER: "Other",
}

REGIONS: dict[str, str] = {
    Region.NORTH_EAST_AND_YORKSHIRE: "North East and Yorkshire",
    Region.NORTH_WEST: "North West",
    Region.MIDLANDS: "Midlands",
    Region.EAST_OF_ENGLAND: "East of England",
    Region.LONDON: "London",
    Region.SOUTH_EAST: "South East",
    Region.SOUTH_WEST: "South West",
}

MEMBER_TYPES: dict[str, str] = {
    MemberType.STAFF: "Member of staff",
    MemberType.PATIENT_SAFETY_PARTNER: "Patient Safety Partner",
    MemberType.RESEARCHER: "Researcher",
    MemberType.NATIONAL_OBSERVER: "National observer",
}

NO_REGION = "No region"

# The statistics count members without a region under this code (membership's own).
REGIONS_IN_FIGURES: dict[str, str] = {**REGIONS, "unspecified": NO_REGION}

# Who may choose which type at sign-up is membership's rule; these are the types offered.
MEMBER_TYPES_AT_SIGN_UP = (
    MemberType.STAFF,
    MemberType.PATIENT_SAFETY_PARTNER,
    MemberType.RESEARCHER,
)

MEMBER_TYPE_HINTS: dict[str, str] = {
    MemberType.STAFF: "You work for a health or care organisation.",
    MemberType.PATIENT_SAFETY_PARTNER: "You bring the view of patients, families and carers.",
    MemberType.RESEARCHER: "You study patient safety at a university or research body.",
}


def label(labels: dict[str, str], code: str | None, missing: str = NO_REGION) -> str:
    if code is None or code == "":
        return missing
    return labels.get(code, code.replace("_", " ").capitalize())


NETWORK_DOORS: dict[str, str] = {
    "open": "Anyone can join",
    "approval": "Ask to join",
    "invite_only": "By invitation only",
}
