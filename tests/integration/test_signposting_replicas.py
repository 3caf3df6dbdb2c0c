"""The signposting directory over real NATS and FerretDB, two replicas of the service as
bootstrap wires them: curation with history, suggestions, authorisation per operation, bad
input refused with nothing changed, stale entries and their weekly reminder, the Open
Referral UK views, and both replicas answering alike."""

import json
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any
from uuid import UUID, uuid4

import pytest
from huddle_shared.contracts import signposting as contract
from huddle_shared.contracts.envelope import EventEnvelope, EventPayload
from huddle_shared.contracts.membership import (
    MemberErasedV1,
    MemberRegisteredV1,
    MemberStatusChangedV1,
    MemberType,
    OrganisationKind,
)
from huddle_shared.messaging.broker import create_broker
from huddle_shared.messaging.publisher import JetStreamEventPublisher
from huddle_shared.messaging.topology import ensure_streams
from huddle_signposting.bootstrap import build
from huddle_signposting.directory.handlers import DirectoryArea, remind_if_due
from huddle_signposting.directory.taxonomy import term_id
from support import as_devkit, connect_nats, eventually, signed, started

pytestmark = pytest.mark.integration

BEREAVEMENT = str(term_id("bereavement"))
BABY_LOSS = str(term_id("baby-loss"))
ADVOCACY = str(term_id("advocacy"))


def new_service(name: str = "Bereavement helpline", **overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "organization": {"name": "Example Bereavement Care", "website": "https://ebc.example.org"},
        "name": name,
        "description": "Free support by phone for anyone bereaved after a death in hospital.",
        "url": "https://ebc.example.org/helpline",
        "email": "helpline@ebc.example.org",
        "phones": [{"number": "01632 960001", "description": "Weekdays 9am to 5pm"}],
        "audiences": ["families_and_carers"],
        "taxonomy_term_ids": [BABY_LOSS],
        "areas": ["region:north_west"],
        "access": {"referral": "self_referral", "how_to_access": "Ring the helpline."},
    }
    body.update(overrides)
    return body


@dataclass
class Directory:
    nc: Any
    areas: tuple[DirectoryArea, DirectoryArea]
    admin: UUID
    member: UUID
    other: UUID
    publish: Any

    async def call(self, subject: str, body: dict[str, Any], who: UUID | None) -> dict[str, Any]:
        caller = {"member_id": str(who)} if who else {}
        message = json.loads(json.dumps({"caller": caller, "body": body}, default=str))
        reply = await self.nc.request(subject, signed(subject, message), timeout=10)
        return json.loads(reply.data)  # type: ignore[no-any-return]

    async def ok(self, subject: str, body: dict[str, Any], who: UUID | None) -> Any:
        reply = await self.call(subject, body, who)
        assert reply["ok"], reply
        return reply["data"]

    async def error(self, subject: str, body: dict[str, Any], who: UUID | None) -> str:
        reply = await self.call(subject, body, who)
        assert not reply["ok"], reply
        return str(reply["error"]["code"])

    async def stored(self, service_id: str) -> dict[str, Any]:
        document = await self.areas[0].entries.collection.find_one({"_id": service_id})
        assert document is not None
        # The outbox empties after the reply, whatever else happens: not the entry's data.
        return {k: v for k, v in document.items() if k not in {"outbox", "outbox_since"}}


def registered(member_id: UUID, name: str, *, admin: bool = False) -> MemberRegisteredV1:
    return MemberRegisteredV1(
        member_id=member_id,
        display_name=name,
        member_type=MemberType.STAFF,
        organisation_id=uuid4(),
        organisation_kind=OrganisationKind.NHS_TRUST,
        region=None,
        registered_at=datetime.now(UTC),
        is_instance_admin=admin,
    )


@pytest.fixture
async def directory(settings_for: Any, nats_url: str) -> AsyncIterator[Directory]:
    broker = create_broker(nats_url, service="directory-test", **as_devkit())
    connection = await broker.connect()
    await ensure_streams(connection.jetstream())
    publisher = JetStreamEventPublisher(broker)

    async def publish(payload: EventPayload, sequence: int = 1) -> None:
        envelope = EventEnvelope.wrap(payload, instance_id="test-instance")
        member = getattr(payload, "member_id", None)
        envelope = envelope.model_copy(
            update={"aggregate_id": f"members/{member}", "sequence": sequence}
        )
        subject = type(payload).subject_pattern().replace("{member_id}", str(member))
        await publisher.publish(
            subject,
            envelope.model_dump_json().encode(),
            event_id=str(envelope.event_id),
            event_type=envelope.event_type,
        )

    first, first_area = build(settings_for("signposting"))
    second, second_area = build(settings_for("signposting"))
    admin, member, other = uuid4(), uuid4(), uuid4()
    async with started(first), started(second):
        await publish(registered(admin, "Ada Admin", admin=True))
        await publish(registered(member, "Mo Member"))
        await publish(registered(other, "Olu Other"))
        members = first_area.members.collection

        async def all_known() -> bool:
            return await members.count_documents({"display_name": {"$exists": True}}) == 3

        await eventually(all_known)
        nc = await connect_nats(nats_url)
        try:
            yield Directory(nc, (first_area, second_area), admin, member, other, publish)
        finally:
            await nc.close()
            await broker.stop()


async def test_create_patch_check_retire_with_history_and_replicas_agree(
    directory: Directory,
) -> None:
    d = directory
    created = await d.ok(contract.CREATE_SERVICE, new_service(), d.admin)
    sid = created["id"]
    assert created["last_checked_by"] == "Ada Admin" and created["can_curate"]
    assert created["last_checked_on"] == date.today().isoformat() and not created["stale"]

    # Only the fields given change; null clears a clearable field.
    patched = await d.ok(
        contract.UPDATE_SERVICE,
        {"id": sid, "name": "Baby loss helpline", "email": None},
        d.admin,
    )
    assert patched["name"] == "Baby loss helpline" and patched["email"] is None
    assert patched["url"] == "https://ebc.example.org/helpline"
    assert patched["phones"] == created["phones"]

    await d.ok(contract.CHECK_SERVICE, {"id": sid}, d.admin)
    history = await d.ok(contract.SERVICE_HISTORY, {"id": sid}, d.admin)
    actions = [e["action"] for e in history["entries"]]
    assert actions == ["created", "updated", "checked"]
    update = history["entries"][1]
    assert update["by"] == "Ada Admin"
    assert {(c["field"], c["before"], c["after"]) for c in update["changes"]} == {
        ("name", "Bereavement helpline", "Baby loss helpline"),
        ("email", "helpline@ebc.example.org", None),
    }

    # Both replicas find it (the other through the directory's events); a search for its
    # parent category and for a board in its region finds it too.
    search = contract.SearchServices(text="baby loss", taxonomy_term_id=UUID(BEREAVEMENT), area="icb:greater-manchester")  # fmt: skip

    async def both_find() -> bool:
        pages = [await area.index.search(search) for area in d.areas]
        return all([i.name for i in p.items] == ["Baby loss helpline"] for p in pages)

    await eventually(both_find)
    elsewhere = contract.SearchServices(text="baby loss", area="icb:devon")
    assert (await d.areas[1].index.search(elsewhere)).total == 0

    retired = await d.ok(contract.RETIRE_SERVICE, {"id": sid, "reason": "Service closed"}, d.admin)
    assert retired["retired"] and retired["status"] == "defunct"

    async def both_lost() -> bool:
        return all([(await area.index.search(search)).total == 0 for area in d.areas])

    await eventually(both_lost)
    assert (
        await d.error(contract.UPDATE_SERVICE, {"id": sid, "name": "Back"}, d.admin) == "conflict"
    )
    history = await d.ok(contract.SERVICE_HISTORY, {"id": sid}, d.admin)
    assert history["entries"][-1]["action"] == "retired"
    assert history["entries"][-1]["note"] == "Service closed"
    # Members no longer see a retired entry; curators do.
    assert await d.error(contract.GET_SERVICE, {"id": sid}, d.member) == "forbidden"
    assert (await d.ok(contract.GET_SERVICE, {"id": sid}, d.admin))["retired"]


async def test_authorisation_per_operation(directory: Directory) -> None:
    d = directory
    sid = (await d.ok(contract.CREATE_SERVICE, new_service(), d.admin))["id"]
    curator_only = [
        (contract.CREATE_SERVICE, new_service("Another")),
        (contract.UPDATE_SERVICE, {"id": sid, "name": "Renamed"}),
        (contract.CHECK_SERVICE, {"id": sid}),
        (contract.RETIRE_SERVICE, {"id": sid}),
        (contract.SERVICE_HISTORY, {"id": sid}),
        (contract.STALE_SERVICES, {}),
        (contract.LIST_SUGGESTIONS, {}),
        (contract.ACCEPT_SUGGESTION, {"id": str(uuid4())}),
        (contract.DECLINE_SUGGESTION, {"id": str(uuid4()), "reason": "No thanks"}),
        (contract.LIST_CURATORS, {}),
        (contract.SET_CURATOR, {"member_id": str(d.other), "curator": True}),
    ]
    for subject, body in curator_only:
        assert await d.error(subject, body, d.member) == "forbidden", subject
        assert await d.error(subject, body, None) == "unauthenticated", subject
    members_only = [
        (contract.GET_SERVICE, {"id": sid}),
        (contract.SEARCH_SERVICES, {}),
        (contract.SUGGEST_CORRECTION, {"service_id": sid, "name": "X", "comment": "Renamed"}),
    ]
    for subject, body in members_only:
        assert await d.error(subject, body, None) == "unauthenticated", subject
    assert (
        await d.error(contract.SEARCH_SERVICES, {"include_retired": True}, d.member) == "forbidden"
    )
    # Open to anyone.
    for subject, body in [
        (contract.GET_TAXONOMY, {}),
        (contract.ORUK_METADATA, {}),
        (contract.ORUK_SERVICES, {}),
        (contract.ORUK_SERVICE, {"id": sid}),
        (contract.ORUK_TAXONOMY_TERMS, {}),
        (contract.ORUK_ORGANIZATIONS, {}),
    ]:
        await d.ok(subject, body, None)

    # A designated curator curates; undesignated, no longer. Only an admin designates.
    curators = await d.ok(contract.SET_CURATOR, {"member_id": str(d.member), "curator": True}, d.admin)  # fmt: skip
    assert {(c["display_name"], c["designated"]) for c in curators["curators"]} == {
        ("Ada Admin", False),
        ("Mo Member", True),
    }
    await d.ok(contract.UPDATE_SERVICE, {"id": sid, "name": "Renamed by Mo"}, d.member)
    assert await d.error(contract.SET_CURATOR, {"member_id": str(d.other), "curator": True}, d.member) == "forbidden"  # fmt: skip
    await d.ok(contract.SET_CURATOR, {"member_id": str(d.member), "curator": False}, d.admin)
    assert await d.error(contract.UPDATE_SERVICE, {"id": sid, "name": "Again"}, d.member) == "forbidden"  # fmt: skip

    # A suspended member cannot suggest; an active one can.
    await d.publish(MemberStatusChangedV1(member_id=d.other, status="suspended"), sequence=2)

    async def suspended() -> bool:
        known = await d.areas[0].members.get(d.other)
        return bool(known and known.get("status") == "suspended")

    await eventually(suspended)
    suggestion = {"service_id": sid, "name": "Better name", "comment": "It is called that now"}
    assert await d.error(contract.SUGGEST_CORRECTION, suggestion, d.other) == "forbidden"
    await d.ok(contract.SUGGEST_CORRECTION, suggestion, d.member)


async def test_bad_input_is_refused_and_nothing_changes(directory: Directory) -> None:
    d = directory
    sid = (await d.ok(contract.CREATE_SERVICE, new_service(), d.admin))["id"]
    before = await d.stored(sid)
    count = await d.areas[0].entries.collection.count_documents({})
    refused = [
        (contract.CREATE_SERVICE, new_service(taxonomy_term_ids=[str(uuid4())])),
        (contract.CREATE_SERVICE, new_service(areas=["icb:atlantis"])),
        (contract.CREATE_SERVICE, new_service(minimum_age=40, maximum_age=18)),
        (contract.CREATE_SERVICE, new_service(last_checked_on="2999-01-01")),
        (contract.CREATE_SERVICE, new_service(url="javascript:alert(1)")),
        (contract.UPDATE_SERVICE, {"id": sid, "taxonomy_term_ids": [str(uuid4())]}),
        (contract.UPDATE_SERVICE, {"id": sid, "areas": ["region:atlantis"]}),
        (contract.UPDATE_SERVICE, {"id": sid, "name": None}),
        (contract.UPDATE_SERVICE, {"id": sid, "areas": []}),
        (contract.UPDATE_SERVICE, {"id": sid, "unknown_field": 1}),
        (contract.SUGGEST_CORRECTION, {"service_id": sid, "areas": ["nowhere"], "comment": "Why"}),
        (contract.SUGGEST_CORRECTION, {"service_id": sid, "comment": "No fields at all"}),
    ]
    for subject, body in refused:
        assert await d.error(subject, body, d.admin) == "invalid", body
    assert await d.stored(sid) == before
    assert await d.areas[0].entries.collection.count_documents({}) == count
    assert await d.areas[0].suggestions.collection.count_documents({}) == 0
    for body in (
        {"per_page": 10_000},
        {"taxonomy_term_id": str(uuid4())},
        {"area": "icb:atlantis"},
        {"modified_after": "yesterday"},
        {"modified_after": "2026-01-01T00:00:00"},  # no time zone
    ):
        assert await d.error(contract.SEARCH_SERVICES, body, d.member) == "invalid", body
    for body in ({"per_page": 10_000}, {"modified_after": "not a date"}, {"page": 0}):
        assert await d.error(contract.ORUK_SERVICES, body, None) == "invalid", body
    assert await d.error(contract.GET_SERVICE, {"id": str(uuid4())}, d.member) == "not_found"


async def test_suggestions_accepted_and_declined(directory: Directory) -> None:
    d = directory
    sid = (await d.ok(contract.CREATE_SERVICE, new_service(), d.admin))["id"]
    first = await d.ok(
        contract.SUGGEST_CORRECTION,
        {"service_id": sid, "phones": [{"number": "01632 960999"}], "comment": "New number"},
        d.member,
    )
    assert first["state"] == "open" and first["suggested_by"] == "Mo Member"
    assert [c["field"] for c in first["changes"]] == ["phones"]
    second = await d.ok(
        contract.SUGGEST_CORRECTION,
        {"service_id": sid, "areas": ["national"], "comment": "They cover England"},
        d.other,
    )
    # Suggesting changes nothing yet.
    assert (await d.ok(contract.GET_SERVICE, {"id": sid}, d.member))["phones"][0]["number"] == "01632 960001"  # fmt: skip
    queue = await d.ok(contract.LIST_SUGGESTIONS, {}, d.admin)
    assert [s["id"] for s in queue["items"]] == [first["id"], second["id"]]

    accepted = await d.ok(contract.ACCEPT_SUGGESTION, {"id": first["id"]}, d.admin)
    assert accepted["state"] == "accepted" and accepted["decided_by"] == "Ada Admin"
    declined = await d.ok(
        contract.DECLINE_SUGGESTION, {"id": second["id"], "reason": "Only the North West"}, d.admin
    )
    assert declined["state"] == "declined" and declined["decline_reason"] == "Only the North West"
    assert await d.error(contract.ACCEPT_SUGGESTION, {"id": second["id"]}, d.admin) == "conflict"

    entry = await d.ok(contract.GET_SERVICE, {"id": sid}, d.member)
    assert entry["phones"] == [{"number": "01632 960999", "description": None}]
    assert [a["code"] for a in entry["areas"]] == ["region:north_west"]
    history = await d.ok(contract.SERVICE_HISTORY, {"id": sid}, d.admin)
    last = history["entries"][-1]
    assert last["action"] == "suggestion_accepted" and last["note"] == "New number"
    assert (await d.ok(contract.LIST_SUGGESTIONS, {}, d.admin))["total"] == 0
    assert (await d.ok(contract.LIST_SUGGESTIONS, {"state": "declined"}, d.admin))["total"] == 1

    # Erasure: the member's history lines stay, by a former member; open suggestions go.
    await d.ok(
        contract.SUGGEST_CORRECTION,
        {"service_id": sid, "name": "Something else", "comment": "Please rename"},
        d.member,
    )
    await d.publish(MemberErasedV1(member_id=d.member), sequence=3)

    async def forgotten() -> bool:
        return await d.areas[0].members.get(d.member) is None

    await eventually(forgotten)
    queue = await d.ok(contract.LIST_SUGGESTIONS, {"state": None}, d.admin)
    assert {s["suggested_by"] for s in queue["items"]} == {"a former member", "Olu Other"}
    assert all(s["state"] != "open" for s in queue["items"])


async def test_stale_entries_and_one_reminder_a_week(directory: Directory, nats_url: str) -> None:
    d = directory
    long_ago = (date.today() - timedelta(days=400)).isoformat()
    stale = await d.ok(contract.CREATE_SERVICE, new_service("Old entry", last_checked_on=long_ago), d.admin)  # fmt: skip
    await d.ok(contract.CREATE_SERVICE, new_service("Fresh entry"), d.admin)
    assert stale["stale"] and stale["last_checked_on"] == long_ago
    listed = await d.ok(contract.STALE_SERVICES, {}, d.admin)
    assert [i["name"] for i in listed["items"]] == ["Old entry"]

    async def both_know() -> bool:
        return all([len(await area.index.stale()) == 1 for area in d.areas])

    await eventually(both_know)
    sent = [await remind_if_due(d.areas[0]), await remind_if_due(d.areas[1])]
    assert sent == [True, False]  # one per week, whichever replica claims it

    js = d.nc.jetstream()
    subject = contract.DirectoryEntriesStaleV1.subject_pattern()

    async def reminder() -> Any:
        try:
            return await js.get_last_msg("SIGNPOSTING_EVENTS", subject)
        except Exception:
            return None

    message = await eventually(reminder)
    payload = json.loads(message.data)["payload"]
    assert payload["stale_count"] == 1 and payload["service_ids"] == [stale["id"]]
    assert set(payload) == {"stale_count", "service_ids", "oldest_checked_on", "as_of"}

    checked = await d.ok(contract.CHECK_SERVICE, {"id": stale["id"]}, d.admin)
    assert not checked["stale"] and checked["last_checked_by"] == "Ada Admin"

    # The replica that did not answer hears of the check through the entry's event.
    async def neither_lists_it() -> bool:
        return not any([await area.index.stale() for area in d.areas])

    await eventually(neither_lists_it)
    assert (await d.ok(contract.STALE_SERVICES, {}, d.admin))["total"] == 0


async def test_open_referral_views_carry_no_nulls_and_nothing_about_members(
    directory: Directory,
) -> None:
    d = directory
    sid = (await d.ok(contract.CREATE_SERVICE, new_service(), d.admin))["id"]
    await d.ok(contract.CREATE_SERVICE, new_service("Advocacy North", taxonomy_term_ids=[ADVOCACY]), d.admin)  # fmt: skip

    async def both_hold_both() -> bool:  # either replica may answer what follows
        return all([len(await area.index.listed()) == 2 for area in d.areas])

    await eventually(both_hold_both)
    service = await d.ok(contract.ORUK_SERVICE, {"id": sid}, None)
    text = json.dumps(service)
    assert "null" not in text and "Ada Admin" not in text and "assurer_email" not in service
    assert service["assured_date"] == date.today().isoformat()
    assert service["organization"]["name"] == "Example Bereavement Care"
    assert service["phones"][0]["number"] == "01632 960001"
    assert service["service_areas"][0]["name"] == "North West"
    links = {(a["link_type"], a["taxonomy_term"]["code"]) for a in service["attributes"]}
    assert ("category", "baby-loss") in links
    assert ("eligibility", "audience:families_and_carers") in links
    assert ("access", "access:self_referral") in links

    async def listed(**query: Any) -> dict[str, Any]:
        return await d.ok(contract.ORUK_SERVICES, query, None)  # type: ignore[no-any-return]

    page = await listed(per_page=1)
    assert {k: page[k] for k in ("total_items", "total_pages", "page_number", "size")} == {
        "total_items": 2,
        "total_pages": 2,
        "page_number": 1,
        "size": 1,
    }
    assert page["first_page"] and not page["last_page"] and not page["empty"]
    by_term = await listed(taxonomy_term_id=BEREAVEMENT)  # a parent finds its children
    assert [s["id"] for s in by_term["contents"]] == [sid]
    found = await listed(search="advocacy")
    assert [s["name"] for s in found["contents"]] == ["Advocacy North"]
    empty = await listed(modified_after=(datetime.now(UTC) + timedelta(days=1)).isoformat())
    assert empty["empty"] and empty["total_items"] == 0 and empty["contents"] == []

    terms = await d.ok(contract.ORUK_TAXONOMY_TERMS, {"per_page": 100}, None)
    codes = {t["code"] for t in terms["contents"]}
    assert {"bereavement", "baby-loss", "audience:staff", "access:referral_needed"} <= codes
    organisations = await d.ok(contract.ORUK_ORGANIZATIONS, {}, None)
    assert [o["name"] for o in organisations["contents"]] == ["Example Bereavement Care"]
    metadata = await d.ok(contract.ORUK_METADATA, {}, None)
    assert {"version", "profile", "openapi_url"} <= set(metadata)


async def test_an_entry_survives_a_restart(settings_for: Any, directory: Directory) -> None:
    d = directory
    sid = (await d.ok(contract.CREATE_SERVICE, new_service(), d.admin))["id"]
    runtime, area = build(settings_for("signposting"))
    async with started(runtime):

        async def found() -> bool:
            page = await area.index.search(contract.SearchServices(text="bereaved"))
            return [str(i.id) for i in page.items] == [sid]

        await eventually(found)
