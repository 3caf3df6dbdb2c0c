from dataclasses import replace
from datetime import UTC, datetime, timedelta
from uuid import UUID, uuid4

import pytest
from huddle_membership.members.domain import Member
from huddle_membership.networks.domain import (
    AlreadyDecided,
    ChairsOnly,
    GroundRulesNotAccepted,
    Invitation,
    InvitationExpired,
    InvitationNotFound,
    InvitationRequired,
    InvitationUsed,
    JoinRequestNotFound,
    LastChair,
    MembershipStatus,
    MemberTypeNotAllowed,
    Network,
    NetworkMembership,
    NotAMember,
    NotAnAcronym,
    NotANetworkMember,
    NotInGoodStanding,
    NotInstanceAdmin,
    NotNetworkAdmin,
    UnknownParent,
    can_see,
    invitation_token_hash,
    require_instance_admin,
    require_may_assign,
    require_network_admin,
    standing_membership,
)
from huddle_shared.contracts.membership import MemberType
from huddle_shared.contracts.networks import (
    InvitationStatus,
    NetworkCreatedV1,
    NetworkMemberJoinedV1,
    NetworkMemberLeftV1,
    NetworkMemberRoleChangedV1,
    NetworkUpdatedV1,
    Role,
    Visibility,
)

pytestmark = pytest.mark.unit

NOW = datetime(2026, 11, 20, 9, 30, tzinfo=UTC)
LATER = NOW + timedelta(hours=1)


def a_network(visibility: Visibility = Visibility.OPEN, **overrides: object) -> Network:
    fields: dict[str, object] = {
        "slug": "psmn",
        "name": "Patient Safety Management Network",
        "purpose": "Peer support for patient safety managers",
        "parent_slug": None,
        "parent": None,
        "visibility": visibility,
        "allowed_member_types": [],
        "ground_rules": [],  # the ground rules' own tests give some
        "glossary": {"PSIRF": "Patient Safety Incident Response Framework"},
        "region": None,
        "created_by": uuid4(),
        "now": NOW,
    }
    network = Network.create(**(fields | overrides))  # type: ignore[arg-type]
    network.pending_events.clear()
    return network


def a_member(
    email: str = "Priya.Shah@example.org",
    member_type: MemberType = MemberType.STAFF,
    status: str = "active",
    is_instance_admin: bool = False,
) -> Member:
    return Member(
        id=uuid4(),
        email=email,
        display_name="Priya Shah",
        job_title="Patient safety specialist",
        organisation_id=uuid4(),
        member_type=member_type,
        password_hash="$argon2id$...",
        status=status,
        registered_at=NOW,
        is_instance_admin=is_instance_admin,
    )


def active(role: Role = Role.MEMBER, slug: str = "psmn") -> NetworkMembership:
    membership = NetworkMembership.outsider(slug, uuid4())
    membership.status, membership.role, membership.joined_at = MembershipStatus.ACTIVE, role, NOW
    return membership


# --- Networks -----------------------------------------------------------------------------


def test_creating_a_network_records_its_event() -> None:
    network = Network.create(
        slug="paediatric-leaders",
        name="Paediatric Leaders",
        purpose="",
        parent_slug="psmn",
        parent=a_network(),
        visibility=Visibility.INVITE_ONLY,
        allowed_member_types=[MemberType.STAFF, MemberType.STAFF],
        ground_rules=[],
        glossary={"LfPSE": "Learn from Patient Safety Events", "SI": "Serious incident"},
        region=None,
        created_by=uuid4(),
        now=NOW,
    )
    assert network.allowed_member_types == [MemberType.STAFF]
    assert network.pending_events == [
        NetworkCreatedV1(
            slug="paediatric-leaders",
            name="Paediatric Leaders",
            parent_slug="psmn",
            visibility=Visibility.INVITE_ONLY,
            region=None,
            glossary={"LfPSE": "Learn from Patient Safety Events", "SI": "Serious incident"},
        )
    ]


def test_a_parent_must_exist() -> None:
    with pytest.raises(UnknownParent) as caught:
        a_network(slug="spin-off", parent_slug="nowhere", parent=None)
    assert caught.value.errors[0].field == "parent_slug"
    with pytest.raises(UnknownParent):  # a network that is not the one named
        a_network(slug="spin-off", parent_slug="nowhere", parent=a_network())


@pytest.mark.parametrize("key", ["Swarm", "after action review", "psirf", "A", "P S"])
def test_glossary_keys_must_be_acronyms(key: str) -> None:
    with pytest.raises(NotAnAcronym) as caught:
        a_network(glossary={"PSIRF": "Patient Safety Incident Response Framework", key: "x y"})
    assert [error.field for error in caught.value.errors] == [f"glossary.{key}"]


@pytest.mark.parametrize("key", ["PSIRF", "LfPSE", "AAR", "SI", "AfC", "PSII-2", "A&E"])
def test_acronyms_are_accepted(key: str) -> None:
    assert key in a_network(glossary={key: "stands for"}).glossary


def test_updating_records_one_event_only_when_something_changes() -> None:
    network = a_network()
    assert network.update(name=network.name, purpose=None) is False
    assert network.pending_events == []
    assert network.update(visibility=Visibility.APPROVAL, glossary={"AAR": "After action review"})
    assert network.pending_events == [
        NetworkUpdatedV1(
            slug="psmn",
            name=network.name,
            visibility=Visibility.APPROVAL,
            region=None,
            glossary={"AAR": "After action review"},
            ground_rules=network.ground_rules,
        )
    ]
    with pytest.raises(NotAnAcronym):
        network.update(glossary={"huddle": "not an acronym"})
    assert network.glossary == {"AAR": "After action review"}


# --- Visibility and rights ------------------------------------------------------------------


def test_invite_only_networks_are_visible_to_their_active_members_only() -> None:
    secret = a_network(Visibility.INVITE_ONLY)
    assert can_see(a_network(Visibility.OPEN), None)
    assert can_see(a_network(Visibility.APPROVAL), None)
    assert not can_see(secret, None)
    pending = NetworkMembership.outsider("psmn", uuid4())
    pending.status = MembershipStatus.PENDING
    assert not can_see(secret, pending)
    assert can_see(secret, active())


def test_a_suspended_account_has_no_standing_in_its_networks() -> None:
    membership = active(Role.CHAIR)
    assert standing_membership(a_member(), membership) is membership
    assert standing_membership(a_member(status="suspended"), membership) is None


def test_only_active_instance_admins_create_networks() -> None:
    require_instance_admin(a_member(is_instance_admin=True))
    for member in (a_member(), a_member(is_instance_admin=True, status="suspended")):
        with pytest.raises(NotInstanceAdmin):
            require_instance_admin(member)


def test_chairs_and_facilitators_are_admins() -> None:
    for role in (Role.CHAIR, Role.FACILITATOR):
        require_network_admin(active(role))
    for membership in (None, active(Role.NOTE_TAKER), active(Role.MEMBER)):
        with pytest.raises(NotNetworkAdmin):
            require_network_admin(membership)
    left = active(Role.CHAIR)
    left.status = MembershipStatus.LEFT
    with pytest.raises(NotNetworkAdmin):
        require_network_admin(left)


def test_only_chairs_appoint_or_change_chairs() -> None:
    require_may_assign(active(Role.CHAIR), Role.MEMBER, Role.CHAIR)
    require_may_assign(active(Role.FACILITATOR), Role.MEMBER, Role.NOTE_TAKER)
    with pytest.raises(ChairsOnly):
        require_may_assign(active(Role.FACILITATOR), None, Role.CHAIR)
    with pytest.raises(ChairsOnly):
        require_may_assign(active(Role.FACILITATOR), Role.CHAIR, Role.MEMBER)
    with pytest.raises(NotNetworkAdmin):
        require_may_assign(active(Role.MEMBER), Role.MEMBER, Role.OBSERVER)


# --- Joining ----------------------------------------------------------------------------------


def test_joining_an_open_network_makes_a_member_once() -> None:
    membership = NetworkMembership.outsider("psmn", uuid4())
    assert membership.join(a_network(), message="", request_id=uuid4(), now=NOW)
    assert membership.is_active and membership.role == Role.MEMBER
    assert membership.pending_events == [
        NetworkMemberJoinedV1(slug="psmn", member_id=membership.member_id, role=Role.MEMBER)
    ]
    membership.pending_events.clear()
    assert not membership.join(a_network(), message="", request_id=uuid4(), now=LATER)
    assert membership.pending_events == [] and membership.joined_at == NOW


def test_asking_to_join_an_approval_network_keeps_one_request() -> None:
    membership = NetworkMembership.outsider("psmn", uuid4())
    first = uuid4()
    network = a_network(Visibility.APPROVAL)
    assert membership.join(network, message="I lead PSIRF work", request_id=first, now=NOW)
    assert membership.status == MembershipStatus.PENDING
    assert not membership.join(network, message="again", request_id=uuid4(), now=LATER)
    assert (membership.request_id, membership.message) == (first, "I lead PSIRF work")
    assert membership.pending_events == []  # nobody has joined yet


def test_invite_only_networks_cannot_be_joined_without_an_invitation() -> None:
    network = a_network(Visibility.INVITE_ONLY)
    with pytest.raises(InvitationRequired):
        NetworkMembership.outsider("psmn", uuid4()).join(
            network, message="", request_id=uuid4(), now=NOW
        )
    member = active()
    assert not member.join(network, message="", request_id=uuid4(), now=NOW)  # already in


RULES = ["What is said here stays here"]


@pytest.mark.parametrize("visibility", [Visibility.OPEN, Visibility.APPROVAL])
def test_joining_a_network_with_ground_rules_needs_them_accepted(visibility: Visibility) -> None:
    network, membership = (
        a_network(visibility, ground_rules=RULES),
        NetworkMembership.outsider("psmn", uuid4()),
    )
    with pytest.raises(GroundRulesNotAccepted) as caught:
        membership.join(network, message="", request_id=uuid4(), now=NOW)
    assert [(e.field, e.message) for e in caught.value.errors] == [
        ("accepted_ground_rules", "Accept the network's ground rules to join")
    ]
    assert membership == NetworkMembership.outsider("psmn", membership.member_id)  # unchanged
    assert membership.pending_events == []
    assert membership.join(
        network, message="", request_id=uuid4(), now=LATER, accepted_ground_rules=True
    )
    assert membership.ground_rules_accepted_at == LATER


def test_without_ground_rules_there_is_nothing_to_accept() -> None:
    membership = NetworkMembership.outsider("psmn", uuid4())
    assert membership.join(a_network(), message="", request_id=uuid4(), now=NOW)
    assert membership.ground_rules_accepted_at is None


def pending_request() -> tuple[NetworkMembership, UUID]:
    membership, request_id = NetworkMembership.outsider("psmn", uuid4()), uuid4()
    membership.join(a_network(Visibility.APPROVAL), message="", request_id=request_id, now=NOW)
    return membership, request_id


def test_approving_twice_approves_once() -> None:
    membership, request_id = pending_request()
    admin = uuid4()
    assert membership.approve(request_id, decided_by=admin, message="Welcome", now=LATER)
    assert membership.is_active and membership.decided_by == admin
    assert len(membership.pending_events) == 1
    assert not membership.approve(request_id, decided_by=admin, message="", now=LATER)
    assert len(membership.pending_events) == 1


def test_a_declined_request_cannot_be_approved_nor_an_approved_one_declined() -> None:
    declined, request_id = pending_request()
    assert declined.decline(request_id, decided_by=uuid4(), message="Not this time", now=LATER)
    assert not declined.decline(request_id, decided_by=uuid4(), message="", now=LATER)
    with pytest.raises(AlreadyDecided):
        declined.approve(request_id, decided_by=uuid4(), message="", now=LATER)
    approved, request_id = pending_request()
    approved.approve(request_id, decided_by=uuid4(), message="", now=LATER)
    with pytest.raises(AlreadyDecided):
        approved.decline(request_id, decided_by=uuid4(), message="", now=LATER)
    with pytest.raises(JoinRequestNotFound):
        approved.approve(uuid4(), decided_by=uuid4(), message="", now=LATER)


def test_after_a_decline_a_member_may_ask_again_with_a_new_request() -> None:
    membership, old = pending_request()
    membership.decline(old, decided_by=uuid4(), message="", now=LATER)
    new = uuid4()
    assert membership.join(a_network(Visibility.APPROVAL), message="", request_id=new, now=LATER)
    assert membership.status == MembershipStatus.PENDING and membership.request_id == new
    with pytest.raises(JoinRequestNotFound):
        membership.approve(old, decided_by=uuid4(), message="", now=LATER)


# --- Roles and leaving ------------------------------------------------------------------------


def test_the_last_chair_can_be_neither_demoted_nor_leave() -> None:
    chair = active(Role.CHAIR)
    with pytest.raises(LastChair):
        chair.change_role(Role.MEMBER, chairs=1)
    with pytest.raises(LastChair):
        chair.leave(chairs=1, now=NOW)
    assert chair.is_active and chair.pending_events == []
    assert chair.change_role(Role.FACILITATOR, chairs=2)
    assert chair.pending_events == [
        NetworkMemberRoleChangedV1(slug="psmn", member_id=chair.member_id, role=Role.FACILITATOR)
    ]
    assert not chair.change_role(Role.FACILITATOR, chairs=1)  # unchanged: no event


def test_leaving_records_its_event_and_needs_a_membership() -> None:
    member = active()
    member.leave(chairs=1, now=NOW)
    assert member.status == MembershipStatus.LEFT
    assert member.pending_events == [NetworkMemberLeftV1(slug="psmn", member_id=member.member_id)]
    with pytest.raises(NotAMember):
        member.leave(chairs=1, now=NOW)
    with pytest.raises(NotANetworkMember):
        member.change_role(Role.OBSERVER, chairs=1)


# --- Invitations ----------------------------------------------------------------------------


def an_invitation(email: str = "priya.shah@EXAMPLE.org", role: Role = Role.MEMBER) -> Invitation:
    return Invitation.issue(
        token="t" * 43, slug="psmn", email=email, role=role, invited_by=uuid4(), now=NOW
    )


def test_an_invitation_stores_only_the_token_hash_and_lasts_28_days() -> None:
    invitation = an_invitation()
    assert invitation.token_hash == invitation_token_hash("t" * 43) != "t" * 43
    assert len(invitation.token_hash) == 64
    assert invitation.email_normalised == "priya.shah@example.org"
    assert invitation.expires_at == NOW + timedelta(days=28)


def test_an_invitation_is_for_its_address_only_and_used_once() -> None:
    invitation, network = an_invitation(), a_network(Visibility.INVITE_ONLY)
    with pytest.raises(InvitationNotFound):
        invitation.accept(a_member("someone.else@example.org"), network, LATER)
    invitee = a_member()
    assert invitation.accept(invitee, network, LATER)
    assert (invitation.used_by, invitation.used_at) == (invitee.id, LATER)
    assert not invitation.accept(invitee, network, LATER)  # the same member again: a repeat
    same_address = a_member()  # another account cannot use it (even with the same address)
    with pytest.raises(InvitationNotFound):
        invitation.accept(same_address, network, LATER)


def test_an_invitation_shows_its_invitee_whether_it_waits_was_accepted_or_expired() -> None:
    invitation, invitee = an_invitation(), a_member()
    with pytest.raises(InvitationNotFound):
        invitation.status_for(a_member("someone.else@example.org"), LATER)
    assert invitation.status_for(invitee, LATER) == InvitationStatus.WAITING
    assert invitation.status_for(invitee, NOW + timedelta(days=28)) == InvitationStatus.EXPIRED
    invitation.accept(invitee, a_network(), LATER)
    assert invitation.status_for(invitee, NOW + timedelta(days=28)) == InvitationStatus.ACCEPTED
    with pytest.raises(InvitationNotFound):  # used: another account with the address sees none
        invitation.status_for(a_member(), LATER)


def test_an_expired_invitation_cannot_be_used() -> None:
    invitation = an_invitation()
    with pytest.raises(InvitationExpired):
        invitation.accept(a_member(), a_network(), NOW + timedelta(days=28))
    assert invitation.used_by is None


def test_allowed_member_types_are_checked_at_acceptance() -> None:
    network = a_network(Visibility.INVITE_ONLY, allowed_member_types=[MemberType.STAFF])
    with pytest.raises(MemberTypeNotAllowed):
        an_invitation().accept(a_member(member_type=MemberType.RESEARCHER), network, LATER)
    assert an_invitation().accept(a_member(member_type=MemberType.STAFF), network, LATER)


def test_a_suspended_member_cannot_accept() -> None:
    with pytest.raises(NotInGoodStanding):
        an_invitation().accept(a_member(status="suspended"), a_network(), LATER)


def test_accepting_an_invitation_to_a_network_with_ground_rules_needs_them_accepted() -> None:
    invitation, network = an_invitation(), a_network(Visibility.INVITE_ONLY, ground_rules=RULES)
    with pytest.raises(GroundRulesNotAccepted):
        invitation.accept(a_member(), network, LATER)
    assert invitation.used_by is None
    assert invitation.accept(a_member(), network, LATER, accepted_ground_rules=True)


@pytest.mark.parametrize(
    ("member", "network", "when", "refused"),
    [
        (a_member(), a_network(), LATER, None),
        (a_member(status="suspended"), a_network(), LATER, NotInGoodStanding),
        (
            a_member(member_type=MemberType.RESEARCHER),
            a_network(allowed_member_types=[MemberType.STAFF]),
            LATER,
            MemberTypeNotAllowed,
        ),
        (a_member(), a_network(), NOW + timedelta(days=28), InvitationExpired),
    ],
)
def test_the_preview_refuses_exactly_what_accepting_refuses(
    member: Member, network: Network, when: datetime, refused: type[Exception] | None
) -> None:
    """The invitee's preview answers with accepting's own rule: it never offers to accept
    what accepting would refuse, and says why in accepting's words."""
    preview = an_invitation().refusal_for(member, network, when)
    if refused is None:
        assert preview is None
        assert an_invitation().accept(member, network, when)
        return
    with pytest.raises(refused) as caught:  # type: ignore[arg-type]
        an_invitation().accept(member, network, when)
    assert preview == str(caught.value)
    with pytest.raises(InvitationNotFound):  # to anyone else it does not exist, as ever
        an_invitation().refusal_for(a_member("someone.else@example.org"), network, when)


def test_accepting_joins_with_the_invited_role_and_cannot_rejoin_after_leaving() -> None:
    invitation, invitee = an_invitation(role=Role.FACILITATOR), a_member()
    invitation.accept(invitee, a_network(), LATER)
    membership = NetworkMembership.outsider("psmn", invitee.id)
    assert membership.accept_invitation(invitation, LATER, ground_rules_accepted_at=LATER)
    assert membership.role == Role.FACILITATOR and len(membership.pending_events) == 1
    assert membership.ground_rules_accepted_at == LATER
    assert not membership.accept_invitation(invitation, LATER)
    membership.leave(chairs=1, now=LATER + timedelta(minutes=1))
    with pytest.raises(InvitationUsed):
        membership.accept_invitation(invitation, LATER + timedelta(minutes=2))


def test_accepting_leaves_an_active_member_as_they_are() -> None:
    chair = active(Role.CHAIR)
    invitation = replace(an_invitation(role=Role.OBSERVER), used_by=chair.member_id, used_at=NOW)
    assert not chair.accept_invitation(invitation, NOW)
    assert chair.role == Role.CHAIR


def test_an_invitation_is_pending_until_used_or_past_its_date() -> None:
    invitation, expiry = an_invitation(), NOW + timedelta(days=28)
    assert invitation.status_at(expiry - timedelta(seconds=1)) == InvitationStatus.PENDING
    assert invitation.status_at(expiry) == InvitationStatus.EXPIRED
    invitation.accept(a_member(), a_network(Visibility.INVITE_ONLY), LATER)
    assert invitation.status_at(expiry + timedelta(days=1)) == InvitationStatus.ACCEPTED


def test_a_network_created_event_from_before_the_glossary_still_reads() -> None:
    old = {
        "slug": "psmn",
        "name": "PSMN",
        "parent_slug": None,
        "visibility": "open",
        "region": None,
    }
    assert NetworkCreatedV1.model_validate(old).glossary == {}
