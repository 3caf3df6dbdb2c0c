"""The library's pure parts: terms, ranking, the index's removals, excerpts, and the
resources' sniffing of zip-based Office files and chunk plan."""

import io
import uuid
import zipfile
from datetime import UTC, date, datetime

import pytest
from huddle_notes.library import domain
from huddle_notes.markdown_text import opening
from huddle_notes.resources import domain as resources
from huddle_shared.contracts.resources import CHUNK_BYTES, MAX_RESOURCE_BYTES, ResourceKind
from hypothesis import given
from hypothesis import strategies as st

pytestmark = pytest.mark.unit


def indexed(title: str, body: str, day: int = 1) -> tuple[domain.IndexedNote, dict[str, int]]:
    weights = domain.weights(title, body)
    note = domain.IndexedNote(
        note_id=uuid.uuid4(),
        title=title,
        themes=(),
        labels=frozenset(),
        held_on=date(2026, 1, day),
        published_at=datetime(2026, 1, day, tzinfo=UTC),
        length=sum(weights.values()),
        packed_body=domain.pack(body),
    )
    return note, weights


def test_terms_are_folded_stemmed_and_without_stop_words() -> None:
    assert domain.terms("The Incidents at the Café, and an INCIDENT") == [
        "incid", "cafe", "incid",
    ]  # fmt: skip
    assert domain.query_terms("incidents incident") == ["incid"]
    assert domain.terms("a of the and") == []
    assert domain.terms("test results") == ["test", "result"]  # kept though the list has them


def test_more_uses_and_the_title_rank_higher_and_removal_takes_a_note_out() -> None:
    index = domain.NetworkIndex()
    filler = " ".join(f"word{n}" for n in range(20))
    once, twice, titled = (
        indexed("Notes", f"sepsis {filler}", 1),
        indexed("Notes", f"sepsis sepsis {filler}", 2),
        indexed("Sepsis", filler, 3),
    )
    for note, weights in (once, twice, titled):
        index.add(note, weights)
    query = domain.Query(terms=("sepsi",))
    found = index.search(query)
    assert [hit.note for hit in found.hits] == [titled[0], twice[0], once[0]]
    assert index.remove(titled[0].note_id)
    assert [hit.note for hit in index.search(query).hits] == [twice[0], once[0]]
    assert index.search(query).total == 2


@given(st.text(max_size=400), st.sampled_from(["incident", "handover", "ward"]))
def test_an_excerpt_is_short_and_holds_the_first_word_asked_for(text: str, word: str) -> None:
    body = text + " " + word + " " + text
    shown = domain.excerpt(body, [domain.term_of(word) or ""])
    assert len(shown) <= domain.EXCERPT_CHARS + 2
    assert word in shown or any(
        domain.term_of(w) == domain.term_of(word) for w in domain._WORD.findall(shown)
    )


def office(main_part: str) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("zzz/first-but-unrelated.xml", "<x/>" * 3000)
        archive.writestr(
            "[Content_Types].xml",
            f'<Types><Override PartName="/main.xml" ContentType="{main_part}"/></Types>',
        )
    return buffer.getvalue()


@pytest.mark.parametrize(
    ("main_part", "kind"),
    [
        ("application/vnd.openxmlformats-officedocument.presentationml.presentation.main+xml", ResourceKind.PPTX),
        ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml", ResourceKind.XLSX),
        ("application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml", ResourceKind.DOCX),
        ("application/vnd.ms-word.document.macroEnabled.main+xml", None),
    ],
)  # fmt: skip
def test_office_files_are_told_apart_by_their_content_types(main_part: str, kind: object) -> None:
    assert resources.sniff(office(main_part)) == kind


def test_a_jpeg_is_sniffed_and_a_name_is_never_read() -> None:
    assert resources.sniff(b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"\x00" * 100) == ResourceKind.JPEG
    assert resources.sniff(b"%PDF"[1:]) is None


def test_the_chunk_plan() -> None:
    plan = resources.UploadPlan.for_size(CHUNK_BYTES * 2 + 5)
    assert plan.chunks == 3 and plan.length_of(2) == 5
    plan.check_chunk(0, CHUNK_BYTES)
    with pytest.raises(resources.BadChunk):
        plan.check_chunk(1, 10)
    with pytest.raises(resources.TooLarge):
        plan.check_chunk(2, 6)
    with pytest.raises(resources.BadChunk):
        plan.check_chunk(3, 1)
    with pytest.raises(resources.TooLarge):
        resources.UploadPlan.for_size(MAX_RESOURCE_BYTES + 1)


def test_an_excerpt_shows_what_a_reader_sees_not_the_markdown() -> None:
    body = (
        "## What we talked about\n\nWe looked at **handover** and _escalation_, with "
        "[the guide](https://example.org/guide) and `code`.\n\n- Thank people\n- Listen\n"
    )
    for shown in (domain.excerpt(body), domain.excerpt(body, ["guid"]), opening(body, 240)):
        assert "#" not in shown and "*" not in shown and "](" not in shown
        assert "example.org" not in shown
        assert "We looked at handover and escalation, with the guide and code." in shown
        assert shown.endswith("Thank people. Listen.")
    assert domain.excerpt(body).startswith("What we talked about. We looked")


def test_an_opening_is_cut_at_a_word() -> None:
    shown = opening("Handover " * 100, 40)
    assert shown.endswith("…") and len(shown) <= 40
    assert all(word == "Handover" for word in shown.rstrip("…").split())
