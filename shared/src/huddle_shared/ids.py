"""Identifiers: time-ordered UUIDs (version 7), so ids sort by creation time."""

from uuid import UUID

from uuid6 import uuid7


def new_id() -> UUID:
    return uuid7()


def new_id_str() -> str:
    return str(uuid7())
