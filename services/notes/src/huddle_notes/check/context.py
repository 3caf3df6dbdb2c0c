"""Rules that read the words around a phrase: a title before a name, "said" after one,
"Ward 36", "... NHS Foundation Trust", "head of midwifery at ...", and the case rules that
keep "we live in hope" out while "Hope said" stays in."""

import re
from collections.abc import Iterable, Iterator, Sequence

from huddle_shared.contracts.notes import FindingCategory

from huddle_notes.check import gazetteers
from huddle_notes.check.candidates import CONTEXT, GAZETTEER, KNOWN, ROLE, WEAK, Candidate
from huddle_notes.check.knowledge import TITLES
from huddle_notes.check.lexicon import Hit
from huddle_notes.check.text import (
    is_capitalised,
    is_word_char,
    next_word,
    previous_word,
    starts_sentence,
    words,
)

P = FindingCategory.PERSON
ORG = FindingCategory.ORGANISATION
L = FindingCategory.PLACE

# Dan, D'Souza, Smith-Jones
_CAP = r"[A-Z\u00c0-\u00de][a-z\u00e0-\u00ff]+(?:['\u2019-][A-Z][a-z\u00e0-\u00ff]+)?"
_MC = rf"(?:Mc|Mac|O['\u2019]|De|Le|Van|Di)?{_CAP}"  # McKay, MacDonald, O'Neill
_NAME = rf"{_MC}(?:[ \t]+{_MC})?"

# Words that look like names only because a capital starts them.
NOT_NAMES = gazetteers.not_names()
_SAID = (
    r"said|says|asked|asks|explained|explains|noted|mentioned|mentions|described|"
    r"describes|told|shared|added|adds|suggested|suggests|reported|presented|"
    r"raised|commented|highlighted|agreed|agrees|replied|"
    r"replies|felt|feels|thinks|thought|recalled|recalls|argued|argues|stressed|"
    r"emphasised|emphasises|pointed|spoke|speaks|talked|wondered|wrote|"
    r"writes|admitted|admits|confirmed|confirms|offered|joined|chaired|"
    r"facilitated|observed|proposed|warned|volunteered|"
    r"would|will|has|had|was|is|can|could|did|does|kindly|also"
)
_WEAK_SAID = words("would will has had was is can could did does kindly also")
_TITLE = "|".join(TITLES)
_TITLE_NAME = re.compile(
    rf"\b(?:{_TITLE})\.?[ \t]+(?P<name>(?:[A-Z]\.?[ \t]+)?{_MC}(?:[ \t]+{_MC})?"
    r"|[A-Z](?:-[A-Z])?\b(?!['\u2019]))"
)
# Words after a title that make it a role, not a name: "Nurse Consultant", "Sister Ward".
_ROLE_AFTER_TITLE = words(
    "consultant practitioner specialist associate lead manager educator director advocate in "
    "charge of for and the a who on at ward wards unit team teams practice led"
)
_NAME_SAID = re.compile(rf"\b(?P<name>{_NAME})[ \t]+(?P<verb>{_SAID})\b")
_SAID_NAME = re.compile(rf"\b(?:said|says|asked|added|replied|explained)[ \t]+(?P<name>{_NAME})\b")
_NAME_FROM = re.compile(
    rf"\b(?P<name>{_MC})[ \t]+(?:from|at|of)[ \t]+(?:the[ \t]+)?"
    r"(?P<org>(?:[A-Z][\w'\u2019&-]*|St\.?)(?:[ \t]+(?:[A-Z][\w'\u2019&-]*|of|upon|on)){0,5})"
)
_POSSESSIVE = re.compile(rf"\b(?P<name>{_MC})['\u2019]s\b")
# "Ward 36", "ward 7B", "Ward C2"
_WARD_NUMBER = re.compile(
    r"\b(?:[Ww]ard|WARD)[ \t]+(?:[Nn]o\.?[ \t]*)?(?:\d{1,3}[A-Za-z]?|[A-Z]\d{0,2}[A-Za-z]?)\b"
)
_UNIT_WORDS = r"Ward|ward|Unit|unit|Suite|suite|Wing|wing|Bay|Theatres?|Centre|Clinic"
# "Maple Ward", "the Rainbow Unit", "Nightingale wing"
_NAMED_UNIT = re.compile(
    rf"\b(?P<name>(?:[A-Z][\w'\u2019-]*[ \t]+){{1,3}})(?P<unit>{_UNIT_WORDS})\b"
)
# Capitalised words before a suffix that names the kind of organisation.
_ORG_SUFFIX = {
    "NHS Foundation Trust": "trust",
    "NHS Trust": "trust",
    "Foundation Trust": "trust",
    "Healthcare NHS Trust": "trust",
    "Integrated Care Board": "icb",
    "Integrated Care System": "icb",
    "ICB": "icb",
    "Health and Care Partnership": "icb",
    "Community Interest Company": "organisation",
    "CIC": "organisation",
    "Health Board": "trust",
    "University Health Board": "trust",
    "Ambulance Service": "trust",
    "Hospital": "hospital",
    "Hospitals": "hospital",
    "Infirmary": "hospital",
    "Surgery": "gp",
    "Medical Centre": "gp",
    "Medical Practice": "gp",
    "Health Centre": "gp",
    "Group Practice": "gp",
    "Family Practice": "gp",
    "Primary Care Network": "gp",
    "PCN": "gp",
    "Hospice": "hospice",
    "Care Home": "care_home",
    "Homes": "care_home",
    "Nursing Home": "care_home",
    "Residential Home": "care_home",
    "House": "care_home",
    "Lodge": "care_home",
    "University": "university",
    "Council": "organisation",
    "Healthcare": "organisation",
    "Foundation": "organisation",
    "Charity": "organisation",
    "Ltd": "organisation",
    "Limited": "organisation",
    "Hotel": "venue",
    "Conference Centre": "venue",
    "Town Hall": "venue",
    "Stadium": "venue",
    "Racecourse": "venue",
}
_VENUE_KINDS = {"venue"}
_SUFFIXES = "|".join(re.escape(s) for s in sorted(_ORG_SUFFIX, key=len, reverse=True))
_CAP_WORD = r"(?:[A-Z][\w'\u2019&.-]*|St\.?)"
_ORG_PATTERN = re.compile(
    rf"\b(?P<name>{_CAP_WORD}(?:[ \t]+(?:{_CAP_WORD}|and|of|upon|on|&))*?)"
    rf"[ \t]+(?P<suffix>{_SUFFIXES})\b"
    # "Royal Hospital for Children", "... Homes of Care": the head noun's own complement.
    r"(?:[ \t]+(?:of|for)[ \t]+(?P<tail>[A-Z][a-z]+)\b)?"
)
_UNIVERSITY_OF = re.compile(
    r"\bUniversity[ \t]+of[ \t]+(?:the[ \t]+)?[A-Z][\w'\u2019-]+"
    r"(?:[ \t]+(?:and[ \t]+)?[A-Z][\w'\u2019-]+){0,3}"
)
_SAINT = re.compile(r"\bSt\.?[ \t]+[A-Z][a-z]+(?:['\u2019]s?|s['\u2019])?(?:[ \t]+[A-Z][a-z]+)?")
_ROYAL = re.compile(r"\b(?:Royal|Queen|King|Princess|Prince)[ \t]+[A-Z][a-z]+(?:['\u2019]s)?")
# "the Children's Hospital", "the Children's (BRHC)", "the Women's": a city's hospital
# named for whom it serves. "a children's hospital" names none, and "the Children's ward" or
# "the Children's Commissioner" are not the hospital: bare, it must end the phrase.
_SERVED_HOSPITAL = re.compile(r"(?:Children|Women)['\u2019]s(?P<head>[ \t]+Hospital\b)?")
_THE_OR_BRACKET = re.compile(r"(?:\b[Tt]he[ \t]+|\()$")
_BARE_SHORT_NAME_END = re.compile(
    r"[ \t]*(?:$|[(),.;:!?\n\u2013\u2014-]|(?:in|at|and|or|has|had|have|is|was|were|"
    r"said|says|but|on|for|to|last|this|which|where|who)\b)"
)
# Hospitals' short names that are also clinical words: "MRI" is the Manchester Royal
# Infirmary only where it is somewhere one is at, comes from or is transferred to ("at the
# MRI", "transferred to MRI"), never "an MRI", "the MRI scan" or "MRI showed".
_CLINICAL_SHORT_NAMES = ("MRI",)
_CLINICAL_SHORT_NAME = re.compile(rf"\b(?:{'|'.join(_CLINICAL_SHORT_NAMES)})\b")
_PLACE_USE_BEFORE = re.compile(
    r"\b(?:(?:at|from|to|in|outside)[ \t]+the"
    r"|(?:transferred|admitted|discharged|transfer|retrieved)[ \t]+(?:back[ \t]+)?(?:to|from)"
    r"(?:[ \t]+the)?)[ \t]+$"
)
# Words that, all on their own before "Hospital" or "Unit", name no particular one.
GENERIC = gazetteers.generic_words()
# Public bodies' shapes that the organisation patterns would otherwise take for local ones.
_NATIONAL_PREFIXES = re.compile(
    r"^(?:Royal[ \t]+Colleges?|Royal[ \t]+Society|Royal[ \t]+Pharmaceutical|Royal[ \t]+Mail|"
    r"Royal[ \t]+Navy|Royal[ \t]+Air|Royal[ \t]+Marines|Royal[ \t]+Family|Royal[ \t]+Commission|"
    r"Royal[ \t]+Charter|King['\u2019]s[ \t]+Fund|Queen['\u2019]s[ \t]+Nursing|"
    r"Queen['\u2019]s[ \t]+Speech|King['\u2019]s[ \t]+Speech|Prince['\u2019]s[ \t]+Trust|"
    r"Princess[ \t]+Royal[ \t]+Trust)",
    re.IGNORECASE,
)

# A role, then "at", "from", "in", "of" before the place it ties to.
# A role, then "at", "from", "in", "of" before the place it ties to.
ROLE_HEADS = words(
    """nurse nurses director directors manager managers lead leads consultant
    consultants anaesthetist anesthetist surgeon surgeons physician physicians matron sister
    officer guardian specialist specialists executive pharmacist registrar registrars
    paediatrician obstetrician midwife midwives practitioner chair chairs governor governors
    radiologist pathologist psychiatrist psychologist intensivist neonatologist cardiologist
    oncologist gynaecologist geriatrician gp gps partner fellow trainee coordinator
    co-ordinator administrator secretary therapist physio physiotherapist paramedic
    dietitian sonographer radiographer educator investigator champion advocate deputy head
    chief president dean professor lecturer researcher receptionist porter technician
    scientist ceo cno cmo coo dpsn fellow caldicott anaesthetists surgeons obstetricians
    midwives doctor doctors"""
)
_ROLE_OF = words("of for and in")
_NOT_ROLE_WORDS = words(
    """said says and or but the a an was is are were be been who whom with to that this told
    asked by as at from in on of for we they he she it i you when where if then also had has
    have not so our their his her its my your there here one met meet visited visit works
    worked working joined left moved started based now until since patients patient people
    staff families family colleagues everyone team teams"""
)
_DETERMINERS = words("the a an our their its his her my your")
_PLACE_LINKS = words("at from in for of with")
UNITS = words(
    """itu icu hdu nicu picu scbu ccu amu sau mau cdu ed a&e theatre theatres maternity
    endoscopy pharmacy mortuary ward wards nicu radiology outpatients"""
)
_UNIT_PHRASES = frozenset(
    {
        "labour ward",
        "delivery suite",
        "birth centre",
        "emergency department",
        "intensive care",
        "intensive care unit",
        "critical care",
        "critical care unit",
        "neonatal unit",
        "stroke unit",
        "cardiac unit",
        "renal unit",
        "special care baby unit",
        "a and e",
    }
)
_TOKEN = re.compile(r"[\w&'\u2019-]+")


def _tokens_before(text: str, start: int) -> list[tuple[int, int, str]]:
    """The words in the 100 characters before ``start`` that follow one another with only
    spaces between them (a comma or a full stop ends the run)."""
    window_start = max(0, start - 100)
    found = [(m.start(), m.end(), m.group(0)) for m in _TOKEN.finditer(text, window_start, start)]
    if found and found[0][0] == window_start and window_start > 0:
        found.pop(0)  # cut in half by the window
    run: list[tuple[int, int, str]] = []
    end = start
    for token in reversed(found):
        if text[token[1] : end].strip(" \t"):
            break
        run.append(token)
        end = token[0]
    run.reverse()
    return run


def role_before(text: str, start: int) -> tuple[int, str] | None:
    """Where a role tied to the place at ``start`` begins ("the head of midwifery at"), and
    whether it is a role or a unit ("ICU at"); None without one."""
    run = _tokens_before(text, start)
    if run and run[-1][2].lower() == "the":
        run.pop()
    if len(run) < 2 or run[-1][2].lower() not in _PLACE_LINKS:
        return None
    run.pop()
    lowered = [t[2].lower() for t in run]
    for size in (4, 3, 2):
        if len(run) >= size and " ".join(lowered[-size:]) in _UNIT_PHRASES:
            return _with_determiner(run, len(run) - size), "unit"
    if lowered and lowered[-1] in UNITS:
        return _with_determiner(run, len(run) - 1), "unit"
    # The role's head word is the last word, or comes before "of X (and Y)".
    for head in range(max(0, len(run) - 6), len(run)):
        if lowered[head] in ROLE_HEADS and (
            head == len(run) - 1 or lowered[head + 1] in ("of", "for")
        ):
            if any(w in _NOT_ROLE_WORDS - _ROLE_OF for w in lowered[head + 1 :]):
                continue
            first = head
            while first > 0 and head - first < 4 and lowered[first - 1] not in _NOT_ROLE_WORDS:
                first -= 1
            return _with_determiner(run, first), "role"
    return None


def _with_determiner(run: list[tuple[int, int, str]], first: int) -> int:
    if first > 0 and run[first - 1][2].lower() in _DETERMINERS:
        first -= 1
    return run[first][0]


_PLACEHOLDER = re.compile(r"\[[a-zA-Z ]{2,30}\]")


def placeholders(text: str, known: Iterable[str]) -> Iterator[tuple[int, int]]:
    """The check's own suggestions already in the text ("[date]", "[NHS number removed]"):
    never findings or acronyms again."""
    known_set = set(known)
    for match in _PLACEHOLDER.finditer(text):
        if match.group(0) in known_set:
            yield match.start(), match.end()


def _name_context(text: str, start: int, end: int) -> bool:
    """Something around the word says it is a name: a title before it, "said" or a
    possessive after it."""
    _, before = previous_word(text, start)
    if before.rstrip(".") in TITLES:
        return True
    after = text[end : end + 2]
    if after[:1] in "'\u2019" and after[1:2] == "s":
        return True
    _, word = next_word(text, end)
    return bool(word) and re.fullmatch(_SAID, word) is not None and word not in _WEAK_SAID


_MONTHS_AND_DAYS = words(
    "january february march april may june july august september october november december "
    "monday tuesday wednesday thursday friday saturday sunday"
)


def from_hits(text: str, hits: Sequence[Hit]) -> Iterator[Candidate]:
    """Phrases the automata found, kept where their case and their context allow."""
    common = gazetteers.common_words()
    first_names = []
    placed = _towns_used_as_places(text, hits, common)
    for hit in hits:
        entry = hit.entry
        assert entry.category is not None
        found = text[hit.start : hit.end]
        lowered = found.lower()
        kind = entry.kind
        single = " " not in found
        if entry.category is P and single and not kind.endswith("_initials"):
            wordy = lowered in common or lowered in _MONTHS_AND_DAYS or lowered in NOT_NAMES
            if wordy and not _name_context(text, hit.start, hit.end):
                # "Hope" mid-sentence is the member; at a sentence start, or a month, or a
                # gazetteer's name that is also a word, it needs more to say so.
                if kind == "surname" or kind == "first_name" or starts_sentence(text, hit.start):
                    continue
                if lowered in _MONTHS_AND_DAYS or lowered in NOT_NAMES:
                    continue
            if (
                kind == "surname"
                and starts_sentence(text, hit.start)
                and not _name_context(text, hit.start, hit.end)
            ):
                continue
            if kind == "first_name":
                first_names.append(hit)
        wordy_town = lowered in common and (
            starts_sentence(text, hit.start) or not is_capitalised(found)
        )
        if entry.category is L and single and kind == "town" and wordy_town:
            opening_subject = (
                lowered in placed
                and is_capitalised(found)
                and next_word(text, hit.end)[1].lower() not in _GERUND_OBJECTS
            )
            if not opening_subject:
                continue
        yield Candidate(hit.start, hit.end, entry.category, entry.strength, kind)
    yield from _first_name_pairs(text, first_names)


# One sense per note: "Reading" opening a sentence is the town when the same note has it as
# a place ("in Reading") and the word after it is not what a verb "reading" would take.
_PLACE_PREPOSITIONS = words("in at from to near around outside across into round")
_GERUND_OBJECTS = words(
    """the a an this that these those it its them his her their our my your through about
    up over back out into of on round aloud between"""
)


def _towns_used_as_places(text: str, hits: Sequence[Hit], common: frozenset[str]) -> set[str]:
    placed = set()
    for hit in hits:
        if hit.entry.kind != "town" or hit.entry.category is not L:
            continue
        found = text[hit.start : hit.end]
        lowered = found.lower()
        if lowered not in common or not is_capitalised(found):
            continue
        if starts_sentence(text, hit.start):
            continue
        if previous_word(text, hit.start)[1].lower() in _PLACE_PREPOSITIONS:
            placed.add(lowered)
    return placed


_PARTICLE = r"(?:N[ií]|Nic|Mac|Mc|[OÓ]|De|Del|Da|Di|Van|Von|Der|Al|El|La|Le|Bin|Bint|Ibn|Abu)"
_FOLLOWING_NAME = re.compile(
    rf"[ \t]+(?P<last>(?:{_PARTICLE}[ \t]+(?:[Dd]e[nr]?[ \t]+)?)?{_MC}(?:-{_MC})?)\b"
)


def _first_name_pairs(text: str, first_names: Sequence[Hit]) -> Iterator[Candidate]:
    """ "Priya Ramaswamy": a first name from the gazetteer and a capitalised word after it
    that is not an ordinary word or an organisation's is a full name."""
    surnames = gazetteers.surnames()
    common = gazetteers.common_words()
    for hit in first_names:
        match = _FOLLOWING_NAME.match(text, hit.end)
        if not match:
            continue
        last = match.group("last")
        low = last.lower()
        if low in NOT_NAMES or low in GENERIC or low in _MONTHS_AND_DAYS:
            continue
        if low in common and low not in surnames:
            continue
        yield Candidate(hit.start, match.end("last"), P, GAZETTEER + 2, "person")


def rules(text: str, lowered: str) -> Iterator[Candidate]:
    yield from _people(text)
    yield from _wards(text)
    yield from _organisations(text)


def _is_name(word: str) -> bool:
    first = word.split()[0].lower()
    return first not in NOT_NAMES and first not in GENERIC


_WORD_IN_NAME = re.compile(r"\S+")


def _name_words(name: str, offset: int) -> tuple[int, str] | None:
    """The name without the capitalised words before it that are not names ("Yesterday
    Priya"), or None if nothing is left or it is a place ("Leeds asked")."""
    spans = [(offset + m.start(), m.group(0)) for m in _WORD_IN_NAME.finditer(name)]
    while spans and (spans[0][1].lower() in NOT_NAMES or spans[0][1].lower() in GENERIC):
        spans.pop(0)
    if not spans:
        return None
    start = spans[0][0]
    rest = name[start - offset :]
    if rest.lower() in gazetteers.towns() or rest.lower() in NOT_NAMES:
        return None
    return start, rest


def _people(text: str) -> Iterator[Candidate]:
    for match in _TITLE_NAME.finditer(text):
        name = match.group("name")
        words = name.split()
        while words and words[-1].lower() in _ROLE_AFTER_TITLE:
            words.pop()
        if not words or words[0].lower() in _ROLE_AFTER_TITLE or words[0].lower() in NOT_NAMES:
            continue
        end = (
            match.start("name") + len(" ".join(words))
            if len(words) < len(name.split())
            else (match.end("name"))
        )
        yield Candidate(match.start(), end, P, CONTEXT + 5, "person")
    for match in _NAME_SAID.finditer(text):
        found = _name_words(match.group("name"), match.start("name"))
        if not found:
            continue
        start, name = found
        _, before = previous_word(text, start)
        if before.lower() in ("from", "at", "in", "of", "the"):
            continue  # "Chioma from Westfield described": Westfield is where, not who
        first = name.split()[0].lower()
        single = " " not in name
        if match.group("verb") in _WEAK_SAID and (
            first not in gazetteers.first_names() or first in gazetteers.common_words()
        ):
            continue  # "Hope has" is not enough; "Priya has" is
        if single and starts_sentence(text, start):
            # Opening a sentence, a capital says nothing: the word must be a known name.
            low = name.lower()
            if low in gazetteers.common_words() or (
                low not in gazetteers.first_names() and low not in gazetteers.surnames()
            ):
                continue
        yield Candidate(start, match.end("name"), P, CONTEXT, "person")
    for match in _SAID_NAME.finditer(text):
        if _is_name(match.group("name")) and match.group("name").lower() not in gazetteers.towns():
            yield Candidate(match.start("name"), match.end("name"), P, CONTEXT, "person")
    for match in _NAME_FROM.finditer(text):
        name = match.group("name")
        low = name.lower()
        if not _is_name(name):
            continue
        if low in gazetteers.common_words() or low in _MONTHS_AND_DAYS or low in gazetteers.towns():
            continue
        known_name = low in gazetteers.first_names() or low in gazetteers.surnames()
        opening = starts_sentence(text, match.start("name"))
        if known_name or not opening:
            strength = CONTEXT - (5 if known_name else 15)
            yield Candidate(match.start("name"), match.end("name"), P, strength, "person")
        org = match.group("org")
        first = org.split()[0].lower()
        if first not in NOT_NAMES and first not in _MONTHS_AND_DAYS and first not in GENERIC:
            yield Candidate(match.start("org"), match.end("org"), ORG, WEAK, "organisation")
    for match in _POSSESSIVE.finditer(text):
        name = match.group("name")
        low = name.lower()
        if low in gazetteers.common_words() or low in NOT_NAMES or low in _MONTHS_AND_DAYS:
            continue
        if low in GENERIC or low in gazetteers.towns():
            continue
        if low in gazetteers.first_names() or low in gazetteers.surnames():
            yield Candidate(match.start("name"), match.end("name"), P, CONTEXT - 5, "person")
        else:
            # "Chioma's idea": a capitalised word no list knows owning something.
            yield Candidate(match.start("name"), match.end("name"), P, WEAK + 5, "person")


_ADDRESS = re.compile(
    r"\b(?:(?:[Ff]lat|[Aa]partment|[Uu]nit)[ \t]+\d+[A-Za-z]?,?[ \t]+)?\d{1,4}[A-Za-z]?,?[ \t]+"
    r"(?:[A-Z][\w'\u2019-]+[ \t]+){1,3}"
    r"(?:Street|St|Road|Rd|Avenue|Ave|Lane|Close|Drive|Way|Crescent|Court|Gardens|Place|"
    r"Terrace|Grove|Square|Mews|Row|Hill|Walk|Rise|View|Park|Green|Parade|Vale|Villas)\b\.?"
)


# "Theatre 3", "Bay 4 on Ward 9" is found by the ward; a numbered theatre names a room.
_THEATRE_NUMBER = re.compile(
    r"\b(?:Theatre|THEATRE|[Tt]heatre[ \t]+[Nn]o\.?)[ \t]+\d{1,2}[A-Za-z]?\b"
)


# Where in a building: "Lift Bank D", "Block C", "Wing B", "Tower A". A letter only: "Level
# 3" is a training level and "Zone 2" a fare zone. A named room just before one ("the
# Boardroom, Lift Bank D") is part of the same location.
_BUILDING_PART = r"(?:Lift[ \t]+Bank|Block|Wing|Tower|Pod|Building)[ \t]+[A-Z](?![\w'\u2019]|\.\w)"
_ROOM = (
    r"(?:Boardroom|Board[ \t]+Room|Council[ \t]+Chamber|(?:Seminar|Conference|Training|"
    r"Meeting|Committee)[ \t]+Room|Lecture[ \t]+Theatre)(?:[ \t]+\d{1,2}[A-Z]?)?"
)
_BUILDING_LOCATION = re.compile(_BUILDING_PART)
_ROOM_BEFORE = re.compile(rf"\b{_ROOM},?[ \t]+$")


# "at the Source in Sheffield", "in the Crucible in Sheffield": a capitalised name after "at
# the", placed in a town, is a venue there. Words naming an occasion or a kind of place
# ("at the Summit in Leeds", "at the Trust in York") are not one.
_VENUE_IN_TOWN = re.compile(
    r" the[ \t]+(?P<name>[A-Z][a-z]+(?:[ \t]+[A-Z][a-z]+){0,2})"
    r"[ \t]+in[ \t]+(?P<town>[A-Z][a-z]+(?:[ \t]+[A-Z][a-z]+)?)\b"
)
_NOT_VENUES = words(
    """meeting meetings summit event events office offices clinic session sessions workshop
    forum festival awards launch conference network group programme project course
    service services team review inquiry report"""
)


def _venues(text: str) -> Iterator[Candidate]:
    towns = gazetteers.towns()
    for match in _VENUE_IN_TOWN.finditer(text):
        if match.group("town").lower() not in towns:
            continue
        if previous_word(text, match.start() + 1)[1] not in ("at", "in"):
            continue
        name_words = [w.lower() for w in match.group("name").split()]
        if any(
            w in NOT_NAMES or w in GENERIC or w in _MONTHS_AND_DAYS or w in _NOT_VENUES
            for w in name_words
        ):
            continue
        if match.group("name").lower() in towns:
            continue
        yield Candidate(match.start("name"), match.end("name"), L, WEAK + 5, "venue")


def _wards(text: str) -> Iterator[Candidate]:
    yield from _venues(text)
    for match in _BUILDING_LOCATION.finditer(text):
        start = match.start()
        if start and is_word_char(text[start - 1]):
            continue
        room = _ROOM_BEFORE.search(text, max(0, start - 40), start)
        yield Candidate(room.start() if room else start, match.end(), L, CONTEXT, "unit")
    for match in _THEATRE_NUMBER.finditer(text):
        yield Candidate(match.start(), match.end(), L, CONTEXT, "unit")
    for match in _ADDRESS.finditer(text):
        yield Candidate(match.start(), match.end(), L, CONTEXT + 5, "address")
    for match in _WARD_NUMBER.finditer(text):
        yield Candidate(match.start(), match.end(), L, CONTEXT + 5, "ward")
    for match in _NAMED_UNIT.finditer(text):
        words = match.group("name").split()
        # Keep the words nearest the unit that are not generic: "the Maple Ward".
        while words and words[0].lower() in NOT_NAMES | GENERIC:
            words.pop(0)
        if not words or all(w.lower().strip("'\u2019") in GENERIC for w in words):
            continue
        unit = match.group("unit").lower()
        start = match.end("name") - len(" ".join(words)) - 1
        kind = "ward" if unit == "ward" else "unit"
        yield Candidate(start, match.end("unit"), L, CONTEXT, kind)


def _organisations(text: str) -> Iterator[Candidate]:
    for match in _ORG_PATTERN.finditer(text):
        name_words = match.group("name").split()
        # Drop leading words that do not belong to a name ("Yesterday", "The").
        while name_words and name_words[0].lower() in NOT_NAMES:
            name_words.pop(0)
        if not name_words:
            continue
        if all(w.lower().strip("'\u2019.,") in GENERIC for w in name_words):
            continue
        start = match.end("name") - len(" ".join(name_words))
        found = text[start : match.end()]
        if _NATIONAL_PREFIXES.match(found):
            continue
        end = match.end()
        tail = match.group("tail")
        if tail and tail.lower() in _MONTHS_AND_DAYS:
            end = match.end("suffix")  # "Leeds Hospital for Monday's list"
        kind = _ORG_SUFFIX[match.group("suffix")]
        category = L if kind in _VENUE_KINDS else ORG
        strength = CONTEXT + 2 if kind in ("trust", "icb", "hospital", "hospice") else CONTEXT
        if kind in ("care_home", "organisation") and len(name_words) == 1:
            strength = WEAK + 5  # "Marston House", "Acme Health": a guess
        yield Candidate(start, end, category, strength, kind)
    for match in _SERVED_HOSPITAL.finditer(text):
        start = match.start()
        if not _THE_OR_BRACKET.search(text, max(0, start - 6), start):
            continue
        after = text[match.end() : match.end() + 20]
        if match.group("head") or _BARE_SHORT_NAME_END.match(after):
            yield Candidate(start, match.end(), ORG, CONTEXT, "hospital")
    for match in _UNIVERSITY_OF.finditer(text):
        yield Candidate(match.start(), match.end(), ORG, CONTEXT, "university")
    for match in _SAINT.finditer(text):
        yield Candidate(match.start(), match.end(), ORG, CONTEXT - 5, "hospital")
    for match in _ROYAL.finditer(text):
        found = match.group(0)
        if _NATIONAL_PREFIXES.match(found):
            continue
        word = found.split()[1].lower().rstrip("'\u2019s")
        if word in GENERIC or word in NOT_NAMES:
            continue
        yield Candidate(match.start(), match.end(), ORG, WEAK + 5, "hospital")


def short_names_as_places(text: str) -> list[Candidate]:
    """See ``_CLINICAL_SHORT_NAMES``. These outrank the glossary that makes "MRI" safe."""
    found = []
    for match in _CLINICAL_SHORT_NAME.finditer(text):
        start = match.start()
        if not _PLACE_USE_BEFORE.search(text, max(0, start - 40), start):
            continue
        after = text[match.end() : match.end() + 20]
        if _BARE_SHORT_NAME_END.match(after):
            found.append(Candidate(start, match.end(), ORG, CONTEXT, "hospital"))
    return found


def widen(text: str, candidates: Sequence[Candidate]) -> list[Candidate]:
    """Organisations and places take "the" before them ("the Royal Free" reads as "a trust
    in the region"), and a role before them becomes one role-at-place finding."""
    out: list[Candidate] = []
    for candidate in candidates:
        if candidate.category not in (ORG, L):
            out.append(candidate)
            continue
        start = candidate.start
        found = role_before(text, start) if candidate.strength >= WEAK + 5 else None
        if found:
            role_start, what = found
            if what == "role":
                category, kind, strength = FindingCategory.ROLE_AT_PLACE, "role", ROLE
            else:  # "ICU at the Royal Free": the unit of a named place is a place
                category, kind, strength = L, "unit", candidate.strength + 1
            out.append(Candidate(role_start, candidate.end, category, strength, kind))
            continue
        window = text[max(0, start - 4) : start]
        if window.endswith(("the ", "The ")):
            start -= 4
        out.append(
            Candidate(start, candidate.end, candidate.category, candidate.strength, candidate.kind)
        )
    return out


__all__ = ["KNOWN", "from_hits", "placeholders", "rules", "widen"]
