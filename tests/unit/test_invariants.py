"""The table digests behind "a refused action changed nothing" (authorization matrix, hostile
input): they must see any change to any column of any table, on SQLite and PostgreSQL."""

from __future__ import annotations

from bot.db import Database
from bot.services import members as members_service
from models import BotState, Member
from tests.invariants import changed, snapshot


async def test_a_changed_column_changes_only_its_tables_digest(db: Database) -> None:
    async with db.session() as session:
        member = await members_service.ensure_member(session, 5_550_001)
        member_id = member.id
    before = await snapshot(db)
    assert before == await snapshot(db)  # stable while nothing changes

    async with db.session() as session:
        found = await session.get(Member, member_id)
        assert found is not None
        found.display_name = "Ola"
        session.add(found)
    after = await snapshot(db)
    assert changed(before, after) == ["members"]

    async with db.session() as session:
        found = await session.get(Member, member_id)
        assert found is not None
        await session.delete(found)
    assert changed(after, await snapshot(db)) == ["members"]


async def test_the_dialogue_bookkeeping_is_left_out(db: Database) -> None:
    before = await snapshot(db)
    async with db.session() as session:
        session.add(BotState(kind="conv:x", key="1", data={"state": 1}))
    assert await snapshot(db) == before
