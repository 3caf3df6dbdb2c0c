"""Small facts about positions in a text: word boundaries, sentence starts, case."""

import re

# Apostrophes and dashes as note-takers type them (curly quotes from phones and Word).
APOSTROPHES = "'\u2019\u2018`"
_OPENERS = frozenset('.!?:;\u2022*#>|-\u2013\u2014"\u201c([')


def lower_same_length(text: str) -> str:
    """``text.lower()`` that keeps every code point where it was (a few characters, such
    as "İ", lower to two), so offsets found in it are offsets into ``text``."""
    lowered = text.lower()
    if len(lowered) == len(text):
        return lowered
    return "".join(ch if len(low := ch.lower()) != 1 else low for ch in text)


def is_word_char(ch: str) -> bool:
    return ch.isalnum() or ch == "_"


def bounded(text: str, start: int, end: int) -> bool:
    """The span ``[start, end)`` starts and ends on word boundaries."""
    if start > 0 and is_word_char(text[start - 1]) and is_word_char(text[start]):
        return False
    return not (end < len(text) and is_word_char(text[end]) and is_word_char(text[end - 1]))


def starts_sentence(text: str, start: int) -> bool:
    """The word at ``start`` opens a sentence, a line, a bullet or a quotation: its capital
    letter says nothing about whether it is a name."""
    i = start - 1
    while i >= 0 and text[i] in " \t":
        i -= 1
    if i < 0 or text[i] in "\n\r":
        return True
    return text[i] in _OPENERS


def is_capitalised(word: str) -> bool:
    """Starts with a capital letter and is not all capitals (an acronym): "Dan", "McKay",
    "O'Neill" are; "DAN" and "dan" are not."""
    return bool(word) and word[0].isupper() and not (len(word) > 1 and word.isupper())


def previous_word(text: str, start: int) -> tuple[int, str]:
    """The word just before ``start`` (skipping spaces), with its start; "" if none."""
    match = _PREVIOUS_WORD.search(text, max(0, start - 40), start)
    if not match:
        return start, ""
    return match.start(1), match.group(1)


def next_word(text: str, end: int) -> tuple[int, str]:
    """The word just after ``end`` (skipping spaces), with its end; "" if none."""
    match = _NEXT_WORD.match(text, end)
    if not match:
        return end, ""
    return match.end(1), match.group(1)


_PREVIOUS_WORD = re.compile(r"([\w.'\u2019&-]+)[ \t]+$")
_NEXT_WORD = re.compile(r"[ \t]+([\w'\u2019&-]+)")


def words(spaced: str) -> frozenset[str]:
    """A set of words written as one string, for short lists kept in the code."""
    return frozenset(spaced.split())
