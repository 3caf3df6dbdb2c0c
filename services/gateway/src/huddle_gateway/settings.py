"""Gateway settings, from the environment."""

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class GatewaySettings(BaseSettings):
    model_config = SettingsConfigDict(extra="ignore")

    nats_url: str = Field(default="nats://127.0.0.1:4222", alias="NATS_URL")
    host: str = Field(default="127.0.0.1", alias="GATEWAY_HOST")
    port: int = Field(default=8000, alias="GATEWAY_PORT")
    rpc_timeout: float = Field(default=5.0, alias="HUDDLE_RPC_TIMEOUT")
    health_timeout: float = Field(default=1.0, alias="HUDDLE_HEALTH_TIMEOUT")
    max_body_bytes: int = Field(default=1_048_576, alias="HUDDLE_MAX_BODY_BYTES")
    jwt_secret: str | None = Field(
        default=None,
        alias="HUDDLE_JWT_SECRET",
        description="Signs access tokens; share it between replicas. Unset: random per process.",
    )
    access_token_seconds: int = Field(default=900, gt=0, alias="HUDDLE_ACCESS_TOKEN_SECONDS")
    local_development: bool = Field(
        default=False,
        alias="HUDDLE_LOCAL_DEVELOPMENT",
        description="True allows a weak HUDDLE_JWT_SECRET (never on a reachable instance).",
    )
    instance_id: str = Field(default="local", alias="HUDDLE_INSTANCE_ID")
    log_level: str = Field(default="INFO", alias="LOG_LEVEL")
