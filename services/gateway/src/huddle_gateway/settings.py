"""Gateway settings, from the environment."""

from pathlib import Path
from urllib.parse import urlsplit

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


class GatewaySettings(BaseSettings):
    model_config = SettingsConfigDict(extra="ignore")

    nats_url: str = Field(default="nats://127.0.0.1:4222", alias="NATS_URL")
    nats_nkey_seed_file: str | None = Field(
        default=None,
        alias="NATS_NKEY_SEED_FILE",
        description="The gateway's NATS nkey seed (its own user); unset: no NATS auth",
    )
    host: str = Field(default="127.0.0.1", alias="GATEWAY_HOST")
    port: int = Field(default=8000, alias="GATEWAY_PORT")
    rpc_timeout: float = Field(default=5.0, alias="HUDDLE_RPC_TIMEOUT")
    health_timeout: float = Field(default=1.0, alias="HUDDLE_HEALTH_TIMEOUT")
    health_cache_seconds: float = Field(
        default=1.0,
        ge=0,
        le=1,
        alias="HUDDLE_HEALTH_CACHE_SECONDS",
        description="How long a 'ready' answer from every service is kept (0: ask each time)",
    )
    stats_cache_seconds: float = Field(
        default=1.0,
        ge=0,
        le=1,
        alias="HUDDLE_STATS_CACHE_SECONDS",
        description="How long the public statistics are kept at the gateway (0: ask each time)",
    )
    max_body_bytes: int = Field(default=1_048_576, alias="HUDDLE_MAX_BODY_BYTES")
    max_header_bytes: int = Field(
        default=16_384,
        alias="HUDDLE_MAX_HEADER_BYTES",
        description="The request's header section (431 beyond); the server drops a request "
        "whose headers exceed four times this.",
    )
    max_query_bytes: int = Field(default=4096, alias="HUDDLE_MAX_QUERY_BYTES")
    trusted_proxies: str = Field(
        default="",
        alias="HUDDLE_TRUSTED_PROXIES",
        description="Comma-separated addresses or CIDR ranges of the reverse proxies in front "
        "of the gateway, whose X-Forwarded-For is read. Empty: none (the peer is the client).",
    )
    jwt_secret: str | None = Field(
        default=None,
        alias="HUDDLE_JWT_SECRET",
        description="Signs access tokens; share it between replicas. Unset: random per process.",
    )
    access_token_seconds: int = Field(default=900, gt=0, alias="HUDDLE_ACCESS_TOKEN_SECONDS")
    web_session_seconds: int = Field(
        default=12 * 3600,
        gt=0,
        alias="HUDDLE_WEB_SESSION_SECONDS",
        description="The longest a web sign-in lasts: its access token is renewed while pages "
        "are used, up to this long after signing in (then sign in again).",
    )
    public_url: str | None = Field(
        default=None,
        alias="HUDDLE_PUBLIC_URL",
        description="The address people reach this instance at (https://huddle.example.org), "
        "used for the links the pages hand out (invitations). Unset: the request's own host.",
    )
    local_development: bool = Field(
        default=False,
        alias="HUDDLE_LOCAL_DEVELOPMENT",
        description="True allows a weak HUDDLE_JWT_SECRET (never on a reachable instance).",
    )
    instance_id: str = Field(default="local", alias="HUDDLE_INSTANCE_ID")
    caller_signing_key_file: Path | None = Field(
        default=None,
        alias="HUDDLE_CALLER_SIGNING_KEY_FILE",
        description="Ed25519 private key (PEM) that signs the caller of each RPC; services "
        "hold its public key. Required to start.",
    )
    log_level: str = Field(default="INFO", alias="LOG_LEVEL")

    @field_validator("public_url")
    @classmethod
    def _public_url_is_an_address(cls, value: str | None) -> str | None:
        if not value:
            return None
        parts = urlsplit(value)
        if parts.scheme not in ("http", "https") or not parts.netloc or parts.query:
            raise ValueError("HUDDLE_PUBLIC_URL must be an http(s) address, like https://host")
        return value.rstrip("/")

    @field_validator("trusted_proxies")
    @classmethod
    def _proxies_are_networks(cls, value: str) -> str:
        trusted_proxy_networks(value)  # refuse a typo at start-up, not on the first request
        return value


def trusted_proxy_networks(setting: str) -> list[str]:
    from ipaddress import ip_network

    networks = [part.strip() for part in setting.split(",") if part.strip()]
    for network in networks:
        ip_network(network, strict=False)
    return networks
