"""Meetings in the export, the statistics, the weekly digest and /mydata."""

from __future__ import annotations

import csv
import io
import zipfile
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from openpyxl import load_workbook

from bot import i18n
from bot.db import Database
from bot.services import digest as digest_service
from bot.services import meeting_reports, privacy
from bot.services import meetings as service
from bot.services.export import write_export
from handlers.reports import mydata_summary
from models import Answer, Group, Member, Membership, Role

# Held: Thursday 4 June 2026, 18:00–19:30 in Warsaw (CEST). Long past whenever tests run.
HELD = datetime(2026, 6, 4, 16, 0, tzinfo=UTC)
JOINED = datetime(2026, 1, 1, tzinfo=UTC)
# The digest's Monday, 08:00 in Warsaw (CET), far ahead so the "future" stays future.
MONDAY_8 = datetime(2030, 12, 2, 7, 0, tzinfo=UTC)
ZANETA = "Żaneta Łęcka"


@pytest.fixture(autouse=True)
def _catalogs() -> None:
    i18n.setup("pl", "Europe/Warsaw")


async def person(db: Database, telegram_id: int, name: str, role: Role = Role.LEADER) -> Member:
    async with db.session() as session:
        member = Member(
            telegram_id=telegram_id,
            display_name=name,
            institution="Szkoła Podstawowa nr 2 w Chełmży",
            language="pl",
            role=role,
            consent_at=JOINED,
        )
        session.add(member)
        await session.flush()
        return member


@dataclass
class Programme:
    group: Group
    lead: Member
    zaneta: Member
    bogdan: Member
    outsider: Member
    held: int
    cancelled: int
    upcoming: int


async def programme(db: Database) -> Programme:
    """A group of three (its lead included) with a held meeting two of them came to, a
    cancelled one, a full one next week with two waiting, a task and a date poll."""
    lead = await person(db, 8000, "Lena Łąkowa", Role.LEAD)
    zaneta = await person(db, 8001, ZANETA)
    bogdan = await person(db, 8002, "Bogdan Nowak")
    outsider = await person(db, 8003, "Otto Obcy")
    boss = await person(db, 8004, "Ewa Szef", Role.COORDINATOR)
    async with db.session() as session:
        group = Group(slug="zolw", name="Żółwie", names={"pl": "Grupa Żółw"}, lead_id=lead.id)
        session.add(group)
        await session.flush()
        for member in (lead, zaneta, bogdan):
            session.add(Membership(member_id=member.id, group_id=group.id, joined_at=JOINED))  # type: ignore[arg-type]

    def draft(starts_at: datetime, **extra: object) -> service.MeetingDraft:
        return service.MeetingDraft(
            group_id=group.id,  # type: ignore[arg-type]
            topic="Plac zabaw przy ul. Żwirki",
            place="Świetlica, ul. Hallera 3",
            starts_at=starts_at,
            **extra,  # type: ignore[arg-type]
        )

    before = HELD - timedelta(days=7)
    async with db.session() as session:
        held = await service.create_meeting(session, boss, draft(HELD), now=before)
        await service.answer(session, bogdan, held.id, Answer.NO, now=before)  # type: ignore[arg-type]
        for member in (zaneta, bogdan):  # Bogdan came after all
            await service.check_in(session, member, held.id, now=HELD + timedelta(minutes=5))  # type: ignore[arg-type]
        await service.set_summary(session, boss, held.id, "Zgoda na zbiórkę podpisów.")  # type: ignore[arg-type]
        await service.add_action_item(
            session,
            boss,
            held.id,  # type: ignore[arg-type]
            text="Zadzwonić do ZGM w sprawie ławek",
            owner_id=zaneta.id,  # type: ignore[arg-type]
            due_on=date(2026, 6, 20),
            today=date(2026, 6, 4),
        )
        cancelled = await service.create_meeting(
            session, boss, draft(HELD + timedelta(days=1)), now=before
        )
        await service.cancel_meeting(session, boss, cancelled.id, now=before)  # type: ignore[arg-type]
        upcoming = await service.create_meeting(
            session, boss, draft(MONDAY_8 + timedelta(days=2, hours=10), capacity=1), now=MONDAY_8
        )
        for member in (lead, zaneta, bogdan):
            await service.answer(session, member, upcoming.id, Answer.YES, now=MONDAY_8)  # type: ignore[arg-type]
        poll = await service.create_poll(
            session,
            boss,
            service.MeetingDraft(
                group_id=group.id,  # type: ignore[arg-type]
                topic="Festyn sąsiedzki",
                place="Park",
                candidates=[MONDAY_8 + timedelta(days=20), MONDAY_8 + timedelta(days=21)],
            ),
            now=MONDAY_8,
        )
        first, _second = await service.poll_tallies(session, poll.id)  # type: ignore[arg-type]
        await service.toggle_vote(session, zaneta, first[0].id)  # type: ignore[arg-type]
    return Programme(
        group,
        lead,
        zaneta,
        bogdan,
        outsider,
        held.id,
        cancelled.id,
        upcoming.id,  # type: ignore[arg-type]
    )


def rows_of(path: Path, title: str) -> list[dict[object, object]]:
    header, *rows = load_workbook(path, read_only=True)[title].iter_rows(values_only=True)
    return [
        dict(zip(header, row + (None,) * (len(header) - len(row)), strict=True)) for row in rows
    ]


def header_of(path: Path, title: str) -> tuple[object, ...]:
    return next(load_workbook(path, read_only=True)[title].iter_rows(values_only=True))


async def test_workbook_has_translated_meeting_sheets(db: Database, tmp_path: Path) -> None:
    p = await programme(db)
    path = tmp_path / "raport.xlsx"
    result = await write_export(db, path, "xlsx", language="pl")
    assert result.rows["Spotkania"] == 3
    assert result.rows["Odpowiedzi i obecność"] == 5
    assert "meeting_reminders_sent" not in load_workbook(path, read_only=True).sheetnames

    assert header_of(path, "Spotkania")[:6] == (
        "Nr", "Grupa", "Temat", "Obszar problemowy", "Początek", "Koniec"
    )  # fmt: skip
    meetings = {row["Nr"]: row for row in rows_of(path, "Spotkania")}
    held = meetings[p.held]
    assert held["Grupa"] == "Grupa Żółw" and held["Temat"] == "Plac zabaw przy ul. Żwirki"
    assert held["Początek"] == datetime(2026, 6, 4, 18, 0)  # BOT_TIMEZONE wall time
    assert held["Koniec"] == datetime(2026, 6, 4, 19, 30)
    assert (held["Miejsce"], held["Status"], held["Obecnych"]) == (
        "Świetlica, ul. Hallera 3",
        "odbyło się",
        2,
    )
    assert (held["Kto utworzył"], held["Podsumowanie"]) == (
        "Ewa Szef",
        "Zgoda na zbiórkę podpisów.",
    )
    assert meetings[p.cancelled]["Status"] == "odwołane"
    assert meetings[p.upcoming]["Status"] == "zaplanowane"
    assert meetings[p.upcoming]["Liczba miejsc"] == 1

    assert header_of(path, "Odpowiedzi i obecność") == (
        "Nr spotkania",
        "Spotkanie",
        "Początek",
        "Imię i nazwisko",
        "Instytucja",
        "Odpowiedź",
        "Miejsce na liście rezerwowej",
        "Data odpowiedzi",
        "Godzina przybycia",
        "Zaproszenie wysłane do",
    )
    answers = {
        (r["Nr spotkania"], r["Imię i nazwisko"]): r for r in rows_of(path, "Odpowiedzi i obecność")
    }
    zaneta = answers[(p.held, ZANETA)]
    assert zaneta["Instytucja"] == "Szkoła Podstawowa nr 2 w Chełmży"
    assert zaneta["Odpowiedź"] == "przyjdzie"
    assert zaneta["Godzina przybycia"] == datetime(2026, 6, 4, 18, 5)
    assert answers[(p.held, "Bogdan Nowak")]["Godzina przybycia"] == datetime(2026, 6, 4, 18, 5)
    waiting = {
        name: (row["Odpowiedź"], row["Miejsce na liście rezerwowej"])
        for (meeting, name), row in answers.items()
        if meeting == p.upcoming
    }
    assert waiting == {
        "Lena Łąkowa": ("przyjdzie", None),
        ZANETA: ("na liście rezerwowej", 1),
        "Bogdan Nowak": ("na liście rezerwowej", 2),
    }

    (item,) = rows_of(path, "Zadania")
    assert (item["Zadanie"], item["Właściciel"], item["Termin"], item["Wykonano"]) == (
        "Zadzwonić do ZGM w sprawie ławek",
        ZANETA,
        datetime(2026, 6, 20),
        None,
    )
    (poll,) = rows_of(path, "Ankiety terminów")
    assert (poll["Temat"], poll["Status"], poll["Grupa"]) == (
        "Festyn sąsiedzki",
        "otwarta",
        "Grupa Żółw",
    )
    votes = [row["Głosy"] for row in rows_of(path, "Terminy w ankietach")]
    assert votes == [1, 0]
    (vote,) = rows_of(path, "Głosy w ankietach")
    assert vote["Imię i nazwisko"] == ZANETA


async def test_csv_keeps_polish_letters_in_meeting_sheets(db: Database, tmp_path: Path) -> None:
    await programme(db)
    path = tmp_path / "raport.zip"
    await write_export(db, path, "csv", language="uk")
    with zipfile.ZipFile(path) as archive:
        text = archive.read("Відповіді та присутність.csv").decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0][3:6] == ["Ім'я та прізвище", "Установа", "Відповідь"]
    assert any(ZANETA in row for row in rows)
    assert any("у черзі очікування" in row for row in rows)


async def test_stats_count_held_meetings_and_the_share_who_came(db: Database) -> None:
    p = await programme(db)
    async with db.session() as session:
        now = datetime.now(UTC)
        assert await meeting_reports.held_per_group(session, now) == {p.group.id: 1}
        shares = await meeting_reports.attendance_per_group(session, now)
        assert shares == {p.group.id: (2, 3)}
        with i18n.use_language("en"):
            held = await meeting_reports.meetings_held(session)
            share = await meeting_reports.attendance_share(session)
    assert held == [("Żółwie", 1)]
    assert share == [("All groups (2/3)", 67), ("Żółwie (2/3)", 67)]


async def test_stats_are_empty_before_any_meeting_was_held(db: Database) -> None:
    async with db.session() as session:
        assert await meeting_reports.meetings_held(session) == []
        assert await meeting_reports.attendance_share(session) == []


async def test_digest_lists_next_weeks_meetings_for_the_group_only(db: Database) -> None:
    p = await programme(db)
    period = digest_service.period_for(MONDAY_8)
    async with db.session() as session:
        to_zaneta = await digest_service.compose(session, p.zaneta, period)
        to_outsider = await digest_service.compose(session, p.outsider, period)
        p.lead.language = "en"
        to_lead = await digest_service.compose(session, p.lead, period)
        week_later = digest_service.period_for(MONDAY_8 + timedelta(days=7))
        next_week = await meeting_reports.meetings_ahead(session, p.zaneta, week_later)
    assert to_zaneta is not None
    assert "Twoje spotkania w najbliższym tygodniu" in to_zaneta
    # Wednesday 4 December 2030, 18:00 in Warsaw, in Polish.
    assert "śr. 4 gru, 18:00 — Plac zabaw przy ul. Żwirki (Grupa Żółw)" in to_zaneta
    assert "Twoje otwarte zadania ze spotkań" in to_zaneta
    assert "Zadzwonić do ZGM w sprawie ławek" in to_zaneta and "⚠️" in to_zaneta  # overdue
    assert to_outsider is None  # no group, no answer: nothing to tell
    assert to_lead is not None and "Your meetings in the coming week" in to_lead
    assert "Wed 4 Dec, 18:00 — Plac zabaw" in to_lead
    assert "open tasks" not in to_lead  # the lead owes nothing
    # A week later the meeting is past and only the task is left.
    assert next_week is not None and "Plac zabaw" not in next_week
    assert "Zadzwonić do ZGM" in next_week


async def test_mydata_names_meeting_records_for_the_person(db: Database) -> None:
    p = await programme(db)
    async with db.session() as session:
        member = await session.get(Member, p.zaneta.id)
        assert member is not None
        data = await privacy.personal_data(session, member)
    with i18n.use_language("en"):
        text = mydata_summary(member, data)
    assert "Your answers to meeting invitations: 2" in text
    assert "Tasks from meetings given to you: 1" in text
    assert "Your votes in date polls: 1" in text
    with i18n.use_language("pl"):
        text = mydata_summary(member, data)
    assert "Twoje odpowiedzi na zaproszenia na spotkania: 2" in text
