"""Entry point: ``python -m huddle_gateway`` serves HTTP with uvicorn."""

import uvicorn
from huddle_shared.telemetry import configure_telemetry

from huddle_gateway import SERVICE
from huddle_gateway.app import create_app
from huddle_gateway.auth import WeakSigningSecret
from huddle_gateway.settings import GatewaySettings


def main() -> None:
    settings = GatewaySettings()
    configure_telemetry(SERVICE, settings.log_level)
    try:
        app = create_app(settings)
    except WeakSigningSecret as exc:
        raise SystemExit(f"error: {exc}") from None
    uvicorn.run(
        app,
        host=settings.host,
        port=settings.port,
        log_config=None,  # keep our JSON logging
        access_log=False,
        lifespan="on",
    )


if __name__ == "__main__":
    main()
