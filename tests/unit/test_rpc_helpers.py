"""Pure parts of the RPC layer: work after the reply, and idempotency-key identities."""

import asyncio
import uuid
from typing import Any

import pytest
from huddle_shared.contracts.rpc import Caller, ErrorCode, Reply, RpcRequest
from huddle_shared.messaging import rpc
from huddle_shared.messaging.rpc import answer_once
from huddle_shared.storage.idempotency_keys import key_id, mentioned_ids, request_hash


async def test_work_after_the_reply_runs_in_order_per_key() -> None:
    done: list[str] = []

    async def step(name: str, seconds: float) -> None:
        await asyncio.sleep(seconds)
        done.append(name)

    assert not rpc.after_reply("doc", lambda: step("outside", 0))  # not in an RPC: run it now
    deferred = rpc._Deferred()
    token = rpc._post_reply.set(deferred)
    try:
        assert rpc.after_reply("doc-1", lambda: step("first", 0.05))
        assert rpc.after_reply("doc-2", lambda: step("other document", 0.0))
        deferred.closed = True  # the reply is made: later work (a handler's task) runs now
        assert not rpc.after_reply("doc-3", lambda: step("late", 0))
    finally:
        rpc._post_reply.reset(token)
    rpc._start_post_reply(deferred)
    # A second request on doc-1, whose work is quick: it still waits for the first.
    rpc._start_post_reply([("doc-1", lambda: step("second", 0.0))])
    assert done == []  # nothing ran before the reply
    await rpc.drain_post_reply_work()
    assert done == ["other document", "first", "second"]


def test_idempotency_keys_are_the_callers_own() -> None:
    member, other = Caller(member_id=uuid.uuid4()), Caller(member_id=uuid.uuid4())
    subject = "rpc.membership.networks.create"
    assert key_id(subject, member, "k") == key_id(subject, member, "k")
    assert key_id(subject, member, "k") != key_id(subject, other, "k")
    assert key_id(subject, member, "k") != key_id("rpc.membership.accounts.register", member, "k")
    assert key_id(subject, Caller(), "k") != key_id(subject, Caller(api_token_id="t"), "k")


def test_request_hashes_ignore_key_order() -> None:
    assert request_hash({"a": 1, "b": [1, 2]}) == request_hash({"b": [1, 2], "a": 1})
    assert request_hash({"a": 1}) != request_hash({"a": 2})


def test_mentioned_ids_finds_every_uuid() -> None:
    member, network = str(uuid.uuid4()), str(uuid.uuid4())
    reply = {"id": member, "name": "Rae", "roles": [{"member_id": network}], "n": 3}
    assert mentioned_ids("", reply) == sorted([member, network])


class _Keys:
    """Records what ``answer_once`` does with a key (the real store is tested against
    FerretDB in tests/integration/test_idempotency_keys.py)."""

    def __init__(self) -> None:
        self.completed: list[str] = []
        self.released: list[str] = []

    async def claim(self, key: str, body_hash: str) -> Any:
        from huddle_shared.storage.idempotency_keys import Claim

        return Claim(outcome="claimed")

    async def complete(self, key: str, reply: dict[str, Any], mentions: list[str]) -> None:
        self.completed.append(key)

    async def release(self, key: str) -> None:
        self.released.append(key)


@pytest.mark.parametrize(
    ("reply", "kept"),
    [
        (Reply.success({"id": "x"}), True),
        (Reply.failure(ErrorCode.CONFLICT, "Conflict", "Slug taken."), True),
        (Reply.failure(ErrorCode.CONFLICT, "Conflict", "Try again.", retryable=True), False),
        (Reply.failure(ErrorCode.UNAVAILABLE, "Service error", "Down."), False),
    ],
)
async def test_only_final_answers_are_kept_for_an_idempotency_key(reply: Reply, kept: bool) -> None:
    keys = _Keys()
    message = RpcRequest(body={}, idempotency_key="k-1")

    async def run() -> Reply:
        return reply

    assert await answer_once(keys, "rpc.test.op", message, run) == reply  # type: ignore[arg-type]
    assert bool(keys.completed) == kept
    assert bool(keys.released) == (not kept)
