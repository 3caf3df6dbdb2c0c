from datetime import UTC, datetime
from uuid import uuid4

import pytest
from huddle_membership.members.domain import Member, Organisation, normalise_email
from huddle_shared.contracts.membership import (
    MemberRegisteredV1,
    MemberType,
    OrganisationKind,
    OrganisationRegisteredV1,
    Region,
)

pytestmark = pytest.mark.unit

NOW = datetime(2026, 11, 20, 9, 30, tzinfo=UTC)


def an_organisation() -> Organisation:
    return Organisation.register(
        organisation_id=uuid4(),
        name="Leeds Teaching Hospitals NHS Trust",
        kind=OrganisationKind.NHS_TRUST,
        region=Region.NORTH_EAST_AND_YORKSHIRE,
        ods_code="RR8",
        now=NOW,
    )


def test_registering_an_organisation_records_one_event() -> None:
    organisation = an_organisation()
    assert organisation.pending_events == [
        OrganisationRegisteredV1(
            organisation_id=organisation.id,
            name=organisation.name,
            kind=OrganisationKind.NHS_TRUST,
            region=Region.NORTH_EAST_AND_YORKSHIRE,
            ods_code="RR8",
        )
    ]


def test_registering_a_member_records_what_consumers_need_and_never_the_email() -> None:
    organisation = an_organisation()
    member = Member.register(
        member_id=uuid4(),
        email="  Aisha.Okafor@Example.org ",
        display_name="Aisha Okafor",
        job_title="Patient safety specialist",
        organisation=organisation,
        member_type=MemberType.STAFF,
        password_hash="$argon2id$...",
        now=NOW,
    )
    assert member.status == "active"
    assert member.email == "Aisha.Okafor@Example.org"
    assert member.email_normalised == "aisha.okafor@example.org"
    (event,) = member.pending_events
    assert isinstance(event, MemberRegisteredV1)
    assert event.organisation_kind is OrganisationKind.NHS_TRUST
    assert event.region is Region.NORTH_EAST_AND_YORKSHIRE
    dumped = event.model_dump_json()
    assert "Example.org" not in dumped and "argon2" not in dumped


@pytest.mark.parametrize(
    ("given", "expected"),
    [("A@B.org", "a@b.org"), (" a@b.org ", "a@b.org"), ("MiXeD@Case.Org", "mixed@case.org")],
)
def test_emails_compare_without_case_or_surrounding_space(given: str, expected: str) -> None:
    assert normalise_email(given) == expected
