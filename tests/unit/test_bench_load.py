"""The load benchmark's own arithmetic: wrk's report read right, targets judged right."""

import inspect
import re
import string

import pytest
from bench_load import BASELINE, PATHS, Figures, Row, demo, session_fixture

pytestmark = pytest.mark.unit


def wrk_report(requests: int = 10_000, p99_us: int = 20_000, status_errors: int = 0) -> dict:
    return {
        "requests": requests,
        "duration_us": 5_000_000,
        "p50_us": 4_000,
        "p99_us": p99_us,
        "mean_us": 5000.0,
        "errors": {"connect": 0, "read": 0, "write": 0, "status": status_errors, "timeout": 0},
    }


def test_wrks_report_becomes_requests_per_second_and_milliseconds() -> None:
    figures = Figures.from_wrk(wrk_report(status_errors=3))
    assert figures == Figures(requests_per_s=2000.0, p50_ms=4.0, p99_ms=20.0, errors=3)


def row(requests: int, *, target: float | None = 0.25, p99_us: int = 20_000, **kw: int) -> Row:
    return Row(
        label="a path",
        path="/a",
        target=target,
        p99_ms_target=25,
        status=kw.get("status", 200),
        load=Figures.from_wrk(wrk_report(requests, status_errors=kw.get("errors", 0))),
        p99=Figures.from_wrk(wrk_report(p99_us=p99_us, status_errors=kw.get("errors_at_8", 0))),
    )


@pytest.mark.parametrize(
    ("measured", "met"),
    [
        (row(2_500), True),  # 500/s of 2,000: 0.25, p99 20 ms
        (row(2_499), False),  # just under the ratio
        (row(2_500, p99_us=25_000), False),  # the p99 at 8 connections is not under 25 ms
        (row(2_500, errors=1), False),  # fast because it failed
        (row(2_500, errors_at_8=1), False),  # ... at 8 connections
        (row(2_500, status=401), False),
    ],
)
def test_a_target_is_met_only_by_the_ratio_the_p99_and_answers_that_succeed(
    measured: Row, met: bool
) -> None:
    measured.judge(baseline=2000.0)
    assert measured.ratio == pytest.approx(measured.load.requests_per_s / 2000.0)
    assert measured.met is met


def test_a_path_without_a_target_is_neither_met_nor_missed() -> None:
    measured = row(2_500, target=None)
    measured.judge(baseline=2000.0)
    assert measured.met is None


def test_the_table_names_only_the_ids_the_bench_fills_in() -> None:
    labels = [path.label for path in [BASELINE, *PATHS]]
    assert len(set(labels)) == len(labels)
    for path in PATHS:
        names = {name for _, name, _, _ in string.Formatter().parse(path.path) if name}
        assert names <= {"member_id", "slug", "feed_token"}, path
        assert re.fullmatch(r"/[\w/{}.-]*", path.path)
        assert path.at_scale <= path.signed_in  # the 10x part repeats signed-in reads
    assert demo.NATIONAL_SLUG  # the slug the paths are filled with
    assert "feed_token" in inspect.getsource(session_fixture)  # ... and the feed's token


def test_a_page_is_signed_in_by_the_session_cookie_as_a_browser_is() -> None:
    bearer = {"Authorization": "Bearer abc.def.ghi"}
    pages = {path.label: path for path in PATHS}
    assert pages["GET /networks/{slug} (page, signed in)"].credentials(bearer) == {
        "Cookie": "huddle_session=abc.def.ghi"
    }
    assert pages["GET / (home page)"].credentials(bearer) == {}
    assert pages["GET /api/v1/me"].credentials(bearer) == bearer
