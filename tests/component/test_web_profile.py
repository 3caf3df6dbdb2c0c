"""The web app's profile pages (``huddle_gateway.web.pages.profile``) against the real
gateway, NATS, FerretDB and services: the profile and its consents, downloading one's data,
deleting one's account; the service's refusals on the page; visitors who are not signed in."""

import html
import json
import re
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from huddle_shared.services import service_names
from web_support import CSRF_FIELD, Person, Site, Visitor, web_site

pytestmark = pytest.mark.component

SESSION = "huddle_session"


@pytest.fixture(scope="module")
async def site(
    tmp_path_factory: pytest.TempPathFactory, mongodb_url: str, nats_credentials: Path | None
) -> AsyncIterator[Site]:
    """Membership alone: everything the profile and deletion pages call."""
    async with web_site(tmp_path_factory, mongodb_url, nats_credentials) as site:
        yield site


@pytest.fixture(scope="module")
async def whole_site(
    tmp_path_factory: pytest.TempPathFactory, mongodb_url: str, nats_credentials: Path | None
) -> AsyncIterator[Site]:
    """Every service: the download asks each for its part."""
    async with web_site(tmp_path_factory, mongodb_url, nats_credentials, *service_names()) as site:
        yield site


@pytest.fixture
async def member(site: Site) -> AsyncIterator[tuple[Person, Visitor]]:
    """A new member, signed in through the sign-in page."""
    person = await site.person(member_type="patient_safety_partner", name="Priya Shah")
    async with site.visitor() as visitor:
        await visitor.sign_in(person)
        yield person, visitor


async def api_me(site: Site, person: Person) -> httpx.Response:
    return await site.client.get("/api/v1/me", headers=person.headers)


def profile_form(**changes: str) -> dict[str, str]:
    return {"display_name": "Priya Shah", "job_title": "", "topics": "", **changes}


def visible(page: httpx.Response) -> str:
    """The page's text without its markup, one space between words."""
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", page.text)).split())


def error_beside(page: httpx.Response, field: str) -> str:
    """The NHS error message tied to ``field``'s input (the macro's ``<id>-error``)."""
    found = re.search(rf'id="{field}-error">(.*?)<(?:input|textarea|div)', page.text, flags=re.S)
    assert found, f"no error message beside {field}"
    assert f"{field}-error" in re.search(
        rf'<(?:input|textarea)[^>]*id="{field}"[^>]*>', page.text
    ).group(0)  # type: ignore[union-attr]
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", found.group(1))).split())


def error_summary(page: httpx.Response) -> str:
    found = re.search(r'<div class="nhsuk-error-summary".*?</ul>', page.text, flags=re.S)
    assert found, "no error summary"
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", found.group(0))).split())


def is_page(response: httpx.Response) -> None:
    assert response.headers["content-type"].startswith("text/html"), response.headers
    assert "Traceback" not in response.text


def ticked(page: httpx.Response, box: str) -> bool:
    return bool(re.search(rf'id="{box}"[^>]*\bchecked\b', page.text))


# --- Visitors who are not signed in ------------------------------------------------------


@pytest.mark.parametrize("path", ["/me", "/me/data", "/me/delete"])
async def test_a_visitor_not_signed_in_is_sent_to_sign_in_and_back(site: Site, path: str) -> None:
    async with site.visitor() as visitor:
        response = await visitor.get(path)
    assert response.status_code == 303, response.text
    assert response.headers["location"] == f"/sign-in?next={path}"


async def test_a_form_posted_without_a_session_changes_nothing(
    site: Site, member: tuple[Person, Visitor]
) -> None:
    person, visitor = member
    field = await visitor.csrf("/me")
    visitor.client.cookies.delete(SESSION)  # signed out (or expired) with the form still open
    saved = await visitor.client.post(
        "/me", data={**profile_form(job_title="Changed"), CSRF_FIELD: field}
    )
    assert saved.status_code == 303 and saved.headers["location"] == "/sign-in?next=/me"
    deleted = await visitor.client.post("/me/delete", data={CSRF_FIELD: field})
    assert deleted.status_code == 303
    assert deleted.headers["location"] == "/sign-in?next=/me/delete"
    account = (await api_me(site, person)).json()
    assert account["job_title"] == "Patient safety specialist" and account["status"] == "active"


async def test_a_form_without_its_csrf_field_is_refused_with_a_page(
    site: Site, member: tuple[Person, Visitor]
) -> None:
    person, visitor = member
    await visitor.get("/me")  # the CSRF cookie, but the posts below leave out the field
    refused = await visitor.client.post("/me", data=profile_form(job_title="Forged"))
    assert refused.status_code == 403
    is_page(refused)
    assert (await api_me(site, person)).json()["job_title"] == "Patient safety specialist"
    refused = await visitor.client.post("/me/delete", data={})
    assert refused.status_code == 403
    assert (await api_me(site, person)).status_code == 200


# --- The profile -------------------------------------------------------------------------


async def test_a_member_reads_their_profile(member: tuple[Person, Visitor]) -> None:
    person, visitor = member
    page = await visitor.get("/me")
    assert page.status_code == 200, page.text
    is_page(page)
    assert page.headers["cache-control"] == "no-store"
    assert "<title>My profile - Huddle</title>" in page.text
    text = visible(page)
    for shown in (
        person.email,
        "Organisation t",  # the site's organisation, by name
        "Patient Safety Partner",
        "Show my profile to other members",
        "Show my email address to other members",
    ):
        assert shown in text, shown
    assert re.search(r"Member since \d{1,2} [A-Z][a-z]+ \d{4}", text)
    assert 'value="Priya Shah"' in page.text
    assert 'value="Patient safety specialist"' in page.text
    # Both consents start off, as membership keeps them.
    assert not ticked(page, "listed_in_directory") and not ticked(page, "contactable")
    assert 'href="/me/data"' in page.text and 'href="/me/delete"' in page.text


async def test_a_member_edits_their_profile_and_consents(
    site: Site, member: tuple[Person, Visitor]
) -> None:
    person, visitor = member
    form = profile_form(
        display_name="Priya Shah-Patel",
        job_title="Patient Safety Partner, maternity",
        topics="Medication safety\r\n\r\n  Falls prevention  \r\nMaternity",
        listed_in_directory="yes",
        contactable="yes",
    )
    saved = await visitor.submit("/me", form)
    assert saved.status_code == 303, saved.text
    assert saved.headers["location"] == "/me?saved=1"

    account = (await api_me(site, person)).json()
    assert account["display_name"] == "Priya Shah-Patel"
    assert account["job_title"] == "Patient Safety Partner, maternity"
    assert account["topics"] == ["Falls prevention", "Maternity", "Medication safety"]
    assert account["listed_in_directory"] is True and account["contactable"] is True

    page = await visitor.get(saved.headers["location"])
    assert "Your profile has been saved." in visible(page)
    assert ticked(page, "listed_in_directory") and ticked(page, "contactable")
    assert "Falls prevention\nMaternity\nMedication safety" in html.unescape(page.text)
    assert "Your profile has been saved." not in visible(await visitor.get("/me"))

    # Unticking a box withdraws that consent (a browser sends nothing for it); emptied
    # fields are emptied.
    withdrawn = await visitor.submit(
        "/me", profile_form(display_name="Priya Shah-Patel", listed_in_directory="yes")
    )
    assert withdrawn.status_code == 303, withdrawn.text
    account = (await api_me(site, person)).json()
    assert account["listed_in_directory"] is True and account["contactable"] is False
    assert account["topics"] == [] and account["job_title"] == ""


async def test_what_a_member_typed_is_escaped(member: tuple[Person, Visitor]) -> None:
    _, visitor = member
    typed = '<script src="/x.js"></script>'
    saved = await visitor.submit("/me", profile_form(job_title=typed))
    assert saved.status_code == 303, saved.text
    page = await visitor.get("/me")
    assert typed not in page.text
    assert "&lt;script" in page.text


async def test_the_services_refusal_is_shown_beside_the_field(
    site: Site, member: tuple[Person, Visitor]
) -> None:
    person, visitor = member
    # Membership keeps "Admin" for the people who run Huddle: its answer, on the page.
    refused = await visitor.submit(
        "/me", profile_form(display_name="Admin", job_title="Typed, kept", contactable="yes")
    )
    assert refused.status_code == 422, refused.text
    is_page(refused)
    assert "<title>Error: My profile - Huddle</title>" in refused.text
    message = 'Your name must not be or look like "admin"'
    assert message in error_beside(refused, "display_name")
    assert message in error_summary(refused)
    assert 'href="#display_name"' in refused.text
    # What was typed stays in the form, the ticked box too.
    assert 'value="Admin"' in refused.text and 'value="Typed, kept"' in refused.text
    assert ticked(refused, "contactable")
    # And nothing changed.
    account = (await api_me(site, person)).json()
    assert account["display_name"] == "Priya Shah"
    assert account["job_title"] == "Patient safety specialist"
    assert account["contactable"] is False


async def test_a_refused_topic_is_shown_beside_the_topics(
    site: Site, member: tuple[Person, Visitor]
) -> None:
    person, visitor = member
    refused = await visitor.submit("/me", profile_form(topics="Falls\nx"))
    assert refused.status_code == 422, refused.text
    assert "at least 2 characters" in error_beside(refused, "topics")
    assert 'href="#topics"' in refused.text
    assert "Falls\nx" in html.unescape(refused.text)
    assert (await api_me(site, person)).json()["topics"] == []


async def test_a_suspended_member_is_told_they_cannot_edit(
    site: Site, member: tuple[Person, Visitor]
) -> None:
    person, visitor = member
    admin = await site.person(admin=True)
    suspended = await site.client.put(
        f"/api/v1/members/{person.id}/status", json={"status": "suspended"}, headers=admin.headers
    )
    assert suspended.status_code == 200, suspended.text
    refused = await visitor.submit("/me", profile_form(job_title="Changed"))
    assert refused.status_code == 403, refused.text
    is_page(refused)
    assert "This account is suspended." in error_summary(refused)
    assert (await api_me(site, person)).json()["job_title"] == "Patient safety specialist"


# --- Download my data --------------------------------------------------------------------


async def test_a_member_downloads_their_data_as_a_file(whole_site: Site) -> None:
    person = await whole_site.person(name="Priya Shah")
    async with whole_site.visitor() as visitor:
        await visitor.sign_in(person)
        download = await visitor.get("/me/data")
    assert download.status_code == 200, download.text
    assert download.headers["content-type"].startswith("application/json")
    disposition = download.headers["content-disposition"]
    assert re.fullmatch(
        r'attachment; filename="huddle-my-data-\d{4}-\d{2}-\d{2}\.json"', disposition
    )
    assert download.headers["cache-control"] == "no-store"
    exported = json.loads(download.content)
    assert set(exported) == set(service_names())
    assert exported["membership"]["account"]["email"] == person.email
    # The same document the API gives.
    api = await whole_site.client.get("/api/v1/me/export", headers=person.headers)
    assert exported == api.json()


async def test_a_download_while_a_service_is_down_says_which(
    member: tuple[Person, Visitor],
) -> None:
    _, visitor = member  # this site runs membership alone
    failed = await visitor.get("/me/data")
    assert failed.status_code == 503
    is_page(failed)
    assert "service is not running" in visible(failed)
    assert "content-disposition" not in failed.headers


# --- Delete my account -------------------------------------------------------------------


async def test_the_confirmation_page_says_what_is_removed(
    site: Site, member: tuple[Person, Visitor]
) -> None:
    person, visitor = member
    page = await visitor.get("/me/delete")
    assert page.status_code == 200, page.text
    is_page(page)
    assert "<title>Delete your account - Huddle</title>" in page.text
    text = visible(page)
    for said in (
        "You cannot undo this",
        "What is removed",
        "your email address, name, job title and topics",
        "your place in every network",
        "What is kept",
        person.email,
    ):
        assert said in text, said
    assert 'action="/me/delete"' in page.text and CSRF_FIELD in page.text
    # Opening the page deletes nothing.
    assert (await api_me(site, person)).status_code == 200


async def test_a_member_deletes_their_account_and_is_signed_out(
    site: Site, member: tuple[Person, Visitor]
) -> None:
    person, visitor = member
    deleted = await visitor.submit("/me/delete", {})
    assert deleted.status_code == 303, deleted.text
    assert deleted.headers["location"] == "/account-deleted"
    cleared = [c for c in deleted.headers.get_list("set-cookie") if c.startswith(f"{SESSION}=")]
    assert cleared and ("max-age=0" in cleared[0].lower() or "expires=" in cleared[0].lower())
    assert SESSION not in visitor.client.cookies

    done = await visitor.get("/account-deleted")
    assert done.status_code == 200
    assert "Your account has been deleted" in visible(done)
    assert 'href="/sign-in"' in done.text  # signed out: the header offers sign-in
    # Gone: no sign-in, and the old token no longer reads an account.
    signed_in = await site.client.post(
        "/api/v1/auth/token", json={"email": person.email, "password": person.password}
    )
    assert signed_in.status_code == 401
    assert (await api_me(site, person)).status_code == 401


async def test_a_deletion_already_done_elsewhere_sends_to_sign_in(
    site: Site, member: tuple[Person, Visitor]
) -> None:
    person, visitor = member
    field = await visitor.csrf("/me/delete")
    # Deleted meanwhile through the API (another device): membership answers that the
    # account no longer exists, so the session ends and the person is asked to sign in.
    gone = await site.client.delete("/api/v1/me", headers=person.headers)
    assert gone.status_code == 204
    again = await visitor.client.post("/me/delete", data={CSRF_FIELD: field})
    assert again.status_code == 303
    assert again.headers["location"] == "/sign-in?next=/me/delete"
    assert SESSION not in visitor.client.cookies
