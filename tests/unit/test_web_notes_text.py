"""A note's text as the pages show it: Markdown rendered and sanitised, and the editor's
marked text (findings in ``<mark>`` at their code-point offsets, everything else escaped)."""

import re

import pytest
from huddle_gateway.web.notes_text import mark_findings, render_markdown
from huddle_gateway.web.pages.notes import file_size, split_tags
from huddle_shared.contracts.notes import Finding, FindingCategory

LABELS = {"person": "person", "place": "place", "nhs_number": "NHS number"}


def finding(text: str, start: int, end: int, category: str = "person") -> Finding:
    return Finding(
        id=f"f{start}",
        start=start,
        end=end,
        category=FindingCategory(category),
        text=text[start:end],
        suggestion="a member",
    )


def marked_texts(html: str) -> list[str]:
    return [
        re.sub(r'<span class="nhsuk-u-visually-hidden">.*?</span>', "", inner)
        for inner in re.findall(r"<mark[^>]*>(.*?)</mark>", html)
    ]


def test_each_finding_is_marked_at_its_offsets_and_the_rest_is_escaped() -> None:
    text = "<b>Dan</b> said ward 🙂 36 was <script>x</script> full: Dan's 943 476 5919"
    dan = text.index("Dan")
    ward = text.index("ward")
    number = text.index("943")
    findings = [
        finding(text, number, number + 12, "nhs_number"),
        finding(text, dan, dan + 3),
        finding(text, ward, ward + len("ward 🙂 36"), "place"),  # code points, not bytes
    ]
    html = str(mark_findings(text, findings, LABELS))
    assert marked_texts(html) == ["Dan", "ward 🙂 36", "943 476 5919"]
    assert "<script>" not in html and "<b>" not in html
    assert "&lt;script&gt;" in html and "&lt;b&gt;" in html
    # The numbers are the findings' places in the list beside the text.
    assert 'id="finding-mark-2">' in html and "[person 2: " in html
    assert "[NHS number 1: " in html


def test_overlapping_or_stray_findings_never_nest_or_break_the_text() -> None:
    text = "Sister Ann Smith from the ward"
    findings = [
        finding(text, 0, 16),
        finding(text, 7, 10),  # inside the first
        finding(text, text.index("ward"), 99, "place"),  # runs past the end
        finding(text, 5, 5),  # empty
    ]
    html = str(mark_findings(text, findings, LABELS))
    assert marked_texts(html) == ["Sister Ann Smith", "ward"]
    assert html.count("<mark") == html.count("</mark>") == 2


def test_markdown_is_rendered_and_nothing_in_it_can_run() -> None:
    body = (
        "# Learning\n\nA **bold** point and a [link](https://example.org).\n\n"
        "<script>alert(1)</script>\n\n[bad](javascript:alert(1)) <img src=x onerror=alert(1)>\n\n"
        "- one\n- two\n"
    )
    html = str(render_markdown(body))
    assert "<h1>Learning</h1>" in html and "<strong>bold</strong>" in html
    assert '<a href="https://example.org" rel="noopener noreferrer">link</a>' in html
    assert "<li>one</li>" in html
    assert "<script" not in html and "<img" not in html and 'href="javascript' not in html
    assert "&lt;script&gt;" in html  # shown as text, not run


@pytest.mark.parametrize(
    ("typed", "tags"),
    [("a, b,,a\nc ", ["a", "b", "c"]), ("", []), (" , ", [])],
)
def test_tags_are_split_on_commas_and_lines_once_each(typed: str, tags: list[str]) -> None:
    assert split_tags(typed) == tags


def test_file_sizes_read_in_words() -> None:
    assert file_size(25 * 1024 * 1024) == "25 megabytes"
    assert file_size(1536 * 1024) == "1.5 megabytes"
    assert file_size(2000) == "2 kilobytes"
    assert file_size(12) == "12 bytes"
