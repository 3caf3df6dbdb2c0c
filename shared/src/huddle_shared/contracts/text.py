"""Text that people type and others read: names that show what they say.

Validation only, no domain rule: a name is normalised to Unicode NFC (one spelling of each
letter, so equal names compare equal) and refused when it carries characters a reader cannot
see or that change how the text around them shows: control characters (NUL, terminal escape
sequences begin with ESC), format characters (zero-width spaces and joiners, right-to-left
overrides), and names that are empty once the invisible characters are left out. Which
names are reserved (look-alikes of "administrator") is membership's rule, not this one.
"""

import unicodedata

# Categories refused anywhere in a name: control (Cc), format (Cf), surrogate (Cs), private
# use (Co), unassigned (Cn), and line and paragraph separators (Zl, Zp).
REFUSED_CATEGORIES = frozenset({"Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"})
# Letters that draw nothing (fillers and blanks), besides spaces and combining marks.
BLANK_CHARACTERS = frozenset("\u115f\u1160\u3164\uffa0\u2800\u180e")


def _unseen(character: str) -> bool:
    category = unicodedata.category(character)
    return character.isspace() or category.startswith(("M", "Z")) or character in BLANK_CHARACTERS


def readable_name(value: str) -> str:
    """The name as stored: NFC, trimmed; ``ValueError`` (a 422 naming the field) if unfit."""
    value = unicodedata.normalize("NFC", value).strip()
    refused = sorted({c for c in value if unicodedata.category(c) in REFUSED_CATEGORIES})
    if refused:
        shown = ", ".join(f"U+{ord(c):04X}" for c in refused)
        raise ValueError(
            "must not contain control or invisible formatting characters (such as NUL, "
            f"escape codes, zero-width characters or direction overrides): found {shown}"
        )
    if all(_unseen(character) for character in value):
        raise ValueError("must contain visible characters")
    return value
