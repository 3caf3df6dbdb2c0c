"""For the signposting directory's tests: one world per test module, the gateway,
membership and signposting on real NATS and FerretDB, and its cast: ``admin``, the
configured instance administrator (a curator by that alone); ``curator``, a member the
admin designated; ``member``, any other member; and two entries (``families``, a North West
psychological support service for families; ``staff``, a national line for staff).
"""

import asyncio
import contextlib
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest
from notes_support import ADMIN_EMAIL, ADMIN_PASSWORD, signed_in_admin
from support import eventually
from web_support import Person, Site, web_site

CALLERS = ("anonymous", "member", "curator", "admin")
CORS = "access-control-allow-origin"
PSYCHOLOGICAL = "counselling-and-psychological-support"


@dataclass
class World:
    site: Site
    people: dict[str, Person]
    terms: dict[str, str]  # code -> id
    services: dict[str, dict[str, Any]] = field(default_factory=dict)

    @property
    def client(self) -> httpx.AsyncClient:
        return self.site.client

    def headers(self, caller: str) -> dict[str, str]:
        return {} if caller == "anonymous" else self.people[caller].headers

    def entry(self, name: str, **fields: Any) -> dict[str, Any]:
        body: dict[str, Any] = {
            "organization": {"name": "Example Counselling Trust", "website": "https://example.org"},
            "name": name,
            "description": "Free counselling for families after harm in NHS care.",
            "url": "https://example.org/families",
            "email": "families@example.org",
            "phones": [{"number": "0161 496 0000", "description": "Weekdays"}],
            "audiences": ["families_and_carers", "patients"],
            "taxonomy_term_ids": [self.terms[PSYCHOLOGICAL]],
            "areas": ["region:north_west"],
            "access": {"referral": "self_referral", "how_to_access": "Ring or email us."},
            "eligibility_description": "Families and carers of patients harmed in care.",
            "minimum_age": 16,
        }
        return {**body, **fields}

    async def create(self, name: str, caller: str = "curator", **fields: Any) -> dict[str, Any]:
        made = await self.client.post(
            "/api/v1/signposting/services",
            json=self.entry(name, **fields),
            headers=self.headers(caller),
        )
        assert made.status_code == 201, made.text
        created: dict[str, Any] = made.json()
        return created

    async def suggestion(self, service_id: str, caller: str = "member") -> dict[str, Any]:
        made = await self.client.post(
            f"/api/v1/signposting/services/{service_id}/suggestions",
            json={
                "comment": f"The number changed {uuid.uuid4().hex[:6]}",
                "phones": [{"number": "0161 496 0999"}],
            },
            headers=self.headers(caller),
        )
        assert made.status_code == 201, made.text
        suggested: dict[str, Any] = made.json()
        return suggested


async def designate(site: Site, admin: Person, person: Person) -> bool:
    """The admin makes ``person`` a curator (false until signposting has heard of them)."""
    path = f"/api/v1/signposting/curators/{person.id}"
    return (await site.client.put(path, headers=admin.headers)).status_code == 200


@contextlib.asynccontextmanager
async def signposting_world(
    tmp_path_factory: pytest.TempPathFactory, mongodb_url: str, nats_credentials: Any
) -> AsyncIterator[World]:
    with pytest.MonkeyPatch.context() as env:  # membership creates this admin at start
        env.setenv("HUDDLE_ADMIN_EMAIL", ADMIN_EMAIL)
        env.setenv("HUDDLE_ADMIN_PASSWORD", ADMIN_PASSWORD)
        async with web_site(
            tmp_path_factory, mongodb_url, nats_credentials, "membership", "signposting"
        ) as site:
            admin = await eventually(lambda: signed_in_admin(site))
            curator, member = await asyncio.gather(
                site.person(name="Cora Curatorsdottir"), site.person(name="Mel Memberson")
            )
            await eventually(lambda: designate(site, admin, curator))
            people = {"admin": admin, "curator": curator, "member": member}
            taxonomy = await site.client.get("/api/v1/signposting/taxonomy")
            assert taxonomy.status_code == 200, taxonomy.text
            terms = {term["code"]: term["id"] for term in taxonomy.json()["terms"]}
            world = World(site, people, terms)

            async def member_known() -> bool:
                made = await site.client.post(
                    "/api/v1/signposting/services/" + str(uuid.uuid4()) + "/suggestions",
                    json={"comment": "Probing", "name": "Probe"},
                    headers=member.headers,
                )
                return made.status_code == 404  # known and active: only the entry is missing

            await eventually(member_known)
            world.services["families"] = await world.create("Family counselling after harm")
            world.services["staff"] = await world.create(
                "Staff wellbeing line",
                areas=["national"],
                audiences=["staff"],
                organization={"name": "Example Staff Support"},
                access={"referral": "referral_needed", "accepting_referrals": False},
            )
            yield world
