"""The service's MongoDB client. Only features both MongoDB and FerretDB v1 support are used."""

from typing import Any

from pymongo import AsyncMongoClient
from pymongo.asynchronous.database import AsyncDatabase

Document = dict[str, Any]

# Bounded waits for an absent database: finding a server and connecting. A database that
# accepts a query and never answers is bounded where it matters, by the consumers' handler
# timeout (``dead_letter.RetryPolicy.handler_timeout_seconds``). Not pymongo's ``timeoutMS``
# or ``socketTimeoutMS``: with either, service shutdown intermittently hung in NATS's drain
# in the component tests (decision 0015). An option in the connection string wins.
DEFAULT_TIMEOUTS_MS = {"serverSelectionTimeoutMS": 5_000, "connectTimeoutMS": 5_000}


def create_client(url: str, *, app_name: str) -> AsyncMongoClient[Document]:
    lowered = url.lower()
    options: dict[str, Any] = {
        name: value for name, value in DEFAULT_TIMEOUTS_MS.items() if name.lower() not in lowered
    }
    if "journal=" not in url.lower():
        # Acknowledged means on disk (as NATS does with sync_interval: always). On a replica
        # set, set ``w=majority`` in the connection string as well.
        options["journal"] = True
    # tz_aware: datetimes come back in UTC, as they went in.
    return AsyncMongoClient(url, appname=app_name, tz_aware=True, **options)


async def ping(database: AsyncDatabase[Document]) -> None:
    await database.command("ping")
