"""A service's RPC operations as a table: subject, handler and description.

The request and response models come from the handler's own signature
(``async def handler(request: Req, caller: Caller, ...) -> Resp``), so validation, the
AsyncAPI documents and type checking all read the same types.
"""

import functools
import inspect
import typing
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar

from faststream.nats import NatsBroker, NatsRouter
from pydantic import BaseModel

from huddle_shared.injection import inject
from huddle_shared.messaging.rpc import DEFAULT_RPC_WORKERS, Handler, RawRoute, rpc_endpoint
from huddle_shared.storage.idempotency_keys import IdempotencyKeys


def _signature_models(handler: Callable[..., Any]) -> tuple[type[BaseModel], Any]:
    target = handler
    while isinstance(target, functools.partial):
        target = target.func
    hints = typing.get_type_hints(target)
    first = next(iter(inspect.signature(target).parameters))
    request_model = hints.get(first)
    if not (isinstance(request_model, type) and issubclass(request_model, BaseModel)):
        raise TypeError(f"{target.__qualname__}: its first parameter must be a pydantic model")
    return request_model, hints.get("return", type(None))


@dataclass(frozen=True)
class Route:
    subject: str
    handler: Handler[Any]
    description: str
    # False where a stored reply would keep what must not be kept: a secret shown once
    # (API tokens, invitations), or a sign-in (it would outlive a suspension).
    idempotency_keys: bool = True
    request_model: type[BaseModel] = field(init=False)
    response_model: Any = field(init=False)

    def __post_init__(self) -> None:
        request_model, response_model = _signature_models(self.handler)
        object.__setattr__(self, "request_model", request_model)
        object.__setattr__(self, "response_model", response_model)


F = TypeVar("F", bound=Callable[..., Awaitable[Any]])


@dataclass(frozen=True)
class _Declared:
    subject: str
    function: Callable[..., Awaitable[Any]]
    description: str
    idempotency_keys: bool


class RouteTable:
    """An area's RPC operations, declared on the handlers themselves (FastStream-style)::

        rpc = RouteTable()

        @rpc.route(contract.GET_ME, "The calling member's own account.")
        async def get_me(request: Empty, caller: Caller, deps: Dependencies) -> AccountView: ...

    The composition root binds them: ``service.serve(rpc.bind(deps=deps))``, each handler
    getting the dependencies its parameters name.
    """

    def __init__(self) -> None:
        self._declared: list[_Declared] = []

    def route(
        self, subject: str, description: str, *, idempotency_keys: bool = True
    ) -> Callable[[F], F]:
        def register(function: F) -> F:
            _signature_models(function)  # fail at import, not at the first request
            self._declared.append(_Declared(subject, function, description, idempotency_keys))
            return function

        return register

    def bind(self, **dependencies: Any) -> list[Route]:
        return [
            Route(
                entry.subject,
                inject(entry.function, 2, dependencies),
                entry.description,
                idempotency_keys=entry.idempotency_keys,
            )
            for entry in self._declared
        ]


def serve(
    broker: NatsBroker | NatsRouter,
    service: str,
    routes: Sequence[Route],
    *,
    max_workers: int = DEFAULT_RPC_WORKERS,
    idempotency_keys: IdempotencyKeys | None = None,
) -> None:
    for route in routes:
        rpc_endpoint(
            broker,
            route.subject,
            service=service,
            request_model=route.request_model,
            handler=route.handler,
            description=route.description,
            max_workers=max_workers,
            idempotency_keys=idempotency_keys if route.idempotency_keys else None,
        )


def raw_routes(
    routes: Sequence[Route], *, idempotency_keys: IdempotencyKeys | None = None
) -> list[RawRoute]:
    """The same routes for ``RpcServer`` (the raw nats-py path, decision 0027)."""
    return [
        RawRoute(
            route.subject,
            route.request_model,
            route.handler,
            idempotency_keys if route.idempotency_keys else None,
        )
        for route in routes
    ]
