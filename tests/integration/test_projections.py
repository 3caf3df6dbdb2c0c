"""Every service keeps its projection of membership events, applies each event once, and
never lets an older event overwrite a newer state."""

import json
from typing import Any

import pytest
from huddle_insights.repository import MemberProfiles
from huddle_shared.contracts import membership as contract
from huddle_shared.services import MEMBERSHIP as MEMBERSHIP_SERVICE
from huddle_shared.services import service_names
from huddle_shared.storage.idempotency import BOOKKEEPING_FIELDS
from pymongo import AsyncMongoClient
from support import connect_nats, eventually, services, signed

pytestmark = pytest.mark.integration

ALL = service_names()


async def call(
    nc: Any, subject: str, body: dict[str, Any], caller: dict[str, Any] | None = None
) -> dict[str, Any]:
    message = {"body": body, **({"caller": caller} if caller else {})}
    reply = json.loads((await nc.request(subject, signed(subject, message), timeout=10)).data)
    assert reply["ok"], reply
    return reply["data"]  # type: ignore[no-any-return]


async def snapshot(databases: dict[str, Any]) -> dict[str, Any]:
    """What each projection holds, without the de-duplication markers."""

    async def docs(service: str, collection: str) -> list[dict[str, Any]]:
        hidden = dict.fromkeys(BOOKKEEPING_FIELDS, 0)
        found = databases[service][collection].find({}, hidden).sort("_id")
        return [doc async for doc in found]

    return {
        "notes": await docs("notes", "redaction_names"),
        "insights": await docs("insights", "member_profiles"),
        "scheduling": await docs("scheduling", "attendees"),
        "signposting": await docs("signposting", "organisations"),
        "signposting_members": await docs("signposting", "organisation_members"),
    }


async def test_projections_catch_up_and_ignore_a_second_or_older_delivery(
    settings_for: Any, nats_url: str, mongodb_url: str
) -> None:
    async with services(settings_for, *ALL) as running:
        nc = await connect_nats(nats_url)
        mongo: AsyncMongoClient[Any] = AsyncMongoClient(mongodb_url, tz_aware=True)
        databases = {name: mongo[runtime.database.name] for name, runtime in running.items()}
        try:
            organisation = await call(
                nc,
                contract.REGISTER_ORGANISATION,
                {"name": "University of Leeds", "kind": "university"},
            )
            member = await call(
                nc,
                contract.REGISTER_ACCOUNT,
                {
                    "email": "aisha.okafor@example.org",
                    "password": "a long enough password",
                    "display_name": "Aisha Okafor",
                    "organisation_id": organisation["id"],
                    "member_type": "researcher",
                },
            )

            async def caught_up() -> dict[str, Any] | None:
                state = await snapshot(databases)
                return state if all(state.values()) else None

            state = await eventually(caught_up)
            assert state["notes"] == [
                {
                    "_id": member["id"],
                    "names": ["Aisha Okafor"],
                }
            ]
            assert state["insights"] == [
                {
                    "_id": member["id"],
                    "organisation_kind": "university",
                    "region": None,
                    "member_type": "researcher",
                }
            ]
            assert state["scheduling"] == [
                {
                    "_id": member["id"],
                    "display_name": "Aisha Okafor",
                    "member_type": "researcher",
                    "listed": False,
                    "is_instance_admin": False,
                }
            ]
            assert state["signposting"] == [
                {
                    "_id": organisation["id"],
                    "name": "University of Leeds",
                    "kind": "university",
                    "region": None,
                }
            ]
            assert state["signposting_members"] == [
                {"_id": member["id"], "organisation_id": organisation["id"]}
            ]
            profiles = MemberProfiles(databases["insights"])
            assert await profiles.count_by_organisation_kind() == {"university": 1}
            assert "display_name" not in json.dumps(state["insights"])  # nothing identifying

            # The member renames themselves: a newer event of the same member.
            await call(
                nc,
                contract.UPDATE_ME,
                {"display_name": "Aisha Okafor-Bello"},
                caller={"member_id": member["id"]},
            )

            async def renamed() -> dict[str, Any] | None:
                state = await snapshot(databases)
                attendee, names = state["scheduling"][0], state["notes"][0]
                both = attendee["display_name"] == "Aisha Okafor-Bello" and (
                    "Aisha Okafor-Bello" in names["names"]
                )  # two consumers, each at its own pace
                return state if both else None

            state = await eventually(renamed)
            assert state["scheduling"] == [
                {
                    "_id": member["id"],
                    "display_name": "Aisha Okafor-Bello",
                    "member_type": "researcher",
                    "listed": False,
                    "is_instance_admin": False,
                }
            ]
            assert "Aisha Okafor-Bello" in state["notes"][0]["names"]
            assert "Aisha Okafor" in state["notes"][0]["names"]  # the old name still identifies

            # Deliver the events before the rename again, past JetStream's de-duplication (new
            # message ids), as a redelivery after a lost acknowledgement would: the
            # registration now arrives after the rename, and must not bring the old name back.
            js = nc.jetstream()
            published = (await js.stream_info(MEMBERSHIP_SERVICE.stream.name)).state.messages
            assert published == 3  # organisation registered, member registered, renamed
            resent = published - 1
            for sequence in range(1, resent + 1):
                original = await js.get_msg(MEMBERSHIP_SERVICE.stream.name, sequence)
                await js.publish(
                    original.subject, original.data, headers={"Nats-Msg-Id": f"again-{sequence}"}
                )

            async def redelivered_everywhere() -> bool:
                for name in ("notes", "insights", "scheduling", "signposting"):
                    info = await js.consumer_info(MEMBERSHIP_SERVICE.stream.name, durable_for[name])
                    if info.delivered.stream_seq < published + resent or info.num_ack_pending:
                        return False
                return True

            durable_for = {
                "notes": "notes-redaction-names",
                "insights": "insights-member-counts",
                "scheduling": "scheduling-attendees",
                "signposting": "signposting-organisation-directory",
            }
            await eventually(redelivered_everywhere)
            assert await snapshot(databases) == state
            assert await profiles.count_by_organisation_kind() == {"university": 1}
        finally:
            await nc.close()
            await mongo.close()
