"""Volunteers, opportunities and broadcasts in the export, the statistics and /audit."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from openpyxl import load_workbook
from sqlalchemy import update
from sqlmodel import col, select

from bot import i18n
from bot.db import Database
from bot.profile import apply_profile, load_profile
from bot.services import broadcasts as broadcasts_service
from bot.services import members as members_service
from bot.services import opportunities as opportunities_service
from bot.services import volunteer_reports
from bot.services import volunteers as volunteers_service
from bot.services.export import write_export
from handlers.reports import AUDIT_ACTIONS, MYDATA_LABELS, audit_line
from models import (
    AuditEntry,
    BroadcastRecipient,
    Group,
    Member,
    ProblemArea,
    RecipientState,
    Role,
)

STREETS = load_profile().streets
ANNA, PHONE = "Żaneta Łęcka", "+48 600 111 222"
PHONE_STORED = "+48600111222"  # typed numbers are normalised (international form)
STARTS = datetime(2030, 7, 1, 10, 0, tzinfo=UTC)  # 12:00 in Warsaw (CEST)


@pytest.fixture(autouse=True)
def _catalogs() -> None:
    i18n.setup("pl", "Europe/Warsaw")


async def registered(
    db: Database, telegram_id: int, name: str, role: Role = Role.RESIDENT
) -> Member:
    async with db.session() as session:
        member = await members_service.ensure_member(session, telegram_id)
        await members_service.give_consent(session, member, "pl")
        await members_service.set_profile(session, member, display_name=name)
        await members_service.set_role(session, member, role)
    return member


async def programme(db: Database) -> dict[str, int]:
    """Two volunteers, an opportunity one signed up for, and two finished broadcasts:
    to volunteers interested in youth (one delivered, one blocked) and to a group's chat."""
    async with db.session() as session:
        await apply_profile(session, load_profile())
    boss = await registered(db, 1, "Ewa Szef", Role.COORDINATOR)
    anna = await registered(db, 2, ANNA)
    bob = await registered(db, 3, "Bogdan Nowak")
    async with db.session() as session:
        Draft = volunteers_service.Draft
        await volunteers_service.save(
            session,
            anna,
            Draft(ANNA, PHONE, "Św. Jana", "gotowanie, szycie", ["family", "youth"], ["weekend"]),
            STREETS,
        )
        await volunteers_service.save(
            session, bob, Draft("Bogdan Nowak", None, None, "", ["youth"], ["evening"]), STREETS
        )
        youth = (await session.exec(select(Group).where(Group.slug == "treasurers"))).one()
        youth.chat_id = -100123
        session.add(youth)
        area_id = (
            await session.exec(select(ProblemArea.id).where(ProblemArea.slug == "youth"))
        ).one()
        opportunity = await opportunities_service.create(
            session,
            boss,
            title="Sprzątanie świetlicy",
            starts_at=STARTS,
            place="Świetlica, ul. Żwirki 1",
            places=5,
            area_id=area_id,
        )
        await opportunities_service.sign_up(session, opportunity.id, anna)  # type: ignore[arg-type]
        to_youth = await broadcasts_service.create_draft(
            session,
            boss,
            broadcasts_service.audience_spec("volunteers", area="youth"),
            "Zbiórka w sobotę",
        )
        await broadcasts_service.start(session, to_youth.id, boss)  # type: ignore[arg-type]
        to_group = await broadcasts_service.create_draft(
            session, boss, broadcasts_service.audience_spec("group", group_id=youth.id), "Hej"
        )
        await broadcasts_service.start(session, to_group.id, boss)  # type: ignore[arg-type]
        outcomes = {anna.id: RecipientState.SENT, bob.id: RecipientState.BLOCKED}
        for member_id, state in outcomes.items():
            await session.exec(  # type: ignore[call-overload]
                update(BroadcastRecipient)
                .where(col(BroadcastRecipient.member_id) == member_id)
                .values(state=state)
            )
        await session.exec(  # type: ignore[call-overload]
            update(BroadcastRecipient)
            .where(col(BroadcastRecipient.member_id).is_(None))
            .values(state=RecipientState.FAILED, error="chat not found")
        )
        for broadcast in (to_youth, to_group):
            await broadcasts_service.finish(session, broadcast.id)  # type: ignore[arg-type]
    return {"opportunity": opportunity.id, "youth": to_youth.id, "group": to_group.id}  # type: ignore[dict-item]


def rows_of(path: Path, title: str) -> list[tuple[object, ...]]:
    """A sheet's rows, padded to the header (read-only mode drops empty trailing cells)."""
    header, *rows = load_workbook(path, read_only=True)[title].iter_rows(values_only=True)
    return [header, *(row + (None,) * (len(header) - len(row)) for row in rows)]


async def test_workbook_has_translated_volunteer_sheets(db: Database, tmp_path: Path) -> None:
    ids = await programme(db)
    path = tmp_path / "raport.xlsx"
    result = await write_export(db, path, "xlsx", language="pl")
    assert result.rows["Wolontariusze"] == 2
    volunteers = rows_of(path, "Wolontariusze")
    assert volunteers[0][:7] == (
        "Nr",
        "Imię i nazwisko",
        "Telefon",
        "Ulica",
        "Umiejętności",
        "Zainteresowania",
        "Dostępność",
    )
    anna = next(r for r in volunteers if r[1] == ANNA)
    assert anna[2:7] == (
        PHONE_STORED,
        "Św. Jana",
        "gotowanie, szycie",
        "problemy rodzinne i wychowawcze, problemy rozwojowe dzieci i młodzieży",
        "weekendy",
    )
    bob = next(r for r in volunteers if r[1] == "Bogdan Nowak")
    assert bob[3] == "Inne ulice" and bob[6] == "wieczory"

    (header, opportunity) = rows_of(path, "Okazje do pomocy")
    row = dict(zip(header, opportunity, strict=True))
    assert row["Tytuł"] == "Sprzątanie świetlicy"
    assert row["Początek"] == datetime(2030, 7, 1, 12, 0)  # BOT_TIMEZONE wall time
    assert row["Miejsce"] == "Świetlica, ul. Żwirki 1"
    assert (row["Liczba miejsc"], row["Zapisanych"]) == (5, 1)
    assert row["Obszar problemowy"] == "problemy rozwojowe dzieci i młodzieży"
    assert row["Kto dodał"] == "Ewa Szef"

    (header, signup) = rows_of(path, "Zapisy na okazje")
    assert header[:5] == ("Nr okazji", "Tytuł", "Początek", "Imię i nazwisko", "Telefon")
    assert signup[:5] == (
        ids["opportunity"],
        "Sprzątanie świetlicy",
        row["Początek"],
        ANNA,
        PHONE_STORED,
    )

    header, *broadcasts = rows_of(path, "Ogłoszenia")
    sheet = {r[0]: dict(zip(header, r, strict=True)) for r in broadcasts}
    youth = sheet[ids["youth"]]
    assert (
        youth["Odbiorcy"]
        == "wolontariusze zainteresowani obszarem: problemy rozwojowe dzieci i młodzieży"
    )
    assert (youth["Autor"], youth["Treść"], youth["Status"]) == (
        "Ewa Szef",
        "Zbiórka w sobotę",
        "zakończone",
    )
    assert [youth[h] for h in ("Doręczono", "Zablokowało bota", "Nieudane", "Niepewne")] == [
        1,
        1,
        0,
        0,
    ]
    assert sheet[ids["group"]]["Odbiorcy"] == "grupa Skarbnicy"

    header, *recipients = rows_of(path, "Odbiorcy ogłoszeń")
    assert header[:3] == ("Nr ogłoszenia", "Odbiorca", "Wynik")
    outcomes = {(r[0], r[1]): (r[2], r[3]) for r in recipients}
    assert outcomes == {
        (ids["youth"], ANNA): ("doręczono", None),
        (ids["youth"], "Bogdan Nowak"): ("bot zablokowany", None),
        (ids["group"], "czat grupy Skarbnicy"): ("nie udało się", "chat not found"),
    }


async def test_stats_count_volunteers_and_deliveries(db: Database) -> None:
    await programme(db)
    with i18n.use_language("en"):
        async with db.session() as session:
            streets = await volunteer_reports.volunteers_per_street(session)
            areas = dict(await volunteer_reports.volunteers_per_area(session))
            outcomes = await volunteer_reports.broadcast_outcomes(session)
    assert streets == [("Św. Jana", 1), ("Other streets", 1)]
    assert areas["development of children and youth"] == 2
    assert areas["family and upbringing problems"] == 1
    assert areas["unemployment and job activation"] == 0
    assert outcomes == [("delivered", 1), ("blocked the bot", 1), ("failed", 1)]


async def test_audit_and_mydata_name_the_new_records(db: Database) -> None:
    await programme(db)
    async with db.session() as session:
        entries = (await session.exec(select(AuditEntry))).all()
    actions = {e.action for e in entries}
    assert {"opportunity.post", "broadcast.start"} <= actions <= set(AUDIT_ACTIONS)
    with i18n.use_language("pl"):
        lines = [audit_line(e, "Ewa Szef") for e in entries]
        labels = {i18n.gettext(MYDATA_LABELS[t]) for t in ("volunteers", "broadcast_recipients")}
    assert any("okazja do pomocy dodana" in line for line in lines)
    assert any("rozpoczęto wysyłanie ogłoszenia" in line for line in lines)
    assert labels == {"Twój profil wolontariusza", "Ogłoszenia wysłane do Ciebie"}
