"""The invitation link an admin copies: https when TLS ended at a trusted proxy that says so."""

from types import SimpleNamespace
from typing import Any

from huddle_gateway.addresses import TrustedProxies
from huddle_gateway.web.pages.network_admin import invitation_link
from litestar.datastructures import URL


def request(
    peer: str, proto: str | None, trusted: tuple[str, ...], public_url: str | None = None
) -> Any:
    headers = {"x-forwarded-proto": proto} if proto else {}
    base = URL("http://huddle.example.org/")
    return SimpleNamespace(
        base_url=base,
        url=base,
        headers=headers,
        client=SimpleNamespace(host=peer),
        app=SimpleNamespace(
            state=SimpleNamespace(trusted_proxies=TrustedProxies(trusted), public_url=public_url)
        ),
    )


def test_https_through_a_trusted_proxy_only() -> None:
    behind = request("10.0.0.5", "https", ("10.0.0.0/8",))
    assert invitation_link(behind, "t0k") == "https://huddle.example.org/invitations/t0k"
    claimed = request("203.0.113.9", "https", ("10.0.0.0/8",))
    assert invitation_link(claimed, "t0k") == "http://huddle.example.org/invitations/t0k"
    plain = request("10.0.0.5", None, ("10.0.0.0/8",))
    assert invitation_link(plain, "t0k") == "http://huddle.example.org/invitations/t0k"


def test_the_configured_public_address_wins_over_the_requests_host() -> None:
    public = "https://huddle.nhs.example"
    tricked = request("203.0.113.9", "https", ("10.0.0.0/8",), public_url=public)
    assert invitation_link(tricked, "t0k") == "https://huddle.nhs.example/invitations/t0k"
    plain = request("10.0.0.5", None, (), public_url=None)  # unset: as before
    assert invitation_link(plain, "t0k") == "http://huddle.example.org/invitations/t0k"


def test_the_public_address_setting_is_checked_at_start() -> None:
    from huddle_gateway.settings import GatewaySettings
    from pydantic import ValidationError

    settings = GatewaySettings(HUDDLE_PUBLIC_URL="https://huddle.nhs.example/")
    assert settings.public_url == "https://huddle.nhs.example"
    assert GatewaySettings(HUDDLE_PUBLIC_URL="").public_url is None
    for wrong in ("huddle.nhs.example", "ftp://huddle.nhs.example", "https://h/?next=x"):
        try:
            GatewaySettings(HUDDLE_PUBLIC_URL=wrong)
        except ValidationError:
            continue
        raise AssertionError(f"{wrong!r} was accepted")
