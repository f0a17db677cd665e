"""BOT_COORDINATORS is the source of the coordinator role for the people it lists.

Listed people are coordinators from the start (or from their registration); a person taken
off the setting loses the role at the next start unless a coordinator granted it in the bot;
a coordinator's revocation in the bot is no longer undone by the next update they send (it
holds until the setting, still listing them, grants the role again at the next start).
"""

from __future__ import annotations

from pathlib import Path

from sqlmodel import select

from bot.app import startup
from bot.config import Settings
from bot.db import Database
from bot.services import groups as groups_service
from bot.services import members as members_service
from models import AuditEntry, Group, Member, Role
from tests.harness import Harness, User


async def _registered(db: Database, telegram_id: int, role: Role = Role.RESIDENT) -> Member:
    async with db.session() as session:
        member = await members_service.ensure_member(session, telegram_id)
        await members_service.give_consent(session, member, "en")
        await members_service.set_profile(session, member, display_name=f"P{telegram_id}")
        await members_service.set_role(session, member, role)
        return member


async def _member(db: Database, telegram_id: int) -> Member:
    async with db.session() as session:
        member = await members_service.get_by_telegram_id(session, telegram_id)
        assert member is not None
        return member


async def _sync(db: Database, coordinators: tuple[int, ...]) -> members_service.SettingsSync:
    async with db.session() as session:
        return await members_service.sync_settings_coordinators(session, coordinators)


async def test_taken_off_the_setting_loses_the_role_at_the_next_start(db: Database) -> None:
    await _registered(db, 501)
    result = await _sync(db, (501,))
    assert result.granted == [501]
    assert (await _member(db, 501)).role == Role.COORDINATOR
    result = await _sync(db, (501,))  # a restart with the same setting changes nothing
    assert result.granted == [] and result.demoted == []
    result = await _sync(db, ())
    assert result.demoted == [501]
    member = await _member(db, 501)
    assert member.role == Role.LEADER  # as after a revocation in the bot
    assert not member.coordinator_from_settings
    async with db.session() as session:
        actions = (
            await session.exec(select(AuditEntry).where(AuditEntry.target == f"member:{member.id}"))
        ).all()
    sources = [a.details.get("source") for a in actions if a.action == "role.change"]
    assert sources[-2:] == ["settings", "settings"]


async def test_a_lead_taken_off_the_setting_stays_lead_of_their_groups(db: Database) -> None:
    boss = await _registered(db, 510, Role.COORDINATOR)
    await _registered(db, 511)
    await _sync(db, (511,))
    person = await _member(db, 511)
    async with db.session() as session:
        group = Group(slug="skarbnicy", name="Skarbnicy")
        session.add(group)
        await session.flush()
        await groups_service.set_lead(session, boss, group.id, person.id)
    await _sync(db, ())
    assert (await _member(db, 511)).role == Role.LEAD


async def test_granted_in_the_bot_is_kept_when_the_setting_drops_them(db: Database) -> None:
    boss = await _registered(db, 520, Role.COORDINATOR)
    person = await _registered(db, 521, Role.LEADER)
    async with db.session() as session:
        await groups_service.grant_role(session, boss, person.id, Role.COORDINATOR)
    await _sync(db, (521,))  # listed later: the role is already there, granted in the bot
    result = await _sync(db, ())
    assert result.demoted == []
    assert (await _member(db, 521)).role == Role.COORDINATOR
    assert (await _member(db, 520)).role == Role.COORDINATOR  # never listed: untouched


async def test_registration_of_a_listed_person_grants_from_the_setting(db: Database) -> None:
    async with db.session() as session:
        member = await members_service.ensure_member(session, 530, (530,))
    assert member.role == Role.COORDINATOR and member.coordinator_from_settings
    assert (await _sync(db, ())).demoted == [530]


async def test_revocation_in_the_bot_is_not_undone_by_the_next_update(
    harness: Harness, settings: Settings, db: Database
) -> None:
    listed = settings.bot_coordinators[0]
    person = await _registered(db, listed, Role.COORDINATOR)
    boss = await _registered(db, 540, Role.COORDINATOR)
    async with db.session() as session:
        await groups_service.revoke_role(session, boss, person.id, Role.COORDINATOR)
    await harness.send(User(listed, language_code="en"), "/help")
    assert (await _member(db, listed)).role == Role.LEADER
    # The setting still lists them: the next start makes them coordinator again.
    await startup(harness.app)
    await harness.app.bot_data["commands_task"]
    assert (await _member(db, listed)).role == Role.COORDINATOR


def test_migration_marks_coordinators_the_setting_made(tmp_path: Path) -> None:
    """0003: existing coordinators nobody granted in the bot (no role change by a person, no
    coordinator invite) are the setting's; the others stay the bot's."""
    import sqlite3

    from bot.db import downgrade, migrate

    path = tmp_path / "old.db"
    migrate(f"sqlite:///{path}", "0002")
    now = "2026-01-01 00:00:00.000000"
    with sqlite3.connect(path) as conn:
        for member_id in (1, 2, 3, 4):
            role = "coordinator" if member_id < 4 else "leader"
            conn.execute(
                "INSERT INTO members (id, telegram_id, role, reachable, digest_opt_out, "
                "created_at) VALUES (?, ?, ?, 1, 0, ?)",
                (member_id, 1000 + member_id, role, now),
            )
        # 2: granted in the bot by member 1; 3: redeemed a coordinator invite
        conn.execute(
            "INSERT INTO audit_log (actor_id, action, target, details, created_at) "
            "VALUES (1, 'role.change', 'member:2', '{}', ?)",
            (now,),
        )
        conn.execute(
            "INSERT INTO invites (id, code, role, uses, created_at) "
            "VALUES (7, 'c', 'coordinator', 1, ?)",
            (now,),
        )
        conn.execute(
            "INSERT INTO invite_uses (invite_id, member_id, used_at) VALUES (7, 3, ?)", (now,)
        )
    migrate(f"sqlite:///{path}", "0003")
    with sqlite3.connect(path) as conn:
        flags = dict(conn.execute("SELECT id, coordinator_from_settings FROM members").fetchall())
    assert flags == {1: 1, 2: 0, 3: 0, 4: 0}
    with sqlite3.connect(path) as conn:  # the column was added in place: nothing cascaded
        assert conn.execute("SELECT actor_id FROM audit_log").fetchall() == [(1,)]
        assert conn.execute("SELECT member_id FROM invite_uses").fetchall() == [(3,)]
    downgrade(f"sqlite:///{path}", "0002")
