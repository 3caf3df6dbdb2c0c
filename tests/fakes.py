"""In-memory fakes of the repositories, with the same interface as the MongoDB ones.

They keep the rules the real adapters keep (unique ids and emails, version checks, a
network's chairs decided one at a time), so handler tests check the rules in milliseconds.
``published`` collects the events each write would have put in its outbox. ``crash_before``
makes the next call of a method raise ``Crash``, as if the process stopped there.
"""

import asyncio
import contextlib
import copy
from collections import defaultdict
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any
from uuid import UUID

from huddle_membership.claims import ConcurrentChange
from huddle_membership.members.domain import (
    EmailAlreadyRegistered,
    Member,
    MemberProfile,
    MemberStatus,
    OdsCodeTaken,
    Organisation,
    OrganisationFacts,
    normalise_email,
)
from huddle_membership.networks.domain import (
    Invitation,
    MembershipStatus,
    Network,
    NetworkMembership,
    SlugTaken,
)
from huddle_membership.networks.repository import InvitationUse
from huddle_shared.contracts.envelope import EventPayload
from huddle_shared.contracts.membership import SearchOrganisations
from huddle_shared.contracts.networks import Role
from huddle_shared.storage.locks import KeyedLocks


class Crash(Exception):
    """The process stopped here."""


@dataclass
class Outbox:
    published: list[EventPayload] = field(default_factory=list)
    _crashes: set[str] = field(default_factory=set)

    def crash_before(self, method: str) -> None:
        self._crashes.add(method)

    def check(self, method: str) -> None:
        if method in self._crashes:
            self._crashes.discard(method)
            raise Crash(method)

    def take(self, events: list[EventPayload]) -> None:
        self.published.extend(events)
        events.clear()

    def of(self, kind: type[EventPayload]) -> list[Any]:
        return [event for event in self.published if isinstance(event, kind)]


class FakePasswords:
    async def hash(self, password: str) -> str:
        return "hashed:" + password

    async def verify(self, password: str, password_hash: str) -> bool:
        return password_hash == "hashed:" + password


class FakeOrganisations:
    def __init__(self, outbox: Outbox) -> None:
        self.outbox = outbox
        self.stored: dict[UUID, Organisation] = {}

    async def add(self, organisation: Organisation) -> None:
        if organisation.ods_code and any(
            o.ods_code == organisation.ods_code for o in self.stored.values()
        ):
            raise OdsCodeTaken(organisation.ods_code)
        self.stored[organisation.id] = copy.deepcopy(organisation)
        self.outbox.take(organisation.pending_events)

    async def get(self, organisation_id: UUID) -> Organisation | None:
        return copy.deepcopy(self.stored.get(organisation_id))

    async def search(self, query: SearchOrganisations) -> tuple[list[Organisation], int]:
        found = sorted(
            (
                o
                for o in self.stored.values()
                if o.name.lower().startswith(query.name_prefix.lower())
                and query.kind in (None, o.kind)
                and query.region in (None, o.region)
            ),
            key=lambda o: (o.name, str(o.id)),
        )
        return found[query.offset : query.offset + query.limit], len(found)

    async def facts(self, organisation_ids: list[str]) -> dict[str, OrganisationFacts]:
        return {
            str(o.id): OrganisationFacts(o.kind.value, o.region.value if o.region else None)
            for o in self.stored.values()
            if str(o.id) in organisation_ids
        }

    async def count(self) -> int:
        return len(self.stored)


class FakeMembers:
    def __init__(self, outbox: Outbox) -> None:
        self.outbox = outbox
        self.stored: dict[UUID, Member] = {}
        self._locks = KeyedLocks()

    def lock(self, member_id: UUID) -> Any:
        return self._locks.hold(member_id)

    async def add(self, member: Member) -> None:
        if any(m.email_normalised == member.email_normalised for m in self.stored.values()):
            raise EmailAlreadyRegistered()
        member.version = 1
        self.stored[member.id] = copy.deepcopy(member)
        self.outbox.take(member.pending_events)

    async def save(self, member: Member) -> None:
        self.outbox.check("members.save")
        if self.stored[member.id].version != member.version:
            raise ConcurrentChange()
        member.version += 1
        self.stored[member.id] = copy.deepcopy(member)
        self.outbox.take(member.pending_events)

    async def get(self, member_id: UUID) -> Member | None:
        return copy.deepcopy(self.stored.get(member_id))

    async def find_by_email(self, email: str) -> Member | None:
        wanted = normalise_email(email)
        for member in self.stored.values():
            if member.email and member.email_normalised == wanted:
                return copy.deepcopy(member)
        return None

    async def profiles(self, member_ids: list[UUID]) -> dict[UUID, MemberProfile]:
        return {
            m.id: MemberProfile(
                m.id,
                m.display_name,
                m.job_title,
                m.email,
                list(m.topics),
                m.listed_in_directory,
                m.contactable,
                m.status,
            )
            for m in self.stored.values()
            if m.id in member_ids
        }

    async def active_by_organisation(self) -> dict[str, int]:
        counts: dict[str, int] = defaultdict(int)
        for member in self.stored.values():
            if member.status == MemberStatus.ACTIVE:
                counts[str(member.organisation_id)] += 1
        return dict(counts)


class FakeNetworks:
    def __init__(self, outbox: Outbox) -> None:
        self.outbox = outbox
        self.networks: dict[str, Network] = {}
        self.memberships: dict[str, NetworkMembership] = {}
        self.invitations: dict[str, Invitation] = {}
        self.uses: dict[str, tuple[InvitationUse, bool]] = {}
        self._locks = KeyedLocks()
        self._turns: dict[str, asyncio.Lock] = defaultdict(asyncio.Lock)

    def network_lock(self, slug: str) -> Any:
        return self._locks.hold(("network", slug))

    def membership_lock(self, slug: str, member_id: UUID) -> Any:
        return self._locks.hold(("membership", slug, member_id))

    def invitation_lock(self, token_hash: str) -> Any:
        return self._locks.hold(("invitation", token_hash))

    @contextlib.asynccontextmanager
    async def chair_turn(self, slug: str) -> AsyncIterator[None]:
        async with self._turns[slug]:
            yield

    async def add_network(self, network: Network) -> None:
        self.outbox.check("add_network")
        if network.slug in self.networks:
            raise SlugTaken(network.slug)
        network.version = 1
        self.networks[network.slug] = copy.deepcopy(network)
        self.outbox.take(network.pending_events)

    async def save_network(self, network: Network) -> None:
        if self.networks[network.slug].version != network.version:
            raise ConcurrentChange()
        network.version += 1
        self.networks[network.slug] = copy.deepcopy(network)
        self.outbox.take(network.pending_events)

    async def get_network(self, slug: str) -> Network | None:
        return copy.deepcopy(self.networks.get(slug))

    async def all_networks(self) -> list[Network]:
        return [copy.deepcopy(n) for _, n in sorted(self.networks.items())]

    async def networks_where(self, **flags: bool) -> list[Network]:
        return [
            n
            for n in await self.all_networks()
            if all(getattr(n, flag) == value for flag, value in flags.items())
        ]

    async def count_networks(self) -> int:
        return len(self.networks)

    async def save_membership(self, membership: NetworkMembership) -> None:
        self.outbox.check("save_membership")
        stored = self.memberships.get(membership.id)
        if (stored.version if stored else 0) != membership.version:
            raise ConcurrentChange()
        membership.version += 1
        self.memberships[membership.id] = copy.deepcopy(membership)
        self.outbox.take(membership.pending_events)

    async def delete_membership(self, membership: NetworkMembership) -> None:
        self.memberships.pop(membership.id, None)

    async def get_membership(self, slug: str, member_id: UUID) -> NetworkMembership | None:
        return copy.deepcopy(self.memberships.get(f"{slug}:{member_id}"))

    async def memberships_of(self, member_id: UUID) -> dict[str, NetworkMembership]:
        return {
            m.slug: copy.deepcopy(m) for m in self.memberships.values() if m.member_id == member_id
        }

    async def export_memberships(self, member_id: UUID) -> list[dict[str, Any]]:
        return [
            {"_id": m.id, "slug": m.slug, "role": m.role.value, "status": m.status.value}
            for m in self.memberships.values()
            if m.member_id == member_id
        ]

    async def find_request(self, slug: str, request_id: UUID) -> NetworkMembership | None:
        for m in self.memberships.values():
            if m.slug == slug and m.request_id == request_id:
                return copy.deepcopy(m)
        return None

    async def listed_roster(self, slug: str, build: Any) -> Any:
        return await build()

    async def roster(self, slug: str) -> list[tuple[UUID, Role]]:
        active = await self.with_status(slug, MembershipStatus.ACTIVE)
        return [(m.member_id, m.role) for m in active]

    async def with_status(self, slug: str, status: MembershipStatus) -> list[NetworkMembership]:
        return [
            copy.deepcopy(m)
            for m in self.memberships.values()
            if m.slug == slug and m.status == status
        ]

    async def count_chairs(self, slug: str) -> int:
        active = await self.with_status(slug, MembershipStatus.ACTIVE)
        return sum(1 for m in active if m.role == Role.CHAIR)

    async def add_invitation(self, invitation: Invitation) -> None:
        self.invitations[invitation.token_hash] = copy.deepcopy(invitation)

    async def get_invitation(self, token_hash: str) -> Invitation | None:
        return copy.deepcopy(self.invitations.get(token_hash))

    async def invitations_for(self, slug: str) -> list[Invitation]:
        found = [copy.deepcopy(i) for i in self.invitations.values() if i.slug == slug]
        return sorted(found, key=lambda invitation: invitation.created_at, reverse=True)

    async def claim_use(self, use: InvitationUse) -> InvitationUse:
        if use.token_hash in self.uses:
            return self.uses[use.token_hash][0]
        self.uses[use.token_hash] = (use, False)
        return use

    async def use_of(self, token_hash: str) -> InvitationUse | None:
        found = self.uses.get(token_hash)
        return found[0] if found else None

    async def unfinished_uses(self) -> list[InvitationUse]:
        return [use for use, completed in self.uses.values() if not completed]

    async def complete_use(self, use: InvitationUse) -> None:
        invitation = self.invitations[use.token_hash]
        invitation.used_by, invitation.used_at = use.member_id, use.used_at
        self.uses[use.token_hash] = (use, True)

    async def erase_traces_of(self, member_id: UUID) -> None:
        for token_hash in [h for h, (use, _) in self.uses.items() if use.member_id == member_id]:
            del self.uses[token_hash]

    async def erase_invitations_to(self, email_normalised: str) -> None:
        for token_hash in [
            h for h, i in self.invitations.items() if i.email_normalised == email_normalised
        ]:
            del self.invitations[token_hash]


# --- The thin services' projections ------------------------------------------------------


class Projection:
    """Documents by id, with ``apply_once``'s rules: an event applies once, and a tombstone
    (erasure) is never updated again."""

    def __init__(self) -> None:
        self.documents: dict[str, dict[str, Any]] = {}
        self.applied: dict[str, set[str]] = defaultdict(set)
        self.erased: set[str] = set()

    def apply(self, doc_id: str, event_id: str, change: Any) -> bool:
        if doc_id in self.erased or event_id in self.applied[doc_id]:
            return False
        self.applied[doc_id].add(event_id)
        change(self.documents.setdefault(doc_id, {}))
        return True

    def erase(self, doc_id: str, event_id: str) -> None:
        self.documents.pop(doc_id, None)
        self.erased.add(doc_id)
        self.applied[doc_id] = {event_id}

    def read(self, doc_id: str) -> dict[str, Any] | None:
        document = self.documents.get(doc_id)
        if document is None:
            return None
        return {"_id": doc_id, **{k: v for k, v in document.items() if k != "_sequences"}}


class FakeAttendees(Projection):
    """In memory; applies in order as the real one does (no older event overwrites a field)."""

    def _in_order(self, member_id: str, envelope: Any, fields: dict[str, Any]) -> bool:
        sequence = envelope.sequence or 0

        def update(document: dict[str, Any]) -> None:
            seen = document.setdefault("_sequences", {})
            for name, value in fields.items():
                if not sequence or seen.get(name, 0) < sequence:
                    document[name] = value
                    seen[name] = sequence

        return self.apply(member_id, str(envelope.event_id), update)

    async def record(self, attendee: Any, *, envelope: Any) -> bool:
        fields = {
            "display_name": attendee.display_name,
            "member_type": attendee.member_type.value,
            "listed": attendee.listed,
            "is_instance_admin": attendee.is_instance_admin,
        }
        return self._in_order(str(attendee.member_id), envelope, fields)

    async def set_instance_admin(
        self, member_id: UUID, is_instance_admin: bool, *, envelope: Any
    ) -> bool:
        return self._in_order(str(member_id), envelope, {"is_instance_admin": is_instance_admin})

    async def rename(
        self, member_id: UUID, display_name: str, *, listed: bool, envelope: Any
    ) -> bool:
        fields = {"display_name": display_name, "listed": listed}
        return self._in_order(str(member_id), envelope, fields)

    async def forget(self, member_id: UUID, *, event_id: str) -> None:
        self.erase(str(member_id), event_id)

    async def export(self, member_id: UUID) -> dict[str, Any] | None:
        return self.read(str(member_id))


class FakeOrganisationDirectory:
    def __init__(self) -> None:
        self.organisations = Projection()
        self.members = Projection()

    async def record(self, organisation: Any, *, event_id: str) -> bool:
        fields = {"name": organisation.name, "kind": organisation.kind.value}
        return self.organisations.apply(
            str(organisation.organisation_id), event_id, lambda d: d.update(fields)
        )

    async def record_member(self, member_id: UUID, organisation_id: UUID, *, event_id: str) -> bool:
        fields = {"organisation_id": str(organisation_id)}
        return self.members.apply(str(member_id), event_id, lambda d: d.update(fields))

    async def member_count(self, organisation_id: UUID) -> int:
        wanted = str(organisation_id)
        return sum(1 for d in self.members.documents.values() if d["organisation_id"] == wanted)

    async def forget(self, member_id: UUID, *, event_id: str) -> None:
        self.members.erase(str(member_id), event_id)

    async def export(self, member_id: UUID) -> dict[str, Any] | None:
        return self.members.read(str(member_id))


class FakeMemberProfiles(Projection):
    async def record(self, profile: Any, *, event_id: str) -> bool:
        fields = {
            "organisation_kind": profile.organisation_kind.value,
            "member_type": profile.member_type.value,
        }
        return self.apply(str(profile.member_id), event_id, lambda d: d.update(fields))

    async def forget(self, member_id: UUID, *, event_id: str) -> None:
        self.erase(str(member_id), event_id)

    async def export(self, member_id: UUID) -> dict[str, Any] | None:
        return self.read(str(member_id))

    async def count_by_organisation_kind(self) -> dict[str, int]:
        counts: dict[str, int] = defaultdict(int)
        for document in self.documents.values():
            counts[document["organisation_kind"]] += 1
        return dict(counts)
