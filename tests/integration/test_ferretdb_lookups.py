"""The FerretDB that make builds finds a document by ``_id`` through the ``_id`` index, also
when the filter holds more than ``_id`` (decision 0029), and narrows an ``_id`` list, an
equality on another field and "the field exists" in SQLite (decision 0048): FerretDB v1.24.2
as released reads and decodes the whole table for each.

The test reads the SQL that FerretDB logs and asks SQLite itself how it runs it."""

import json
import os
import sqlite3
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from huddle_devkit.servers import ferretdb_server, running
from pymongo import MongoClient
from pymongo.collection import Collection

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


def selects_split(log: Path, offset: int) -> tuple[list[tuple[str, list[str]]], int]:
    """The selects FerretDB ran since ``offset`` that narrow in SQLite, and how many ran."""
    selects = [s for s in statements_since(log, offset) if s[0].startswith("SELECT")]
    return [(sql, args) for sql, args in selects if " WHERE " in sql], len(selects)


def ids_found(collection: Collection, query: dict[str, object]) -> set[object]:
    return {document["_id"] for document in collection.find(query, {"_id": 1})}


def assert_each_uses_an_index(data: Path, statements: Iterable[tuple[str, list[str]]]) -> None:
    for sql, args in statements:
        steps = plan(data, sql, args)
        # SEARCH, not SCAN: SQLite also says "USING INDEX" when it walks a whole index.
        assert "SCAN" not in steps and "USING INDEX" in steps, (sql, steps)


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


# Strings SQLite and Go's JSON encoder could each spell differently, if either re-escaped.
AWKWARD = [
    "plain",
    "é and ü",
    "emoji 🩺",
    'a "quoted" word',
    "back\\slash",
    "<b>&amp;</b>",
    "tab\there",
    "line\nbreak",
    "\u2028",
    "",
    "[not an array]",
    "\\u0041",
]


def matches(document: dict[str, object], value: str) -> bool:
    stored = document.get("member_id")
    return stored == value or (isinstance(stored, list) and value in stored)


def test_an_equality_on_another_field_is_looked_up_through_its_index_and_misses_nothing(
    logged: tuple[MongoClient, Path],
) -> None:
    client, state = logged
    roster = client["db"]["roster"]
    roster.create_index("member_id")
    documents = [
        {"_id": f"r{i}", "member_id": value, "slug": f"n{i // len(AWKWARD)}", "active": i % 2 == 0}
        for i, value in enumerate(AWKWARD * 3)
    ]
    # Equality on a string also matches an array that holds it, as in MongoDB.
    documents += [
        {"_id": "tagged", "member_id": ["x", "plain"], "slug": "n0", "active": True},
        {"_id": "number", "member_id": 7, "slug": "n0", "active": True},
        {"_id": "missing", "slug": "n0", "active": True},
    ]
    roster.insert_many(documents)
    log = state / "ferretdb.log"
    offset = log.stat().st_size

    for value in AWKWARD:
        found = {d["_id"] for d in roster.find({"member_id": value, "active": True})}
        expected = {d["_id"] for d in documents if d["active"] and matches(d, value)}
        assert found == expected, value
    assert "tagged" in {d["_id"] for d in roster.find({"member_id": "plain"})}
    # The rest of the filter still decides, on an unindexed field too.
    assert roster.count_documents({"slug": "n1", "member_id": "plain"}) == 1
    assert roster.count_documents({"slug": "n1", "active": {"$in": [True, False]}}) == 12
    roster.update_many({"member_id": "emoji 🩺"}, {"$set": {"active": False}})
    assert roster.count_documents({"member_id": "emoji 🩺", "active": True}) == 0
    roster.delete_many({"member_id": "plain", "slug": "n0"})
    assert roster.count_documents({"member_id": "plain"}) == 2

    statements = statements_since(log, offset)
    indexed = [
        (sql, args)
        for sql, args in statements
        if sql.startswith("SELECT") and "->'member_id'" in sql
    ]
    assert len(indexed) >= len(AWKWARD) + 4
    assert not [sql for sql, _ in statements if sql.startswith("SELECT") and " WHERE " not in sql]
    assert_each_uses_an_index(state / "data", indexed)


def test_a_field_that_must_exist_is_looked_up_through_its_index(
    logged: tuple[MongoClient, Path],
) -> None:
    """The outbox relay's sweep: only the documents with pending events have the field."""
    client, state = logged
    members = client["db"]["members"]
    members.create_index("outbox_since", sparse=True)
    then = datetime(2026, 1, 1, tzinfo=UTC)
    members.insert_many([{"_id": f"m{i}", "n": i} for i in range(40)])
    members.insert_many(
        [
            {"_id": "pending", "outbox_since": then},
            {"_id": "later", "outbox_since": then + timedelta(days=2)},
            {"_id": "several", "outbox_since": [then, then + timedelta(days=9)]},
            {"_id": "null", "outbox_since": None},
        ]
    )
    log = state / "ferretdb.log"
    offset = log.stat().st_size

    assert ids_found(members, {"outbox_since": {"$lte": then + timedelta(days=1)}}) == {
        "pending",
        "several",
    }
    assert ids_found(members, {"outbox_since": {"$exists": True}}) == {
        "pending",
        "later",
        "several",
        "null",
    }
    assert ids_found(members, {"outbox_since": {"$gt": then, "$lt": then + timedelta(days=3)}}) == {
        "later",
        "several",
    }
    # What could match a missing field is not narrowed: every document is read.
    assert len(ids_found(members, {"outbox_since": {"$lte": None}})) == 41
    assert len(ids_found(members, {"outbox_since": {"$exists": False}})) == 40

    narrowed, selects = selects_split(log, offset)
    assert len(narrowed) == 3 and selects == 5
    assert_each_uses_an_index(state / "data", narrowed)


def test_ids_in_a_list_are_looked_up_through_the_id_index(
    logged: tuple[MongoClient, Path],
) -> None:
    client, state = logged
    members = client["db"]["members"]
    members.insert_many([{"_id": f"m{i}", "n": i} for i in range(50)])
    members.insert_one({"_id": 7, "n": -1})
    log = state / "ferretdb.log"
    offset = log.stat().st_size

    assert ids_found(members, {"_id": {"$in": ["m3", "m30", "nobody"]}}) == {"m3", "m30"}
    assert ids_found(members, {"_id": {"$in": []}}) == set()
    assert ids_found(members, {"_id": {"$in": ["m3", "m4"]}, "n": 4}) == {"m4"}
    # A list holding anything but strings and ObjectIDs is not narrowed: every row is read.
    assert ids_found(members, {"_id": {"$in": ["m3", 7]}}) == {"m3", 7}

    narrowed, selects = selects_split(log, offset)
    assert len(narrowed) == 3 and selects == 4
    # ``IN ()`` is false before SQLite reads a row, whatever the plan says.
    assert_each_uses_an_index(state / "data", (s for s in narrowed if not s[0].endswith("IN ()")))
