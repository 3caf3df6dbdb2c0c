"""Entry point: ``python -m huddle_gateway`` serves HTTP with uvicorn."""

import uvicorn
from huddle_shared.messaging.caller_assertions import CallerKeyError
from huddle_shared.telemetry import configure_telemetry

from huddle_gateway import SERVICE
from huddle_gateway.app import create_app
from huddle_gateway.auth import WeakSigningSecret
from huddle_gateway.server import server_config
from huddle_gateway.settings import GatewaySettings


def main() -> None:
    settings = GatewaySettings()
    configure_telemetry(SERVICE, settings.log_level)
    try:
        app = create_app(settings)
    except (WeakSigningSecret, CallerKeyError) as exc:  # a clear line, not a traceback
        raise SystemExit(f"error: {exc}") from None
    uvicorn.Server(server_config(app, settings)).run()


if __name__ == "__main__":
    main()
