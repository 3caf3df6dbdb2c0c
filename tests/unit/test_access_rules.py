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
LIMITS = access.SignInLimits(
    per_account_and_address=access.Backoff(
        free=4, first=timedelta(seconds=2), longest=timedelta(minutes=15)
    ),
    per_address=access.Backoff(free=20, first=timedelta(seconds=1), longest=timedelta(minutes=1)),
)


def failures(count: int, seconds_ago: float = 0) -> list[datetime]:
    return [NOW - timedelta(seconds=seconds_ago)] * count


def retry_after(pair: list[datetime], address: list[datetime]) -> int | None:
    try:
        access.check_not_throttled(pair, address, NOW, LIMITS)
    except TooManyRequests as exc:
        return exc.retry_after_seconds
    return None


def test_a_few_failures_are_free_then_each_one_doubles_the_wait_up_to_a_cap() -> None:
    assert retry_after(failures(3), []) is None
    assert [retry_after(failures(n), []) for n in (4, 5, 6, 7)] == [2, 4, 8, 16]
    assert retry_after(failures(30), []) == 15 * 60
    assert retry_after(failures(10_000), []) == 15 * 60  # no overflow, still the cap


def test_the_wait_counts_from_the_last_failure_and_old_failures_are_forgotten() -> None:
    assert retry_after(failures(5, seconds_ago=3), []) == 1
    assert retry_after(failures(5, seconds_ago=4), []) is None
    assert retry_after(failures(50, seconds_ago=16 * 60), []) is None


def test_an_address_gets_more_free_failures_and_a_shorter_longest_wait() -> None:
    assert retry_after([], failures(19)) is None
    assert retry_after([], failures(20)) == 1
    assert retry_after([], failures(500)) == 60
    assert retry_after(failures(6), failures(21)) == 8  # the longer wait of the two


def test_account_keys_do_not_store_the_email_or_address() -> None:
    pair = access.account_and_address_key("a@example.org", "192.0.2.1")
    assert "example.org" not in pair and "192.0.2.1" not in pair
    assert pair != access.account_and_address_key("a@example.org", "192.0.2.2")
    assert pair != access.account_and_address_key("b@example.org", "192.0.2.1")


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


def test_every_profile_change_is_announced_and_an_edit_that_changes_nothing_is_not() -> None:
    # Consents too: membership's other replicas drop what they kept of the member on it.
    member = a_member()
    announced = MemberProfileUpdatedV1(
        member_id=member.id,
        display_name=member.display_name,
        member_type=MemberType.STAFF,
        topics=["Family liaison", "PSIRF"],  # signposting lists people who know by topic
    )
    member.update_profile(topics=[" Family liaison", "PSIRF", "PSIRF"], contactable=True)
    assert member.topics == ["Family liaison", "PSIRF"]
    assert member.pending_events == [announced]
    member.pending_events.clear()
    member.update_profile(topics=["PSIRF", "Family liaison"], contactable=True)  # the same
    assert member.pending_events == []
    member.update_profile(display_name="Kai Nowak-Hughes")
    assert member.pending_events == [
        announced.model_copy(update={"display_name": "Kai Nowak-Hughes"})
    ]
    member.pending_events.clear()
    member.update_profile(listed_as_expert=True)  # the consent to be found by topic
    assert member.pending_events == [
        announced.model_copy(update={"display_name": "Kai Nowak-Hughes", "listed_as_expert": True})
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
