"""The printable documents: the attendance list (PDF), the programme (DOCX), the map picture."""

from __future__ import annotations

import asyncio
import io
from datetime import timedelta
from pathlib import Path

import pytest
from pypdf import PdfReader

from bot.db import Database
from bot.documents.attendance_pdf import attendance_pdf
from bot.documents.map_picture import COLUMNS, PER_COLUMN, map_png
from bot.documents.programme_docx import programme_docx
from bot.i18n import use_language
from bot.profile import DEFAULT_FUNDER, load_profile
from bot.services import links as links_service
from bot.services import meetings as meetings_service
from bot.services import problem_map
from bot.services import programme as service
from bot.services.errors import NotAllowed
from tests.meeting_support import NOW
from tests.programme_support import meeting_with_answers, world


def pdf_text(payload: bytes) -> str:
    return "\n".join(page.extract_text() or "" for page in PdfReader(io.BytesIO(payload)).pages)


async def sheet(db: Database, meeting_id: int, *, now=NOW, actor=None, language="pl"):  # type: ignore[no-untyped-def]
    with use_language(language):
        async with db.session() as session:
            data = await service.attendance_sheet(
                session, actor, meeting_id, profile=load_profile(), now=now, language=language
            )
        return data, attendance_pdf(data)


async def test_attendance_list_before_the_meeting_lists_yes_and_maybe(db: Database) -> None:
    w = await world(db)
    meeting = await meeting_with_answers(db, w)
    data, payload = await sheet(db, meeting.id)  # type: ignore[arg-type]
    text = pdf_text(payload)
    assert payload.startswith(b"%PDF")
    for expected in (
        "Lista obecności",
        "Strefa Miejskich Inspiracji",
        "Łucja Żółkiewska",
        "Grzegorz Brzęczyszczykiewicz",
        "Podpis",
        "Imię i nazwisko",
        "Instytucja",
        "Diagnoza: bezrobocie młodzieży",
        "Biblioteka, ul. Hallera 12",
        "Unii Europejskiej",
    ):
        assert expected in text, expected
    assert "Olgierd" not in text  # said no
    assert not data.after and data.blank_rows >= 5
    # Europe/Warsaw: 12:00 UTC in late November is 13:00 in Chełmża.
    assert "13:00" in text


async def test_attendance_list_after_the_meeting_marks_check_ins(db: Database) -> None:
    w = await world(db)
    meeting = await meeting_with_answers(db, w)
    during = meeting.starts_at + timedelta(minutes=10)
    async with db.session() as session:
        await meetings_service.check_in(session, w.alice, meeting.id, now=during)  # type: ignore[arg-type]
    data, payload = await sheet(db, meeting.id, now=meeting.ends_at + timedelta(hours=1))  # type: ignore[arg-type]
    assert data.after
    marks = {row.name: row.present for row in data.rows}
    assert marks == {"Łucja Żółkiewska": True, "Grzegorz Brzęczyszczykiewicz": False}
    text = pdf_text(payload)
    assert "Obecność" in text and "✓" in text and "Podpis" in text


async def test_only_the_lead_or_a_coordinator_prints_the_list(db: Database) -> None:
    w = await world(db)
    meeting = await meeting_with_answers(db, w)
    with pytest.raises(NotAllowed):
        await sheet(db, meeting.id, actor=w.alice)  # type: ignore[arg-type]
    await sheet(db, meeting.id, actor=w.lead)  # type: ignore[arg-type]
    await sheet(db, meeting.id, actor=w.coordinator)  # type: ignore[arg-type]


def test_profile_has_a_funder_line() -> None:
    assert load_profile().funder == DEFAULT_FUNDER


async def _programme_world(db: Database):  # type: ignore[no-untyped-def]
    w = await world(db)
    async with db.session() as session:
        await links_service.link(session, w.alice, w.idea.id, w.cause.id)  # type: ignore[arg-type]
        await links_service.link(session, w.alice, w.idea.id, w.barrier.id)  # type: ignore[arg-type]
        action = await service.create_action(
            session,
            w.coordinator,
            w.idea.id,  # type: ignore[arg-type]
            goal="Więcej młodych osób w pracy",
            target_group="młodzież 18–25",
            responsible="Powiatowy Urząd Pracy (PUP)",
            partners=["Powiatowa i Miejska Biblioteka Publiczna (PiMBP)"],
            start_month="03.2027",
            end_month="2027-12",
            resource_ids=[w.resource.id],  # type: ignore[list-item]
        )
        await service.add_indicator(
            session,
            w.coordinator,
            action.id,
            "uczestnicy warsztatów",
            40,
            "osób",  # type: ignore[arg-type]
        )
        await service.add_note(
            session,
            w.coordinator,
            action.id,
            "Umowa z biblioteką podpisana",
            on=NOW.date(),  # type: ignore[arg-type]
        )
    return w


async def test_programme_document_has_the_sections_an_indicator_and_a_linked_resource(
    db: Database,
) -> None:
    from docx import Document

    await _programme_world(db)
    with use_language("pl"):
        async with db.session() as session:
            data = await service.programme_data(session, load_profile(), language="pl", now=NOW)
        payload = programme_docx(data)
    document = Document(io.BytesIO(payload))
    headings = [
        p.text for p in document.paragraphs if p.style.name.startswith(("Heading", "Title"))
    ]
    assert headings[0] == "Strefa Miejskich Inspiracji"
    for number in "12345":
        assert any(h.startswith(f"{number}. ") for h in headings), number
    cells = [cell.text for table in document.tables for row in table.rows for cell in row.cells]
    assert "uczestnicy warsztatów" in cells
    assert any("Sala w bibliotece miejskiej" in c for c in cells)  # linked resource
    assert any("Brak pracy dla młodzieży po szkole" in c for c in cells)  # linked cause
    body = document.element.xml
    assert "TOC \\o" in body  # the table of contents field
    assert "PAGE" in document.sections[0].footer._element.xml
    # People appear only by institution or team, never by name.
    everything = body + "".join(cells)
    assert "Łucja" not in everything and "Grzegorz" not in everything


def test_cli_writes_the_programme_and_the_attendance_list(
    database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from bot.cli import main

    async def seed() -> int:
        database = Database(database_url)
        try:
            if database_url.startswith("postgresql"):  # shared by the worker's tests: empty it
                from sqlalchemy import text
                from sqlmodel import SQLModel

                tables = ", ".join(f'"{t.name}"' for t in SQLModel.metadata.sorted_tables)
                async with database.engine.begin() as conn:
                    await conn.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
            w = await _programme_world(database)
            meeting = await meeting_with_answers(database, w)
            return meeting.id  # type: ignore[return-value]
        finally:
            await database.dispose()

    meeting_id = asyncio.run(seed())
    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.delenv("TELEGRAM_BOT_TOKEN", raising=False)
    docx_path, pdf_path = tmp_path / "programme.docx", tmp_path / "lista.pdf"
    assert main(["programme", "--out", str(docx_path), "--language", "en"]) == 0
    from docx import Document

    document = Document(str(docx_path))
    assert any(p.text.startswith("4. Goals and actions") for p in document.paragraphs)
    assert main(["attendance", "--meeting", str(meeting_id), "--out", str(pdf_path)]) == 0
    text = pdf_text(pdf_path.read_bytes())
    assert "Łucja Żółkiewska" in text and "Podpis" in text
    assert main(["attendance", "--meeting", "999", "--out", str(pdf_path)]) == 1


async def test_problem_map_counts_gaps_and_chains(db: Database) -> None:
    w = await world(db)
    async with db.session() as session:
        before = await problem_map.problem_map(session, "pl")
    employment = before[0]
    assert employment.counts == {
        "cause": 1,
        "barrier": 1,
        "idea": 1,
        "resource": 1,
        "experience": 1,
    }
    assert [c.id for c in employment.orphan_causes.nodes] == [w.cause.id]
    assert [i.id for i in employment.ideas_without_resource.nodes] == [w.idea.id]
    assert employment.chains == []
    async with db.session() as session:
        for other in (w.cause, w.barrier, w.resource):
            await links_service.link(session, w.alice, w.idea.id, other.id)  # type: ignore[arg-type]
        after = await problem_map.problem_map(session, "pl")
        picture = await problem_map.area_picture(
            session, employment.area_id, COLUMNS, PER_COLUMN, "pl"
        )
    employment = after[0]
    assert employment.orphan_causes.total == employment.ideas_without_resource.total == 0
    chain = employment.chains[0]
    assert (chain.cause.id, chain.barrier.id, chain.idea.id, chain.resource.id) == (  # type: ignore[union-attr]
        w.cause.id,
        w.barrier.id,
        w.idea.id,
        w.resource.id,
    )
    assert chain.support == 7 + 4 + 9 + 5
    assert picture is not None and len(picture.nodes) == 4  # the experience is not drawn
    assert len(picture.edges) == 3
    with use_language("pl"):
        png = map_png(picture)
    assert png.startswith(b"\x89PNG") and len(png) > 10_000
