"""Access rules: sign-in throttling and API tokens. No I/O and no clock (tokens are random).

Failed sign-ins are slowed down per (account, client address) and per client address, with
waits that grow; never per account alone, which would let anyone lock a member out. The
answer is the same whether or not the email belongs to anyone, so the limits are kept for
unknown emails too.
"""

import hashlib
import math
import secrets
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from huddle_shared.contracts.membership import API_TOKEN_PREFIX
from huddle_shared.errors import TooManyRequests, Unauthenticated


@dataclass(frozen=True)
class Backoff:
    """A few failures are free; after that each one doubles the wait, up to ``longest``.

    Failures older than ``forget_after`` no longer count."""

    free: int
    first: timedelta
    longest: timedelta
    forget_after: timedelta = timedelta(minutes=15)

    def wait(self, failures: list[datetime], now: datetime) -> timedelta:
        """How long from ``now`` until the next attempt is allowed (zero: allowed now)."""
        counted = recent(failures, now, self.forget_after)
        beyond = len(counted) - self.free
        if beyond < 0:
            return timedelta(0)
        delay = min(self.first * 2 ** min(beyond, 32), self.longest)
        return max(max(counted) + delay - now, timedelta(0))


@dataclass(frozen=True)
class SignInLimits:
    """Failed sign-ins slow down the one who fails, never the account for everyone: the
    limits count per (account, address) and per address, so an attacker elsewhere can
    neither lock out the real member nor slow them down. The address limit is looser (many
    people sign in from behind one hospital's address) and its wait shorter."""

    per_account_and_address: Backoff = Backoff(
        free=4, first=timedelta(seconds=2), longest=timedelta(minutes=15)
    )
    per_address: Backoff = Backoff(
        free=20, first=timedelta(seconds=1), longest=timedelta(minutes=1)
    )

    @property
    def keep_for(self) -> timedelta:
        return max(self.per_account_and_address.forget_after, self.per_address.forget_after)


def recent(failures: list[datetime], now: datetime, window: timedelta) -> list[datetime]:
    return [moment for moment in failures if moment > now - window]


def check_not_throttled(
    pair_failures: list[datetime],
    address_failures: list[datetime],
    now: datetime,
    limits: SignInLimits,
) -> None:
    """Refuse an attempt that comes before its wait is over, saying how long is left."""
    wait = max(
        limits.per_account_and_address.wait(pair_failures, now),
        limits.per_address.wait(address_failures, now),
    )
    if wait > timedelta(0):
        raise too_many(wait)


def too_many(wait: timedelta) -> TooManyRequests:
    seconds = max(1, math.ceil(wait.total_seconds()))
    return TooManyRequests(
        f"Too many failed sign-ins. Try again in {seconds} second{'s' if seconds > 1 else ''}.",
        retry_after_seconds=seconds,
    )


@dataclass
class WaitsInMemory:
    """Each key's wait as last stored, kept in this process so that a refused attempt is
    refused again without reading the database (guessers then cost almost nothing). Only a
    shortcut: the stored failures stay the truth (another replica may have more)."""

    until: dict[str, datetime] = field(default_factory=dict)
    most: int = 100_000

    def remember(self, key: str, until: datetime, now: datetime) -> None:
        if until <= now:
            self.until.pop(key, None)
            return
        if len(self.until) >= self.most:  # forget the waits that are over, or all
            self.until = {k: v for k, v in self.until.items() if v > now}
            if len(self.until) >= self.most:
                self.until.clear()
        self.until[key] = until

    def wait(self, keys: tuple[str, ...], now: datetime) -> timedelta:
        latest = max((self.until.get(key, now) for key in keys), default=now)
        return max(latest - now, timedelta(0))


def wrong_credentials() -> Unauthenticated:
    # One message for unknown email, wrong password and suspended account alike.
    return Unauthenticated("The email address or password is not right.")


def account_key(email_normalised: str) -> str:
    return "account:" + hashlib.sha256(email_normalised.encode()).hexdigest()


def account_and_address_key(email_normalised: str, address: str | None) -> str:
    """One account tried from one address: its failures slow down only that pair."""
    pair = f"{email_normalised}\n{address or 'unknown'}"
    return "pair:" + hashlib.sha256(pair.encode()).hexdigest()


def address_key(address: str | None) -> str:
    """Addresses are kept hashed: the limit needs to recognise one, not to know it."""
    return "address:" + hashlib.sha256((address or "unknown").encode()).hexdigest()


def new_api_token() -> str:
    return API_TOKEN_PREFIX + secrets.token_urlsafe(32)


def token_hash(token: str) -> str:
    """API tokens are long and random, so a fast hash is enough (unlike passwords)."""
    return hashlib.sha256(token.encode()).hexdigest()
