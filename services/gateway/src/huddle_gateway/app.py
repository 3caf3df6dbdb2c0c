"""Builds the Litestar application. Nothing connects until the app starts."""

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from faststream.nats import NatsBroker
from faststream.nats.opentelemetry import NatsTelemetryMiddleware
from litestar import Litestar
from litestar.di import Provide
from litestar.openapi import OpenAPIConfig
from litestar.openapi.plugins import ScalarRenderPlugin
from litestar.plugins.opentelemetry import OpenTelemetryConfig, OpenTelemetryPlugin

from huddle_gateway.auth import AccessTokens, provide_caller
from huddle_gateway.problems import EXCEPTION_HANDLERS
from huddle_gateway.routes.account import ApiTokenController, AuthController, MeController
from huddle_gateway.routes.directory import DIRECTORY_HANDLERS
from huddle_gateway.routes.health import HealthController
from huddle_gateway.routes.membership import AccountController, OrganisationController
from huddle_gateway.routes.networks import InvitationController, NetworkController
from huddle_gateway.rpc import ServiceClient, provide_idempotent_rpc, provide_rpc
from huddle_gateway.settings import GatewaySettings


def create_app(settings: GatewaySettings | None = None) -> Litestar:
    settings = settings or GatewaySettings()
    broker = NatsBroker(
        settings.nats_url,
        name="huddle-gateway",
        logger=logging.getLogger("huddle.messaging"),
        middlewares=[NatsTelemetryMiddleware()],
        max_reconnect_attempts=-1,
    )
    services = ServiceClient(broker, settings.rpc_timeout, health_timeout=settings.health_timeout)
    tokens = AccessTokens(
        settings.jwt_secret,
        settings.access_token_seconds,
        settings.instance_id,
        local_development=settings.local_development,
    )

    @asynccontextmanager
    async def nats_connection(app: Litestar) -> AsyncIterator[None]:
        await broker.connect()
        try:
            yield
        finally:
            await broker.stop()

    return Litestar(
        route_handlers=[
            HealthController,
            OrganisationController,
            *DIRECTORY_HANDLERS,  # after OrganisationController: they share a path
            AccountController,
            AuthController,
            MeController,
            ApiTokenController,
            NetworkController,
            InvitationController,
        ],
        dependencies={
            "services": Provide(lambda: services, sync_to_thread=False),
            "tokens": Provide(lambda: tokens, sync_to_thread=False),
            "caller": Provide(provide_caller),
            "rpc": Provide(provide_rpc, sync_to_thread=False),
            "idempotent_rpc": Provide(provide_idempotent_rpc, sync_to_thread=False),
        },
        lifespan=[nats_connection],
        exception_handlers=EXCEPTION_HANDLERS,
        request_max_body_size=settings.max_body_bytes,
        plugins=[OpenTelemetryPlugin(OpenTelemetryConfig())],
        openapi_config=OpenAPIConfig(
            title="Huddle",
            version="0.1.0",
            description="Patient-safety peer networks: membership, sessions, notes, signposting.",
            path="/schema",
            render_plugins=[ScalarRenderPlugin()],
        ),
        logging_config=None,  # keep the JSON logging set up by huddle_shared.telemetry
        debug=False,
    )
