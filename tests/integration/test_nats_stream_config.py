"""No service may create or change a stream: only the provisioner may (``nats_auth``).

NATS permissions cover the API subject, not the configuration sent to it, so a service
allowed to update its own stream could give it any subjects or a republish rule. These
tests try what that would let a compromised service do (they failed while services
ensured their own streams); services now read stream info only.
"""

import asyncio
import contextlib

import pytest
from huddle_devkit import nats_auth
from huddle_shared.contracts.streams import DEAD_LETTERS
from huddle_shared.messaging.topology import ensure_streams
from huddle_shared.services import MEMBERSHIP, SCHEDULING
from nats.js.api import RePublish
from support import connect_nats

pytestmark = pytest.mark.integration


@pytest.fixture(autouse=True)
def _needs_auth(nats_credentials: object) -> None:
    if nats_credentials is None:
        pytest.skip("NATS_URL names a server without HUDDLE_TEST_NATS_CREDENTIALS")


async def _streams(url: str) -> None:
    devkit = await connect_nats(url)
    await ensure_streams(devkit.jetstream())
    await devkit.close()


async def test_membership_cannot_put_a_scheduling_event_into_its_stream(nats_url: str) -> None:
    await _streams(nats_url)
    ours, theirs = MEMBERSHIP.stream, SCHEDULING.stream
    membership = await connect_nats(nats_url, MEMBERSHIP.name)
    js = membership.jetstream()
    config = (await js.stream_info(ours.name)).config
    config.republish = RePublish(src="events.membership.forged.>", dest="events.scheduling.>")
    try:
        with contextlib.suppress(Exception):  # refused, once fixed
            await js.update_stream(config)
        await membership.publish("events.membership.forged.session.created.v1", b"{}")
        await membership.flush()
        await asyncio.sleep(0.5)
    finally:
        await membership.close()
    devkit = await connect_nats(nats_url)
    stored = (await devkit.jetstream().stream_info(theirs.name)).state.messages
    await devkit.close()
    assert stored == 0


async def test_no_service_can_capture_requests_meant_for_another(nats_url: str) -> None:
    await _streams(nats_url)
    insights = await connect_nats(nats_url, "insights")
    js = insights.jetstream()
    config = (await js.stream_info(DEAD_LETTERS.name)).config
    config.subjects = [*(config.subjects or []), "rpc.notes.>"]
    gateway = await connect_nats(nats_url, nats_auth.GATEWAY)
    try:
        with contextlib.suppress(Exception):  # refused, once fixed
            await js.update_stream(config)
        # No notes service runs: the only answer can come from JetStream storing the request.
        try:
            reply = await gateway.request("rpc.notes.note.list", b'{"private": 1}', timeout=1)
        except Exception:
            return
        pytest.fail(f"the request was answered by {reply.data!r}")
    finally:
        await gateway.close()
        await insights.close()
