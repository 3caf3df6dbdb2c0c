"""The pages' numbered pagination (NHS.UK's component): its ends and neighbours."""

import pytest
from huddle_gateway.web import pagination

pytestmark = pytest.mark.unit


def numbers(page: int, pages: int) -> list[str]:
    shown = pagination.numbered(page, pages, lambda n: f"?page={n}", "members")
    assert shown is not None
    return [
        "..." if item.get("ellipsis") else str(item["number"]) + ("*" * item["current"])
        for item in shown["items"]
    ]


def test_a_long_list_of_pages_shows_its_ends_and_neighbours() -> None:
    assert pagination.numbered(1, 1, str, "members") is None
    assert numbers(1, 3) == ["1*", "2", "3"]
    assert numbers(5, 33) == ["1", "...", "4", "5*", "6", "...", "33"]
    assert numbers(2, 33) == ["1", "2*", "3", "...", "33"]
    assert numbers(33, 33) == ["1", "...", "32", "33*"]


def test_the_links_keep_the_search_and_only_its_filled_fields() -> None:
    shown = pagination.keeping_search("/support", {"text": "grief", "area": ""}, 2, 3, "results")
    assert shown is not None and shown["ariaLabel"] == "Pages of results"
    assert shown["previous"] == {"href": "/support?text=grief&page=1"}
    assert shown["next"] == {"href": "/support?text=grief&page=3"}
