"""Access rules: sign-in throttling and API tokens. No I/O and no clock (tokens are random).

Failed sign-ins are limited per account and per client address. The answer is the same
whether or not the email belongs to anyone, so the limits are kept for unknown emails too.
"""

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from huddle_shared.contracts.membership import API_TOKEN_PREFIX
from huddle_shared.errors import TooManyRequests, Unauthenticated


@dataclass(frozen=True)
class SignInLimits:
    window: timedelta = timedelta(minutes=15)
    per_account: int = 5
    per_address: int = 20


def recent(failures: list[datetime], now: datetime, window: timedelta) -> list[datetime]:
    return [moment for moment in failures if moment > now - window]


def check_not_throttled(
    account_failures: list[datetime],
    address_failures: list[datetime],
    now: datetime,
    limits: SignInLimits,
) -> None:
    if (
        len(recent(account_failures, now, limits.window)) >= limits.per_account
        or len(recent(address_failures, now, limits.window)) >= limits.per_address
    ):
        raise TooManyRequests("Too many failed sign-ins. Wait a few minutes and try again.")


def wrong_credentials() -> Unauthenticated:
    # One message for unknown email, wrong password and suspended account alike.
    return Unauthenticated("The email address or password is not right.")


def account_key(email_normalised: str) -> str:
    return "account:" + hashlib.sha256(email_normalised.encode()).hexdigest()


def address_key(address: str | None) -> str:
    """Addresses are kept hashed: the limit needs to recognise one, not to know it."""
    return "address:" + hashlib.sha256((address or "unknown").encode()).hexdigest()


def new_api_token() -> str:
    return API_TOKEN_PREFIX + secrets.token_urlsafe(32)


def token_hash(token: str) -> str:
    """API tokens are long and random, so a fast hash is enough (unlike passwords)."""
    return hashlib.sha256(token.encode()).hexdigest()
