"""Author's aid, not a test: words of a note's known names (members, speakers) that appear in
its text outside any gold span, so a forgotten mark is seen before the corpus is committed.

Run from tests/: ``python -m notes_corpus.lint``."""

import re

from notes_corpus.corpus import load_corpus, nhs_number_is_valid


def main() -> None:
    for note in load_corpus():
        covered = [False] * len(note.text)
        for span in (*note.gold, *note.negatives):
            for i in range(span.start, span.end):
                covered[i] = True
        words = {
            w
            for name in (*note.knowledge.members, *note.knowledge.speakers)
            for w in re.findall(r"[A-Z][\w'-]+", name)
            if w not in {"Dr", "Prof", "Mr", "Mrs", "Ms", "Sister"}
        }
        for match in re.finditer(r"\b[\w'-]+\b", note.text):
            if match.group() in words and not covered[match.start()]:
                line = note.text.count("\n", 0, match.start()) + 1
                print(f"{note.name}:{line}: unmarked known name {match.group()!r}")
        for match in re.finditer(r"(?<![\w+])\d[\d -]{8,11}\d(?!\w)", note.text):
            digits = re.sub(r"\D", "", match.group())
            if len(digits) == 10 and not covered[match.start()]:
                negative = any(s.start <= match.start() < s.end for s in note.negatives)
                if nhs_number_is_valid(digits) or not negative:
                    print(f"{note.name}: unmarked ten digits {match.group()!r}")


if __name__ == "__main__":
    main()
