"""Notes' domain. Pure: which words must never appear in shared notes, and removing them.

Notes follow the Chatham House Rule: nothing may reveal who said something. The service
keeps every member's name so it can take names out of notes before they are shared.
"""

import re
from collections.abc import Iterable

REDACTED = "[name removed]"
MIN_PART_LENGTH = 3  # "Al" or "Jo" alone would redact ordinary words too often


def redaction_terms(display_name: str) -> list[str]:
    """The full name, then each part long enough to identify someone, longest first."""
    name = " ".join(display_name.split())
    if not name:
        return []
    parts = [part.strip(".,'\"()") for part in name.split(" ")]
    terms = {name, *(part for part in parts if len(part) >= MIN_PART_LENGTH)}
    return sorted(terms, key=lambda term: (-len(term), term))


def redact(text: str, terms: Iterable[str]) -> str:
    """Replace whole-word, case-insensitive occurrences of any term (longest first)."""
    ordered = sorted({term for term in terms if term}, key=len, reverse=True)
    if not ordered:
        return text
    pattern = re.compile(
        r"(?<!\w)(?:" + "|".join(re.escape(term) for term in ordered) + r")(?!\w)", re.IGNORECASE
    )
    return pattern.sub(REDACTED, text)
