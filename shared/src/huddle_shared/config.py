"""Settings every service reads from the environment (each has a documented default)."""

from typing import Annotated

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict


class ServiceSettings(BaseSettings):
    """Connection and identity settings; the service name picks its own database."""

    model_config = SettingsConfigDict(env_prefix="", extra="ignore")

    nats_url: str = Field(default="nats://127.0.0.1:4222", alias="NATS_URL")
    nats_nkey_seed_file: str | None = Field(
        default=None,
        alias="NATS_NKEY_SEED_FILE",
        description="This process's NATS nkey seed (its own user); unset: no NATS auth",
    )
    mongodb_url: str = Field(default="mongodb://127.0.0.1:27017/", alias="MONGODB_URL")
    mongodb_database: str | None = Field(default=None, alias="MONGODB_DATABASE")
    database_prefix: str = Field(default="huddle", alias="HUDDLE_DB_PREFIX")
    instance_id: str = Field(default="local", alias="HUDDLE_INSTANCE_ID")
    log_level: str = Field(default="INFO", alias="LOG_LEVEL")
    outbox_relay_interval: float = Field(default=2.0, alias="HUDDLE_OUTBOX_RELAY_INTERVAL")
    rpc_workers: int = Field(
        default=16,
        ge=1,
        alias="HUDDLE_RPC_WORKERS",
        description="Requests of one RPC subject handled at once by one process",
    )
    idempotency_key_hours: float = Field(
        default=24.0,
        gt=0,
        alias="HUDDLE_IDEMPOTENCY_KEY_HOURS",
        description="How long a reply is kept for retries with the same Idempotency-Key",
    )
    retry_backoff_seconds: Annotated[tuple[float, ...], NoDecode] = Field(
        default=(0.5, 2.0, 10.0, 30.0),
        min_length=1,
        alias="HUDDLE_RETRY_BACKOFF_SECONDS",
        description="Comma-separated waits before an event that failed is delivered again "
        "(the last repeats until it is dead-lettered)",
    )
    caller_verify_key_files: str = Field(
        default="",
        alias="HUDDLE_CALLER_VERIFY_KEY_FILES",
        description="Comma-separated Ed25519 public keys (PEM) of the gateway's caller "
        "signing key; any one verifying suffices (rotation). Required to start.",
    )

    @field_validator("retry_backoff_seconds", mode="before")
    @classmethod
    def _comma_separated(cls, value: object) -> object:
        if isinstance(value, str):
            return tuple(part.strip() for part in value.split(",") if part.strip())
        return value

    @field_validator("retry_backoff_seconds")
    @classmethod
    def _not_negative(cls, value: tuple[float, ...]) -> tuple[float, ...]:
        if any(seconds < 0 for seconds in value):
            raise ValueError("waits are seconds, not negative")
        return value

    def database_for(self, service: str) -> str:
        return self.mongodb_database or f"{self.database_prefix}_{service}"
