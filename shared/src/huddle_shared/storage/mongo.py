"""The service's MongoDB client. Only features both MongoDB and FerretDB v1 support are used."""

from typing import Any

from pymongo import AsyncMongoClient
from pymongo.asynchronous.database import AsyncDatabase

Document = dict[str, Any]

# Every database call gives up after this long (pymongo's client-side timeout), so a hung
# database surfaces as an error that the consumers retry, instead of stalling them for ever.
# A ``timeoutMS`` in the connection string wins.
DEFAULT_TIMEOUT_MS = 10_000


def create_client(url: str, *, app_name: str) -> AsyncMongoClient[Document]:
    options: dict[str, Any] = {}
    if "timeoutms" not in url.lower():
        options["timeoutMS"] = DEFAULT_TIMEOUT_MS
    if "journal=" not in url.lower():
        # Acknowledged means on disk (as NATS does with sync_interval: always). On a replica
        # set, set ``w=majority`` in the connection string as well.
        options["journal"] = True
    # tz_aware: datetimes come back in UTC, as they went in.
    return AsyncMongoClient(url, appname=app_name, tz_aware=True, **options)


async def ping(database: AsyncDatabase[Document]) -> None:
    await database.command("ping")
