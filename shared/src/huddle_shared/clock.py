"""The time, to the millisecond: what MongoDB stores, so a reply and a read-back agree."""

from datetime import UTC, datetime


def utc_now() -> datetime:
    now = datetime.now(UTC)
    return now.replace(microsecond=now.microsecond // 1000 * 1000)
