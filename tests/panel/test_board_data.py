"""The board's data: the title search (any part of a title, any letter case, Polish letters
too) on both databases, and counts kept only while nothing changes; the migration that
adds the search index and the models agree."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Connection, text
from sqlmodel import SQLModel

from bot.db import Database
from bot.panel import queries, search
from bot.services import contributions as contributions_service
from bot.services import members as members_service
from models import Contribution
from tests.panel.support import COORDINATOR, LEADER, World, add_titles, auth

TITLES = (
    "ŁĄKA przy szkole",
    "Łąka nad rzeką",
    "Sprzątanie łąki",
    "Żółw w parku",
    '50% zniżki na "bilety"',
    "Bus_line at night",
)


async def _search(db: Database, words: str) -> list[int]:
    async with db.session() as session:
        return [i for i, _status in await search.newest_matches(session, words, [], 100)]


async def test_titles_are_found_by_any_part_in_any_case(world: World, db: Database) -> None:
    meadow, river, cleaning, turtle, sale, bus = await add_titles(db, *TITLES)
    assert await _search(db, "łąka") == [river, meadow]
    assert await _search(db, "ŁĄK") == [cleaning, river, meadow]
    assert await _search(db, "ąk") == [cleaning, river, meadow]  # shorter than the index
    assert await _search(db, "ółw W pa") == [turtle]
    assert await _search(db, '"bilety"') == [sale]
    assert await _search(db, "50%") == [sale]  # % and _ are letters here
    assert await _search(db, "n_d") == []  # not "nad"
    assert await _search(db, "s_l") == [bus]
    assert await _search(db, "nothing like it") == []


async def test_the_index_follows_edits_and_deletions(world: World, db: Database) -> None:
    (meadow,) = await add_titles(db, "Łąka przy szkole")
    async with db.session() as session:
        found = await session.get(Contribution, meadow)
        assert found is not None
        found.title = "Boisko przy szkole"
        session.add(found)
    assert await _search(db, "łąka") == [] and await _search(db, "boisko") == [meadow]
    async with db.session() as session:
        await session.delete(await session.get(Contribution, meadow))
    assert await _search(db, "boisko") == []


async def test_the_search_on_the_board(
    client: httpx.AsyncClient, world: World, db: Database
) -> None:
    await add_titles(db, *TITLES)
    page = await client.get("/api/view/board", params={"q": "łąka"}, headers=auth(LEADER))
    assert "ŁĄKA przy szkole" in page.text and "Łąka nad rzeką" in page.text
    assert "Żółw" not in page.text and "Seniors" not in page.text


async def _new_count(db: Database) -> int:
    async with db.session() as session:
        columns, counts, capped = await queries.board(session, queries.BoardFilters())
        assert not capped
        assert counts["new"] == len(columns["new"])  # fewer than a column's limit here
        return counts["new"]


async def test_the_boards_counts_change_with_every_change(world: World, db: Database) -> None:
    before = await _new_count(db)
    await add_titles(db, "One more idea")
    assert await _new_count(db) == before + 1
    async with db.session() as session:
        coordinator = await members_service.get_by_telegram_id(session, COORDINATOR)
        assert coordinator is not None
        await contributions_service.set_status(session, coordinator, world.barrier.id, "discussion")  # type: ignore[arg-type]
    assert await _new_count(db) == before
    async with db.session() as session:
        leader = await members_service.get_by_telegram_id(session, LEADER)
        assert leader is not None
        mine = Contribution(kind="idea", title="Mine", details={}, author_id=leader.id)
        session.add(mine)
        await session.flush()
        assert mine.id is not None
    assert await _new_count(db) == before + 1
    async with db.session() as session:
        await contributions_service.withdraw(session, leader, mine.id)
    assert await _new_count(db) == before


async def test_the_migrations_give_the_models_contributions(db: Database) -> None:
    """`alembic upgrade head` (as the tests' databases are made) and the models agree on the
    contributions table and its indexes; the search index is there besides (SQLite: FTS5;
    PostgreSQL: the trigram index, where pg_trgm could be created, as here)."""

    def differences(connection: Connection) -> list[Any]:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        return list(compare_metadata(context, SQLModel.metadata))

    async with db.engine.connect() as connection:
        found = await connection.run_sync(differences)
        sqlite = connection.dialect.name == "sqlite"
        tables = (
            await connection.execute(text("SELECT name FROM sqlite_master WHERE type = 'table'"))
            if sqlite
            else None
        )
    search_tables = {
        "contributions_search",
        *(f"contributions_search_{s}" for s in ("data", "idx", "docsize", "config")),
        "ix_contrib_title_trgm",
    }
    ours = [
        d
        for d in found
        if "contribution" in str(d) and not any(f"'{t}'" in str(d) for t in search_tables)
    ]
    assert ours == []
    if sqlite:
        assert tables is not None and "contributions_search" in set(tables.scalars())
    else:
        assert any("'ix_contrib_title_trgm'" in str(d) for d in found)


@pytest.mark.parametrize("words", ["łą", "łąka"])
async def test_a_search_gives_the_newest_matches(world: World, db: Database, words: str) -> None:
    ids = await add_titles(db, *(f"Łąka {n}" for n in range(30)))
    async with db.session() as session:
        found = await search.newest_matches(session, words, [], 10)
    assert [i for i, _s in found] == sorted(ids, reverse=True)[:10]
