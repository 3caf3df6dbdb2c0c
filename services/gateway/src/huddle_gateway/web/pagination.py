"""NHS.UK's numbered pagination for the pages' lists: the first and last pages, this one
and its neighbours, an ellipsis for the pages between."""

from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode


def numbered(page: int, pages: int, href: Callable[[int], str], what: str) -> dict[str, Any] | None:
    """The pagination component's parameters, or None for a list on one page."""
    if pages <= 1:
        return None
    shown = sorted({1, pages, page - 1, page, page + 1} & set(range(1, pages + 1)))
    items: list[dict[str, Any]] = []
    for before, number in zip([0, *shown], shown, strict=False):
        if number - before > 1:
            items.append({"ellipsis": True})
        items.append({"number": number, "href": href(number), "current": number == page})
    return {
        "ariaLabel": f"Pages of {what}",
        "items": items,
        "previous": {"href": href(page - 1)} if page > 1 else {},
        "next": {"href": href(page + 1)} if page < pages else {},
    }


def keeping_search(
    base: str, query: dict[str, str], page: int, pages: int, what: str
) -> dict[str, Any] | None:
    """Pages of a search's results, each link keeping the search's non-empty fields."""

    def href(number: int) -> str:
        return base + "?" + urlencode({**{k: v for k, v in query.items() if v}, "page": number})

    return numbered(page, pages, href, what)
