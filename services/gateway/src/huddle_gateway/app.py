"""Builds the Litestar application. Nothing connects until the app starts."""

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from faststream.nats import NatsBroker
from faststream.nats.opentelemetry import NatsTelemetryMiddleware
from huddle_shared.messaging.broker import broker_options
from huddle_shared.telemetry import tracing_enabled
from litestar import Litestar
from litestar.datastructures import State
from litestar.di import Provide
from litestar.openapi import OpenAPIConfig
from litestar.plugins.opentelemetry import OpenTelemetryConfig, OpenTelemetryPlugin

from huddle_gateway.addresses import TrustedProxies
from huddle_gateway.auth import AccessTokens, provide_caller
from huddle_gateway.headers import add_security_headers
from huddle_gateway.limits import HeaderLimits, LimitedRequest
from huddle_gateway.problems import EXCEPTION_HANDLERS
from huddle_gateway.reference import ApiReferencePlugin, reference_router
from huddle_gateway.routes.account import ApiTokenController, AuthController, MeController
from huddle_gateway.routes.calendar import CALENDAR_HANDLERS
from huddle_gateway.routes.directory import DIRECTORY_HANDLERS, PublicStats
from huddle_gateway.routes.experts import EXPERT_HANDLERS
from huddle_gateway.routes.health import HealthController
from huddle_gateway.routes.membership import AccountController, OrganisationController
from huddle_gateway.routes.networks import InvitationController, NetworkController
from huddle_gateway.routes.notes import NOTE_HANDLERS
from huddle_gateway.routes.oruk import ORUK_ROUTER, add_open_data_headers
from huddle_gateway.routes.registrations import (
    MyRegistrationsController,
    SessionRegistrationController,
)
from huddle_gateway.routes.resources import RESOURCE_HANDLERS
from huddle_gateway.routes.sessions import SESSION_HANDLERS
from huddle_gateway.routes.signposting import SIGNPOSTING_HANDLERS
from huddle_gateway.rpc import ServiceClient, provide_idempotent_rpc, provide_rpc
from huddle_gateway.settings import GatewaySettings, trusted_proxy_networks
from huddle_gateway.web import web_routes
from huddle_gateway.web.errors import with_error_pages


def create_app(settings: GatewaySettings | None = None) -> Litestar:
    settings = settings or GatewaySettings()
    # Instrumentation only when traces go somewhere (configure_telemetry ran first): on the
    # no-op providers it still costs about half the gateway's rate (docs/decisions/0027).
    tracing = tracing_enabled()
    broker = NatsBroker(
        settings.nats_url,
        name="huddle-gateway",
        logger=logging.getLogger("huddle.messaging"),
        middlewares=[NatsTelemetryMiddleware()] if tracing else [],
        max_reconnect_attempts=-1,
        **broker_options("gateway", settings.nats_nkey_seed_file),
    )
    services = ServiceClient.from_settings(broker, settings)
    public_stats = PublicStats(services, settings.stats_cache_seconds)
    tokens = AccessTokens(
        settings.jwt_secret,
        settings.access_token_seconds,
        settings.instance_id,
        local_development=settings.local_development,
    )
    proxies = TrustedProxies(trusted_proxy_networks(settings.trusted_proxies))
    web = web_routes(settings)

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
            *SESSION_HANDLERS,
            SessionRegistrationController,
            MyRegistrationsController,
            *CALENDAR_HANDLERS,
            *NOTE_HANDLERS,
            *RESOURCE_HANDLERS,
            *SIGNPOSTING_HANDLERS,
            ORUK_ROUTER,  # the open data, with CORS * (add_open_data_headers)
            *EXPERT_HANDLERS,
            web.assets,
            web.router,  # the members' web app (huddle_gateway.web)
        ],
        dependencies={
            "services": Provide(lambda: services, sync_to_thread=False),
            "tokens": Provide(lambda: tokens, sync_to_thread=False),
            "public_stats": Provide(lambda: public_stats, sync_to_thread=False),
            "caller": Provide(provide_caller),
            "rpc": Provide(provide_rpc, sync_to_thread=False),
            "idempotent_rpc": Provide(provide_idempotent_rpc, sync_to_thread=False),
        },
        lifespan=[nats_connection],
        state=State(
            {
                "trusted_proxies": proxies,
                "tokens": tokens,
                "services": services,
                "public_url": settings.public_url,
                "web_session_seconds": settings.web_session_seconds,
            }
        ),
        exception_handlers=with_error_pages(EXCEPTION_HANDLERS),
        template_config=web.templates,
        csrf_config=web.csrf,
        request_class=LimitedRequest,
        request_max_body_size=settings.max_body_bytes,
        middleware=[HeaderLimits(settings.max_header_bytes, settings.max_query_bytes)],
        before_send=[add_security_headers, add_open_data_headers],
        plugins=[OpenTelemetryPlugin(OpenTelemetryConfig())] if tracing else [],
        openapi_config=OpenAPIConfig(
            title="Huddle",
            version="0.1.0",
            description="Patient-safety peer networks: membership, sessions, notes, signposting.",
            path="/schema",
            openapi_router=reference_router("/schema"),
            render_plugins=[ApiReferencePlugin()],
        ),
        logging_config=None,  # keep the JSON logging set up by huddle_shared.telemetry
        debug=False,
    )
