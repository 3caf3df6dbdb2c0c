"""Names people can trust, and national observers granted only by instance admins."""

from typing import Any

import httpx
import pytest
from test_access import ADMIN, PASSWORD, bearer, huddle, register, sign_in

pytestmark = pytest.mark.component


@pytest.fixture
async def system(settings_for, nats_url, mongodb_url, monkeypatch):  # type: ignore[no-untyped-def]
    async with huddle(settings_for, nats_url, mongodb_url, monkeypatch) as running:
        yield running


async def an_organisation(client: httpx.AsyncClient) -> str:
    response = await client.post("/api/v1/organisations", json={"name": "A trust", "kind": "other"})
    return str(response.json()["id"])


def account(organisation_id: str, n: int, **fields: Any) -> dict[str, Any]:
    return {
        "email": f"person{n}@example.org",
        "password": PASSWORD,
        "display_name": "Jess Hughes",
        "organisation_id": organisation_id,
        "member_type": "staff",
    } | fields


def refused_field(response: httpx.Response) -> str:
    assert response.status_code == 422, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    (error,) = response.json()["errors"]
    return str(error["field"])


UNREADABLE = [
    "Jess\x00Hughes",  # NUL
    "\u202eseguH sseJ",  # right-to-left override
    "\u200b\u200c\u200d",  # zero-width only
    "\u3164",  # a blank letter (Hangul filler)
    " \u0301 ",  # a lone accent
    "\x1b[2J\x1b[31mJess",  # terminal escape codes
    "Jess\u2028Hughes",  # line separator
]
RESERVED_LOOK_ALIKES = [
    "\u0406nstance administrator",  # Cyrillic capital I, as in the issue
    "Instance Administrator",
    "\u0410dmin",  # Cyrillic capital A
    "\uff48\uff55\uff44\uff44\uff4c\uff45 team",  # full-width
    "\u0410dmin team",  # Cyrillic capital A
    "Mod\u00e9rator",
]


@pytest.mark.parametrize("name", UNREADABLE + RESERVED_LOOK_ALIKES)
async def test_unreadable_and_reserved_display_names_are_refused_naming_the_field(
    system, name: str
) -> None:  # type: ignore[no-untyped-def]
    client, db = system
    organisation_id = await an_organisation(client)
    registered = await client.post(
        "/api/v1/accounts", json=account(organisation_id, 1, display_name=name)
    )
    assert refused_field(registered).endswith("display_name")
    organisation = await client.post("/api/v1/organisations", json={"name": name, "kind": "other"})
    assert refused_field(organisation).endswith("name")

    await register(client, "edit@example.org")
    token = (await sign_in(client, "edit@example.org")).json()["access_token"]
    renamed = await client.patch("/api/v1/me", headers=bearer(token), json={"display_name": name})
    assert refused_field(renamed).endswith("display_name")
    assert await db["members"].count_documents({"display_name": name}) == 0  # nothing changed


async def test_the_cyrillic_instance_administrator_gets_a_clear_answer(system) -> None:  # type: ignore[no-untyped-def]
    client, _ = system
    organisation_id = await an_organisation(client)
    response = await client.post(
        "/api/v1/accounts",
        json=account(organisation_id, 2, display_name="\u0406nstance administrator"),
    )
    assert response.status_code == 422
    assert response.json()["errors"] == [
        {
            "field": "display_name",
            "message": 'must not be or look like "administrator": that name is kept for the '
            "people who run Huddle",
        }
    ]


async def test_names_are_stored_in_one_unicode_form_and_ordinary_names_pass(system) -> None:  # type: ignore[no-untyped-def]
    client, _ = system
    organisation_id = await an_organisation(client)
    for n, (typed, stored) in enumerate(
        [
            ("Zoe\u0308 Okafor", "Zo\u00eb Okafor"),  # decomposed ë becomes one character
            ("  Siobhán Ní Bhriain ", "Siobhán Ní Bhriain"),
            ("Jo Admington", "Jo Admington"),  # a reserved word inside another is fine
            ("Мария Иванова", "Мария Иванова"),  # one script throughout is fine
        ]
    ):
        response = await client.post(
            "/api/v1/accounts", json=account(organisation_id, 10 + n, display_name=typed)
        )
        assert response.status_code == 201, response.text
        assert response.json()["display_name"] == stored


async def test_national_observers_are_made_by_instance_admins_not_at_sign_up(system) -> None:  # type: ignore[no-untyped-def]
    """Before: anyone could register as a national observer."""
    client, _ = system
    organisation_id = await an_organisation(client)
    observer = await client.post(
        "/api/v1/accounts", json=account(organisation_id, 20, member_type="national_observer")
    )
    assert refused_field(observer).endswith("member_type")
    assert "instance administrator" in observer.text

    member = await register(client, "nat@example.org")
    admin_token = (await sign_in(client, ADMIN["email"], ADMIN["password"])).json()["access_token"]
    member_token = (await sign_in(client, "nat@example.org")).json()["access_token"]
    path = f"/api/v1/members/{member['id']}/type"
    grant = {"member_type": "national_observer"}
    assert (await client.put(path, json=grant)).status_code == 401
    assert (await client.put(path, json=grant, headers=bearer(member_token))).status_code == 403
    granted = await client.put(path, json=grant, headers=bearer(admin_token))
    assert granted.status_code == 200, granted.text
    assert granted.json()["member_type"] == "national_observer"
    me = await client.get("/api/v1/me", headers=bearer(member_token))
    assert me.json()["member_type"] == "national_observer"
    missing = await client.put(
        "/api/v1/members/00000000-0000-0000-0000-000000000001/type",
        json=grant,
        headers=bearer(admin_token),
    )
    assert missing.status_code == 404
