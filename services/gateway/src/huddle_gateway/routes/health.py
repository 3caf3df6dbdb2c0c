"""Liveness and readiness."""

import asyncio
from typing import Any

from huddle_shared.contracts.rpc import health_subject
from huddle_shared.services import service_names
from litestar import Controller, Response, get
from litestar.di import NamedDependency

from huddle_gateway.rpc import ServiceClient


class HealthController(Controller):
    path = "/health"
    tags = ["health"]

    @get("/live", summary="The gateway process is up")
    async def live(self) -> dict[str, str]:
        return {"status": "ok"}

    @get("/ready", summary="NATS is connected and every service answers (503 otherwise)")
    async def ready(self, services: NamedDependency[ServiceClient]) -> Response[dict[str, Any]]:
        nats_connected = services.nats_connected
        statuses: dict[str, str] = {}
        if nats_connected:
            results = await asyncio.gather(
                *(services.health(health_subject(name)) for name in service_names()),
                return_exceptions=True,
            )
            for name, result in zip(service_names(), results, strict=True):
                statuses[name] = (
                    result.get("status", "unknown") if isinstance(result, dict) else "unavailable"
                )
        else:
            statuses = dict.fromkeys(service_names(), "unknown")
        ready = nats_connected and all(status == "ok" for status in statuses.values())
        body = {
            "status": "ready" if ready else "not ready",
            "nats": "connected" if nats_connected else "disconnected",
            "services": statuses,
        }
        return Response(body, status_code=200 if ready else 503)
