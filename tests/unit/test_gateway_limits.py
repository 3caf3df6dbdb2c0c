"""The gateway's body parsing: JSON only, UTF-8, nested no deeper than the limit."""

import pytest
from huddle_gateway.limits import MAX_JSON_DEPTH, _is_json, json_depth, parse_json
from litestar.exceptions import HTTPException

pytestmark = pytest.mark.unit


def test_depth_counts_arrays_and_objects() -> None:
    assert json_depth(1, stop_after=5) == 0
    assert json_depth({}, stop_after=5) == 1
    assert json_depth({"a": [1, {"b": []}], "c": "x"}, stop_after=5) == 4
    deep: list[object] = []
    for _ in range(10_000):  # no recursion, and it stops counting past the limit
        deep = [deep]
    assert json_depth(deep, stop_after=5) == 6


def test_bodies_within_the_limits_parse() -> None:
    assert parse_json(b'{"a": [1, "\\u00e9"]}') == {"a": [1, "é"]}
    limit = b"[" * MAX_JSON_DEPTH + b"]" * MAX_JSON_DEPTH
    assert parse_json(limit)


@pytest.mark.parametrize(
    "body",
    [
        b"[" * (MAX_JSON_DEPTH + 1) + b"]" * (MAX_JSON_DEPTH + 1),
        b"[" * 100_000,
        b'"\xff"',
        b'"\\udc00"',
        b"NaN",
        b"",
        b"{} {}",
    ],
)
def test_bodies_beyond_them_are_400(body: bytes) -> None:
    with pytest.raises(HTTPException) as refused:
        parse_json(body)
    assert refused.value.status_code == 400


@pytest.mark.parametrize(
    ("content_type", "is_json"),
    [
        ("application/json", True),
        ("Application/JSON; charset=UTF-8", True),
        ('application/json; charset="utf-8"', True),
        ("application/json; charset=iso-8859-1", False),
        ("text/plain", False),
        ("application/x-www-form-urlencoded", False),
        ("application/jsonx", False),
        ("", False),
    ],
)
def test_only_json_is_json(content_type: str, is_json: bool) -> None:
    assert _is_json(content_type) is is_json
