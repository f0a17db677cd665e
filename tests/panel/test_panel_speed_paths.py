"""The panel's faster paths show what the pages showed before: the title search on either
database (PostgreSQL: a trigram index, LIKE for a search without letters), the counts per
status and per (area, kind) read from `contribution_counts`, the problem map built from
plain rows. On PostgreSQL, a search of three letters or more and a group's board read the
indexes made for them (migration 0010), and a shorter search never the trigram index."""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import httpx
import pytest
from sqlalchemy import event, text
from sqlmodel import col, func, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.db import Database
from bot.panel import queries, search
from bot.services import contributions as contributions_service
from bot.services.contributions import counts as contribution_counts
from models import Contribution, ContributionKind, ContributionLink, Group, ProblemArea
from tests.conftest import PG_URL
from tests.panel.support import COORDINATOR, World, add_titles, auth, map_checked_against_rules

TITLES = (
    "ŁĄKA przy szkole nr 12",
    "Łąka nad rzeką",
    "Sprzątanie łąki",
    "Żółw w parku",
    "ŻÓŁW W PARKU, drugi",
    "Ulica Kwiatowa 120",
    "Rok 2012: 5% więcej",
    '50% zniżki na "bilety"',
    "Bus_line at night",
    "Ścieżka a/b przy O'Brien",
    "Backslash \\ w tytule",
    "Zwykły tytuł",
)
SEARCHES = (
    # two letters and signs: no trigram; digits and signs compared with LIKE on PostgreSQL
    *("łą", "ŁĄ", "Łą", "ąk", "ŻÓ", "żó", "ul", "UL", "12", "20", "5%", "_l", "a/", "\\", "'B"),
    # three letters or more: the trigram indexes (PostgreSQL: where pg_trgm could be made)
    *("łąka", "ŁĄKA", "ąki", "ółw w pa", "ÓŁW W PA", "nr 12", "120", "2012", "50%", '"bilety"'),
    *("s_l", "n_d", "a/b", "o'brien", "\\ w", "ulica kwiatowa", "nothing like it"),
)


def _expected(titles: dict[int, str], words: str) -> list[int]:
    """Any part of a title, in any case: the newest first."""
    return sorted((i for i, t in titles.items() if words.lower() in t.lower()), reverse=True)


async def test_every_search_finds_what_it_found_before(world: World, db: Database) -> None:
    ids = await add_titles(db, *TITLES)
    titles = dict(zip(ids, TITLES, strict=True))
    async with db.session() as session:
        for words in SEARCHES:
            found = [i for i, _s in await search.newest_matches(session, words, [], 100)]
            assert [i for i in found if i in titles] == _expected(titles, words), words
            if session.bind is not None and session.bind.dialect.name == "postgresql":
                # PostgreSQL's search before: ILIKE with the words as a parameter.
                before = await session.exec(
                    select(Contribution.id)
                    .where(col(Contribution.title).icontains(words, autoescape=True))
                    .order_by(col(Contribution.id).desc())
                )
                assert found == list(before.all()), words


async def test_a_search_of_digits_on_the_board(
    client: httpx.AsyncClient, world: World, db: Database
) -> None:
    await add_titles(db, *TITLES)
    page = await client.get("/api/view/board", params={"q": "12"}, headers=auth(COORDINATOR))
    assert page.status_code == 200
    for title in ("ŁĄKA przy szkole nr 12", "Ulica Kwiatowa 120", "Rok 2012: 5% więcej"):
        assert title in page.text
    assert "Łąka nad rzeką" not in page.text and "Żółw w parku" not in page.text


async def _fill(db: Database, count: int, seed: int) -> list[int]:
    """`count` contributions of every kind and status, in every area, none and every group."""
    rng = random.Random(seed)
    async with db.session() as session:
        areas = [a for a in (await session.exec(select(ProblemArea.id))).all()] + [None]
        groups = [g for g in (await session.exec(select(Group.id))).all()] + [None]
        rows = [
            Contribution(
                kind=rng.choice([k.value for k in ContributionKind]),
                title=f"Contribution number {n} about something local",
                details={},
                area_id=rng.choice(areas),
                group_id=rng.choice(groups),
                status=rng.choice(["new", "new", "discussion", "accepted", "done", "rejected"]),
                support_count=rng.randrange(0, 4),  # ties: the order falls back on ids
            )
            for n in range(count)
        ]
        session.add_all(rows)
        await session.flush()
        return [c.id for c in rows if c.id is not None]


async def test_the_kept_counts_are_the_grouped_counts(world: World, db: Database) -> None:
    await _fill(db, 400, seed=3)
    async with db.session() as session:
        by_status = await session.exec(
            select(Contribution.status, func.count()).group_by(col(Contribution.status))
        )
        assert await contribution_counts.per_status(session) == Counter(dict(by_status.all()))
        by_area_kind = await session.exec(
            select(Contribution.area_id, Contribution.kind, func.count())
            .where(col(Contribution.status) != "rejected")
            .group_by(col(Contribution.area_id), col(Contribution.kind))
        )
        expected = {(area, kind): n for area, kind, n in by_area_kind.all()}
        assert await contribution_counts.per_area_and_kind(session) == expected
        assert (None, "idea") in expected  # contributions with no area are counted too


async def test_the_map_of_a_tangled_programme_is_the_chats_map(world: World, db: Database) -> None:
    ids = await _fill(db, 300, seed=11)
    rng = random.Random(12)
    async with db.session() as session:
        kinds = dict((await session.exec(select(Contribution.id, Contribution.kind))).all())
        pairs: set[tuple[int, int]] = set()
        while len(pairs) < 450:
            a, b = sorted(rng.sample(ids, 2))
            if kinds[a] != kinds[b]:
                pairs.add((a, b))
        session.add_all(ContributionLink(first_id=a, second_id=b) for a, b in pairs)
    panel = await map_checked_against_rules(db)
    assert sum(len(a.chains) for a in panel) >= 6  # chains, barriers and resources were there
    assert any(c.barrier and c.resource for a in panel for c in a.chains)


# --- PostgreSQL's plans ---------------------------------------------------------------

postgresql = pytest.mark.skipif(not PG_URL, reason="PostgreSQL's indexes and plans")


@contextmanager
def _statements(db: Database) -> Iterator[list[tuple[str, Any]]]:
    seen: list[tuple[str, Any]] = []

    def keep(_conn: Any, _cursor: Any, statement: str, parameters: Any, *_args: Any) -> None:
        seen.append((statement, parameters))

    event.listen(db.engine.sync_engine, "before_cursor_execute", keep)
    try:
        yield seen
    finally:
        event.remove(db.engine.sync_engine, "before_cursor_execute", keep)


async def _plan(session: AsyncSession, statement: str, parameters: Any) -> str:
    connection = await session.connection()
    if connection.dialect.name == "sqlite":  # (id, parent, notused, detail) per step
        found = await connection.exec_driver_sql("EXPLAIN QUERY PLAN " + statement, parameters)
        return "\n".join(row[3] for row in found.all())
    found = await connection.exec_driver_sql("EXPLAIN " + statement, parameters)
    return "\n".join(row[0] for row in found.all())


async def _analyze(db: Database) -> None:
    async with db.engine.connect() as connection:
        await connection.execution_options(isolation_level="AUTOCOMMIT")
        await connection.execute(text("VACUUM ANALYZE contributions"))


async def _search_plans(db: Database, words: str) -> list[str]:
    with _statements(db) as seen:
        async with db.session() as session:
            await search.newest_matches(session, words, [], queries.COUNT_CAP)
            searches = [(s, p) for s, p in seen if "title" in s]
            return [await _plan(session, s, p) for s, p in searches]


@postgresql
async def test_postgresql_searches_three_letters_through_the_trigram_index(
    world: World, db: Database
) -> None:
    await _fill(db, 3000, seed=5)
    await _analyze(db)
    (plan,) = await _search_plans(db, "number 1234")
    assert "ix_contrib_title_trgm" in plan
    # Two letters have no trigram: the newest titles are read until enough match.
    (plan,) = await _search_plans(db, "12")
    assert "ix_contrib_title_trgm" not in plan


@postgresql
async def test_postgresql_plans_each_search_for_its_words(world: World, db: Database) -> None:
    """A prepared statement's generic plan does not know the words: it would read the trigram
    index for a search that most titles match (or that has no trigram), all of them."""
    await _fill(db, 300, seed=9)
    async with db.session() as session:  # one connection: its prepared statements
        for _ in range(8):
            await search.newest_matches(session, "number 1", [], queries.COUNT_CAP)
        plans = await session.exec(
            text(
                "SELECT generic_plans, custom_plans FROM pg_prepared_statements "
                "WHERE statement LIKE '%ILIKE%' AND statement NOT LIKE '%pg_prepared%'"
            )
        )
        counted = plans.all()
    assert counted and all(generic == 0 and custom >= 8 for generic, custom in counted)


@postgresql
async def test_postgresql_counts_a_groups_board_from_its_index(world: World, db: Database) -> None:
    await _fill(db, 3000, seed=7)
    await _analyze(db)
    assert world.own_group.id is not None
    filters = queries.BoardFilters(group_id=world.own_group.id)
    with _statements(db) as seen:
        async with db.session() as session:
            columns, counts, _capped = await queries.board(session, filters)
            (chosen,) = [(s, p) for s, p in seen if "group_id =" in s]
            plan = await _plan(session, *chosen)
    assert "Index Only Scan" in plan and "ix_contrib_group_id" in plan
    assert sum(counts.values()) >= sum(len(cards) for cards in columns.values()) > 0


async def test_one_kind_in_one_area_by_support_reads_a_pages_rows_only(
    world: World, db: Database
) -> None:
    """/browse with a kind and an area, most supported first: the (area, kind, support, id)
    index gives exactly the page's rows in order, whatever the planner knows. (Before it,
    PostgreSQL read the area's ideas from an index of the area's contributions, skipping the
    other kinds; without statistics, as after a bulk import, it read all ~4,000 ideas of an
    area, joined each to its author and group and sorted them: 20 ms for 6 cards.)"""
    await _fill(db, 3000, seed=5)
    if not db.url.startswith("sqlite"):
        await _analyze(db)
    async with db.session() as session:
        area = (await session.exec(select(ProblemArea.id))).first()
    filters = contributions_service.Filters(kind="idea", area_id=area, by_support=True)
    with _statements(db) as seen:
        async with db.session() as session:
            page = await contributions_service.browse(session, filters)
            (chosen,) = [(s, p) for s, p in seen if "ORDER BY contributions.support_count" in s]
            plan = await _plan(session, *chosen)
    assert "ix_contrib_area_kind_support" in plan
    assert "Sort" not in plan and "TEMP B-TREE" not in plan  # already in order: no sorting
    supports = [card.contribution.support_count for card in page.cards]
    assert supports == sorted(supports, reverse=True)
    assert len(page.cards) == contributions_service.PAGE_SIZE
