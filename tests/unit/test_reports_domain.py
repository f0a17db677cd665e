"""Reports and privacy services on a real database (SQLite, or PostgreSQL in CI)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from openpyxl import load_workbook
from sqlmodel import SQLModel, func, select

from bot import i18n
from bot.db import Database
from bot.profile import apply_profile, load_profile
from bot.services import digest as digest_service
from bot.services import export as export_service
from bot.services import invites as invites_service
from bot.services import members as members_service
from bot.services import privacy
from bot.services import stats as stats_service
from bot.services.audit import record
from models import AuditEntry, Group, Invite, InviteUse, Member, Membership, Role


@pytest.fixture(autouse=True)
def _catalogs() -> None:
    i18n.setup("pl", "Europe/Warsaw")


async def registered(db: Database, telegram_id: int, name: str, role: Role = Role.LEADER) -> Member:
    async with db.session() as session:
        member = await members_service.ensure_member(session, telegram_id)
        await members_service.give_consent(session, member, "pl")
        await members_service.set_profile(session, member, display_name=name)
        await members_service.set_role(session, member, role)
    return member


async def with_profile(db: Database) -> None:
    async with db.session() as session:
        await apply_profile(session, load_profile())


def test_every_foreign_key_to_members_lets_a_member_be_erased() -> None:
    """A table that blocks (RESTRICT/NO ACTION) or keeps the id would break /forget."""
    found = privacy.member_foreign_keys()
    assert {table.name for table, _c, _fk in found} >= {"memberships", "audit_log", "invites"}
    for table, column, fk in found:
        assert fk.ondelete in ("CASCADE", "SET NULL"), f"{table.name}.{column.name}"
        if fk.ondelete == "SET NULL":
            assert column.nullable, f"{table.name}.{column.name} must be nullable"


async def test_personal_data_and_forget_follow_the_foreign_keys(db: Database) -> None:
    await with_profile(db)
    boss = await registered(db, 1, "Ewa Szef", Role.COORDINATOR)
    anna = await registered(db, 2, "Anna Łęcka")
    async with db.session() as session:
        group = await invites_service.group_by_slug(session, "treasurers")
        invite = await invites_service.create_invite(
            session, role=Role.LEADER, group=group, created_by=await session.get(Member, anna.id)
        )
        redeemer = await session.get(Member, boss.id)
        assert redeemer is not None
        await invites_service.redeem(session, redeemer, invite.code)
        session.add(Membership(member_id=anna.id, group_id=group.id))  # type: ignore[arg-type]
    async with db.session() as session:
        member = await session.get(Member, anna.id)
        assert member is not None
        data = await privacy.personal_data(session, member)
    assert data.member["display_name"] == "Anna Łęcka"
    assert len(data.tables["memberships"]) == 1
    assert data.tables["invites.created_by_id"][0]["id"] == invite.id
    assert any(e["action"] == "invite.create" for e in data.tables["audit_log.actor_id"])
    assert "Łęcka" in data.as_json().decode()

    async with db.session() as session:
        member = await session.get(Member, anna.id)
        assert member is not None
        await privacy.forget(session, member)
    async with db.session() as session:
        assert await session.get(Member, anna.id) is None
        left = (
            await session.exec(select(func.count()).where(Membership.member_id == anna.id))
        ).one()
        assert left == 0
        kept = await session.get(Invite, invite.id)
        assert kept is not None and kept.created_by_id is None
        assert (await session.exec(select(InviteUse))).all()  # the other member's use stays
        entry = (
            await session.exec(select(AuditEntry).where(AuditEntry.action == "member.forget"))
        ).one()
        assert entry.target == f"member:{anna.id}" and "Łęcka" not in json.dumps(entry.details)


@pytest.fixture
def _tmp_export(tmp_path: Path) -> Iterator[Path]:
    yield tmp_path / "report.xlsx"


async def test_workbook_reads_well_in_a_spreadsheet(db: Database, _tmp_export: Path) -> None:
    await with_profile(db)
    anna = await registered(db, 3, "Żaneta Ćwik")
    consent = datetime(2026, 7, 1, 10, 30, tzinfo=UTC)  # 12:30 in Warsaw (CEST)
    async with db.session() as session:
        member = await session.get(Member, anna.id)
        assert member is not None
        member.consent_at = consent
        member.institution = "Miejska Biblioteka \x07Publiczna"  # a control character
        session.add(member)
        await record(session, member, "role.change", f"member:{anna.id}", new="leader")
    seen: list[tuple[int, int, str]] = []

    async def progress(index: int, total: int, title: str) -> None:
        seen.append((index, total, title))

    result = await export_service.write_export(
        db, _tmp_export, "xlsx", language="en", progress=progress
    )
    assert [s[2] for s in seen] == list(result.rows)
    workbook = load_workbook(_tmp_export)
    assert workbook.sheetnames[:6] == [
        "Groups",
        "Members",
        "Memberships",
        "Problem areas",
        "Invites",
        "Audit log",
    ]
    assert "invite_uses" in workbook.sheetnames  # tables without a spec still appear
    assert "bot_state" not in workbook.sheetnames
    members = workbook["Members"]
    assert members.freeze_panes == "A2"
    assert members.column_dimensions["B"].width >= 20
    header = [c.value for c in members[1]]
    row = {header[i]: c.value for i, c in enumerate(members[2])}
    assert row["Full name"] == "Żaneta Ćwik"
    assert row["Institution"] == "Miejska Biblioteka Publiczna"
    assert row["Consent given"] == datetime(2026, 7, 1, 12, 30)
    assert row["Role"] == "Leader"
    groups = [r[1] for r in workbook["Groups"].iter_rows(min_row=2, values_only=True)]
    assert "Treasurers" in groups
    audit = list(workbook["Audit log"].iter_rows(min_row=2, values_only=True))
    assert any(r[1] == "Żaneta Ćwik" and r[2] == "role.change" for r in audit)


def test_sheet_titles_are_valid_and_unique() -> None:
    table = Group.__table__  # type: ignore[attr-defined]
    specs = [
        export_service.SheetSpec("a/b:c" + "x" * 40, table, (), translate_name=False),
        export_service.SheetSpec("a/b:c" + "x" * 40, table, (), translate_name=False),
    ]
    first, second = export_service.sheet_titles(specs)
    assert len(first) <= 31 and len(second) <= 31 and first != second
    assert not set("/:") & set(first)


async def test_many_rows_stream_into_csv(db: Database, tmp_path: Path) -> None:
    import csv
    import io
    import zipfile

    async with db.session() as session:
        session.add_all(
            AuditEntry(action="test", target=f"t:{i}", details={"note": "źdźbło"})
            for i in range(5000)
        )
    out = tmp_path / "report.zip"
    result = await export_service.write_export(db, out, "csv", language="pl")
    assert result.rows["Dziennik zmian"] == 5000
    with zipfile.ZipFile(out) as archive:
        text = archive.read("Dziennik zmian.csv").decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text)))
    assert len(rows) == 5001 and "źdźbło" in rows[-1][-1]


def test_digest_times_follow_the_bot_time_zone() -> None:
    # 30 March 2026 is the first Monday of summer time: 08:00 CEST = 06:00 UTC.
    assert not digest_service.is_due(datetime(2026, 3, 30, 5, 59, tzinfo=UTC))
    assert digest_service.is_due(datetime(2026, 3, 30, 6, 0, tzinfo=UTC))
    assert digest_service.is_due(datetime(2026, 3, 30, 21, 59, tzinfo=UTC))
    assert not digest_service.is_due(datetime(2026, 3, 30, 22, 0, tzinfo=UTC))  # Tuesday there
    assert digest_service.week_key(datetime(2026, 3, 30, 6, 0, tzinfo=UTC)) == "2026-W14"
    nxt = digest_service.next_send(datetime(2026, 3, 28, 12, 0, tzinfo=UTC))
    assert nxt.astimezone(UTC) == datetime(2026, 3, 30, 6, 0, tzinfo=UTC)
    nxt = digest_service.next_send(datetime(2026, 3, 30, 6, 0, tzinfo=UTC))
    assert nxt.astimezone(UTC) == datetime(2026, 4, 6, 6, 0, tzinfo=UTC)


async def test_digest_sections_and_claims(db: Database) -> None:
    await with_profile(db)
    anna = await registered(db, 4, "Anna")
    period = digest_service.period_for(datetime(2026, 11, 30, 7, 0, tzinfo=UTC))

    @digest_service.register_section(order=50)
    async def extra(session, member, period):  # type: ignore[no-untyped-def]
        return f"extra for {member.display_name}"

    try:
        async with db.session() as session:
            text = await digest_service.compose(session, anna, period)
    finally:
        digest_service.SECTIONS[:] = [s for s in digest_service.SECTIONS if s[1] is not extra]
    assert text is not None and "extra for Anna" in text
    async with db.session() as session:
        assert await digest_service.compose(session, anna, period) is None  # no groups yet
    assert await digest_service.claim(db, anna.id, period.week)  # type: ignore[arg-type]
    assert not await digest_service.claim(db, anna.id, period.week)  # type: ignore[arg-type]


async def test_stats_series_are_a_registry(db: Database) -> None:
    await with_profile(db)
    await registered(db, 5, "Lena", Role.LEAD)
    await registered(db, 6, "Olek", Role.LEADER)

    @stats_service.register_series("Things per colour", order=99)
    async def colours(session):  # type: ignore[no-untyped-def]
        return [("red", 3), ("blue", 1)]

    try:
        with i18n.use_language("en"):
            async with db.session() as session:
                results = await stats_service.collect(session)
            chart = stats_service.render_chart(results)
            text = stats_service.render_text(results)
    finally:
        stats_service.STATS[:] = [s for s in stats_service.STATS if s.compute is not colours]
    titles = [r.title for r in results]
    assert titles[:3] == ["Members per role", "Members per group", "New members per week"]
    assert titles[-1] == "Things per colour"
    assert dict(results[0].points) == {"leaders": 1, "group leads": 1}
    assert chart.startswith(b"\x89PNG") and "red: 3" in text


async def test_members_per_group_counts_only_members(db: Database) -> None:
    await with_profile(db)
    anna = await registered(db, 7, "Anna")
    async with db.session() as session:
        group = (await session.exec(select(Group).where(Group.slug == "auditors"))).one()
        session.add(Membership(member_id=anna.id, group_id=group.id))  # type: ignore[arg-type]
        session.add(
            Membership(
                member_id=(await registered(db, 8, "Bob")).id,  # type: ignore[arg-type]
                group_id=group.id,  # type: ignore[arg-type]
                status="pending",
            )
        )
    with i18n.use_language("en"):
        async with db.session() as session:
            points = dict(await stats_service.members_per_group(session))
    assert points["Auditors"] == 1 and points["Treasurers"] == 0


def test_export_covers_every_table_but_internal_ones() -> None:
    exported = {spec.table.name for spec in export_service.sheets()}
    every = {t.name for t in SQLModel.metadata.sorted_tables}
    assert exported == every - export_service.EXCLUDED_TABLES


def test_stats_text_fits_one_message() -> None:
    many = [stats_service.SeriesResult("<Groups>", [(f"g{i} & co", i) for i in range(900)], "barh")]
    with i18n.use_language("en"):
        text = stats_service.render_text(many)
    assert len(text) <= 4000 and text.endswith("…") and "&lt;Groups&gt;" in text
    assert text.count("<b>") == text.count("</b>")
