"""Acronyms: every all-capital token, and every glossary entry as the network writes it
("NatSSIPs"); known ones carry the glossary's expansion, unknown ones none."""

import re
from bisect import bisect_right
from collections.abc import Iterator, Mapping, Sequence

from huddle_shared.contracts.notes import AcronymUse

# "PSIRF", "A&E", "ICBs" (the plural's "s" is not part of the acronym).
_CAPITALS = re.compile(
    r"(?<![\w&'\u2019-])([A-Z][A-Z0-9&]*[A-Z][A-Z0-9]*)(?:s|'s|\u2019s)?(?![\w&])"
)
# "NatSSIPs", "LocSSIPs": mostly capitals with a few small letters.
_MIXED = re.compile(r"(?<![\w&])([A-Z][A-Za-z]*[A-Z][A-Za-z]*)(?![\w&])")
_ROMAN = re.compile(r"^(?:X{0,3})(?:IX|IV|V?I{0,3})$")


class Acronyms:
    def __init__(self, glossary: Mapping[str, str]) -> None:
        self.glossary = {k.strip(): v for k, v in glossary.items() if k.strip()}
        self._folded = {k.casefold(): v for k, v in self.glossary.items()}
        self._mixed_keys = {k for k in self.glossary if not k.isupper()}

    def expansion(self, token: str) -> str | None:
        return self.glossary.get(token) or self._folded.get(token.casefold())

    def find(self, text: str, skip: Sequence[tuple[int, int]] = ()) -> list[AcronymUse]:
        found: dict[int, AcronymUse] = {}
        spans = sorted(skip)
        starts = [s for s, _ in spans]
        for start, end, token in self._tokens(text):
            index = bisect_right(starts, start)
            if index and spans[index - 1][1] >= end:
                continue  # inside a finding: it goes with it
            found.setdefault(
                start, AcronymUse(start=start, end=end, text=token, expansion=self.expansion(token))
            )
        return [found[s] for s in sorted(found)]

    def _tokens(self, text: str) -> Iterator[tuple[int, int, str]]:
        for match in _CAPITALS.finditer(text):
            token = match.group(1)
            if sum(ch.isalpha() for ch in token) < 2 or _ROMAN.match(token):
                continue
            yield match.start(1), match.end(1), token
        for match in _MIXED.finditer(text):
            token = match.group(1)
            if token.isupper():
                continue
            letters = [ch for ch in token if ch.isalpha()]
            upper = sum(ch.isupper() for ch in letters)
            if token in self._mixed_keys or (upper >= 3 and upper * 2 >= len(letters)):
                yield match.start(1), match.end(1), token


def expand(text: str, acronyms: Sequence[AcronymUse]) -> str:
    """Each known acronym replaced by its expansion, from the end so earlier offsets hold;
    ones without an expansion, or no longer where they were, are left alone."""
    out = text
    last_start = len(text) + 1
    for use in sorted(acronyms, key=lambda a: a.start, reverse=True):
        if not use.expansion or use.end > last_start:
            continue
        if use.start < 0 or use.end > len(text) or text[use.start : use.end] != use.text:
            continue
        out = out[: use.start] + use.expansion + out[use.end :]
        last_start = use.start
    return out
