"""Membership as one service: its RPC answers, its storage and the events it publishes."""

import asyncio
import json
from typing import Any

import pytest
from huddle_shared.contracts import membership as contract
from huddle_shared.contracts.envelope import EventEnvelope, event_subject
from huddle_shared.services import MEMBERSHIP as MEMBERSHIP_SERVICE
from pymongo import AsyncMongoClient
from support import connect_nats, eventually, services, signed

pytestmark = pytest.mark.component


async def call(
    nc: Any, subject: str, body: dict[str, Any], member_id: str | None = None
) -> dict[str, Any]:
    message = {"body": body, "caller": {"member_id": member_id}}
    reply = await nc.request(subject, signed(subject, message), timeout=10)
    return json.loads(reply.data)


ORGANISATION = {
    "name": "Royal Devon",
    "kind": "nhs_trust",
    "region": "south_west",
    "ods_code": "rh8",
}


def account(organisation_id: str, email: str = "Dev.Hughes@Example.org") -> dict[str, Any]:
    return {
        "email": email,
        "password": "correct horse battery staple",
        "display_name": "Dev Hughes",
        "organisation_id": organisation_id,
        "job_title": "Patient safety manager",
        "member_type": "staff",
    }


@pytest.fixture
async def membership(settings_for, nats_url, mongodb_url):  # type: ignore[no-untyped-def]
    async with services(settings_for, "membership") as running:
        nc = await connect_nats(nats_url)
        mongo: AsyncMongoClient[Any] = AsyncMongoClient(mongodb_url, tz_aware=True)
        yield nc, mongo[running["membership"].database.name]
        await nc.close()
        await mongo.close()


async def test_registers_and_reads_back_an_organisation(membership) -> None:  # type: ignore[no-untyped-def]
    nc, _ = membership
    created = await call(nc, contract.REGISTER_ORGANISATION, ORGANISATION)
    assert created["ok"], created
    assert created["data"]["ods_code"] == "RH8"  # normalised
    read = await call(nc, contract.GET_ORGANISATION, {"id": created["data"]["id"]})
    assert read == created


async def test_ods_codes_are_unique(membership) -> None:  # type: ignore[no-untyped-def]
    nc, _ = membership
    assert (await call(nc, contract.REGISTER_ORGANISATION, ORGANISATION))["ok"]
    second = await call(nc, contract.REGISTER_ORGANISATION, ORGANISATION | {"name": "Other"})
    assert second["error"]["code"] == "conflict"
    without_code = {k: v for k, v in ORGANISATION.items() if k != "ods_code"}
    assert (await call(nc, contract.REGISTER_ORGANISATION, without_code))["ok"]
    assert (await call(nc, contract.REGISTER_ORGANISATION, without_code))["ok"]


async def test_registers_a_member_with_a_hashed_password(membership) -> None:  # type: ignore[no-untyped-def]
    nc, db = membership
    organisation = (await call(nc, contract.REGISTER_ORGANISATION, ORGANISATION))["data"]
    created = await call(nc, contract.REGISTER_ACCOUNT, account(organisation["id"]))
    assert created["ok"], created
    assert "password" not in json.dumps(created)
    stored = await db["members"].find_one({"_id": created["data"]["id"]})
    assert stored["password_hash"].startswith("$argon2id$")
    assert "correct horse" not in json.dumps(stored, default=str)
    assert created["data"]["email"] == "Dev.Hughes@example.org"  # domains are case-free
    me = created["data"]["id"]
    read = await call(nc, contract.GET_MEMBER, {"id": me}, member_id=me)
    assert read["data"]["display_name"] == "Dev Hughes"
    assert read["data"]["email"] is None  # not contactable: nobody sees it
    other = await call(nc, contract.REGISTER_ACCOUNT, account(organisation["id"], "x@example.org"))
    someone_else = other["data"]["id"]
    unlisted = await call(nc, contract.GET_MEMBER, {"id": me}, member_id=someone_else)
    assert unlisted["error"]["code"] == "not_found"  # not listed: invisible to others
    anonymous = await call(nc, contract.GET_MEMBER, {"id": me})
    assert anonymous["error"]["code"] == "unauthenticated"


async def test_a_second_registration_of_an_email_conflicts_whatever_its_case(membership) -> None:  # type: ignore[no-untyped-def]
    nc, db = membership
    organisation = (await call(nc, contract.REGISTER_ORGANISATION, ORGANISATION))["data"]
    assert (await call(nc, contract.REGISTER_ACCOUNT, account(organisation["id"])))["ok"]
    again = await call(
        nc, contract.REGISTER_ACCOUNT, account(organisation["id"], "dev.hughes@example.ORG")
    )
    assert again["error"]["code"] == "conflict"
    assert await db["members"].count_documents({}) == 1


async def test_concurrent_registrations_of_one_email_make_one_member(membership) -> None:  # type: ignore[no-untyped-def]
    nc, db = membership
    organisation = (await call(nc, contract.REGISTER_ORGANISATION, ORGANISATION))["data"]
    replies = await asyncio.gather(
        *(call(nc, contract.REGISTER_ACCOUNT, account(organisation["id"])) for _ in range(5))
    )
    assert sum(reply["ok"] for reply in replies) == 1
    assert await db["members"].count_documents({}) == 1


async def test_bad_requests_get_field_errors_and_change_nothing(membership) -> None:  # type: ignore[no-untyped-def]
    nc, db = membership
    reply = await call(nc, contract.REGISTER_ACCOUNT, {"email": "nope", "password": "short"})
    assert reply["error"]["code"] == "invalid"
    fields = {error["field"] for error in reply["error"]["errors"]}
    assert {"email", "password", "display_name", "organisation_id", "member_type"} <= fields
    unknown = await call(
        nc, contract.REGISTER_ACCOUNT, account("0190c3a0-0000-7000-8000-000000000000")
    )
    assert unknown["error"]["code"] == "invalid"
    assert await db["members"].count_documents({}) == 0


async def test_missing_things_are_not_found(membership) -> None:  # type: ignore[no-untyped-def]
    nc, _ = membership
    missing = "0190c3a0-0000-7000-8000-000000000000"
    organisation = (await call(nc, contract.REGISTER_ORGANISATION, ORGANISATION))["data"]
    viewer = (await call(nc, contract.REGISTER_ACCOUNT, account(organisation["id"])))["data"]["id"]
    found = await call(nc, contract.GET_MEMBER, {"id": missing}, member_id=viewer)
    assert found["error"]["code"] == "not_found"
    assert (await call(nc, contract.GET_ORGANISATION, {"id": missing}))["error"][
        "code"
    ] == "not_found"


async def test_registration_publishes_its_event_once_with_the_event_id_as_message_id(
    membership,
) -> None:  # type: ignore[no-untyped-def]
    nc, db = membership
    organisation = (await call(nc, contract.REGISTER_ORGANISATION, ORGANISATION))["data"]
    member = (await call(nc, contract.REGISTER_ACCOUNT, account(organisation["id"])))["data"]
    js = nc.jetstream()

    async def published() -> int:  # just after the reply, not before it
        info = await js.stream_info(MEMBERSHIP_SERVICE.stream.name)
        return int(info.state.messages) if info.state.messages >= 2 else 0

    assert await eventually(published, timeout=5) == 2
    subject = event_subject("membership", "member.registered", 1, member_id=member["id"])
    message = await js.get_last_msg(MEMBERSHIP_SERVICE.stream.name, subject)
    envelope = EventEnvelope.model_validate_json(message.data)
    assert message.headers["Nats-Msg-Id"] == str(envelope.event_id)
    assert envelope.payload["member_id"] == member["id"]
    assert envelope.instance_id == "test-instance"
    assert "@" not in message.data.decode()  # no email on the bus
    # The outbox was emptied once JetStream acknowledged the event.
    assert await db["members"].count_documents({"outbox.0": {"$exists": True}}) == 0
