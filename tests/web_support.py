"""For the web app's component tests: the gateway and membership on real NATS and FerretDB
(one set per test module), and a visitor: an httpx client that keeps cookies like a
browser, reads the CSRF field out of a form and posts it back.

    @pytest.fixture(scope="module")
    async def site(tmp_path_factory, mongodb_url, nats_credentials):
        async with web_site(tmp_path_factory, mongodb_url, nats_credentials) as site:
            yield site

    async def test_x(site):
        async with site.visitor() as visitor:
            person = await site.person()
            await visitor.sign_in(person)
            page = await visitor.get("/me")
"""

import contextlib
import html
import os
import re
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
from huddle_devkit.servers import nats_server, running
from huddle_gateway.auth import AccessTokens
from huddle_shared.config import ServiceSettings
from pymongo import AsyncMongoClient
from support import JWT_SECRET, TEST_INSTANCE, caller_keys, gateway_server, seed_file, services
from support import set_fields as _set_fields

PASSWORD = "a long enough password"
CSRF_FIELD = "_csrf_token"
_CSRF = re.compile(r'name="_csrf_token" value="([^"]+)"')


@dataclass(frozen=True)
class Person:
    id: str
    email: str
    password: str
    name: str
    headers: dict[str, str]  # for the JSON API (bearer token)


class Visitor:
    """One browser: its cookies (session and CSRF) persist between requests."""

    def __init__(self, client: httpx.AsyncClient) -> None:
        self.client = client

    async def get(self, path: str, **options: Any) -> httpx.Response:
        return await self.client.get(path, **options)

    async def csrf(self, path: str) -> str:
        """The CSRF token of the form on ``path`` (it also sets the CSRF cookie)."""
        page = await self.client.get(path)
        found = _CSRF.search(page.text)
        assert found, f"no CSRF field on {path} ({page.status_code}): {page.text[:300]}"
        return html.unescape(found.group(1))

    async def submit(
        self, form_path: str, data: dict[str, str], action: str | None = None
    ) -> httpx.Response:
        """Open ``form_path``, then post ``data`` with its CSRF token to ``action`` (by
        default the same path), as the browser would."""
        token = await self.csrf(form_path)
        return await self.client.post(action or form_path, data={**data, CSRF_FIELD: token})

    async def sign_in(self, person: Person, next_path: str = "") -> httpx.Response:
        data = {"email": person.email, "password": person.password}
        if next_path:
            data["next"] = next_path
        response = await self.submit("/sign-in", data)
        assert response.status_code == 303, response.text
        return response


@dataclass
class Site:
    client: httpx.AsyncClient  # for the JSON API
    url: str
    db: Any  # membership's database
    tokens: AccessTokens
    organisation_id: str
    nats_url: str = ""  # for tests that speak to a service over NATS themselves
    databases: dict[str, Any] = field(default_factory=dict)  # each service's database
    runtimes: dict[str, Any] = field(default_factory=dict)  # each service's runtime
    _visitors: list[httpx.AsyncClient] = field(default_factory=list)

    @contextlib.asynccontextmanager
    async def visitor(self) -> AsyncIterator[Visitor]:
        async with httpx.AsyncClient(base_url=self.url, timeout=20) as client:
            yield Visitor(client)

    async def person(
        self, *, admin: bool = False, member_type: str = "staff", name: str = ""
    ) -> Person:
        email = f"m{uuid.uuid4().hex[:12]}@example.org"
        name = name or f"Member {email[1:7]}"
        response = await self.client.post(
            "/api/v1/accounts",
            json={
                "email": email,
                "password": PASSWORD,
                "display_name": name,
                "organisation_id": self.organisation_id,
                "job_title": "Patient safety specialist",
                "member_type": member_type,
            },
        )
        assert response.status_code == 201, response.text
        member_id = response.json()["id"]
        if admin:  # test set-up, standing in for configuration
            await _set_fields(self.db["members"], member_id, {"is_instance_admin": True})
        token = self.tokens.issue(uuid.UUID(member_id))
        return Person(member_id, email, PASSWORD, name, {"Authorization": f"Bearer {token}"})

    async def network(self, admin: Person, visibility: str = "open", **fields: Any) -> str:
        slug = f"net-{uuid.uuid4().hex[:10]}"
        body = {"slug": slug, "name": f"Network {slug}", "visibility": visibility, **fields}
        response = await self.client.post("/api/v1/networks", json=body, headers=admin.headers)
        assert response.status_code == 201, response.text
        return slug


@contextlib.asynccontextmanager
async def _nats(state: Path, credentials: Path | None) -> AsyncIterator[str]:
    configured = os.environ.get("NATS_URL")
    if configured:
        yield configured
        return
    with running(nats_server(state, credentials_dir=credentials)) as server:
        yield server.url  # type: ignore[attr-defined]


@contextlib.asynccontextmanager
async def web_site(
    tmp_path_factory: pytest.TempPathFactory,
    mongodb_url: str,
    nats_credentials: Path | None,
    *names: str,
    **gateway_settings: Any,
) -> AsyncIterator[Site]:
    """The gateway and ``names`` (default: membership) on their own NATS server."""
    prefix = f"t{uuid.uuid4().hex[:10]}"
    async with _nats(tmp_path_factory.mktemp("nats"), nats_credentials) as nats_url:

        def settings_for(service: str) -> ServiceSettings:
            return ServiceSettings(
                NATS_URL=nats_url,
                MONGODB_URL=mongodb_url,
                MONGODB_DATABASE=f"{prefix}_{service}",
                HUDDLE_INSTANCE_ID=TEST_INSTANCE,
                HUDDLE_OUTBOX_RELAY_INTERVAL=0.2,
                HUDDLE_CALLER_VERIFY_KEY_FILES=str(caller_keys().public_key),
                NATS_NKEY_SEED_FILE=seed_file(service),
            )

        settings = {
            "NATS_URL": nats_url,
            "HUDDLE_JWT_SECRET": JWT_SECRET,
            "HUDDLE_INSTANCE_ID": TEST_INSTANCE,
            "HUDDLE_STATS_CACHE_SECONDS": 0,
            **gateway_settings,
        }
        async with (
            services(settings_for, *(names or ("membership",))) as runtimes,
            gateway_server(**settings) as url,
            httpx.AsyncClient(base_url=url, timeout=20) as client,
        ):
            mongo: AsyncMongoClient[Any] = AsyncMongoClient(mongodb_url, tz_aware=True)
            try:
                organisation = await client.post(
                    "/api/v1/organisations",
                    json={
                        "name": f"Organisation {prefix}",
                        "kind": "nhs_trust",
                        "region": "london",
                    },
                )
                assert organisation.status_code == 201, organisation.text
                yield Site(
                    client=client,
                    url=url,
                    db=mongo[runtimes["membership"].database.name],
                    tokens=AccessTokens(JWT_SECRET, 900, TEST_INSTANCE),
                    organisation_id=organisation.json()["id"],
                    nats_url=nats_url,
                    databases={n: mongo[r.database.name] for n, r in runtimes.items()},
                    runtimes=runtimes,
                )
            finally:
                await mongo.close()
