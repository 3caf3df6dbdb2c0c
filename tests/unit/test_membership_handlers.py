"""Membership's handlers against in-memory fakes: the rules, in milliseconds.

The same handlers run against MongoDB and FerretDB in tests/component and tests/integration;
here the fakes (tests/fakes.py) stand in for the repositories, so every rule is checked
without a server, including what happens when the process stops between two writes.
"""

import asyncio
import contextlib
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID

import pytest
from fakes import Crash, FakeMembers, FakeNetworks, FakeOrganisations, FakePasswords, Outbox
from huddle_membership import privacy
from huddle_membership.access import handlers as access
from huddle_membership.claims import ConcurrentChange
from huddle_membership.members import handlers as members
from huddle_membership.members.domain import EmailAlreadyRegistered, MemberStatus
from huddle_membership.networks import handlers as networks
from huddle_membership.networks.domain import (
    InvitationNotFound,
    InvitationRequired,
    InvitationUsed,
    LastChair,
    NetworkNotFound,
    NotInstanceAdmin,
    NotNetworkAdmin,
    SlugTaken,
)
from huddle_shared.contracts import membership as mc
from huddle_shared.contracts import networks as nc
from huddle_shared.contracts.common import BySlug, Empty, GetById
from huddle_shared.contracts.rpc import Caller
from huddle_shared.errors import Forbidden, Invalid
from huddle_shared.ids import new_id

pytestmark = pytest.mark.unit

PASSWORD = "a long enough password"


class Clock:
    def __init__(self) -> None:
        self.now = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        self.now += timedelta(seconds=1)  # every moment is later than the last
        return self.now


@dataclass
class World:
    outbox: Outbox = field(default_factory=Outbox)
    clock: Clock = field(default_factory=Clock)
    tokens: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.organisations = FakeOrganisations(self.outbox)
        self.members = FakeMembers(self.outbox)
        self.networks = FakeNetworks(self.outbox)
        self.member_deps = members.Dependencies(
            self.organisations, self.members, FakePasswords(), clock=self.clock
        )
        self.network_deps = networks.NetworkDependencies(
            self.networks, self.members, clock=self.clock, new_token=self._token
        )
        self.privacy_deps = privacy.PrivacyDependencies(
            members=self.members,
            parts=(
                networks.NetworksPrivacy(self.network_deps),
                members.MembersPrivacy(self.members),
            ),
        )
        self.organisation_id: UUID | None = None

    def _token(self) -> str:
        self.tokens.append(f"token-{len(self.tokens):04d}-" + "x" * 30)
        return self.tokens[-1]

    async def person(
        self, *, admin: bool = False, email: str = "", member_type: str = "staff"
    ) -> Caller:
        if self.organisation_id is None:
            organisation = await members.register_organisation(
                mc.RegisterOrganisation(name="Leeds Teaching Hospitals", kind="nhs_trust"),
                Caller(),
                self.member_deps,
            )
            self.organisation_id = organisation.id
        account = await members.register_account(
            mc.RegisterAccount(
                email=email or f"m{len(self.members.stored)}@example.org",
                password=PASSWORD,
                display_name=f"Member {len(self.members.stored)}",
                organisation_id=self.organisation_id,
                member_type=member_type,
            ),
            Caller(),
            self.member_deps,
        )
        if admin:
            self.members.stored[account.id].is_instance_admin = True
        return Caller(member_id=account.id)

    async def network(self, chair: Caller, visibility: str = "invite_only") -> str:
        slug = f"net-{len(self.networks.networks)}"
        await networks.create_network(
            nc.CreateNetwork(slug=slug, name=f"Network {slug}", visibility=visibility),
            chair,
            self.network_deps,
        )
        return slug

    async def invite(self, slug: str, admin: Caller, who: Caller, role: str = "member") -> str:
        email = self.members.stored[who.member_id].email  # type: ignore[index]
        view = await networks.invite(
            nc.Invite(slug=slug, email=email, role=role), admin, self.network_deps
        )
        return view.token

    async def add(self, slug: str, admin: Caller, who: Caller, role: str = "member") -> None:
        token = await self.invite(slug, admin, who, role)
        await networks.accept_invitation(nc.AcceptInvitation(token=token), who, self.network_deps)

    def membership(self, slug: str, who: Caller) -> Any:
        return self.networks.memberships.get(f"{slug}:{who.member_id}")

    async def erase(self, who: Caller) -> None:
        await privacy.erase_me(Empty(), who, self.privacy_deps)


@pytest.fixture
def world() -> World:
    return World()


# --- Accounts -----------------------------------------------------------------------------


async def test_accounts_register_once_per_address_and_keep_a_version(world: World) -> None:
    caller = await world.person(email="Ann@Example.org")
    with pytest.raises(EmailAlreadyRegistered):
        await world.person(email="ann@example.ORG")
    with pytest.raises(Invalid):
        await members.register_account(
            mc.RegisterAccount(
                email="b@example.org",
                password=PASSWORD,
                display_name="B",
                organisation_id=new_id(),
                member_type="staff",
            ),
            Caller(),
            world.member_deps,
        )
    assert world.members.stored[caller.member_id].version == 1  # type: ignore[index]
    [registered] = world.outbox.of(mc.MemberRegisteredV1)
    assert registered.member_id == caller.member_id


async def test_profile_edits_are_the_members_own_and_renames_are_announced(world: World) -> None:
    ann = await world.person()
    view = await members.update_me(
        mc.UpdateProfile(display_name="Ann Other", topics=["bb", "Aa", "bb"]),
        ann,
        world.member_deps,
    )
    assert (view.display_name, view.topics) == ("Ann Other", ["Aa", "bb"])
    assert [e.display_name for e in world.outbox.of(mc.MemberProfileUpdatedV1)] == ["Ann Other"]
    seen = await members.get_me(Empty(), ann, world.member_deps)
    assert seen.display_name == "Ann Other"


async def test_only_instance_admins_suspend_and_the_suspended_cannot_edit(world: World) -> None:
    admin, ann, bob = await world.person(admin=True), await world.person(), await world.person()
    suspend = mc.SetMemberStatus(member_id=ann.member_id, status="suspended", reason="r")
    with pytest.raises(Forbidden):
        await members.set_member_status(suspend, bob, world.member_deps)
    await members.set_member_status(suspend, admin, world.member_deps)
    with pytest.raises(Forbidden):
        await members.update_me(mc.UpdateProfile(job_title="x"), ann, world.member_deps)
    with pytest.raises(Forbidden):  # only active members see others
        await members.get_member(GetById(id=bob.member_id), ann, world.member_deps)


async def test_a_stale_write_cannot_undo_an_erasure(world: World) -> None:
    """Member documents carry a version: a profile edit read before an erasure and written
    after it is refused, and the repeat sees the erasure."""
    ann = await world.person()
    stale = await world.members.get(ann.member_id)  # type: ignore[arg-type]
    await world.erase(ann)
    assert stale is not None
    stale.update_profile(display_name="Back again")
    with pytest.raises(ConcurrentChange):
        await world.members.save(stale)
    assert world.members.stored[ann.member_id].status == MemberStatus.ERASED  # type: ignore[index]
    assert world.members.stored[ann.member_id].display_name == ""  # type: ignore[index]


async def test_sign_in_checks_the_password_and_the_status(world: World) -> None:
    class Failures:
        def __init__(self) -> None:
            self.records: dict[str, list[datetime]] = {}

        async def recent(self, key: str) -> list[datetime]:
            return list(self.records.get(key, []))

        async def record(
            self, key: str, now: datetime, keep_after: datetime, account: str | None = None
        ) -> None:
            self.records.setdefault(key, []).append(now)

        async def clear(self, key: str) -> None:
            self.records.pop(key, None)

        def lock(self, key: str) -> Any:
            return contextlib.nullcontext()

    ann = await world.person(email="ann@example.org")
    deps = access.AccessDependencies(
        members=world.members,
        passwords=FakePasswords(),
        failures=Failures(),  # type: ignore[arg-type]
        api_tokens=None,  # type: ignore[arg-type]
        clock=world.clock,
    )
    signed = await access.sign_in(
        mc.SignIn(email="ANN@example.org", password=PASSWORD), Caller(), deps
    )
    assert signed.member_id == ann.member_id
    attacker, ann_at_work = Caller(address="203.0.113.9"), Caller(address="192.0.2.10")
    for _ in range(4):
        with pytest.raises(Exception, match="not right"):
            await access.sign_in(
                mc.SignIn(email="ann@example.org", password="wrong!" * 3), attacker, deps
            )
    with pytest.raises(Exception, match="Too many"):
        await access.sign_in(mc.SignIn(email="ann@example.org", password=PASSWORD), attacker, deps)
    # The attacker's failures slow down the attacker, not Ann elsewhere.
    signed = await access.sign_in(
        mc.SignIn(email="ann@example.org", password=PASSWORD), ann_at_work, deps
    )
    assert signed.member_id == ann.member_id


# --- Networks -----------------------------------------------------------------------------


async def test_creating_a_network_seats_its_founder_as_chair(world: World) -> None:
    admin, ann = await world.person(admin=True), await world.person()
    with pytest.raises(NotInstanceAdmin):
        await world.network(ann)
    slug = await world.network(admin)
    assert world.membership(slug, admin).role == nc.Role.CHAIR
    assert world.networks.networks[slug].founder_seated
    with pytest.raises(SlugTaken):
        await networks.create_network(
            nc.CreateNetwork(slug=slug, name="Again"), admin, world.network_deps
        )
    assert [e.role for e in world.outbox.of(nc.NetworkMemberJoinedV1)] == [nc.Role.CHAIR]


async def test_a_creation_stopped_between_its_two_writes_is_finished(world: World) -> None:
    """The network is written, then the process stops before the chair's membership: the
    next read seats the chair, and so does the next start."""
    admin = await world.person(admin=True)
    world.outbox.crash_before("save_membership")
    with pytest.raises(Crash):
        await world.network(admin)
    (slug,) = world.networks.networks
    assert (
        world.membership(slug, admin) is None and not world.networks.networks[slug].founder_seated
    )

    view = await networks.get_network(BySlug(slug=slug), admin, world.network_deps)
    assert view.my_role == nc.Role.CHAIR
    assert world.networks.networks[slug].founder_seated

    world.outbox.crash_before("save_membership")
    with pytest.raises(Crash):
        await world.network(admin)
    second = "net-1"
    await networks.finish_interrupted_writes(world.network_deps)
    assert world.membership(second, admin).role == nc.Role.CHAIR
    await networks.finish_interrupted_writes(world.network_deps)  # nothing left: no change
    joined = [e.slug for e in world.outbox.of(nc.NetworkMemberJoinedV1)]
    assert joined == [slug, second]


async def test_joining_depends_on_the_network(world: World) -> None:
    admin, ann = await world.person(admin=True), await world.person()
    open_slug = await world.network(admin, "open")
    approval = await world.network(admin, "approval")
    invite_only = await world.network(admin)
    deps = world.network_deps
    joined = await networks.join_network(nc.JoinNetwork(slug=open_slug), ann, deps)
    again = await networks.join_network(nc.JoinNetwork(slug=open_slug), ann, deps)
    assert joined == again and joined.status == nc.JoinStatus.ACTIVE
    asked = await networks.join_network(nc.JoinNetwork(slug=approval, message="hi"), ann, deps)
    assert asked.status == nc.JoinStatus.PENDING and asked.request_id
    with pytest.raises(InvitationRequired):
        await networks.join_network(nc.JoinNetwork(slug=invite_only), ann, deps)
    with pytest.raises(NetworkNotFound):
        await networks.get_network(BySlug(slug=invite_only), ann, deps)
    joins = [e.member_id for e in world.outbox.of(nc.NetworkMemberJoinedV1)]
    assert joins.count(ann.member_id) == 1


async def test_concurrent_joins_make_one_membership(world: World) -> None:
    admin, ann = await world.person(admin=True), await world.person()
    slug = await world.network(admin, "open")
    replies = await asyncio.gather(
        *(
            networks.join_network(nc.JoinNetwork(slug=slug), ann, world.network_deps)
            for _ in range(5)
        )
    )
    assert {reply.status for reply in replies} == {nc.JoinStatus.ACTIVE}
    joins = [e.member_id for e in world.outbox.of(nc.NetworkMemberJoinedV1)]
    assert joins.count(ann.member_id) == 1


async def test_join_requests_are_decided_by_admins_once(world: World) -> None:
    admin, ann, bob = await world.person(admin=True), await world.person(), await world.person()
    slug = await world.network(admin, "approval")
    deps = world.network_deps
    asked = await networks.join_network(nc.JoinNetwork(slug=slug), ann, deps)
    assert asked.request_id is not None
    listed = await networks.list_join_requests(BySlug(slug=slug), admin, deps)
    assert [r.member_id for r in listed] == [ann.member_id]
    decide = nc.DecideJoinRequest(slug=slug, request_id=asked.request_id, approve=True)
    with pytest.raises(NotNetworkAdmin):
        await networks.decide_join_request(decide, bob, deps)
    first = await networks.decide_join_request(decide, admin, deps)
    second = await networks.decide_join_request(decide, admin, deps)
    assert first.status == second.status == nc.JoinStatus.ACTIVE
    assert [e.member_id for e in world.outbox.of(nc.NetworkMemberJoinedV1)][-1] == ann.member_id
    assert len(world.outbox.of(nc.NetworkMemberJoinedV1)) == 2  # the chair, then Ann


# --- Invitations --------------------------------------------------------------------------


async def test_an_invitation_is_for_its_invitee_and_used_once(world: World) -> None:
    admin, ann, bob = await world.person(admin=True), await world.person(), await world.person()
    slug = await world.network(admin)
    token = await world.invite(slug, admin, ann, role="observer")
    accept = nc.AcceptInvitation(token=token)
    with pytest.raises(InvitationNotFound):
        await networks.accept_invitation(accept, bob, world.network_deps)
    replies = await asyncio.gather(
        *(networks.accept_invitation(accept, ann, world.network_deps) for _ in range(4))
    )
    assert {r.status for r in replies} == {nc.JoinStatus.ACTIVE}
    assert world.membership(slug, ann).role == nc.Role.OBSERVER
    assert world.networks.invitations[world.networks.uses.popitem()[0]].used_by == ann.member_id
    joins = [e.member_id for e in world.outbox.of(nc.NetworkMemberJoinedV1)]
    assert joins.count(ann.member_id) == 1


async def test_an_acceptance_stopped_after_its_claim_is_finished(world: World) -> None:
    """The use is claimed, then the process stops before the membership: the invitation is
    not marked used, and a repeat or the next start makes the membership."""
    admin, ann, bob = await world.person(admin=True), await world.person(), await world.person()
    slug = await world.network(admin)
    token = await world.invite(slug, admin, ann, role="facilitator")
    world.outbox.crash_before("save_membership")
    with pytest.raises(Crash):
        await networks.accept_invitation(nc.AcceptInvitation(token=token), ann, world.network_deps)
    assert world.membership(slug, ann) is None
    (invitation,) = (i for i in world.networks.invitations.values() if i.slug == slug)
    assert invitation.used_by is None  # not marked used without a membership
    await networks.finish_interrupted_writes(world.network_deps)
    assert world.membership(slug, ann).role == nc.Role.FACILITATOR
    assert world.networks.invitations[invitation.token_hash].used_by == ann.member_id

    token = await world.invite(slug, admin, bob)
    world.outbox.crash_before("save_membership")
    with pytest.raises(Crash):
        await networks.accept_invitation(nc.AcceptInvitation(token=token), bob, world.network_deps)
    repeat = await networks.accept_invitation(
        nc.AcceptInvitation(token=token), bob, world.network_deps
    )
    assert repeat.status == nc.JoinStatus.ACTIVE


async def test_reading_an_invitation_counts_a_claimed_use_before_it_is_finished(
    world: World,
) -> None:
    """Stopped between the use's claim and the membership: the invitation is not marked used
    yet, but its invitee reads it as accepted (and anyone else, not at all)."""
    admin, ann, bob = await world.person(admin=True), await world.person(), await world.person()
    slug = await world.network(admin)
    token = await world.invite(slug, admin, ann, role="facilitator")
    read = nc.ReadInvitation(token=token)
    preview = await networks.read_invitation(read, ann, world.network_deps)
    assert (preview.slug, preview.role, preview.status) == (
        slug,
        nc.Role.FACILITATOR,
        nc.InvitationStatus.WAITING,
    )
    world.outbox.crash_before("save_membership")
    with pytest.raises(Crash):
        await networks.accept_invitation(nc.AcceptInvitation(token=token), ann, world.network_deps)
    preview = await networks.read_invitation(read, ann, world.network_deps)
    assert preview.status == nc.InvitationStatus.ACCEPTED
    with pytest.raises(InvitationNotFound):
        await networks.read_invitation(read, bob, world.network_deps)
    assert world.membership(slug, ann) is None  # reading finishes nothing


async def test_a_used_invitation_does_not_bring_a_leaver_back(world: World) -> None:
    admin, ann = await world.person(admin=True), await world.person()
    slug = await world.network(admin)
    token = await world.invite(slug, admin, ann)
    await networks.accept_invitation(nc.AcceptInvitation(token=token), ann, world.network_deps)
    await networks.leave_network(BySlug(slug=slug), ann, world.network_deps)
    with pytest.raises(InvitationUsed):
        await networks.accept_invitation(nc.AcceptInvitation(token=token), ann, world.network_deps)


# --- Roles and the last chair -------------------------------------------------------------


async def test_the_last_chair_can_neither_leave_nor_be_demoted(world: World) -> None:
    admin, ann = await world.person(admin=True), await world.person()
    slug = await world.network(admin)
    await world.add(slug, admin, ann, role="facilitator")
    deps = world.network_deps
    with pytest.raises(LastChair):
        await networks.leave_network(BySlug(slug=slug), admin, deps)
    with pytest.raises(LastChair):
        await networks.change_role(
            nc.ChangeRole(slug=slug, member_id=admin.member_id, role="member"), admin, deps
        )
    await networks.change_role(
        nc.ChangeRole(slug=slug, member_id=ann.member_id, role="chair"), admin, deps
    )
    await networks.leave_network(BySlug(slug=slug), admin, deps)
    assert world.membership(slug, ann).role == nc.Role.CHAIR
    with pytest.raises(LastChair):
        await networks.leave_network(BySlug(slug=slug), ann, deps)


async def test_two_chairs_leaving_at_once_leave_one(world: World) -> None:
    admin, ann = await world.person(admin=True), await world.person()
    slug = await world.network(admin)
    await world.add(slug, admin, ann, role="chair")
    results = await asyncio.gather(
        networks.leave_network(BySlug(slug=slug), admin, world.network_deps),
        networks.leave_network(BySlug(slug=slug), ann, world.network_deps),
        return_exceptions=True,
    )
    assert sorted(type(r).__name__ for r in results) == ["LastChair", "NoneType"]
    assert await world.networks.count_chairs(slug) == 1


# --- Erasure and succession ---------------------------------------------------------------


async def test_erasing_the_last_chair_seats_the_longest_standing_facilitator(
    world: World,
) -> None:
    admin, chair, early, late = (
        await world.person(admin=True),
        await world.person(),
        await world.person(),
        await world.person(),
    )
    slug = await world.network(admin)
    await world.add(slug, admin, chair, role="chair")
    await world.add(slug, admin, early, role="facilitator")
    await world.add(slug, admin, late, role="facilitator")
    await networks.leave_network(BySlug(slug=slug), admin, world.network_deps)
    await world.erase(chair)
    assert world.membership(slug, chair) is None
    assert world.membership(slug, early).role == nc.Role.CHAIR
    assert world.membership(slug, late).role == nc.Role.FACILITATOR
    changed = world.outbox.of(nc.NetworkMemberRoleChangedV1)
    assert [(e.member_id, e.role) for e in changed] == [(early.member_id, nc.Role.CHAIR)]
    assert not world.networks.networks[slug].needs_chair
    assert world.outbox.of(mc.MemberErasedV1)[0].member_id == chair.member_id


async def test_erasing_the_last_chair_with_no_facilitator_flags_the_network(
    world: World,
) -> None:
    admin, chair, ann, bob = (
        await world.person(admin=True),
        await world.person(),
        await world.person(),
        await world.person(),
    )
    slug = await world.network(admin)
    await world.add(slug, admin, chair, role="chair")
    await world.add(slug, admin, ann)
    await networks.leave_network(BySlug(slug=slug), admin, world.network_deps)
    await world.erase(chair)
    assert await world.networks.count_chairs(slug) == 0
    assert world.networks.networks[slug].needs_chair
    assert [e.slug for e in world.outbox.of(nc.NetworkNeedsChairV1)] == [slug]

    deps = world.network_deps
    with pytest.raises(NotInstanceAdmin):
        await networks.list_networks_needing_chair(Empty(), ann, deps)
    (flagged,) = await networks.list_networks_needing_chair(Empty(), admin, deps)
    assert flagged.slug == slug and flagged.needs_chair
    # The instance admin steps in: they see the invite-only network and appoint a chair.
    await networks.change_role(
        nc.ChangeRole(slug=slug, member_id=ann.member_id, role="chair"), admin, deps
    )
    assert world.membership(slug, ann).role == nc.Role.CHAIR
    assert not world.networks.networks[slug].needs_chair
    assert await networks.list_networks_needing_chair(Empty(), admin, deps) == []
    with pytest.raises(NetworkNotFound):  # no longer theirs to step into
        await networks.get_network(BySlug(slug=slug), admin, deps)
    assert bob.member_id is not None


async def test_erasure_removes_memberships_and_invitations_and_can_be_repeated(
    world: World,
) -> None:
    admin, ann = await world.person(admin=True), await world.person()
    slug, other = await world.network(admin), await world.network(admin)
    await world.add(slug, admin, ann)
    await world.invite(other, admin, ann)
    export = await privacy.export_me(Empty(), ann, world.privacy_deps)
    assert [m["slug"] for m in export["network_memberships"]] == [slug]
    assert export["account"]["email"]
    # Stop after the networks' part: the account is still there, so erasing again finishes.
    world.outbox.crash_before("members.save")
    with pytest.raises(Crash):
        await world.erase(ann)
    assert world.membership(slug, ann) is None
    assert all(i.slug != other for i in world.networks.invitations.values())
    await world.erase(ann)
    assert world.members.stored[ann.member_id].status == MemberStatus.ERASED  # type: ignore[index]
    assert len(world.outbox.of(mc.MemberErasedV1)) == 1
