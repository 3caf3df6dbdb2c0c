"""Declaring a durable consumer beside its handlers, FastStream-style.

A service's handlers module says which events each handler takes, in the handler's own
signature (``async def on_x(envelope, event: XV1, repo: Repo)``), and groups them under
one durable consumer with a decorator::

    member_counts = Subscription("insights-member-counts", "Counts members by ...")

    @member_counts.handler
    async def on_member_registered(envelope, event: MemberRegisteredV1, profiles) -> None: ...

The service's bootstrap then passes the dependencies by name:
``service.consume(handlers.member_counts, profiles=profiles)``. The stream follows from the
events' producer, so it is stated nowhere else.
"""

import inspect
import types
import typing
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, Protocol, TypeVar
from uuid import UUID

from huddle_shared.contracts.envelope import EventEnvelope, EventPayload
from huddle_shared.contracts.membership import MemberErasedV1
from huddle_shared.contracts.streams import StreamSpec
from huddle_shared.injection import inject
from huddle_shared.messaging.consumer import EventDispatcher

H = TypeVar("H", bound=Callable[..., Awaitable[None]])


def handled_payloads(handler: Callable[..., Any]) -> tuple[type[EventPayload], ...]:
    """The payload types named by the handler's second parameter (``XV1``, or ``XV1 | YV1``
    for a handler that treats both alike)."""
    parameters = list(inspect.signature(handler).parameters)
    hints = typing.get_type_hints(handler)
    annotation = hints.get(parameters[1]) if len(parameters) > 1 else None
    models = typing.get_args(annotation) if isinstance(annotation, types.UnionType) else ()
    models = models or (annotation,)
    if not all(isinstance(m, type) and issubclass(m, EventPayload) for m in models):
        raise TypeError(f"{handler.__qualname__}: its second parameter must be an event payload")
    return models


class ForgetsMembers(Protocol):
    async def forget(self, member_id: UUID, *, event_id: str) -> None: ...


async def _forget_erased(
    envelope: EventEnvelope, event: MemberErasedV1, projection: ForgetsMembers
) -> None:
    await projection.forget(event.member_id, event_id=str(envelope.event_id))


@dataclass
class Subscription:
    durable: str
    description: str
    handlers: list[Callable[..., Awaitable[None]]] = field(default_factory=list)

    forgetting: str | None = None

    def handler(self, function: H) -> H:
        handled_payloads(function)  # fail at import, not at the first event
        self.handlers.append(function)
        return function

    def forgets(self, dependency: str) -> None:
        """On ``member.erased``, bury the member in the dependency of that name (a projection
        with ``forget(member_id, event_id=...)``): the same for every per-member projection."""
        self.forgetting = dependency

    @property
    def stream(self) -> StreamSpec:
        from huddle_shared.services import service

        producers = {m.producer for h in self.handlers for m in handled_payloads(h)}
        if len(producers) != 1:
            raise ValueError(f"{self.durable} must read one producer's events, not {producers}")
        return service(producers.pop()).stream

    def dispatcher(self, **dependencies: Any) -> EventDispatcher:
        """Handlers bound to the dependencies their signatures name (cosmicpython-style)."""
        dispatcher = EventDispatcher()
        for function in self.handlers:
            bound: Callable[[EventEnvelope, Any], Awaitable[None]] = inject(
                function, 2, dependencies
            )
            for model in handled_payloads(function):
                dispatcher.on(model, bound)
        if self.forgetting is not None:
            if self.forgetting not in dependencies:
                raise TypeError(f"{self.durable} forgets members in {self.forgetting!r}: give it")
            forget = {"projection": dependencies[self.forgetting]}
            dispatcher.on(MemberErasedV1, inject(_forget_erased, 2, forget))
        return dispatcher
