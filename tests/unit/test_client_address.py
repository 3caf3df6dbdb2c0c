"""The client address the gateway forwards for per-address limits, through trusted proxies."""

import pytest
from huddle_gateway.addresses import TrustedProxies

pytestmark = pytest.mark.unit

PROXIES = TrustedProxies(["10.0.0.0/8", "192.0.2.1"])


def test_with_no_trusted_proxy_the_peer_is_the_client_whatever_it_forwards() -> None:
    none = TrustedProxies()
    assert none.client_address("127.0.0.1", ["198.51.100.1"]) == "127.0.0.1"
    assert none.client_address("10.1.2.3", ["198.51.100.1"]) == "10.1.2.3"


def test_an_untrusted_peer_is_the_client() -> None:
    assert PROXIES.client_address("198.51.100.9", ["203.0.113.5"]) == "198.51.100.9"


def test_through_trusted_hops_the_first_untrusted_from_the_right_is_the_client() -> None:
    assert PROXIES.client_address("10.0.0.1", ["203.0.113.5"]) == "203.0.113.5"
    # client -> 192.0.2.1 -> 10.0.0.1 -> gateway
    assert PROXIES.client_address("10.0.0.1", ["203.0.113.5, 192.0.2.1"]) == "203.0.113.5"
    # several headers are one list, in order
    assert PROXIES.client_address("10.0.0.1", ["203.0.113.5", "192.0.2.1"]) == "203.0.113.5"


def test_what_the_client_wrote_left_of_the_proxys_entry_is_never_read() -> None:
    for spoofed in ("198.51.100.1", "10.0.0.2", "192.0.2.1", "garbage", ""):
        forwarded = f"{spoofed}, 203.0.113.5"
        assert PROXIES.client_address("10.0.0.1", [forwarded]) == "203.0.113.5"


def test_a_hop_no_proxy_could_have_written_stops_at_the_last_trusted_one() -> None:
    assert PROXIES.client_address("10.0.0.1", ["203.0.113.5, not-an-address"]) == "10.0.0.1"
    assert PROXIES.client_address("10.0.0.1", ["203.0.113.5, 192.0.2.1, "]) == "10.0.0.1"


def test_a_trusted_peer_with_nothing_forwarded_is_the_client() -> None:
    assert PROXIES.client_address("10.0.0.1", []) == "10.0.0.1"
    # every hop trusted: the furthest one
    assert PROXIES.client_address("10.0.0.1", ["192.0.2.1"]) == "192.0.2.1"


def test_ipv6_clients_count_by_their_64_and_mapped_ipv4_as_ipv4() -> None:
    none = TrustedProxies()
    assert none.client_address("2001:db8:1:2:aaaa::1") == "2001:db8:1:2::/64"
    assert none.client_address("2001:db8:1:2:bbbb::9") == "2001:db8:1:2::/64"
    assert none.client_address("::ffff:198.51.100.7") == "198.51.100.7"
    v6 = TrustedProxies(["2001:db8:ffff::/48"])
    assert v6.client_address("2001:db8:ffff::1", ["198.51.100.7"]) == "198.51.100.7"


def test_a_peer_that_is_not_an_ip_address_is_passed_on_as_it_is() -> None:
    assert PROXIES.client_address(None) is None
    assert PROXIES.client_address("testclient", ["203.0.113.5"]) == "testclient"


def test_a_malformed_setting_is_refused() -> None:
    from huddle_gateway.settings import GatewaySettings
    from pydantic import ValidationError

    with pytest.raises(ValidationError):
        GatewaySettings(HUDDLE_TRUSTED_PROXIES="10.0.0.0/8, not-a-network")
    assert GatewaySettings(HUDDLE_TRUSTED_PROXIES=" 10.0.0.0/8 , ::1 ").trusted_proxies
