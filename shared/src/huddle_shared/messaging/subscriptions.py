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

import functools
import inspect
import typing
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from huddle_shared.contracts.envelope import EventEnvelope, EventPayload
from huddle_shared.contracts.streams import StreamSpec
from huddle_shared.messaging.consumer import EventDispatcher

H = TypeVar("H", bound=Callable[..., Awaitable[None]])


def handled_payload(handler: Callable[..., Any]) -> type[EventPayload]:
    """The payload type named by the handler's second parameter."""
    parameters = list(inspect.signature(handler).parameters)
    hints = typing.get_type_hints(handler)
    model = hints.get(parameters[1]) if len(parameters) > 1 else None
    if not (isinstance(model, type) and issubclass(model, EventPayload)):
        raise TypeError(f"{handler.__qualname__}: its second parameter must be an event payload")
    return model


@dataclass
class Subscription:
    durable: str
    description: str
    handlers: list[Callable[..., Awaitable[None]]] = field(default_factory=list)

    def handler(self, function: H) -> H:
        handled_payload(function)  # fail at import, not at the first event
        self.handlers.append(function)
        return function

    @property
    def stream(self) -> StreamSpec:
        from huddle_shared.services import service

        producers = {handled_payload(handler).producer for handler in self.handlers}
        if len(producers) != 1:
            raise ValueError(f"{self.durable} must read one producer's events, not {producers}")
        return service(producers.pop()).stream

    def dispatcher(self, **dependencies: Any) -> EventDispatcher:
        """Handlers bound to the dependencies their signatures name (cosmicpython-style)."""
        dispatcher = EventDispatcher()
        for function in self.handlers:
            wanted = list(inspect.signature(function).parameters)[2:]
            missing = [name for name in wanted if name not in dependencies]
            if missing:
                raise TypeError(f"{function.__qualname__} needs {missing}")
            bound: Callable[[EventEnvelope, Any], Awaitable[None]] = functools.partial(
                function, **{name: dependencies[name] for name in wanted}
            )
            dispatcher.on(handled_payload(function), bound)
        return dispatcher
