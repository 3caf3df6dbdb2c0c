"""``python -m huddle_notes.check``: the identifier check on JSON lines, so anyone can score
it on their own notes with the same engine the service runs.

In, one JSON object a line::

    {"text": "...", "network": {"members": [...], "organisations": [...],
     "speakers": [...], "glossary": {"PSIRF": "..."}}}

Out, one line per line in: ``{"findings": [{"start", "end", "category", "text",
"suggestion"}], "acronyms": [...]}``, or ``{"error": "...", "line": n}`` for a line that is
not such an object. The exit status is 1 if any line was bad, 0 otherwise. Checkers are kept
per network, so many notes of one network compile its knowledge once.
"""

import io
import json
import sys
from collections.abc import Iterable
from typing import Any, TextIO

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from huddle_notes.check import Checker, Knowledge


class Network(BaseModel):
    model_config = ConfigDict(extra="forbid")

    members: list[str] = Field(default_factory=list)
    organisations: list[str] = Field(default_factory=list)
    speakers: list[str] = Field(default_factory=list)
    glossary: dict[str, str] = Field(default_factory=dict)


class Line(BaseModel):
    model_config = ConfigDict(extra="forbid")

    text: str
    network: Network = Field(default_factory=Network)


def _knowledge(network: Network) -> Knowledge:
    return Knowledge(
        members=tuple(network.members),
        organisations=tuple(network.organisations),
        speakers=tuple(network.speakers),
        glossary=dict(network.glossary),
    )


def _answer(checker: Checker, text: str) -> dict[str, Any]:
    report = checker.check(text)
    return {
        "findings": [
            {
                "start": f.start,
                "end": f.end,
                "category": f.category.value,
                "text": f.text,
                "suggestion": f.suggestion,
                "id": f.id,
            }
            for f in report.findings
        ],
        "acronyms": [a.model_dump() for a in report.acronyms],
    }


def run(lines: Iterable[str], out: TextIO) -> int:
    checkers: dict[str, Checker] = {}
    status = 0
    for number, raw in enumerate(lines, start=1):
        if not raw.strip():
            continue
        try:
            line = Line.model_validate_json(raw)
        except ValidationError as error:
            status = 1
            reason = "; ".join(
                f"{'.'.join(str(p) for p in e['loc']) or 'line'}: {e['msg']}"
                for e in error.errors()
            )
            out.write(json.dumps({"error": reason, "line": number}) + "\n")
            out.flush()
            continue
        key = line.network.model_dump_json()
        checker = checkers.get(key)
        if checker is None:
            if len(checkers) > 64:
                checkers.clear()
            checker = checkers[key] = Checker(_knowledge(line.network))
        out.write(json.dumps(_answer(checker, line.text), ensure_ascii=False) + "\n")
        out.flush()
    return status


def main() -> None:
    # UTF-8 whatever the locale: offsets are code points, and notes are full of them.
    stdin = io.TextIOWrapper(sys.stdin.buffer, encoding="utf-8", errors="replace")
    stdout = io.TextIOWrapper(sys.stdout.buffer, encoding="utf-8")
    sys.exit(run(stdin, stdout))


if __name__ == "__main__":
    main()
