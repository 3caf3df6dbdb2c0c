"""Liveness and readiness."""

from typing import Any

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

    @get(
        "/ready",
        summary="NATS is connected and every service answers (503 otherwise)",
        description="Every service answering is kept up to a second (HUDDLE_HEALTH_CACHE_SECONDS).",
    )
    async def ready(self, services: NamedDependency[ServiceClient]) -> Response[dict[str, Any]]:
        nats_connected = services.nats_connected
        if nats_connected:  # checked each time; the services' answers may be a second old
            statuses = await services.service_statuses()
        else:
            statuses = dict.fromkeys(service_names(), "unknown")
        ready = nats_connected and all(status == "ok" for status in statuses.values())
        body = {
            "status": "ready" if ready else "not ready",
            "nats": "connected" if nats_connected else "disconnected",
            "services": statuses,
        }
        return Response(body, status_code=200 if ready else 503)
