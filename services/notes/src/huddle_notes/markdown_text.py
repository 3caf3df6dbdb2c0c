"""The words a reader sees in a note's Markdown, for excerpts: no "##", "**" or link
targets. Both the library's results and the review queue show excerpts."""

import functools
import textwrap

from markdown_it import MarkdownIt
from markdown_it.token import Token

_ENDINGS = frozenset(".!?:;…,")


@functools.cache
def _parser() -> MarkdownIt:
    # No raw HTML and no link reference definitions: "[1]: see the ward" stays visible text.
    return MarkdownIt("commonmark", {"html": False}).disable("reference")


def _inline_words(token: Token) -> list[str]:
    words: list[str] = []
    for child in token.children or []:
        if child.type in ("text", "code_inline"):
            words.append(child.content)
        elif child.type in ("softbreak", "hardbreak"):
            words.append(" ")
        elif child.type == "image":
            words.extend(_inline_words(child))
    return words


def plain_text(markdown: str) -> str:
    """The text of ``markdown`` as rendered, with white space folded to single spaces."""
    pieces: list[str] = []
    for token in _parser().parse(markdown):
        if token.type == "inline":
            words = "".join(_inline_words(token)).rstrip()
            # A heading or a list item runs into the next block: end it as a sentence.
            pieces.append(words if not words or words[-1] in _ENDINGS else words + ".")
        elif token.type in ("code_block", "fence"):
            pieces.append(token.content)
        pieces.append(" ")  # blocks (headings, paragraphs, items) read as separate words
    return " ".join("".join(pieces).split())


def opening(markdown: str, width: int) -> str:
    """The first ``width`` characters or so of what a reader sees, cut at a word."""
    # Markup only shrinks the text, so twice the width of source is enough to read.
    return textwrap.shorten(plain_text(markdown[: width * 2]), width, placeholder="…")
