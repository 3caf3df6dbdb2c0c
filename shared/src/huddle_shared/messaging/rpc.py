"""RPC endpoints: validate the request, call a handler, answer a ``Reply`` whatever happens."""

import logging
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from faststream.nats import NatsBroker
from pydantic import BaseModel, ValidationError

from huddle_shared.contracts.rpc import (
    Caller,
    ErrorCode,
    FieldError,
    Reply,
    RpcRequest,
    queue_group,
)
from huddle_shared.errors import HuddleError

log = logging.getLogger(__name__)

Req = TypeVar("Req", bound=BaseModel)


def field_errors(exc: ValidationError) -> list[FieldError]:
    return [
        FieldError(field=".".join(str(part) for part in err["loc"]) or "body", message=err["msg"])
        for err in exc.errors()
    ]


Handler = Callable[[Req, Caller], Awaitable[Any]]


async def answer(request_model: type[Req], message: Any, handler: Handler[Req]) -> Reply:
    """Run ``handler`` on a validated request; every failure becomes an error reply."""
    try:
        envelope = RpcRequest.model_validate(message)
        request = request_model.model_validate(envelope.body)
    except ValidationError as exc:
        return Reply.failure(
            ErrorCode.INVALID,
            "Invalid request",
            "The request failed validation.",
            field_errors(exc),
        )
    try:
        return Reply.success(await handler(request, envelope.caller))
    except HuddleError as exc:
        return Reply.failure(exc.code, exc.title, exc.detail, exc.errors)
    except Exception:
        log.exception("RPC handler failed", extra={"request_model": request_model.__name__})
        return Reply.failure(
            ErrorCode.UNAVAILABLE, "Service error", "The service could not complete the request."
        )


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

    @broker.subscriber(
        subject,
        queue=queue_group(service),
        title=subject,
        description=(
            f"{description} Message: RpcRequest(caller, body: {request_model.__name__}). "
            "Answers a Reply."
        ),
    )
    async def endpoint(message: dict[str, Any]) -> dict[str, Any]:
        reply = await answer(request_model, message, handler)
        return reply.model_dump(mode="json")
