"""RPC endpoints: validate the request, call a handler, answer a ``Reply`` whatever happens."""

import asyncio
import contextlib
import contextvars
import functools
import json
import logging
from collections.abc import Awaitable, Callable, Hashable, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar, cast

from faststream import BaseMiddleware
from faststream.message import StreamMessage
from faststream.nats import NatsBroker, NatsRouter
from nats.aio.msg import Msg
from pydantic import BaseModel, Field, ValidationError, create_model

from huddle_shared.clock import utc_now
from huddle_shared.contracts.rpc import (
    CALLER_ASSERTION_FIELD,
    Caller,
    ErrorCode,
    FieldError,
    Reply,
    RpcRequest,
    health_subject,
    queue_group,
    rpc_subject,
)
from huddle_shared.errors import HuddleError
from huddle_shared.messaging.caller_assertions import CallerNotVerified, CallerVerifier
from huddle_shared.storage.idempotency_keys import (
    IdempotencyKeys,
    key_id,
    mentioned_ids,
    request_hash,
)

log = logging.getLogger(__name__)

Req = TypeVar("Req", bound=BaseModel)


def field_errors(exc: ValidationError) -> list[FieldError]:
    """Field paths inside the request (``email``), not inside the RPC message."""
    errors = []
    for err in exc.errors():
        loc = list(err["loc"])
        if loc[:1] == ["message"]:
            loc = loc[1:]
        if loc[:1] == ["body"]:
            loc = loc[1:]
        errors.append(FieldError(field=".".join(map(str, loc)) or "body", message=err["msg"]))
    return errors


Handler = Callable[[Req, Caller], Awaitable[Any]]

DEFAULT_RPC_WORKERS = 16
# How long a retry waits for the first request with its idempotency key to finish.
IN_PROGRESS_WAIT_SECONDS = 2.0
# Time left for an answer to reach the caller before its deadline.
REPLY_MARGIN_SECONDS = 0.2


@functools.cache
def call_model(request_model: type[BaseModel]) -> type[RpcRequest]:
    """``<Request>Call``: the RPC message for one operation, with its request as ``body``."""
    return create_model(
        f"{request_model.__name__}Call",
        __base__=RpcRequest,
        __doc__=f"The caller and a {request_model.__name__}.",
        body=(request_model, Field(default_factory=dict, validate_default=True)),
    )


def invalid_reply(exc: ValidationError) -> Reply:
    return Reply.failure(
        ErrorCode.INVALID, "Invalid request", "The request failed validation.", field_errors(exc)
    )


async def answer(handler: Handler[Req], request: Req, caller: Caller) -> Reply:
    """Run ``handler`` on a validated request; every failure becomes an error reply."""
    try:
        return Reply.success(await handler(request, caller))
    except HuddleError as exc:
        return Reply.failure(
            exc.code,
            exc.title,
            exc.detail,
            exc.errors,
            retryable=exc.retryable,
            retry_after_seconds=exc.retry_after_seconds,
        )
    except Exception:
        log.exception("RPC handler failed", extra={"request_model": type(request).__name__})
        return Reply.failure(
            ErrorCode.UNAVAILABLE, "Service error", "The service could not complete the request."
        )


class RpcValidationMiddleware(BaseMiddleware):
    """A request that does not match its operation's model gets an ``invalid`` reply.

    FastStream validates the message against the endpoint's signature before the endpoint
    runs; without this, the caller would get no answer at all and time out.
    """

    async def consume_scope(self, call_next: Any, msg: StreamMessage[Any]) -> Any:
        raw = msg.raw_message
        is_rpc = isinstance(raw, Msg) and raw.reply and not raw.reply.startswith("$JS.ACK.")
        try:
            return await call_next(msg)
        except ValidationError as exc:
            if not is_rpc:
                raise
            return invalid_reply(exc).model_dump(mode="json")


def unauthenticated_reply(reason: str) -> Reply:
    return Reply.failure(
        ErrorCode.UNAUTHENTICATED,
        "Caller not verified",
        "The request carries no valid caller assertion; services answer the gateway only.",
        [FieldError(field=CALLER_ASSERTION_FIELD, message=reason)],
    )


class CallerCheck:
    """Broker middleware factory: a message on an RPC subject (``rpc.``) runs its
    handler only with a valid caller assertion for that very message (``verifier``; None
    refuses everything). Otherwise it is answered ``unauthenticated`` (the sender does not
    time out) and nothing is done; a message without a reply subject is dropped.

    Health is exempt: it carries no caller and reads nothing personal, and the readiness
    probes that ask it hold no signing key. Events (JetStream) are not RPCs.

    It runs before validation, from the message as decoded from its bytes: the validated
    request (defaults filled in) is not what the gateway signed.
    """

    def __init__(self, verifier: CallerVerifier | None, *, service: str) -> None:
        self.verifier = verifier
        self.exempt = {health_subject(service)}

    def __call__(self, msg: Any, /, *, context: Any) -> "_CallerCheckScope":
        return _CallerCheckScope(msg, context=context, check=self)

    def applies_to(self, subject: str) -> bool:
        # Every RPC subject, not only the service's own prefix: nothing slips through.
        return subject.startswith("rpc.") and subject not in self.exempt

    async def refusal(self, msg: StreamMessage[Any], subject: str) -> str | None:
        """Why the message must not run, or None when its assertion holds."""
        if self.verifier is None:
            return "this service has no caller verify keys"
        try:
            decoded = await msg.decode()  # the very object the handler's validation gets
        except Exception:
            return "the message is not JSON"
        return self.refusal_of(subject, decoded)

    def refusal_of(self, subject: str, decoded: Any) -> str | None:
        """The same for a message already decoded from its JSON bytes (the raw server)."""
        if self.verifier is None:
            return "this service has no caller verify keys"
        try:
            self.verifier.verify(subject, decoded)
        except CallerNotVerified as exc:
            return exc.reason
        return None


class _CallerCheckScope(BaseMiddleware):
    def __init__(self, msg: Any, /, *, context: Any, check: CallerCheck) -> None:
        super().__init__(msg, context=context)
        self.check = check

    async def consume_scope(self, call_next: Any, msg: StreamMessage[Any]) -> Any:
        raw = msg.raw_message
        if not isinstance(raw, Msg) or not self.check.applies_to(raw.subject):
            return await call_next(msg)
        reason = await self.check.refusal(msg, raw.subject)
        if reason is None:
            return await call_next(msg)
        # Never the body: it may hold a password or personal data.
        log.warning(
            "RPC refused: caller not verified",
            extra={"subject": raw.subject, "reason": reason, "replied": bool(raw.reply)},
        )
        return unauthenticated_reply(reason).model_dump(mode="json")


# --- Work after the reply ------------------------------------------------------------------

PostReplyWork = Callable[[], Awaitable[None]]


class _Deferred(list[tuple[Hashable, PostReplyWork]]):
    """The work one RPC defers. Closed once the reply is made: a task the handler started
    sees the same context, and what it defers after that must run at once, not never."""

    closed = False


_post_reply: contextvars.ContextVar[_Deferred | None] = contextvars.ContextVar(
    "huddle_post_reply", default=None
)
_queues: dict[Hashable, asyncio.Task[None]] = {}
_running: set[asyncio.Task[None]] = set()


def after_reply(key: Hashable, work: PostReplyWork) -> bool:
    """Inside an RPC handler, run ``work`` once the reply is on its way, not before; works
    with the same ``key`` (e.g. one document's outbox) run one after another, in order.

    Returns False outside an RPC (an event handler, a start hook): the caller runs it now.
    """
    deferred = _post_reply.get()
    if deferred is None or deferred.closed:
        return False
    deferred.append((key, work))
    return True


def _start_post_reply(deferred: list[tuple[Hashable, PostReplyWork]]) -> None:
    loop = asyncio.get_running_loop()
    for key, work in deferred:
        previous = _queues.get(key)
        if previous is not None and previous.get_loop() is not loop:
            previous = None  # left over from an event loop that has ended (tests)
        task = asyncio.create_task(_run_after(previous, work), name=f"after-reply {key}")
        _queues[key] = task
        _running.add(task)
        task.add_done_callback(functools.partial(_finished, key))


async def _run_after(previous: asyncio.Task[None] | None, work: PostReplyWork) -> None:
    if previous is not None:
        await asyncio.wait([previous])  # its failure is its own; ours runs regardless
    try:
        await work()
    except Exception:
        log.exception("work after an RPC reply failed")


def _finished(key: Hashable, task: asyncio.Task[None]) -> None:
    _running.discard(task)
    if _queues.get(key) is task:
        del _queues[key]


async def drain_post_reply_work() -> None:
    """At shutdown: let what replies promised (e.g. publishing events) finish."""
    loop = asyncio.get_running_loop()
    while mine := [task for task in _running if task.get_loop() is loop]:
        await asyncio.wait(mine)


# --- Idempotency keys -------------------------------------------------------------------------


def _in_progress() -> Reply:
    return Reply.failure(
        ErrorCode.CONFLICT,
        "Request in progress",
        "A request with this Idempotency-Key is still being handled; try again shortly.",
    )


async def answer_once(
    keys: IdempotencyKeys,
    subject: str,
    message: RpcRequest,
    run: Callable[[], Awaitable[Reply]],
    *,
    wait_seconds: float = IN_PROGRESS_WAIT_SECONDS,
) -> Reply:
    """Run a request with an idempotency key at most once; a retry gets the stored reply."""
    assert message.idempotency_key is not None
    key = key_id(subject, message.caller, message.idempotency_key)
    body = message.body
    body_hash = request_hash(body.model_dump(mode="json") if isinstance(body, BaseModel) else body)
    loop = asyncio.get_running_loop()
    wait = wait_seconds
    if message.deadline is not None:  # answer "in progress" while the caller still listens
        left = (message.deadline - utc_now()).total_seconds()
        wait = min(wait, left - REPLY_MARGIN_SECONDS)
    give_up = loop.time() + wait
    while True:
        claim = await keys.claim(key, body_hash)
        if claim.outcome == "done":
            assert claim.reply is not None
            return Reply.model_validate(claim.reply)
        if claim.outcome == "mismatch":
            return Reply.failure(
                ErrorCode.INVALID,
                "Idempotency key reused",
                "This Idempotency-Key was used with a different request. "
                "Send a new key for a new request.",
            )
        if claim.outcome == "claimed":
            break
        if loop.time() >= give_up:
            return _in_progress()
        await asyncio.sleep(0.05)
    try:
        reply = await run()
    except BaseException:
        with contextlib.suppress(Exception):  # the original failure matters more
            await keys.release(key)
        raise
    retry_may_succeed = reply.error is not None and (
        reply.error.code == ErrorCode.UNAVAILABLE or reply.error.retryable
    )
    try:
        if retry_may_succeed:
            await keys.release(key)
        else:
            mentions = mentioned_ids(str(message.caller.member_id or ""), reply.data)
            await keys.complete(key, reply.model_dump(mode="json"), mentions)
    except Exception:
        # The work is done (or not) either way: answer what happened. The key stays claimed
        # until its claim goes stale, so a retry meanwhile hears "in progress".
        log.exception("idempotency key not recorded", extra={"subject": subject})
    return reply


# --- Endpoints --------------------------------------------------------------------------------


def _deadline_passed() -> Reply:
    return Reply.failure(
        ErrorCode.UNAVAILABLE,
        "Deadline passed",
        "The caller had stopped waiting before the service could start on the request.",
    )


# How long a handler may run. Longer than any caller waits: work the caller gave up on
# (504) still finishes, so a retry with its Idempotency-Key gets the answer; but a database
# that accepts a query and never answers cannot hold a worker for ever.
HANDLER_SECONDS = 30.0


def _timed_out() -> Reply:
    return Reply.failure(
        ErrorCode.UNAVAILABLE,
        "Service error",
        "The service could not complete the request in time.",
        retryable=True,
    )


async def serve_request(
    subject: str,
    message: RpcRequest,
    handler: Handler[Any],
    idempotency_keys: IdempotencyKeys | None,
) -> Reply:
    """One validated ``<Req>Call``: its deadline, its Idempotency-Key, the handler (bounded in
    time), then the work it deferred until after the reply. Both servers run this."""
    if message.expired(utc_now()):
        # Queued past the caller's patience: it has answered its client already (504),
        # so doing the work now would only surprise them.
        log.warning("RPC dropped: its deadline had passed", extra={"subject": subject})
        return _deadline_passed()

    async def run() -> Reply:
        # The message was validated as ``<Req>Call``: its body is a ``Req``.
        try:
            async with asyncio.timeout(HANDLER_SECONDS):
                return await answer(handler, cast(BaseModel, message.body), message.caller)
        except TimeoutError:
            log.warning("RPC handler timed out", extra={"subject": subject})
            return _timed_out()

    deferred = _Deferred()
    token = _post_reply.set(deferred)
    try:
        if message.idempotency_key is not None and idempotency_keys is not None:
            try:
                return await answer_once(idempotency_keys, subject, message, run)
            except Exception:
                log.exception("idempotency keys unavailable", extra={"subject": subject})
                return _timed_out()
        return await run()
    finally:
        _post_reply.reset(token)
        deferred.closed = True
        _start_post_reply(deferred)


def rpc_endpoint(
    broker: NatsBroker | NatsRouter,
    subject: str,
    *,
    service: str,
    request_model: type[Req],
    handler: Handler[Req],
    description: str,
    max_workers: int = DEFAULT_RPC_WORKERS,
    idempotency_keys: IdempotencyKeys | None = None,
) -> None:
    """Serve ``subject`` from the service's queue group, so replicas share requests, with up
    to ``max_workers`` requests in progress at once in this process."""
    message_model = call_model(request_model)

    async def endpoint(message: RpcRequest) -> dict[str, Any]:
        reply = await serve_request(subject, message, handler, idempotency_keys)
        return reply.model_dump(mode="json")

    # FastStream validates (and documents) the message from the endpoint's signature.
    endpoint.__annotations__["message"] = message_model
    broker.subscriber(
        subject,
        queue=queue_group(service),
        max_workers=max_workers,
        title=subject,
        description=f"{description} Answers a Reply.",
    )(endpoint)


# --- The raw server -----------------------------------------------------------------------------


@dataclass(frozen=True)
class RawRoute:
    subject: str
    request_model: type[BaseModel]
    handler: Handler[Any]
    idempotency_keys: IdempotencyKeys | None = None


@dataclass
class _Served:
    route: RawRoute
    message_model: type[RpcRequest]
    workers: asyncio.Semaphore


def _no_such_operation() -> Reply:
    # What the caller heard before (no responders) maps to the same 503.
    return Reply.failure(
        ErrorCode.UNAVAILABLE, "No such operation", "This service has no such operation."
    )


class RpcServer:
    """A service's RPC subjects served from one raw nats-py queue subscription
    (``rpc.<service>.>`` in the service's queue group), without FastStream's per-message
    layers (decision 0027): the same caller check (health exempt), ``<Req>Call``
    validation with ``invalid`` replies, deadlines, Idempotency-Keys and error replies
    (``serve_request``). RPC has no dead letters on either path: every failure is a reply.

    Up to ``max_workers`` requests of one subject run at once (as FastStream's
    ``max_workers`` per subscriber), and no more than that times the number of subjects are
    taken in at once: beyond that, messages wait in nats-py's pending queue.

    The FastStream subscribers stay registered for the AsyncAPI documents and serve when
    tracing is on (their middleware carries the trace context); then this is not started.
    """

    def __init__(
        self,
        service: str,
        routes: Sequence[RawRoute],
        *,
        check: CallerCheck,
        health: Callable[[], Awaitable[Any]] | None = None,
        max_workers: int = DEFAULT_RPC_WORKERS,
    ) -> None:
        self.service = service
        self.subject = rpc_subject(service, ">")
        self.check = check
        self.health = health
        self.health_subject = health_subject(service)
        self.max_workers = max_workers
        self._routes = {
            route.subject: _Served(
                route, call_model(route.request_model), asyncio.Semaphore(max_workers)
            )
            for route in routes
        }
        self._intake = asyncio.Semaphore(max_workers * max(1, len(self._routes)))
        self._tasks: set[asyncio.Task[None]] = set()
        self._connection: Any = None
        self._subscription: Any = None

    async def start(self, connection: Any) -> None:
        self._connection = connection
        self._subscription = await connection.subscribe(
            self.subject, queue=queue_group(self.service), cb=self._received
        )

    async def stop(self, wait_seconds: float = 10.0) -> None:
        """Takes no more requests; lets those in progress answer (bounded)."""
        if self._subscription is not None:
            with contextlib.suppress(Exception):  # NATS may be gone already
                await self._subscription.drain()
            self._subscription = None
        if self._tasks:
            await asyncio.wait(set(self._tasks), timeout=wait_seconds)

    async def _received(self, msg: Msg) -> None:
        # nats-py awaits this callback per message, in order: it only takes the message in.
        await self._intake.acquire()
        task = asyncio.create_task(self._handle(msg), name=f"rpc {msg.subject}")
        self._tasks.add(task)
        task.add_done_callback(self._finished)

    def _finished(self, task: asyncio.Task[None]) -> None:
        self._tasks.discard(task)
        self._intake.release()

    async def _handle(self, msg: Msg) -> None:
        try:
            data = await self._reply_for(msg)
        except Exception:
            log.exception("RPC failed", extra={"subject": msg.subject})
            data = _service_error().model_dump_json().encode()
        if data is not None and msg.reply:
            with contextlib.suppress(Exception):  # the caller or NATS is gone
                await self._connection.publish(msg.reply, data)

    async def _reply_for(self, msg: Msg) -> bytes | None:
        subject = msg.subject
        if subject == self.health_subject and self.health is not None:
            try:
                return json.dumps(await self.health()).encode()
            except Exception:
                # As before: no answer, so the probe sees the service as not ready.
                log.exception("health check failed")
                return None
        try:
            decoded: Any = json.loads(msg.data)
        except ValueError:
            reason: str | None = "the message is not JSON"
        else:
            reason = self.check.refusal_of(subject, decoded)
        if reason is not None:
            # Never the body: it may hold a password or personal data.
            log.warning(
                "RPC refused: caller not verified",
                extra={"subject": subject, "reason": reason, "replied": bool(msg.reply)},
            )
            return unauthenticated_reply(reason).model_dump_json().encode()
        served = self._routes.get(subject)
        if served is None:
            return _no_such_operation().model_dump_json().encode()
        try:
            message = served.message_model.model_validate(decoded)
        except ValidationError as exc:
            return invalid_reply(exc).model_dump_json().encode()
        async with served.workers:
            route = served.route
            reply = await serve_request(subject, message, route.handler, route.idempotency_keys)
        return reply.model_dump_json().encode()


def _service_error() -> Reply:
    return Reply.failure(
        ErrorCode.UNAVAILABLE, "Service error", "The service could not complete the request."
    )
