"""The areas and active groups kept in memory (bot/services/groups.py): read without a
query, and never stale after a change made through the bot."""

from __future__ import annotations

from typing import Any

from sqlalchemy import event
from sqlmodel import select

from bot.db import Database
from bot.profile import apply_profile, load_profile
from bot.services import groups as groups_service
from models import Group, ProblemArea


class Statements:
    def __init__(self, db: Database) -> None:
        self.count = 0
        event.listen(db.engine.sync_engine, "before_cursor_execute", self._on)

    def _on(self, *_args: Any, **_kwargs: Any) -> None:
        self.count += 1


async def test_areas_and_groups_are_read_once_and_follow_changes(db: Database) -> None:
    async with db.session() as session:
        await apply_profile(session, load_profile())
    async with db.session() as session:
        first = await groups_service.areas(session)
        groups = await groups_service.cached_active_groups(session)
    assert first and groups
    statements = Statements(db)
    async with db.session() as session:
        again = await groups_service.areas(session)
        area = await groups_service.area_by_id(session, first[0].id)
        group = await groups_service.group_for_display(session, groups[0].id)
    assert statements.count == 0, "served from memory"
    assert [a.slug for a in again] == [a.slug for a in first]
    assert area is not None and group is not None and group.id == groups[0].id

    # A rename through the bot shows at once (the flush empties the cache).
    async with db.session() as session:
        stored = await session.get(ProblemArea, first[0].id)
        assert stored is not None
        stored.names = {**stored.names, "pl": "Nowa nazwa"}
        session.add(stored)
        team = (await session.exec(select(Group).where(Group.id == groups[0].id))).one()
        team.archived_at = team.created_at
        session.add(team)
    async with db.session() as session:
        renamed = await groups_service.area_by_id(session, first[0].id)
        active = await groups_service.cached_active_groups(session)
    assert renamed is not None and renamed.names["pl"] == "Nowa nazwa"
    assert groups[0].id not in [g.id for g in active], "an archived group leaves the pickers"


async def test_a_change_rolled_back_leaves_the_stored_names(db: Database) -> None:
    async with db.session() as session:
        await apply_profile(session, load_profile())
    async with db.session() as session:
        area = (await groups_service.areas(session))[0]
    original = dict(area.names)
    try:
        async with db.session() as session:
            stored = await session.get(ProblemArea, area.id)
            assert stored is not None
            stored.names = {"pl": "Nie zapisane"}
            session.add(stored)
            await session.flush()
            # Read inside the failing transaction: it sees its own change...
            assert (await groups_service.area_by_id(session, area.id)).names == {  # type: ignore[union-attr]
                "pl": "Nie zapisane"
            }
            raise RuntimeError("the block fails")
    except RuntimeError:
        pass
    async with db.session() as session:
        after = await groups_service.area_by_id(session, area.id)
    # ...but once rolled back nobody does.
    assert after is not None and after.names == original
