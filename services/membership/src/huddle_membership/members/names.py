"""Names that must not pass for the instance's own voice. Pure.

A member or an organisation called "Instance administrator" could be taken for the people
who run Huddle, and so could a look-alike
spelled with other scripts' letters ("Instance administrator" with a Cyrillic I). Names are
compared by their confusable skeleton (after Unicode's UTS #39, from the confusables data
that ``confusable_homoglyphs`` keeps): letters that look alike map to one prototype, so a
reserved word and its look-alikes have the same skeleton.
"""

import re
import unicodedata
from functools import cache

from confusable_homoglyphs import confusables
from huddle_shared.contracts.rpc import FieldError
from huddle_shared.errors import Invalid

# Kept small: the words that speak for the instance. Not "system" or "NHS England" (real
# organisations carry them: integrated care systems, NHS England's regional teams), and not
# "Huddle" alone (a British surname): only the phrases that would speak for the platform.
RESERVED_WORDS = (
    "administrator",
    "admin",
    "moderator",
    "huddle team",
    "huddle support",
)


@cache
def _prototype(character: str) -> str:
    """The character that ``character`` is a look-alike of (itself if none)."""
    found = confusables.is_confusable(character, greedy=True, preferred_aliases=[])
    if found and len(found[0]["homoglyphs"]) == 1:  # a look-alike names its one prototype
        return str(found[0]["homoglyphs"][0]["c"])
    return character


def skeleton(text: str) -> str:
    """Look-alikes of one text share its skeleton: compatibility forms (full-width, bold
    mathematical letters) folded, case folded, accents dropped, each letter its prototype."""
    folded = unicodedata.normalize("NFKD", text).casefold()
    letters = "".join(c for c in folded if not unicodedata.category(c).startswith("M"))
    # Folding case first turns "I" into "i", while its look-alike "l" (and "1", "|") has
    # the prototype "l": in capitals "ADMlN" reads as "ADMIN", so "l" and "i" count as one.
    return "".join(_prototype(c) for c in letters).casefold().replace("l", "i")


def _words(text: str) -> list[str]:
    return [word for word in re.split(r"[\W_]+", skeleton(text)) if word]


@cache
def _reserved() -> tuple[tuple[str, tuple[str, ...]], ...]:
    return tuple((word, tuple(_words(word))) for word in RESERVED_WORDS)


def reserved_word_in(name: str) -> str | None:
    """The reserved word ``name`` contains (as whole words, in any look-alike), or None."""
    words = _words(name)
    for reserved, pattern in _reserved():
        size = len(pattern)
        if any(tuple(words[i : i + size]) == pattern for i in range(len(words) - size + 1)):
            return reserved
    return None


class ReservedName(Invalid):
    def __init__(self, field: str, reserved: str) -> None:
        message = (
            f'must not be or look like "{reserved}": that name is kept for the people who '
            "run Huddle"
        )
        super().__init__(
            f"The {field.replace('_', ' ')} {message}.",
            errors=[FieldError(field=field, message=message)],
        )


def require_unreserved(name: str, field: str) -> None:
    reserved = reserved_word_in(name)
    if reserved is not None:
        raise ReservedName(field, reserved)
