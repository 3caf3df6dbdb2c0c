"""Membership's reads from memory (decision 0025), against real NATS and FerretDB.

- a write through a process is visible on that process's next read (while a change made
  behind its back, straight in the database, is not: the read came from memory);
- another process's write reaches this one's read models through its event (two
  membership runtimes on one database), well inside the TTL backstop;
- erasure empties every read model of the person, on both processes;
- the statistics are exact after duplicated, reordered and replayed events.
"""

import uuid
from collections.abc import AsyncIterator
from typing import Any

import pytest
from huddle_membership import read_models
from huddle_membership.bootstrap import bootstrap
from huddle_membership.directory.statistics import DURABLE as STATISTICS
from huddle_membership.members.domain import MemberNotFound
from huddle_shared.contracts import membership as mc
from huddle_shared.contracts import networks as nc
from huddle_shared.contracts.common import ERASE_ME
from huddle_shared.contracts.envelope import EventEnvelope, EventPayload
from huddle_shared.contracts.rpc import Caller
from huddle_shared.errors import HuddleError
from huddle_shared.runtime import ServiceRuntime
from support import eventually, set_fields, started

pytestmark = pytest.mark.integration

PASSWORD = "a long enough password"


class Process:
    """One membership runtime, called through its handlers, with its read models in view."""

    def __init__(self, runtime: ServiceRuntime, models: read_models.MembershipReadModels):
        self.runtime = runtime
        self.models = models
        self.routes = {route.subject: route for route in runtime.routes}

    async def call(self, subject: str, body: dict[str, Any], member: str | None = None) -> Any:
        route = self.routes[subject]
        caller = Caller(member_id=uuid.UUID(member)) if member else Caller()
        return await route.handler(route.request_model(**body), caller)

    async def me(self, member: str) -> Any:
        return await self.call(mc.GET_ME, {}, member)


@pytest.fixture
async def pair(settings_for: Any) -> AsyncIterator[tuple[Process, Process]]:
    """Two membership processes' runtimes on one database (each its own read models)."""
    settings = settings_for("membership")
    first, second = read_models.MembershipReadModels(), read_models.MembershipReadModels()
    async with (
        started(bootstrap(settings, models=first)) as one,
        started(bootstrap(settings, models=second)) as two,
    ):
        yield Process(one, first), Process(two, second)


async def person(process: Process, name: str, *, admin: bool = False) -> str:
    organisation = await process.call(
        mc.REGISTER_ORGANISATION,
        {"name": f"Bradford {uuid.uuid4().hex[:6]}", "kind": "nhs_trust", "region": "london"},
    )
    account = await process.call(
        mc.REGISTER_ACCOUNT,
        {
            "email": f"{uuid.uuid4().hex[:10]}@example.org",
            "password": PASSWORD,
            "display_name": name,
            "job_title": "Nurse",
            "organisation_id": str(organisation.id),
            "member_type": "staff",
        },
    )
    member_id = str(account.id)
    fields = {"listed_in_directory": True, "is_instance_admin": admin}
    await set_fields(process.runtime.database["members"], member_id, fields)  # set-up
    return member_id


async def test_a_write_is_visible_on_the_next_read_of_the_same_process(
    pair: tuple[Process, Process],
) -> None:
    one, _ = pair
    # Deaf to events (its own included): only the write itself may keep it current.
    one.models.on_event = lambda envelope: None  # type: ignore[method-assign]
    member = await person(one, "Aisha Okafor")
    assert (await one.me(member)).display_name == "Aisha Okafor"
    # Changed behind the process's back: its read comes from memory, so it does not see it.
    await set_fields(one.runtime.database["members"], member, {"job_title": "Matron"})
    assert (await one.me(member)).job_title == "Nurse"
    # Its own write: the very next read shows it, as the database now holds it.
    await one.call(mc.UPDATE_ME, {"display_name": "Aisha Okafor-Reid"}, member)
    after = await one.me(member)
    stored = await one.runtime.database["members"].find_one({"_id": member})
    assert after.display_name == stored["display_name"] == "Aisha Okafor-Reid"
    assert after.job_title == stored["job_title"]


async def test_another_processs_write_reaches_the_read_models_by_its_event(
    pair: tuple[Process, Process],
) -> None:
    one, two = pair
    admin = await person(one, "Ben Patel", admin=True)
    joiner = await person(one, "Chloe Evans")
    await one.call(nc.CREATE_NETWORK, {"slug": "psmn", "name": "PSMN"}, admin)
    # Both processes hold the member and the roster in memory.
    for process in (one, two):
        assert (await process.me(joiner)).display_name == "Chloe Evans"
        roster = await process.call(nc.LIST_NETWORK_MEMBERS, {"slug": "psmn"}, admin)
        assert [m.display_name for m in roster.members] == ["Ben Patel"]
    assert one.models.members.peek(joiner) is not None

    await two.call(mc.UPDATE_ME, {"display_name": "Chloe Evans-Hart"}, joiner)
    await two.call(nc.JOIN_NETWORK, {"slug": "psmn"}, joiner)

    async def seen_by_one() -> bool:
        account = await one.me(joiner)
        roster = await one.call(nc.LIST_NETWORK_MEMBERS, {"slug": "psmn"}, admin)
        names = sorted(m.display_name for m in roster.members)
        return account.display_name == "Chloe Evans-Hart" and names == [
            "Ben Patel",
            "Chloe Evans-Hart",
        ]

    # Far inside the TTL backstop: it is the event that reached the read models.
    assert read_models.TTL_SECONDS >= 30
    await eventually(seen_by_one, timeout=5)

    # A rename alone (no membership changes) reaches the roster built in memory too.
    await two.call(mc.UPDATE_ME, {"display_name": "Chloe Hart"}, joiner)

    async def renamed_in_ones_roster() -> bool:
        roster = await one.call(nc.LIST_NETWORK_MEMBERS, {"slug": "psmn"}, admin)
        return "Chloe Hart" in [m.display_name for m in roster.members]

    await eventually(renamed_in_ones_roster, timeout=5)


async def test_a_consent_withdrawn_on_another_process_is_honoured_by_its_event(
    pair: tuple[Process, Process],
) -> None:
    """No name changes: the withdrawal itself must reach the other process's models."""
    one, two = pair
    admin = await person(one, "Dev Sharma", admin=True)
    member = await person(one, "Erin Walsh")
    await one.call(nc.CREATE_NETWORK, {"slug": "consent", "name": "Consent"}, admin)
    await one.call(mc.UPDATE_ME, {"contactable": True}, member)
    await one.call(nc.JOIN_NETWORK, {"slug": "consent"}, member)

    async def listed_by_one() -> bool:
        roster = await one.call(nc.LIST_NETWORK_MEMBERS, {"slug": "consent"}, admin)
        seen = await one.call(mc.GET_MEMBER, {"id": member}, admin)
        return [m.email for m in roster.members if m.display_name == "Erin Walsh"] == [
            seen.email
        ] and seen.email is not None

    await eventually(listed_by_one, timeout=5)  # both now held in one's memory

    await two.call(mc.UPDATE_ME, {"contactable": False, "listed_in_directory": False}, member)

    async def withdrawn_for_one() -> bool:
        roster = await one.call(nc.LIST_NETWORK_MEMBERS, {"slug": "consent"}, admin)
        try:
            await one.call(mc.GET_MEMBER, {"id": member}, admin)
        except MemberNotFound:  # unlisted members look like no member at all
            return "Erin Walsh" not in [m.display_name for m in roster.members]
        return False

    assert read_models.TTL_SECONDS >= 30  # far inside it: the event did this
    await eventually(withdrawn_for_one, timeout=5)


async def test_erasure_empties_every_read_model_of_the_person(
    pair: tuple[Process, Process],
) -> None:
    one, two = pair
    admin = await person(one, "Dev Hughes", admin=True)
    leaving = await person(one, "Erin Walsh")
    await one.call(nc.CREATE_NETWORK, {"slug": "psp", "name": "PSP"}, admin)
    await one.call(nc.JOIN_NETWORK, {"slug": "psp"}, leaving)
    for process in (one, two):
        await process.me(leaving)
        await process.call(nc.LIST_NETWORKS, {}, leaving)
        roster = await process.call(nc.LIST_NETWORK_MEMBERS, {"slug": "psp"}, admin)
        assert "Erin Walsh" in [m.display_name for m in roster.members]
        assert process.models.members.peek(leaving) is not None
        assert process.models.memberships.peek(leaving) is not None

    await one.call(ERASE_ME, {}, leaving)

    def holds_nothing_of(process: Process) -> bool:
        roster = process.models.rosters.peek("psp") or ()
        view = process.models.roster_views.peek("psp")
        listed = [m.member_id for m in view.members] if view else []
        return (
            uuid.UUID(leaving) not in listed
            and process.models.members.peek(leaving) is None
            and process.models.memberships.peek(leaving) is None
            and uuid.UUID(leaving) not in [member_id for member_id, _ in roster]
        )

    assert holds_nothing_of(one)  # at once, on the erasing process
    await eventually(lambda: _async(holds_nothing_of(two)), timeout=5)
    for process in (one, two):
        with pytest.raises(HuddleError):
            await process.me(leaving)
        roster = await process.call(nc.LIST_NETWORK_MEMBERS, {"slug": "psp"}, admin)
        assert "Erin Walsh" not in [m.display_name for m in roster.members]
        assert holds_nothing_of(process)
    # Asking for the erased person again keeps nothing of them, and costs no one else's
    # built roster (it is no change: a loop of such reads must not empty the models).
    built = one.models.roster_views.peek("psp")
    assert built is not None
    with pytest.raises(HuddleError):
        await one.call(mc.GET_MEMBER, {"id": leaving}, admin)
    assert one.models.members.peek(leaving) is None
    assert one.models.roster_views.peek("psp") is built


async def _async(value: bool) -> bool:
    return value


def event(payload: EventPayload, sequence: int) -> EventEnvelope:
    envelope = EventEnvelope.wrap(payload, instance_id="test-instance")
    return envelope.model_copy(update={"sequence": sequence})


async def test_statistics_are_exact_after_duplicated_reordered_and_replayed_events(
    settings_for: Any,
) -> None:
    runtime = bootstrap(settings_for("membership"))  # not started: events handed in directly
    dispatcher = runtime.dispatchers[STATISTICS]
    stats_route = next(route for route in runtime.routes if route.subject == mc.STATS)
    organisation = uuid.uuid4()
    staying, suspended, erased = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()

    def registered(member_id: uuid.UUID) -> EventEnvelope:
        return event(
            mc.MemberRegisteredV1(
                member_id=member_id,
                display_name="Someone",
                member_type=mc.MemberType.STAFF,
                organisation_id=organisation,
                organisation_kind=mc.OrganisationKind.UNIVERSITY,
                region=mc.Region.LONDON,
                registered_at=EventEnvelope.wrap(
                    mc.MemberErasedV1(member_id=member_id), instance_id="x"
                ).occurred_at,
            ),
            1,
        )

    events = [
        event(
            mc.OrganisationRegisteredV1(
                organisation_id=organisation,
                name="Leeds Beckett University",
                kind=mc.OrganisationKind.UNIVERSITY,
                region=mc.Region.LONDON,
                ods_code=None,
            ),
            1,
        ),
        # The suspension arrives before the registration it follows (a redelivery).
        event(mc.MemberStatusChangedV1(member_id=suspended, status="suspended"), 2),
        registered(suspended),
        registered(staying),
        registered(erased),
        event(mc.MemberErasedV1(member_id=erased), 2),
        event(nc.NetworkCreatedV1(slug="psmn", name="PSMN", parent_slug=None,
                                  visibility=nc.Visibility.OPEN, region=None), 1),
    ]  # fmt: skip
    for envelope in [*events, *events, *reversed(events)]:  # duplicated, replayed, reversed
        await dispatcher.dispatch(envelope)

    stats = await stats_route.handler(stats_route.request_model(), Caller())
    assert (stats.members, stats.organisations, stats.networks) == (1, 1, 1)
    assert stats.members_by_organisation_kind["university"] == 1
    assert stats.members_by_region["london"] == 1
    assert stats.revision == len(events)  # one per event applied, whatever its deliveries
    await runtime.client.close()
