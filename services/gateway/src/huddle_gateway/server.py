"""The one uvicorn configuration, for ``python -m huddle_gateway`` and for the tests."""

import uvicorn
from litestar import Litestar

from huddle_gateway.settings import GatewaySettings

# The server drops (plain 400) a request whose headers exceed this many times the app's own
# limit, before buffering them; between the two the app answers a 431 problem document.
SERVER_HEADER_MARGIN = 4


def server_config(app: Litestar, settings: GatewaySettings) -> uvicorn.Config:
    return uvicorn.Config(
        app,
        host=settings.host,
        port=settings.port,
        log_config=None,  # keep our JSON logging
        access_log=False,
        lifespan="on",
        server_header=False,  # no "server: uvicorn" banner
        # uvicorn would otherwise trust X-Forwarded-For from 127.0.0.1 and rewrite the peer,
        # so anything local could choose its address; huddle_gateway.addresses reads it,
        # from HUDDLE_TRUSTED_PROXIES only.
        proxy_headers=False,
        # h11 bounds what it buffers for a request's head; httptools does not.
        http="h11",
        h11_max_incomplete_event_size=settings.max_header_bytes * SERVER_HEADER_MARGIN,
    )
