"""The members' web app: server-rendered pages in the gateway process, beside the JSON API.

Pages call the services through the same ``Rpc`` as the API, as the member the session
cookie names (``session``); every rule is the service's, and its refusal becomes an error
message on the page (``forms``). Each page group is one module in ``pages`` exporting
``HANDLERS``; ``GROUPS`` lists them.

A page, in short (``pages/account.py`` has examples of each):
- ``caller = require_member(request)`` where only members may look (a visitor is sent to
  sign in and back); ``rpc`` (the usual dependency) already calls as the cookie's member;
- ``render_page("pages/<group>/x.jinja", context)``; a template extends ``layout.jinja``
  (blocks ``title``, ``back``, ``content``), includes ``partials/error_summary.jinja``, and
  writes ``{{ csrf_input | safe }}`` in every form that posts;
- a POST reads ``await form_of(request)``, asks for the change with ``idempotent_rpc`` (the
  form's one-time key; reads go through ``rpc``), and on its refusal
  (``ProblemDetailsException``) renders the form again with
  ``error_summary, field_errors = problem_to_errors(exc)``, the values typed (never a
  password) and ``status=exc.status_code``; on success it redirects (303).
Any other refusal raised from a handler becomes the error page (401: sign in).
"""

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from pathlib import Path

from jinja2 import ChainableUndefined, ChoiceLoader, Environment, FileSystemLoader, PackageLoader
from litestar import Router
from litestar.config.csrf import CSRFConfig
from litestar.datastructures import CacheControlHeader
from litestar.di import Provide
from litestar.plugins.jinja import JinjaTemplateEngine
from litestar.static_files import create_static_files_router
from litestar.template.config import TemplateConfig

from huddle_gateway.settings import GatewaySettings
from huddle_gateway.web.forms import provide_form_rpc
from huddle_gateway.web.menu import note_review_link, second_reader
from huddle_gateway.web.pages import (
    account,
    instance_admin,
    network_admin,
    networks,
    notes,
    people,
    profile,
    sessions,
    support,
)
from huddle_gateway.web.session import SessionRenewal, caller_of, provide_web_caller

HERE = Path(__file__).parent
TEMPLATES = HERE / "templates"
STATIC = HERE / "static"
NHSUK_VENDOR = HERE.parent / "static" / "vendor" / "nhsuk"  # `make assets` copies it there

# The page groups; each module exports HANDLERS.
GROUPS = [
    account,
    profile,
    networks,
    network_admin,
    instance_admin,
    sessions,
    notes,
    support,
    people,
]

CSRF_COOKIE = "huddle_csrf"
CSRF_FIELD = "_csrf_token"  # Litestar's form field name, which ``csrf_input`` writes
# Not pages, not forms: the API (bearer tokens, no cookies), probes, schema, files.
CSRF_EXEMPT = ["^/api/", "^/api$", "^/health", "^/schema", "^/assets/"]

ASSETS_CACHE = CacheControlHeader(public=True, max_age=3600)


@dataclass(frozen=True)
class WebRoutes:
    router: Router
    assets: Router
    templates: TemplateConfig[JinjaTemplateEngine]
    csrf: CSRFConfig


def template_environment() -> Environment:
    env = Environment(
        loader=ChoiceLoader(
            [FileSystemLoader(TEMPLATES), PackageLoader("nhsuk_frontend_jinja", "templates")]
        ),
        undefined=ChainableUndefined,  # the NHS macros read optional nested parameters
        autoescape=True,
        auto_reload=False,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    # The layout's header offers "Sign out" or "Sign in" (a token that no longer verifies
    # counts as signed out, as the pages themselves count it).
    env.globals["signed_in"] = lambda request: caller_of(request).member_id is not None
    env.globals["offers_note_review"] = second_reader
    return env


def csrf_secret(settings: GatewaySettings) -> str:
    """Shared by replicas that share the access tokens' secret; derived, so neither key
    reveals the other. Without one, random per process like the tokens themselves."""
    if not settings.jwt_secret:
        return secrets.token_urlsafe(32)
    return hmac.new(settings.jwt_secret.encode(), b"huddle web csrf", hashlib.sha256).hexdigest()


def web_routes(settings: GatewaySettings) -> WebRoutes:
    pages = Router(
        path="/",
        route_handlers=[handler for group in GROUPS for handler in group.HANDLERS],
        # Pages act for the member the session cookie names, never an Authorization header;
        # a form's change is sent with the form's one-time key (``forms``).
        dependencies={
            "caller": Provide(provide_web_caller),
            "idempotent_rpc": Provide(provide_form_rpc),
        },
        include_in_schema=False,
        before_request=note_review_link,  # the header's "Notes to review" (``menu``)
        middleware=[SessionRenewal()],  # a sign-in in use is renewed (``session``)
    )
    assets = create_static_files_router(
        path="/assets",
        directories=[STATIC, NHSUK_VENDOR],
        cache_control=ASSETS_CACHE,
        include_in_schema=False,
        name="web-assets",
    )
    return WebRoutes(
        router=pages,
        assets=assets,
        templates=TemplateConfig(
            instance=JinjaTemplateEngine.from_environment(template_environment())
        ),
        csrf=CSRFConfig(
            secret=csrf_secret(settings),
            cookie_name=CSRF_COOKIE,
            cookie_httponly=True,
            cookie_samesite="lax",
            exclude=CSRF_EXEMPT,
        ),
    )
