"""The invitation link an admin copies: https when TLS ended at a trusted proxy that says so."""

from types import SimpleNamespace
from typing import Any

from huddle_gateway.addresses import TrustedProxies
from huddle_gateway.web.pages.network_admin import invitation_link
from litestar.datastructures import URL


def request(peer: str, proto: str | None, trusted: tuple[str, ...]) -> Any:
    headers = {"x-forwarded-proto": proto} if proto else {}
    base = URL("http://huddle.example.org/")
    return SimpleNamespace(
        base_url=base,
        url=base,
        headers=headers,
        client=SimpleNamespace(host=peer),
        app=SimpleNamespace(state=SimpleNamespace(trusted_proxies=TrustedProxies(trusted))),
    )


def test_https_through_a_trusted_proxy_only() -> None:
    behind = request("10.0.0.5", "https", ("10.0.0.0/8",))
    assert invitation_link(behind, "t0k") == "https://huddle.example.org/invitations/t0k"
    claimed = request("203.0.113.9", "https", ("10.0.0.0/8",))
    assert invitation_link(claimed, "t0k") == "http://huddle.example.org/invitations/t0k"
    plain = request("10.0.0.5", None, ("10.0.0.0/8",))
    assert invitation_link(plain, "t0k") == "http://huddle.example.org/invitations/t0k"
