"""The service's MongoDB client. Only features both MongoDB and FerretDB v1 support are used."""

from typing import Any

from pymongo import AsyncMongoClient
from pymongo.asynchronous.database import AsyncDatabase

Document = dict[str, Any]


def create_client(url: str, *, app_name: str) -> AsyncMongoClient[Document]:
    # tz_aware: datetimes come back in UTC, as they went in.
    return AsyncMongoClient(url, appname=app_name, tz_aware=True, serverSelectionTimeoutMS=5000)


async def ping(database: AsyncDatabase[Document]) -> None:
    await database.command("ping")
