"""`contribution_counts` (migration 0011) is what counting the contributions gives, after
whatever writes to them: the bot's services, bulk inserts, edits of the area, the kind or
the status, deletions, a problem area deleted (its contributions lose their area), and on
PostgreSQL a TRUNCATE. An upgrade counts the contributions already there."""

from __future__ import annotations

import asyncio
import random
import sqlite3
from collections import Counter
from pathlib import Path

import pytest
from sqlalchemy import delete, insert, text, update
from sqlmodel import col, func, select

from bot.db import Database, downgrade, migrate
from bot.profile import apply_profile, load_profile
from bot.services import contributions as service
from bot.services.contributions import counts
from models import Contribution, ContributionCount, ProblemArea, Role
from models.base import utcnow
from tests.conftest import PG_URL
from tests.unit.test_contributions_domain import registered

STATUSES = ["new", "discussion", "accepted", "in_progress", "done", "rejected"]
KINDS = ["idea", "resource", "barrier", "experience", "cause"]


async def _counted(db: Database) -> Counter[tuple[int, str, str]]:
    """What counting every contribution gives, per (area or 0, kind, status)."""
    async with db.session() as session:
        rows = await session.exec(
            select(
                Contribution.area_id, Contribution.kind, Contribution.status, func.count()
            ).group_by(col(Contribution.area_id), col(Contribution.kind), col(Contribution.status))
        )
        return Counter({(area or 0, kind, status): n for area, kind, status, n in rows.all()})


async def _kept(db: Database) -> Counter[tuple[int, str, str]]:
    async with db.session() as session:
        rows = await session.exec(select(ContributionCount))
        kept = Counter({(r.area_key, r.kind, r.status): r.n for r in rows.all()})
    assert all(n >= 0 for n in kept.values())
    return +kept  # rows whose contributions are all gone stay, at 0


@pytest.fixture
async def world(db: Database) -> Database:
    async with db.session() as session:
        await apply_profile(session, load_profile())
    return db


async def _areas(db: Database) -> list[int | None]:
    async with db.session() as session:
        return [*(await session.exec(select(ProblemArea.id))).all(), None]


async def test_every_kind_of_write_keeps_the_counts_true(world: Database) -> None:
    db, rng = world, random.Random(5)
    areas = await _areas(db)
    now = utcnow()

    def row(n: int) -> dict[str, object]:
        return {
            "kind": rng.choice(KINDS),
            "title": f"Title {n}",
            "details": {},
            "area_id": rng.choice(areas),
            "status": rng.choice(STATUSES),
            "support_count": 0,
            "created_at": now,
            "updated_at": now,
        }

    async with db.engine.begin() as conn:  # as a bulk import would
        await conn.execute(insert(Contribution), [row(n) for n in range(300)])
    assert await _kept(db) == await _counted(db) and len(await _kept(db)) > 20

    async with db.session() as session:
        ids = list((await session.exec(select(Contribution.id))).all())
        for contribution_id in rng.sample(ids, 60):  # one by one, as the ORM does
            found = await session.get(Contribution, contribution_id)
            assert found is not None
            found.status = rng.choice(STATUSES)
            found.kind = rng.choice(KINDS)
            found.area_id = rng.choice(areas)
            found.title = "Edited"  # a column the counts do not follow
    assert await _kept(db) == await _counted(db)

    async with db.engine.begin() as conn:  # many rows in one statement
        await conn.execute(
            update(Contribution).where(col(Contribution.kind) == "idea").values(status="done")
        )
        await conn.execute(delete(Contribution).where(col(Contribution.id).in_(ids[:40])))
    assert await _kept(db) == await _counted(db)

    async with db.session() as session:  # the area's contributions get no area (SET NULL)
        area = await session.get(ProblemArea, areas[0])
        await session.delete(area)
    assert await _kept(db) == await _counted(db)
    assert (areas[0], "idea", "done") not in {k for k, n in (await _kept(db)).items() if n}


async def test_the_services_moves_and_withdrawals_show_in_the_counts(world: Database) -> None:
    db = world
    coordinator = await registered(db, 701, Role.COORDINATOR)
    async with db.session() as session:
        area = (await session.exec(select(ProblemArea))).first()
        assert area is not None
        idea = Contribution(kind="idea", title="Kawiarenka", details={}, area_id=area.id)
        mine = Contribution(kind="idea", title="Moja", details={}, author_id=coordinator.id)
        session.add_all([idea, mine])
    async with db.session() as session:
        assert await counts.per_status(session) == Counter({"new": 2})
        assert await counts.per_area_and_kind(session) == {(area.id, "idea"): 1, (None, "idea"): 1}
        assert idea.id is not None and mine.id is not None
        await service.set_status(session, coordinator, idea.id, "discussion")
        await service.withdraw(session, coordinator, mine.id)
    async with db.session() as session:
        assert await counts.per_status(session) == Counter({"discussion": 1})
        await service.set_status(session, coordinator, idea.id, "rejected", reason="Za drogo")
    async with db.session() as session:
        assert await counts.per_status(session) == Counter({"rejected": 1})
        assert await counts.per_area_and_kind(session) == {}  # the map leaves out the rejected
    assert await _kept(db) == await _counted(db)


@pytest.mark.skipif(not PG_URL, reason="PostgreSQL's TRUNCATE")
async def test_a_truncate_empties_the_counts(world: Database) -> None:
    async with world.session() as session:
        session.add(Contribution(kind="idea", title="Boisko", details={}))
    async with world.engine.begin() as conn:
        await conn.execute(text("TRUNCATE contributions CASCADE"))
    assert await _kept(world) == Counter() == await _counted(world)


@pytest.mark.skipif(not PG_URL, reason="PostgreSQL's row locks")
async def test_opposite_moves_at_once_never_deadlock(world: Database) -> None:
    """Four connections moving contributions between the same two statuses, two in each
    direction, at once. Each move takes the two counts' rows in the same order, so none waits
    for another in a circle. (Taken old row first, new row second, a quarter of such moves
    were aborted by PostgreSQL's deadlock detector, each after a second's wait.)"""
    async with world.session() as session:
        four = [Contribution(kind="idea", title=t, details={}) for t in "ABCD"]
        four[1].status = four[3].status = "done"
        session.add_all(four)

    async def move(contribution_id: int | None, start: str) -> None:
        statuses = ("done", "new") if start == "new" else ("new", "done")
        for n in range(100):
            async with world.engine.begin() as conn:
                await conn.execute(
                    update(Contribution)
                    .where(col(Contribution.id) == contribution_id)
                    .values(status=statuses[n % 2])
                )

    await asyncio.gather(*(move(c.id, c.status) for c in four))
    assert (
        await _kept(world)
        == await _counted(world)
        == Counter({(0, "idea", "new"): 2, (0, "idea", "done"): 2})
    )


@pytest.mark.skipif(bool(PG_URL), reason="the SQLite side; PostgreSQL's in the test below")
def test_an_upgrade_counts_what_is_there_and_a_downgrade_leaves_no_trigger(tmp_path: Path) -> None:
    path = tmp_path / "bot.db"
    url = f"sqlite+aiosqlite:///{path}"
    migrate(url, "0010")
    with sqlite3.connect(path) as conn:
        for title, status in (("a", "new"), ("b", "new"), ("c", "done")):
            conn.execute(
                "INSERT INTO contributions (kind, title, details, status, support_count, "
                "created_at, updated_at) VALUES ('idea', ?, '{}', ?, 0, '2026-01-01', "
                "'2026-01-01')",
                (title, status),
            )
    migrate(url)
    with sqlite3.connect(path) as conn:
        kept = conn.execute("SELECT area_key, kind, status, n FROM contribution_counts")
        assert sorted(kept.fetchall()) == [(0, "idea", "done", 1), (0, "idea", "new", 2)]
        assert _has(conn, "ix_contrib_updated") is False  # nothing reads it any more
    downgrade(url, "0010")
    with sqlite3.connect(path) as conn:
        conn.execute("DELETE FROM contributions")  # no trigger left to reach a missing table
        names = conn.execute("SELECT name FROM sqlite_master WHERE name LIKE 'contribution_c%'")
        assert names.fetchall() == []
        assert _has(conn, "ix_contrib_updated") is True


def _has(conn: sqlite3.Connection, name: str) -> bool:
    found = conn.execute("SELECT 1 FROM sqlite_master WHERE name = ?", (name,)).fetchone()
    return found is not None
