"""Replies built from domain objects: a view takes the attributes it shares with the object."""

from typing import Any, TypeVar

from pydantic import BaseModel

View = TypeVar("View", bound=BaseModel)


def view_of(view: type[View], source: object, **others: Any) -> View:
    """``view`` with each field read from ``source``'s attribute of that name, unless
    ``others`` gives it (a field the object lacks, or one shown differently)."""
    shared = {name: getattr(source, name) for name in view.model_fields if hasattr(source, name)}
    return view.model_validate(shared | others)
