"""What the network knows, as phrases to find: each member's and speaker's full name, its
parts, its initials and short forms; each organisation's name and short forms."""

import re
from collections.abc import Iterable, Iterator

from huddle_shared.contracts.notes import FindingCategory

from huddle_notes.check.candidates import KNOWN
from huddle_notes.check.lexicon import Case, Entry

PERSON = FindingCategory.PERSON
ORGANISATION = FindingCategory.ORGANISATION

TITLES = (
    "Dr",
    "Doctor",
    "Mr",
    "Mrs",
    "Ms",
    "Miss",
    "Mx",
    "Prof",
    "Professor",
    "Sir",
    "Dame",
    "Lady",
    "Lord",
    "Sister",
    "Nurse",
    "Matron",
    "Rev",
    "Revd",
    "Reverend",
    "Father",
    "Fr",
    "Cllr",
    "Councillor",
)
_TITLE_WORDS = frozenset(t.lower() for t in TITLES)
_NAME_TOKEN = re.compile(r"[^\s,()\"]+")
# Parts of names that are never a name alone.
_PARTICLES = frozenset({"de", "da", "di", "van", "von", "der", "den", "la", "le", "du", "al", "el"})
_ORG_SUFFIXES = re.compile(
    r"\s+(?:NHS\s+Foundation\s+Trust|NHS\s+Trust|Foundation\s+Trust|NHS\s+FT|Trust|"
    r"Integrated\s+Care\s+Board|ICB|Ltd\.?|Limited|plc|CIC|LLP|Charity|Group)$",
    re.IGNORECASE,
)
_ORG_STOP = frozenset({"of", "and", "the", "for", "&", "in", "at", "on", "upon", "nhs"})


_FORMERLY = re.compile(r"\s*\(?\b(?:n[ée]e|formerly|previously|was)\b\s+([^()]+)\)?", re.IGNORECASE)


def names_in(display_name: str) -> list[str]:
    """A display name and the old name it mentions: "Kate Jones (née Brown)" is also
    "Kate Brown"."""
    match = _FORMERLY.search(display_name)
    if not match:
        return [display_name]
    current = display_name[: match.start()].strip()
    old = match.group(1).strip()
    words = name_words(current)
    old_words = name_words(old)
    if len(old_words) == 1 and words:
        return [current, " ".join([*words[:-1], *old_words])]
    return [current, old]


def name_words(display_name: str) -> list[str]:
    """The words of a person's name without titles or post-nominals: "Dr Dan Smith FRCS"
    gives ["Dan", "Smith"]."""
    words = [w.strip(".,;:") for w in _NAME_TOKEN.findall(display_name)]
    words = [w for w in words if w and w.lower().rstrip(".") not in _TITLE_WORDS]
    # Post-nominals (FRCS, RN, MBE) are all capitals after the name; initials are one letter.
    while len(words) > 1 and words[-1].isupper() and len(words[-1]) > 1:
        words.pop()
    return words


def person_entries(display_name: str, kind: str, strength: int = KNOWN) -> Iterator[Entry]:
    """A person's full name in any case; each part of it and its short forms capitalised;
    familiar forms of the first name ("Dan" for "Daniel"); the initials exactly ("DS",
    "D.S.", "D. S.")."""
    for name in names_in(display_name):
        yield from _person_entries(name_words(name), kind, strength)


def _person_entries(words: list[str], kind: str, strength: int) -> Iterator[Entry]:
    if not words:
        return
    from huddle_notes.check import gazetteers  # the gazetteers build on this module

    for short in gazetteers.nicknames().get(words[0].lower(), ()):
        yield Entry(short, PERSON, f"{kind}_part", Case.CAPITALISED, strength)
        if len(words) > 1:
            yield Entry(f"{short} {words[-1]}", PERSON, kind, Case.ANY, strength + 2)
    full = " ".join(words)
    if len(words) > 1:
        yield Entry(full, PERSON, kind, Case.ANY, strength + 2)
    parts: list[str] = []
    for word in words:
        parts.append(word)
        if "-" in word:  # "Smith-Jones": each half is a name too
            parts.extend(p for p in word.split("-") if p)
    for part in parts:
        if len(part) >= 2 and part.lower() not in _PARTICLES and not _is_initial(part):
            yield Entry(part, PERSON, f"{kind}_part", Case.CAPITALISED, strength)
    letters = [w[0].upper() for w in words if w[0].isalpha() and w.lower() not in _PARTICLES]
    if len(words) > 1:
        first, last = words[0], words[-1]
        yield Entry(f"{first[0]}. {last}", PERSON, kind, Case.CAPITALISED, strength + 1)
        yield Entry(f"{first[0]} {last}", PERSON, kind, Case.CAPITALISED, strength + 1)
        yield Entry(f"{first} {last[0]}.", PERSON, kind, Case.CAPITALISED, strength + 1)
        if len(words) > 2:
            yield Entry(f"{first} {last}", PERSON, kind, Case.ANY, strength + 2)
    if len(letters) >= 2:
        joined = "".join(letters)
        for form in (joined, ".".join(letters) + ".", ". ".join(letters) + ".", ".".join(letters)):
            yield Entry(form, PERSON, f"{kind}_initials", Case.EXACT, strength)


def _is_initial(word: str) -> bool:
    return len(word.rstrip(".")) == 1


def organisation_entries(name: str, kind: str, strength: int = KNOWN) -> Iterator[Entry]:
    """An organisation's name in any case (one word: capitalised), the name without "NHS
    Foundation Trust" and the like, and its initials ("OUH", "OUHFT") exactly."""
    name = " ".join(name.split())
    if not name:
        return
    words = name.split(" ")
    if name.isupper() and " " not in name:
        yield Entry(name, ORGANISATION, kind, Case.EXACT, strength)
        return
    case = Case.ANY if len(words) > 1 else Case.CAPITALISED
    yield Entry(name, ORGANISATION, kind, case, strength)
    core = name
    while True:
        shorter = _ORG_SUFFIXES.sub("", core)
        if shorter == core:
            break
        core = shorter
    if core != name and core:
        core_words = core.split(" ")
        yield Entry(core, ORGANISATION, kind, Case.CAPITALISED, strength - 1)
        if len(core_words) == 1 and len(core) < 4:
            return
    # "Northgate" for "Northgate Healthcare NHS Trust", "Frimley" for "Frimley Health": the
    # first word, when it is distinctive (not "North", "Royal", a town or an everyday word).
    first = core.split(" ")[0]
    if (
        " " in core
        and len(first) >= 4
        and first[0].isupper()
        and not first.isupper()
        and distinctive(first)
    ):
        yield Entry(first, ORGANISATION, kind, Case.CAPITALISED, strength - 3)
    for source in {name, core}:
        letters = "".join(
            w[0].upper() for w in source.split(" ") if w and w.lower() not in _ORG_STOP
        )
        if len(letters) >= 3:
            yield Entry(letters, ORGANISATION, kind, Case.EXACT, strength - 1)
            if source is core:
                yield Entry(letters + "FT", ORGANISATION, kind, Case.EXACT, strength - 1)


def distinctive(word: str) -> bool:
    """A word that names one organisation rather than a kind, a direction or a place."""
    from huddle_notes.check import gazetteers  # the gazetteers build on this module

    low = word.lower()
    return not (
        low in gazetteers.generic_words()
        or low in gazetteers.common_words()
        or low in gazetteers.towns()
        or low in gazetteers.first_names()
        or low in gazetteers.surnames()
        or low in gazetteers.not_names()
    )


def knowledge_entries(
    members: Iterable[str], organisations: Iterable[str], speakers: Iterable[str]
) -> Iterator[Entry]:
    for name in members:
        yield from person_entries(name, "member")
    for name in speakers:
        yield from person_entries(name, "speaker")
    for name in organisations:
        yield from organisation_entries(name, "known_organisation")
