"""The web app's people who know pages (``huddle_gateway.web.pages.people``) against the real
gateway, membership and signposting on NATS and FerretDB: consenting on the profile page,
finding and contacting a person who knows, accepting and declining, the email shown only
once accepted, asking for signposting and saying whether it helped; refusals on the page;
visitors who are not signed in."""

import html
import re
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from support import eventually
from web_support import Person, Site, Visitor, web_site

pytestmark = pytest.mark.component

PAGES = [
    "/people-who-know",
    "/contact-requests",
    "/ask-for-signposting",
    "/people-who-know/00000000-0000-4000-8000-000000000001/contact",
    "/ask-for-signposting/00000000-0000-4000-8000-000000000002",
]


@pytest.fixture(scope="module")
async def site(
    tmp_path_factory: pytest.TempPathFactory, mongodb_url: str, nats_credentials: Path | None
) -> AsyncIterator[Site]:
    async with web_site(
        tmp_path_factory, mongodb_url, nats_credentials, "membership", "signposting"
    ) as site:
        yield site


def visible(page: httpx.Response) -> str:
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", page.text)).split())


async def listed(visitor: Visitor, person: Person, topics: str) -> None:
    """Through the profile page: the topics, and the consent to be listed as a person who
    knows (the other two consents left off)."""
    saved = await visitor.submit(
        "/me",
        {"display_name": person.name, "job_title": "", "topics": topics, "listed_as_expert": "yes"},
    )
    assert saved.status_code in (200, 303), saved.text


async def seen_as_expert(site: Site, asker: Person, expert: Person) -> None:
    async def found() -> bool:
        answer = await site.client.get("/api/v1/signposting/experts", headers=asker.headers)
        return expert.id in [e["member_id"] for e in answer.json()["items"]]

    await eventually(found)


@pytest.mark.parametrize("path", PAGES)
async def test_visitors_are_sent_to_sign_in(site: Site, path: str) -> None:
    async with site.visitor() as visitor:
        page = await visitor.get(path)
        assert page.status_code in (302, 303), page.text
        assert page.headers["location"].startswith("/sign-in?next=")


async def test_contact_a_person_who_knows_and_see_their_email_once_they_accept(
    site: Site,
) -> None:
    expert = await site.person(name=f"Ada Expert {uuid.uuid4().hex[:4]}")
    requester = await site.person(name=f"Rob Asker {uuid.uuid4().hex[:4]}")
    async with site.visitor() as as_expert, site.visitor() as as_requester:
        await as_expert.sign_in(expert)
        profile = await as_expert.get("/me")
        assert "List me as a person who knows about my topics" in visible(profile)
        saved = await as_expert.submit(
            "/me",
            {
                "display_name": expert.name,
                "job_title": "",
                "topics": "Bereavement\nFamily liaison",
                "listed_as_expert": "yes",
            },
        )
        assert saved.status_code == 303, saved.text
        me = (await site.client.get("/api/v1/me", headers=expert.headers)).json()
        assert me["listed_as_expert"] is True and me["listed_in_directory"] is False
        await seen_as_expert(site, requester, expert)

        await as_requester.sign_in(requester)
        found = await as_requester.get("/people-who-know", params={"topic": "bereave"})
        assert found.status_code == 200
        assert expert.name in visible(found) and expert.email not in found.text
        assert "People who know" in found.text  # in the menu
        form = f"/people-who-know/{expert.id}/contact"
        empty = await as_requester.submit(form, {"message": ""})
        assert empty.status_code == 422 and "There is a problem" in visible(empty)
        sent = await as_requester.submit(form, {"message": "How did you support the family?"})
        assert sent.status_code == 303 and sent.headers["location"] == "/contact-requests?sent=1"
        mine = await as_requester.get("/contact-requests?sent=1")
        assert "Waiting for an answer" in visible(mine) and expert.email not in mine.text

        received = await as_expert.get("/contact-requests")
        assert "How did you support the family?" in visible(received)
        assert requester.name in visible(received)
        request_id = re.search(r"/contact-requests/([0-9a-f-]{36})/accept", received.text)
        assert request_id
        accepted = await as_expert.submit(
            "/contact-requests", {}, action=f"/contact-requests/{request_id.group(1)}/accept"
        )
        assert accepted.status_code == 303, accepted.text
        after = await as_requester.get("/contact-requests")
        assert expert.email in visible(after) and "Accepted" in visible(after)
        # The requester cannot accept on the expert's behalf (a page, not a crash).
        refused = await as_requester.submit(
            "/me", {}, action=f"/contact-requests/{request_id.group(1)}/decline"
        )
        assert refused.status_code == 403 and "Only the person" in visible(refused)


async def test_declining_shares_no_email(site: Site) -> None:
    expert, requester = await site.person(), await site.person()
    async with site.visitor() as as_expert, site.visitor() as as_requester:
        await as_expert.sign_in(expert)
        await listed(as_expert, expert, "Complaints")
        await seen_as_expert(site, requester, expert)
        await as_requester.sign_in(requester)
        await as_requester.submit(f"/people-who-know/{expert.id}/contact", {"message": "Hi"})
        received = await as_expert.get("/contact-requests")
        found = re.search(r"/contact-requests/([0-9a-f-]{36})/decline", received.text)
        assert found
        declined = await as_expert.submit(
            "/contact-requests", {}, action=f"/contact-requests/{found.group(1)}/decline"
        )
        assert declined.status_code == 303
        after = await as_requester.get("/contact-requests")
        assert "Declined" in visible(after) and expert.email not in after.text


async def test_ask_for_signposting_and_say_whether_it_helped(site: Site) -> None:
    asker = await site.person()
    async with site.visitor() as visitor:
        await visitor.sign_in(asker)
        form = await visitor.get("/ask-for-signposting")
        assert "Bereavement" in visible(form) and "North West" in visible(form)
        refused = await visitor.submit(
            "/ask-for-signposting", {"category": "", "area": "national", "audience": "staff"}
        )
        assert refused.status_code == 422 and 'href="#category"' in refused.text
        sent = await visitor.submit(
            "/ask-for-signposting",
            {
                "category": "legal-advice",
                "area": "region:south_west",
                "audience": "families_and_carers",
                "text": "A family asking about an inquest",
            },
        )
        assert sent.status_code == 303, sent.text
        answer = await visitor.get(sent.headers["location"])
        text = visible(answer)
        assert "Support for Legal advice" in text and "A family asking about an inquest" in text
        assert "recorded as a gap" in text
        outcome = await visitor.submit(
            sent.headers["location"], {"helped": "no"}, action=f"{sent.headers['location']}/outcome"
        )
        assert outcome.status_code == 303
        assert "You said this did not help" in visible(await visitor.get(sent.headers["location"]))
        # Someone else's request is no page at all.
        other = await site.person()
        async with site.visitor() as stranger:
            await stranger.sign_in(other)
            assert (await stranger.get(sent.headers["location"])).status_code == 404
