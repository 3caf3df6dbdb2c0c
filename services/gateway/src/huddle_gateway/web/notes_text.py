"""A note's text as the pages show it: its Markdown rendered and sanitised for the library,
and, in the editor, the raw text with the identifier check's findings marked.

Markdown is rendered by markdown-it-py with raw HTML off, then cleaned by nh3 (an allow-list
of tags and attributes): a note is written by a member and read by many, so nothing in it
may run or restyle the page. The marked text escapes everything but the ``<mark>`` elements
it adds, at the findings' own code-point offsets.
"""

from collections.abc import Sequence
from dataclasses import dataclass

import nh3
from huddle_shared.contracts.notes import Finding
from markdown_it import MarkdownIt
from markupsafe import Markup, escape

# CommonMark with tables and strikethrough; "html": False turns raw HTML into text.
_MARKDOWN = MarkdownIt("commonmark", {"html": False, "linkify": False}).enable(
    ["table", "strikethrough"]
)
_TAGS = {
    "p", "br", "hr", "h1", "h2", "h3", "h4", "h5", "h6", "strong", "em", "s", "del", "ul",
    "ol", "li", "blockquote", "code", "pre", "a", "table", "thead", "tbody", "tr", "th", "td",
}  # fmt: skip
_ATTRIBUTES = {"a": {"href", "title"}, "th": {"align"}, "td": {"align"}, "ol": {"start"}}


def render_markdown(body: str) -> Markup:
    """The body as safe HTML: rendered, then only the allow-listed tags and attributes kept
    (links get ``rel="noopener noreferrer"``; ``javascript:`` addresses are dropped)."""
    html = _MARKDOWN.render(body)
    return Markup(  # noqa: S704 - nh3 has just cleaned it
        nh3.clean(
            html,
            tags=_TAGS,
            attributes=_ATTRIBUTES,
            url_schemes={"http", "https", "mailto"},
            link_rel="noopener noreferrer",
        )
    )


@dataclass(frozen=True)
class Span:
    start: int
    end: int
    label: str  # what the mark says to a screen reader ("person", "organisation")
    number: int  # the finding's place in the list beside it (1-based)


def _spans(text: str, findings: Sequence[Finding], labels: dict[str, str]) -> list[Span]:
    """The findings in order, clipped to the text; one that overlaps an earlier one is
    folded into it (a mark inside a mark would be invalid and unreadable)."""
    spans: list[Span] = []
    ordered = sorted(enumerate(findings, start=1), key=lambda pair: (pair[1].start, -pair[1].end))
    for number, finding in ordered:
        start, end = max(0, finding.start), min(len(text), finding.end)
        if end <= start:
            continue
        label = labels.get(finding.category.value, finding.category.value)
        if spans and start < spans[-1].end:
            last = spans[-1]
            spans[-1] = Span(last.start, max(last.end, end), last.label, last.number)
            continue
        spans.append(Span(start, end, label, number))
    return spans


def mark_findings(text: str, findings: Sequence[Finding], labels: dict[str, str]) -> Markup:
    """The text, escaped, with each finding in ``<mark>`` (its category and number for a
    screen reader, which does not announce the highlight itself)."""
    parts: list[str] = []
    at = 0
    for span in _spans(text, findings, labels):
        parts.append(str(escape(text[at : span.start])))
        parts.append(
            f'<mark class="huddle-finding" id="finding-mark-{span.number}">'
            f'<span class="nhsuk-u-visually-hidden">[{escape(span.label)} {span.number}: </span>'
            f"{escape(text[span.start : span.end])}"
            f'<span class="nhsuk-u-visually-hidden">]</span></mark>'
        )
        at = span.end
    parts.append(str(escape(text[at:])))
    return Markup("".join(parts))  # noqa: S704 - every piece of the text is escaped above
