"""The directory's category tree, maintained here in code: each term's id is derived from
its code (a UUID v5), so the same term has the same id on every instance, in every
export and in Open Referral UK feeds, and a renamed term keeps its id.

Changing the tree is a code change, reviewed like any other: a new child is one line; a
removed term must first be taken off the entries that use it.
"""

from collections.abc import Iterable
from dataclasses import dataclass
from functools import cached_property
from uuid import NAMESPACE_URL, UUID, uuid5

from huddle_shared.contracts.signposting import (
    ACCESS_TAXONOMY_ID,
    AUDIENCE_NAMES,
    AUDIENCE_TAXONOMY_ID,
    REFERRAL_NAMES,
    TAXONOMY_ID,
    Audience,
    Referral,
)

TERM_NAMESPACE = uuid5(NAMESPACE_URL, "https://huddle.example.org/signposting/taxonomy")
TAXONOMY_NAME = "Huddle support categories"
AUDIENCE_TAXONOMY_NAME = "Huddle audiences"
ACCESS_TAXONOMY_NAME = "Huddle access"
ACCEPTING_REFERRALS = "accepting-referrals"


def term_id(code: str) -> UUID:
    return uuid5(TERM_NAMESPACE, code)


@dataclass(frozen=True)
class Term:
    code: str
    name: str
    description: str
    parent: str | None = None

    @property
    def id(self) -> UUID:
        return term_id(self.code)


def _tree(*groups: tuple[Term, tuple[Term, ...]]) -> tuple[Term, ...]:
    terms: list[Term] = []
    for top, children in groups:
        terms.append(top)
        terms.extend(Term(c.code, c.name, c.description, top.code) for c in children)
    return tuple(terms)


CATEGORIES: tuple[Term, ...] = _tree(
    (
        Term(
            "counselling-and-psychological-support",
            "Counselling and psychological support",
            "Talking therapies, trauma support and help in a crisis.",
        ),
        (
            Term(
                "talking-therapies",
                "Talking therapies",
                "Counselling, CBT and NHS Talking Therapies.",
            ),
            Term(
                "trauma-support",
                "Trauma support",
                "Specialist help after harm or a traumatic event.",
            ),
            Term("crisis-support", "Crisis support", "Someone to talk to now, day or night."),
        ),
    ),
    (
        Term("advocacy", "Advocacy", "Someone independent to speak up with and for you."),
        (
            Term(
                "nhs-complaints-advocacy",
                "NHS complaints advocacy",
                "Independent help to make a complaint about NHS care.",
            ),
            Term(
                "mental-health-advocacy",
                "Mental health advocacy",
                "Independent mental health and mental capacity advocates.",
            ),
            Term(
                "learning-disability-advocacy",
                "Learning disability and autism advocacy",
                "Advocacy for people with a learning disability or autistic people.",
            ),
        ),
    ),
    (
        Term("bereavement", "Bereavement", "Support after someone has died."),
        (
            Term(
                "bereavement-after-a-death-in-care",
                "After a death in care",
                "Support for families after a death in hospital or care, and unexpected deaths.",
            ),
            Term(
                "child-bereavement", "Children and young people", "Support for bereaved children."
            ),
            Term(
                "baby-loss",
                "Pregnancy and baby loss",
                "Miscarriage, stillbirth and the death of a baby.",
            ),
        ),
    ),
    (
        Term("legal-advice", "Legal advice", "Advice on rights, claims and inquests."),
        (
            Term(
                "clinical-negligence-advice",
                "Clinical negligence advice",
                "Free or low-cost advice after avoidable harm in healthcare.",
            ),
            Term("inquest-support", "Inquest support", "Help for families facing an inquest."),
        ),
    ),
    (
        Term("complaints", "Complaints", "Raising a concern or complaint about care."),
        (
            Term(
                "patient-advice-and-liaison",
                "Patient advice and liaison",
                "Hospital and integrated care board teams that help resolve concerns.",
            ),
            Term(
                "ombudsman-and-regulators",
                "Ombudsman and regulators",
                "Taking a complaint further, and telling regulators about care.",
            ),
        ),
    ),
    (
        Term("peer-support", "Peer support", "People who have been through it too."),
        (
            Term(
                "harmed-patients-peer-support",
                "For people harmed by care",
                "Peer groups for patients harmed by healthcare.",
            ),
            Term(
                "families-peer-support",
                "For families and carers",
                "Peer groups for families and carers after harm or loss.",
            ),
        ),
    ),
    (
        Term("staff-wellbeing", "Staff wellbeing", "Support for health and care staff."),
        (
            Term(
                "staff-psychological-support",
                "Psychological support for staff",
                "Confidential counselling and wellbeing hubs for staff.",
            ),
            Term(
                "second-victim-support",
                "After an incident (second victim)",
                "Support for staff involved in a patient safety incident.",
            ),
            Term(
                "occupational-health",
                "Occupational health",
                "Occupational health and employee assistance programmes.",
            ),
        ),
    ),
    (
        Term(
            "support-for-patient-safety-partners",
            "Support for Patient Safety Partners",
            "Networks, training and support for Patient Safety Partners themselves.",
        ),
        (
            Term("psp-networks", "Networks", "Regional and national networks of partners."),
            Term(
                "psp-training",
                "Training",
                "Learning for the role, including the national syllabus.",
            ),
            Term("psp-wellbeing", "Wellbeing and debriefing", "Support after hard conversations."),
        ),
    ),
)

AUDIENCE_TERMS: dict[Audience, Term] = {
    audience: Term(f"audience:{audience.value}", AUDIENCE_NAMES[audience], f"For {name.lower()}.")
    for audience, name in AUDIENCE_NAMES.items()
}
ACCESS_TERMS: dict[str, Term] = {
    referral.value: Term(f"access:{referral.value}", REFERRAL_NAMES[referral], "How to get to it.")
    for referral in Referral
} | {
    ACCEPTING_REFERRALS: Term(
        f"access:{ACCEPTING_REFERRALS}",
        "Currently accepting referrals",
        "Taking people on now.",
    )
}
TAXONOMY_OF: dict[UUID, tuple[UUID, str]] = (
    {t.id: (TAXONOMY_ID, TAXONOMY_NAME) for t in CATEGORIES}
    | {t.id: (AUDIENCE_TAXONOMY_ID, AUDIENCE_TAXONOMY_NAME) for t in AUDIENCE_TERMS.values()}
    | {t.id: (ACCESS_TAXONOMY_ID, ACCESS_TAXONOMY_NAME) for t in ACCESS_TERMS.values()}
)


class Taxonomy:
    """The category tree: terms by id, each term's depth, and its descendants."""

    def __init__(self, terms: Iterable[Term] = CATEGORIES) -> None:
        self.terms: tuple[Term, ...] = tuple(terms)
        self.by_id: dict[UUID, Term] = {t.id: t for t in self.terms}
        self.by_code: dict[str, Term] = {t.code: t for t in self.terms}
        for term in self.terms:
            if term.parent is not None and term.parent not in self.by_code:
                raise ValueError(f"{term.code}: unknown parent {term.parent}")

    def depth(self, term: Term) -> int:
        depth = 0
        while term.parent is not None:
            term = self.by_code[term.parent]
            depth += 1
        return depth

    @cached_property
    def _descendants(self) -> dict[UUID, frozenset[UUID]]:
        children: dict[str, list[Term]] = {}
        for term in self.terms:
            if term.parent is not None:
                children.setdefault(term.parent, []).append(term)

        def below(term: Term) -> set[UUID]:
            found = {term.id}
            for child in children.get(term.code, []):
                found |= below(child)
            return found

        return {term.id: frozenset(below(term)) for term in self.terms}

    def matching(self, term: UUID) -> frozenset[UUID]:
        """The term and every term below it: what a search for ``term`` matches."""
        return self._descendants[term]

    def names(self, terms: Iterable[UUID]) -> list[str]:
        return [self.by_id[t].name for t in terms if t in self.by_id]

    def unknown(self, terms: Iterable[UUID]) -> list[UUID]:
        return [t for t in terms if t not in self.by_id]


TAXONOMY = Taxonomy()
