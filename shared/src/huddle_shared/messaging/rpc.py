"""RPC endpoints: validate the request, call a handler, answer a ``Reply`` whatever happens."""

import functools
import logging
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from faststream import BaseMiddleware
from faststream.message import StreamMessage
from faststream.nats import NatsBroker
from nats.aio.msg import Msg
from pydantic import BaseModel, Field, ValidationError, create_model

from huddle_shared.contracts.rpc import (
    ANONYMOUS,
    Caller,
    ErrorCode,
    FieldError,
    Reply,
    queue_group,
)
from huddle_shared.errors import HuddleError

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


class _Call(BaseModel):
    """Base of each operation's own message model: ``{caller, body}``."""

    caller: Caller = ANONYMOUS


@functools.cache
def call_model(request_model: type[BaseModel]) -> type[_Call]:
    """``<Request>Call``: the RPC message for one operation, with its request as ``body``."""
    return create_model(
        f"{request_model.__name__}Call",
        __base__=_Call,
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
        return Reply.failure(exc.code, exc.title, exc.detail, exc.errors)
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


def rpc_endpoint(
    broker: NatsBroker,
    subject: str,
    *,
    service: str,
    request_model: type[Req],
    handler: Handler[Req],
    description: str,
) -> None:
    """Serve ``subject`` from the service's queue group, so replicas share requests."""
    message_model = call_model(request_model)

    async def endpoint(message: _Call) -> dict[str, Any]:
        reply = await answer(handler, message.body, message.caller)  # type: ignore[attr-defined]
        return reply.model_dump(mode="json")

    # FastStream validates (and documents) the message from the endpoint's signature.
    endpoint.__annotations__["message"] = message_model
    broker.subscriber(
        subject,
        queue=queue_group(service),
        title=subject,
        description=f"{description} Answers a Reply.",
    )(endpoint)
