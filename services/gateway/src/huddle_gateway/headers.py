"""Headers on every answer the gateway gives, errors and unknown paths included.

Nothing may be stored by a cache unless its route opts in (``PUBLIC_CACHE``): everything
that reads a signed-in caller is personal, and no-store by default cannot forget one.
The API answers JSON only, so its content policy forbids everything; the API reference page
brings its own policy (``huddle_gateway.reference``).
"""

from litestar.datastructures import CacheControlHeader
from litestar.types import Message, Scope

# For answers that are the same for everyone: a shared cache may keep them for a minute.
PUBLIC_CACHE = CacheControlHeader(public=True, max_age=60)

API_CONTENT_SECURITY_POLICY = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'"

DEFAULTS = {
    "Cache-Control": "no-store",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
    "Cross-Origin-Resource-Policy": "same-origin",
    "Content-Security-Policy": API_CONTENT_SECURITY_POLICY,
}


# As the ASGI message carries them. Appended to the raw list, not through Litestar's
# MutableScopeHeaders: its lookups decode every header per name, a third of the
# gateway's own cost per request (docs/decisions/0026).
_RAW_DEFAULTS = [(name.lower().encode(), value.encode()) for name, value in DEFAULTS.items()]


async def add_security_headers(message: Message, scope: Scope) -> None:
    """Litestar ``before_send`` hook: the defaults, where the route has not set its own."""
    if message["type"] != "http.response.start":
        return
    headers = message.get("headers") or []
    present = {bytes(name).lower() for name, _ in headers}
    missing = [pair for pair in _RAW_DEFAULTS if pair[0] not in present]
    if missing:
        message["headers"] = [*headers, *missing]
