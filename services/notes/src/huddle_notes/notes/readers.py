"""``ports.Readers``: who may read a network's library, decided from notes' projections.

Members of the network and instance admins; when a spin-off's themes settings say
``open_to_parent``, members of its parent network too. A member of a sibling network never
reads it. Refusals follow scheduling's rule: 404 for a network unknown or invite-only (the
caller learns nothing exists), 403 for open and approval networks.
"""

from dataclasses import dataclass
from uuid import UUID

from huddle_shared.contracts.networks import Visibility
from huddle_shared.contracts.rpc import Caller
from huddle_shared.errors import Forbidden, NotFound, require_member
from huddle_shared.projections.network_roster import NetworkRoster

from huddle_notes.notes.domain import Standing
from huddle_notes.notes.repository import Members, NetworkFacts, Networks, NetworkThemes


def no_network(slug: str) -> NotFound:
    return NotFound(f"There is no network '{slug}'.")


@dataclass
class StoredReaders:
    roster: NetworkRoster
    members: Members
    networks: Networks
    themes: NetworkThemes

    async def _reads(self, network: NetworkFacts, member_id: UUID) -> bool:
        if await self.roster.role_of(network.slug, member_id) is not None:
            return True
        if await self.members.is_instance_admin(member_id):
            return True
        if network.parent_slug is None:
            return False
        _, open_to_parent = await self.themes.get(network.slug)
        return (
            open_to_parent and await self.roster.role_of(network.parent_slug, member_id) is not None
        )

    async def may_read(self, slug: str, caller: Caller) -> bool:
        network = await self.networks.get(slug)
        if network is None or caller.member_id is None:
            return False
        return await self._reads(network, caller.member_id)

    async def readable_networks(self, caller: Caller) -> set[str]:
        if caller.member_id is None:
            return set()
        if await self.members.is_instance_admin(caller.member_id):
            return await self.networks.all_slugs()
        mine = set(await self.roster.networks_of(caller.member_id))
        children = await self.networks.children_of(mine) if mine else []
        opened = await self.themes.open_to_parent(children) if children else set()
        return mine | opened

    async def require_reader(self, slug: str, caller: Caller) -> None:
        await self.standing(slug, caller)

    async def may_write(self, slug: str, caller: Caller) -> bool:
        _, standing = await self.standing(slug, caller)
        return standing.writer

    async def standing(self, slug: str, caller: Caller) -> tuple[NetworkFacts, Standing]:
        """The caller towards the network; refuses (404/403) those who may not read it."""
        member_id = require_member(caller)
        network = await self.networks.get(slug)
        if network is None:
            raise no_network(slug)
        role = await self.roster.role_of(slug, member_id)
        admin = await self.members.is_instance_admin(member_id)
        reader = role is not None or admin or await self._reads(network, member_id)
        if not reader:
            if network.visibility is Visibility.INVITE_ONLY:
                raise no_network(slug)
            raise Forbidden("Only the network's members read its notes.")
        return network, Standing(member_id, role, admin, reader=True)
