"""A service's RPC operations as a table: subject, request model, handler, description."""

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from faststream.nats import NatsBroker
from pydantic import BaseModel

from huddle_shared.messaging.rpc import Handler, rpc_endpoint


@dataclass(frozen=True)
class Route:
    subject: str
    request_model: type[BaseModel]
    handler: Handler[Any]
    description: str


def export_route(service: str, handler: Handler[Any]) -> Route:
    """The privacy export every service answers: what it holds about the calling member."""
    from huddle_shared.contracts.membership import Empty
    from huddle_shared.contracts.rpc import export_subject

    return Route(
        export_subject(service),
        Empty,
        handler,
        f"What {service} holds about the calling member.",
    )


def serve(broker: NatsBroker, service: str, routes: Sequence[Route]) -> None:
    for route in routes:
        rpc_endpoint(
            broker,
            route.subject,
            service=service,
            request_model=route.request_model,
            handler=route.handler,
            description=route.description,
        )
