"""Attendance figures stay right after a person erases their data (/forget): their
attendance is kept as anonymous rows, with nothing that points at them."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import JSON, BigInteger, String, Text
from sqlmodel import SQLModel, select

from bot import i18n
from bot.db import Database
from bot.services import meeting_reports, privacy
from bot.services import meetings as service
from bot.services.export import write_export
from models import AnonymousAttendance, Member
from tests.harness import Harness, User
from tests.unit.test_meeting_reports import ZANETA, programme, rows_of

NOW = datetime.now(UTC)


async def figures(db: Database, meeting_id: int) -> tuple[int, dict[int, tuple[int, int]]]:
    async with db.session() as session:
        return (
            await service.attendance_count(session, meeting_id),
            await meeting_reports.attendance_per_group(session, NOW),
        )


async def assert_no_trace(db: Database, telegram_id: int, *names: str) -> None:
    """No table holds the Telegram id or the name; the anonymous rows hold no person at all."""
    columns = {c.name for c in AnonymousAttendance.__table__.columns}  # type: ignore[attr-defined]
    assert columns == {"id", "meeting_id", "answer", "checked_in_at"}
    async with db.session() as session:
        for table in SQLModel.metadata.sorted_tables:
            for column in table.columns:
                values = (await session.exec(select(column))).all()  # type: ignore[call-overload]
                if isinstance(column.type, BigInteger):
                    assert telegram_id not in values, (table.name, column.name)
                if isinstance(column.type, String | Text | JSON):
                    text = json.dumps(values, ensure_ascii=False, default=str)
                    for name in names:
                        assert name not in text, (table.name, column.name)


async def test_erasing_keeps_the_meetings_attendance_and_stats(
    db: Database, tmp_path: Path
) -> None:
    p = await programme(db)  # Żaneta and Bogdan came to the held meeting, 3 were invited
    before = await figures(db, p.held)
    assert before == (2, {p.group.id: (2, 3)})

    async with db.session() as session:
        zaneta = await session.get(Member, p.zaneta.id)
        assert zaneta is not None
        await privacy.forget(session, zaneta)

    assert await figures(db, p.held) == before
    async with db.session() as session:
        assert len(await service.present(session, p.held)) == 1  # Bogdan, by name
        assert await service.erased_present(session, p.held) == 1  # and one without a name
        with i18n.use_language("en"):
            share = await meeting_reports.attendance_share(session)
    assert share[0] == ("All groups (2/3)", 67)
    # The meeting still ahead keeps nothing of her answer.
    async with db.session() as session:
        kept = (await session.exec(select(AnonymousAttendance))).all()
    assert [(row.meeting_id, row.answer) for row in kept] == [(p.held, "yes")]

    path = tmp_path / "raport.xlsx"
    with i18n.use_language("en"):
        await write_export(db, path, "xlsx", language="en")
    held = {row["No."]: row for row in rows_of(path, "Meetings")}[p.held]
    assert (held["Checked in"], held["Of them erased their data"]) == (2, 1)
    (erased,) = rows_of(path, "Attendance of erased people")
    assert (erased["Meeting no."], erased["Answer"]) == (p.held, "coming")
    assert erased["Checked in at"] is not None
    names = [row["Full name"] for row in rows_of(path, "Answers and attendance")]
    assert ZANETA not in names and "Bogdan Nowak" in names

    await assert_no_trace(db, 8001, ZANETA, "Żaneta")


async def test_forget_through_the_bot_keeps_the_count_and_says_so(
    harness: Harness, db: Database
) -> None:
    p = await programme(db)
    before = await figures(db, p.held)
    user = User(8001, first_name="Żaneta", last_name="Łęcka", language_code="en")
    async with db.session() as session:
        zaneta = await session.get(Member, p.zaneta.id)
        assert zaneta is not None
        zaneta.language = "en"
        session.add(zaneta)

    calls = await harness.send(user, "/forget")
    assert "attendance at meetings that took place is kept anonymously" in calls[-1].text
    calls = await harness.press(user, calls[-1].button("Yes, erase"))
    assert "erased" in harness.texts(calls)

    assert await figures(db, p.held) == before
    await assert_no_trace(db, 8001, ZANETA, "Żaneta")


async def test_the_consent_screen_says_attendance_stays_anonymously(harness: Harness) -> None:
    calls = await harness.send(User(8301, language_code="pl"), "/start")
    assert "obecność na spotkaniach" in harness.texts(calls)
    assert "anonimowo" in harness.texts(calls)
