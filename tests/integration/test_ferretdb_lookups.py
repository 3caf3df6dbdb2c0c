"""The FerretDB that make builds finds a document by ``_id`` through the ``_id`` index, also
when the filter holds more than ``_id`` (decision 0029): FerretDB v1.24.2 as released scans
the whole table for each, which made each write cost time in proportion to the collection.

The test reads the SQL that FerretDB logs and asks SQLite itself how it runs it."""

import json
import os
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest
from huddle_devkit.servers import ferretdb_server, running
from pymongo import MongoClient

pytestmark = [
    pytest.mark.integration,
    pytest.mark.skipif(
        bool(os.environ.get("MONGODB_URL")), reason="about the FerretDB make builds"
    ),
]


@pytest.fixture
def logged(tmp_path: Path) -> Iterator[tuple[MongoClient, Path]]:
    with running(ferretdb_server(tmp_path, log_level="debug")) as server:
        client: MongoClient = MongoClient(server.url)  # type: ignore[attr-defined]
        try:
            yield client, tmp_path
        finally:
            client.close()


def statements_since(log: Path, offset: int) -> list[tuple[str, list[str]]]:
    with log.open() as lines:
        lines.seek(offset)
        return [
            (entry["msg"][4:], entry.get("args") or [])
            for entry in map(json.loads, lines)
            if entry["msg"].startswith(">>> ")
        ]


def plan(data: Path, sql: str, args: list[str]) -> str:
    database = sqlite3.connect(f"file:{data / 'db.sqlite'}?mode=ro", uri=True)
    try:
        rows = database.execute(f"EXPLAIN QUERY PLAN {sql}", args).fetchall()
    finally:
        database.close()
    return " / ".join(row[-1] for row in rows)


def test_a_lookup_by_id_uses_the_id_index_whatever_else_the_filter_holds(
    logged: tuple[MongoClient, Path],
) -> None:
    client, state = logged
    members = client["db"]["members"]
    members.insert_many([{"_id": f"m{i}", "n": i, "outbox": []} for i in range(50)])
    log = state / "ferretdb.log"
    offset = log.stat().st_size

    assert members.find_one({"_id": "m7"}) == {"_id": "m7", "n": 7, "outbox": []}
    members.update_one({"_id": "m8", "outbox.0": {"$exists": False}}, {"$set": {"n": 80}})
    # The rest of the filter still decides: this one matches no document, so nothing changes.
    members.update_one({"_id": "m9", "n": 10}, {"$set": {"n": 90}})
    assert members.count_documents({"_id": "m8", "n": {"$gt": 1}}) == 1

    statements = statements_since(log, offset)
    lookups = [(sql, args) for sql, args in statements if " WHERE " in sql]
    assert not [sql for sql, _ in statements if sql.startswith("SELECT") and " WHERE " not in sql]
    assert len(lookups) >= 5  # three selects by _id, one update, one count
    for sql, args in lookups:
        steps = plan(state / "data", sql, args)
        # SEARCH, not SCAN: SQLite also says "USING INDEX" when it walks a whole index.
        assert steps.startswith("SEARCH") and "USING INDEX" in steps, (sql, steps)
    assert members.find_one({"_id": "m8"}) == {"_id": "m8", "n": 80, "outbox": []}
    assert members.find_one({"_id": "m9"}) == {"_id": "m9", "n": 9, "outbox": []}
