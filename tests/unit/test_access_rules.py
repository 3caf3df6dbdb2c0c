from datetime import UTC, datetime, timedelta
from uuid import uuid4

import pytest
from huddle_membership.access import rules as access
from huddle_membership.members.domain import Member, MemberStatus, NotInstanceAdmin, Organisation
from huddle_shared.contracts.membership import (
    MemberErasedV1,
    MemberProfileUpdatedV1,
    MemberStatusChangedV1,
    MemberType,
    OrganisationKind,
)
from huddle_shared.errors import Conflict, TooManyRequests

pytestmark = pytest.mark.unit

NOW = datetime(2026, 11, 22, 12, 0, tzinfo=UTC)
LIMITS = access.SignInLimits(window=timedelta(minutes=15), per_account=5, per_address=20)


def failures(count: int, minutes_ago: float = 1) -> list[datetime]:
    return [NOW - timedelta(minutes=minutes_ago)] * count


def test_sign_ins_are_refused_after_too_many_recent_failures() -> None:
    access.check_not_throttled(failures(4), failures(19), NOW, LIMITS)
    with pytest.raises(TooManyRequests):
        access.check_not_throttled(failures(5), [], NOW, LIMITS)
    with pytest.raises(TooManyRequests):
        access.check_not_throttled([], failures(20), NOW, LIMITS)


def test_old_failures_no_longer_count() -> None:
    access.check_not_throttled(
        failures(50, minutes_ago=16), failures(50, minutes_ago=16), NOW, LIMITS
    )


def test_account_keys_do_not_store_the_email_and_tokens_are_hashed() -> None:
    assert "example.org" not in access.account_key("a@example.org")
    assert "192.0.2.1" not in access.address_key("192.0.2.1")
    token = access.new_api_token()
    assert token.startswith("hud_") and len(token) > 40
    assert access.token_hash(token) != token and len(access.token_hash(token)) == 64


def a_member() -> Member:
    organisation = Organisation.register(
        organisation_id=uuid4(),
        name="Trust",
        kind=OrganisationKind.NHS_TRUST,
        region=None,
        ods_code=None,
        now=NOW,
    )
    member = Member.register(
        member_id=uuid4(),
        email="kai@example.org",
        display_name="Kai Nowak",
        job_title="Lead",
        organisation=organisation,
        member_type=MemberType.STAFF,
        password_hash="$argon2id$x",
        now=NOW,
    )
    member.pending_events.clear()
    return member


def test_a_rename_is_announced_and_other_edits_are_not() -> None:
    member = a_member()
    member.update_profile(topics=[" Family liaison", "PSIRF", "PSIRF"], contactable=True)
    assert member.topics == ["Family liaison", "PSIRF"]
    assert member.pending_events == []
    member.update_profile(display_name="Kai Nowak-Hughes")
    assert member.pending_events == [
        MemberProfileUpdatedV1(
            member_id=member.id, display_name="Kai Nowak-Hughes", member_type=MemberType.STAFF
        )
    ]


def test_others_see_a_member_only_if_listed_and_active() -> None:
    member, stranger = a_member(), uuid4()
    assert member.visible_to(member.id)
    assert not member.visible_to(stranger)
    member.update_profile(listed_in_directory=True)
    assert member.visible_to(stranger)
    member.set_status(MemberStatus.SUSPENDED, "a reason")
    assert not member.visible_to(stranger)


def test_status_changes_are_announced_once() -> None:
    member = a_member()
    member.set_status(MemberStatus.SUSPENDED, "conduct")
    member.set_status(MemberStatus.SUSPENDED, "conduct")
    assert member.pending_events == [MemberStatusChangedV1(member_id=member.id, status="suspended")]
    assert member.status_reason == "conduct"


def test_erasure_keeps_nothing_but_the_id() -> None:
    member = a_member()
    member.is_instance_admin = True
    member.set_status(MemberStatus.SUSPENDED, "free text an admin wrote about them")
    member.pending_events.clear()
    member.erase()
    assert member.status_reason == ""
    assert member.status == MemberStatus.ERASED
    assert (member.email, member.display_name, member.job_title, member.password_hash) == (
        "",
        "",
        "",
        "",
    )
    assert not member.is_instance_admin
    assert member.pending_events == [MemberErasedV1(member_id=member.id)]
    with pytest.raises(Conflict):
        member.set_status(MemberStatus.ACTIVE, "")
    with pytest.raises(NotInstanceAdmin):
        member.require_instance_admin()
