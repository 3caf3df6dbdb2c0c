"""The API reference page: Swagger UI, served from files installed with the project.

``make setup`` installs ``swagger-ui-dist`` with npm (package.json and package-lock.json at
the repository root pin it by hash) and copies the two files the page needs into
``static/vendor/swagger-ui/``; nothing is fetched from another origin, and the page's
Content-Security-Policy allows this origin only.
"""

import html
import logging
from pathlib import Path
from typing import Any

from litestar import Request, Router
from litestar.datastructures import ResponseHeader
from litestar.openapi.plugins import OpenAPIRenderPlugin
from litestar.static_files import create_static_files_router

from huddle_gateway.headers import PUBLIC_CACHE

log = logging.getLogger(__name__)

STATIC = Path(__file__).parent / "static"
VENDOR_FILES = ("vendor/swagger-ui/swagger-ui-bundle.js", "vendor/swagger-ui/swagger-ui.css")

# Scripts and styles from this origin only, nothing inline; Swagger UI's icons are data: SVGs.
# Swagger UI sets styles through the DOM, which a policy does not restrict; a headless
# Chromium shows no violation with operations open (test_api_reference_browser.py).
REFERENCE_CONTENT_SECURITY_POLICY = "; ".join(
    (
        "default-src 'none'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "font-src 'self'",
        "connect-src 'self'",
        "base-uri 'none'",
        "form-action 'none'",
        "frame-ancestors 'none'",
    )
)


class ApiReferencePlugin(OpenAPIRenderPlugin):
    def __init__(self) -> None:
        super().__init__(path="/reference", favicon="", style="")
        missing = [name for name in VENDOR_FILES if not (STATIC / name).is_file()]
        if missing:
            log.warning("API reference files missing (run `make setup`): %s", ", ".join(missing))

    def render(self, request: Request[Any, Any, Any], openapi_schema: dict[str, Any]) -> bytes:
        schema_url = self.get_openapi_json_route(request)
        assets = schema_url.rsplit("/", 1)[0] + "/assets"
        title = html.escape(openapi_schema["info"]["title"])
        return f"""<!DOCTYPE html>
<html lang="en">
  <head>
    <meta charset="utf-8">
    <meta name="viewport" content="width=device-width, initial-scale=1">
    <title>{title} API reference</title>
    <link rel="stylesheet" href="{assets}/vendor/swagger-ui/swagger-ui.css">
  </head>
  <body>
    <noscript>The API reference needs JavaScript; the schema is at {schema_url}.</noscript>
    <div id="swagger-ui" data-url="{html.escape(schema_url)}"></div>
    <script src="{assets}/vendor/swagger-ui/swagger-ui-bundle.js"></script>
    <script src="{assets}/reference.js"></script>
  </body>
</html>
""".encode()

    def receive_router(self, router: Router) -> None:
        router.register(
            create_static_files_router(
                path="/assets", directories=[STATIC], include_in_schema=False
            )
        )


def reference_router(path: str) -> Router:
    """The router the OpenAPI documents and the reference page are served from."""
    return Router(
        path,
        route_handlers=[],
        include_in_schema=False,
        response_headers=[
            ResponseHeader(name="Content-Security-Policy", value=REFERENCE_CONTENT_SECURITY_POLICY)
        ],
        cache_control=PUBLIC_CACHE,
    )
