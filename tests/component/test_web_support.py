"""The directory's pages (issue 13) against the real gateway, membership and signposting:
find support with its filters, freshness and how to access; a service and its printable
page; suggesting a correction; the curators' pages (add, edit, retire, history, the
suggestions queue, stale entries); and what members who are not curators may not open.
"""

import html
import re
import uuid
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from signposting_support import PSYCHOLOGICAL, World, signposting_world
from support import eventually
from web_support import Visitor

pytestmark = pytest.mark.component


@pytest.fixture(scope="module")
async def world(
    tmp_path_factory: pytest.TempPathFactory, mongodb_url: str, nats_credentials: Any
) -> AsyncIterator[World]:
    async with signposting_world(tmp_path_factory, mongodb_url, nats_credentials) as world:
        yield world


async def signed_in(world: World, who: str) -> Visitor:
    visitor = Visitor(httpx.AsyncClient(base_url=world.site.url, timeout=20))
    await visitor.sign_in(world.people[who])
    return visitor


@pytest.fixture
async def member(world: World) -> AsyncIterator[Visitor]:
    visitor = await signed_in(world, "member")
    yield visitor
    await visitor.client.aclose()


@pytest.fixture
async def curator(world: World) -> AsyncIterator[Visitor]:
    visitor = await signed_in(world, "curator")
    yield visitor
    await visitor.client.aclose()


def text_of(page: httpx.Response) -> str:
    return html.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", page.text)))


async def test_a_visitor_is_sent_to_sign_in(world: World) -> None:
    async with world.site.visitor() as visitor:
        page = await visitor.get("/support")
    assert page.status_code == 303
    assert page.headers["location"].startswith("/sign-in?next=/support")


async def test_the_menu_offers_find_support_to_members(member: Visitor) -> None:
    page = await member.get("/me")
    assert 'href="/support"' in page.text and "Find support" in page.text


async def test_a_member_finds_support_by_category_area_and_audience(
    world: World, member: Visitor
) -> None:
    query = {
        "text": "counselling",
        "category": world.terms[PSYCHOLOGICAL],
        "area": "icb:greater-manchester",  # the region's entry covers its boards
        "audience": "families_and_carers",
    }
    page = await member.get("/support", params=query)
    assert page.status_code == 200, page.text
    shown = text_of(page)
    assert "Family counselling after harm" in shown
    assert "Staff wellbeing line" not in shown
    assert f"/support/services/{world.services['families']['id']}" in page.text
    assert "Last checked" in shown and "Self-referral" in shown and "North West" in shown
    # The filters keep what was chosen.
    assert f'value="{world.terms[PSYCHOLOGICAL]}" selected' in page.text
    assert 'value="icb:greater-manchester" selected' in page.text


async def test_results_say_how_to_access_and_when_no_one_is_taken_on(member: Visitor) -> None:
    shown = text_of(await member.get("/support", params={"audience": "staff"}))
    assert "Staff wellbeing line" in shown
    assert "Referral needed. Not taking people on at the moment" in shown


async def test_a_search_that_finds_nothing_says_so(member: Visitor) -> None:
    page = await member.get("/support", params={"text": "zzqx nothing like this"})
    assert page.status_code == 200
    assert "Nothing in the directory matches" in text_of(page)


async def test_an_area_that_does_not_exist_is_an_error_on_the_page(member: Visitor) -> None:
    page = await member.get("/support", params={"area": "region:atlantis"})
    assert page.status_code == 422, page.text
    assert "There is a problem" in page.text and 'href="#area"' in page.text


async def test_a_service_page_and_its_printable_page(world: World, member: Visitor) -> None:
    service_id = world.services["families"]["id"]
    page = await member.get(f"/support/services/{service_id}")
    assert page.status_code == 200, page.text
    shown = text_of(page)
    for words in ("Family counselling after harm", "0161 496 0000", "families@example.org"):
        assert words in shown
    assert f'href="/support/services/{service_id}/print"' in page.text
    assert f'href="/support/services/{service_id}/suggest"' in page.text
    assert "/edit" not in page.text and "History of changes" not in shown  # not a curator
    printed = await member.get(f"/support/services/{service_id}/print")
    assert printed.status_code == 200, printed.text
    assert "data-huddle-print" in printed.text and "0161 496 0000" in printed.text
    assert "nhsuk-header" not in printed.text  # the entry alone, no menus
    css = await member.get("/assets/huddle.css")
    assert "@media print" in css.text


async def test_a_member_suggests_a_correction_and_a_curator_sees_it(
    world: World, member: Visitor
) -> None:
    service_id = world.services["families"]["id"]
    path = f"/support/services/{service_id}/suggest"
    form = await member.get(path)
    assert "0161 496 0000" in form.text  # the boxes hold the entry as it is
    values = re.findall(r'name="(name|url|email)"[^>]*value="([^"]*)"', form.text)
    typed = dict(values)
    sent = await member.submit(
        path,
        {
            **typed,
            "description": world.services["families"]["description"],
            "phones": "0161 496 0123",
            "how_to_access": "Ring or email us.",
            "eligibility": world.services["families"]["eligibility_description"],
            "comment": "They have a new number since March",
        },
    )
    assert sent.status_code == 303, sent.text
    assert sent.headers["location"] == f"/support/services/{service_id}?done=suggested"
    queue = await world.client.get(
        "/api/v1/signposting/suggestions",
        params={"service_id": service_id},
        headers=world.headers("curator"),
    )
    suggested = [
        s for s in queue.json()["items"] if s["comment"] == "They have a new number since March"
    ]
    assert len(suggested) == 1
    assert [change["field"] for change in suggested[0]["changes"]] == ["phones"]


async def test_a_suggestion_that_changes_nothing_is_refused_on_the_page(
    world: World, member: Visitor
) -> None:
    entry = world.services["staff"]
    sent = await member.submit(
        f"/support/services/{entry['id']}/suggest",
        {
            "name": entry["name"],
            "description": entry["description"],
            "url": entry["url"],
            "email": entry["email"],
            "phones": "0161 496 0000",
            "how_to_access": entry["access"]["how_to_access"],
            "eligibility": entry["eligibility_description"],
            "comment": "I think it is all fine",
        },
    )
    assert sent.status_code == 422, sent.text
    assert "There is a problem" in sent.text and "I think it is all fine" in sent.text


@pytest.mark.parametrize(
    "path",
    [
        "/support/services/new",
        "/support/suggestions",
        "/support/stale",
        "/support/services/{families}/edit",
        "/support/services/{families}/retire",
        "/support/services/{families}/history",
    ],
)
async def test_members_who_do_not_curate_cannot_open_the_curators_pages(
    world: World, member: Visitor, path: str
) -> None:
    page = await member.get(path.format(families=world.services["families"]["id"]))
    assert page.status_code == 403, page.text
    assert "You do not have permission" in page.text


async def test_members_who_do_not_curate_cannot_change_an_entry(
    world: World, member: Visitor
) -> None:
    service_id = world.services["families"]["id"]
    token = await member.csrf(f"/support/services/{service_id}/suggest")
    for action in ("retire", "check"):
        response = await member.client.post(
            f"/support/services/{service_id}/{action}", data={"_csrf_token": token}
        )
        assert response.status_code == 403, response.text
    entry = await world.client.get(
        f"/api/v1/signposting/services/{service_id}", headers=world.headers("member")
    )
    assert entry.json()["retired"] is False


def _entry_form(world: World, name: str) -> dict[str, Any]:
    return {
        "organization_name": "Example Bereavement Network",
        "organization_website": "https://example.org/bereavement",
        "organization_description": "",
        "name": name,
        "description": "Support after a death in hospital.",
        "url": "https://example.org/bereavement/help",
        "email": "",
        "phones": "0113 496 0000",
        "taxonomy_term_ids": [world.terms[PSYCHOLOGICAL]],
        "audiences": ["families_and_carers"],
        "eligibility_description": "",
        "minimum_age": "",
        "maximum_age": "",
        "areas": ["region:north_east_and_yorkshire", "icb:west-yorkshire"],
        "referral": "self_referral",
        "accepting_referrals": "yes",
        "how_to_access": "Fill in the form on the website.",
        "languages": "English\nUrdu",
        "fees_description": "",
    }


async def test_a_curator_adds_edits_and_retires_an_entry_and_sees_its_history(
    world: World, curator: Visitor
) -> None:
    name = f"Bereavement support {uuid.uuid4().hex[:6]}"
    added = await curator.submit("/support/services/new", _entry_form(world, name))
    assert added.status_code == 303, added.text
    location = added.headers["location"]
    service_id = re.fullmatch(r"/support/services/([0-9a-f-]+)\?done=created", location)
    assert service_id, location
    entry_path = f"/support/services/{service_id.group(1)}"
    page = text_of(await curator.get(location))
    assert name in page and "West Yorkshire" in page and "Urdu" in page
    assert "The entry is added" in page

    form = await curator.get(f"{entry_path}/edit")
    assert name in form.text and 'value="icb:west-yorkshire" checked' in form.text
    changed = {**_entry_form(world, name), "description": "Support after a death, at home too."}
    saved = await curator.submit(f"{entry_path}/edit", changed)
    assert saved.status_code == 303, saved.text
    assert "at home too" in text_of(await curator.get(entry_path))

    history = text_of(await curator.get(f"{entry_path}/history"))
    assert "Changed by Cora Curatorsdottir" in history
    assert "Added by Cora Curatorsdottir" in history
    assert "Support after a death in hospital." in history and "at home too" in history

    retired = await curator.submit(f"{entry_path}/retire", {"reason": "It closed in June"})
    assert retired.status_code == 303, retired.text
    assert "Retired" in text_of(await curator.get(entry_path))
    assert "It closed in June" in text_of(await curator.get(f"{entry_path}/history"))


async def test_a_refused_entry_shows_the_services_message_beside_the_box(
    world: World, curator: Visitor
) -> None:
    form = {
        **_entry_form(world, "No category"),
        "taxonomy_term_ids": [],
        "url": "not a web address",
    }
    refused = await curator.submit("/support/services/new", form)
    assert refused.status_code == 422, refused.text
    assert 'href="#taxonomy_term_ids"' in refused.text or 'href="#url"' in refused.text
    assert 'value="No category"' in refused.text  # what was typed is kept


async def test_a_curator_accepts_and_declines_suggestions_from_the_queue(
    world: World, curator: Visitor
) -> None:
    made = await world.create(f"Queue entry {uuid.uuid4().hex[:6]}")
    first = await world.suggestion(made["id"])
    second = await world.suggestion(made["id"])
    queue = await curator.get("/support/suggestions")
    assert queue.status_code == 200
    assert first["comment"] in text_of(queue) and second["comment"] in text_of(queue)
    token = await curator.csrf("/support/suggestions")
    accepted = await curator.client.post(
        f"/support/suggestions/{first['id']}/accept", data={"_csrf_token": token}
    )
    assert accepted.status_code == 303, accepted.text
    no_reason = await curator.client.post(
        f"/support/suggestions/{second['id']}/decline", data={"_csrf_token": token, "reason": ""}
    )
    assert no_reason.status_code == 422, no_reason.text
    assert f'href="#reason-{second["id"]}"' in no_reason.text
    declined = await curator.client.post(
        f"/support/suggestions/{second['id']}/decline",
        data={"_csrf_token": token, "reason": "The old number still works"},
    )
    assert declined.status_code == 303, declined.text
    after = text_of(await curator.get("/support/suggestions"))
    assert first["comment"] not in after and second["comment"] not in after
    entry = await world.client.get(
        f"/api/v1/signposting/services/{made['id']}", headers=world.headers("curator")
    )
    assert [phone["number"] for phone in entry.json()["phones"]] == ["0161 496 0999"]


async def test_a_curator_marks_an_entry_checked(world: World, curator: Visitor) -> None:
    service_id = world.services["staff"]["id"]
    stale = await curator.get("/support/stale")
    assert stale.status_code == 200, stale.text
    token = await curator.csrf(f"/support/services/{service_id}")
    checked = await curator.client.post(
        f"/support/services/{service_id}/check", data={"_csrf_token": token}
    )
    assert checked.status_code == 303, checked.text
    history = await world.client.get(
        f"/api/v1/signposting/services/{service_id}/history", headers=world.headers("curator")
    )
    assert history.json()["entries"][-1]["action"] == "checked"


async def test_an_admin_chooses_the_curators_on_their_page(world: World) -> None:
    person = await world.site.person(name="Nia Newcurator")
    admin = await signed_in(world, "admin")
    try:
        page = await admin.get("/admin/curators")
        assert page.status_code == 200, page.text
        assert world.people["curator"].name in text_of(page)
        unknown = await admin.submit("/admin/curators", {"email": "nobody@example.org"})
        assert unknown.status_code == 404 and 'href="#email"' in unknown.text
        assert "nobody@example.org" in unknown.text  # the box keeps what was typed

        async def designated() -> httpx.Response | None:
            made = await admin.submit("/admin/curators", {"email": person.email})
            return made if made.status_code == 303 else None

        made = await eventually(designated)  # once signposting has heard of them
        shown = text_of(await admin.get(made.headers["location"]))
        assert f"{person.name} now curates the directory." in shown
        assert f"Stop {person.name} curating" in shown
        crafted = text_of(await admin.get("/admin/curators?done=Mallory"))
        assert "now curates" not in crafted and "Mallory" not in crafted
        stopped = await admin.submit(
            "/admin/curators", {}, action=f"/admin/curators/{person.id}/stop"
        )
        assert stopped.status_code == 303, stopped.text
        shown = text_of(await admin.get(stopped.headers["location"]))
        assert "They no longer curate the directory." in shown and person.name not in shown
    finally:
        await admin.client.aclose()


async def test_a_curator_who_is_not_an_admin_cannot_choose_curators(curator: Visitor) -> None:
    assert (await curator.get("/admin/curators")).status_code == 403
