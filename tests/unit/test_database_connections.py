"""Connections: PostgreSQL ones dropped while idle are replaced; SQLite lock waits don't block;
an update's blocks share one connection and each still commits before the handler goes on."""

from __future__ import annotations

import asyncio
import os

import pytest
from sqlalchemy import event, text
from sqlmodel import select

from bot import db as db_module
from bot.db import Database
from models import Member
from tests.harness import Harness, User


@pytest.mark.skipif(not os.environ.get("TEST_DATABASE_URL"), reason="PostgreSQL only")
async def test_a_connection_dropped_while_idle_is_replaced(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(db_module, "IDLE_BEFORE_PING", 0.0)
    async with db.session() as session:
        pid = (await session.exec(text("SELECT pg_backend_pid()"))).one()[0]  # type: ignore[call-overload]
    other = Database(db.url)
    async with other.engine.begin() as conn:  # the server drops the pooled connection
        await conn.execute(text(f"SELECT pg_terminate_backend({pid})"))
    await other.dispose()
    async with db.session() as session:
        assert (await session.exec(text("SELECT 1"))).one()[0] == 1  # type: ignore[call-overload]


@pytest.mark.skipif(bool(os.environ.get("TEST_DATABASE_URL")), reason="SQLite only")
async def test_a_writer_waits_for_the_lock_without_blocking_the_loop(db: Database) -> None:
    """Another connection's write transaction holds the lock while its task awaits: the
    second writer must wait asynchronously (the event loop keeps running), then succeed."""
    ticks = 0
    holding = asyncio.Event()

    async def ticker() -> None:
        nonlocal ticks
        while True:
            ticks += 1
            await asyncio.sleep(0.01)

    async def first() -> None:
        async with db.session() as session:
            session.add(Member(telegram_id=1))
            await session.flush()  # the write lock is taken here
            holding.set()
            await asyncio.sleep(0.3)  # e.g. a network call inside the transaction

    async def second() -> None:
        await holding.wait()
        async with db.session() as session:
            session.add(Member(telegram_id=2))

    tick = asyncio.create_task(ticker())
    await asyncio.gather(first(), second())
    tick.cancel()
    assert ticks >= 10  # the loop ran while the second writer waited
    async with db.session() as session:
        assert len((await session.exec(text("SELECT id FROM members"))).all()) == 2  # type: ignore[call-overload]


# --- one connection per update (Database.unit) --------------------------------------------


async def _telegram_ids(database: Database) -> list[int]:
    async with database.session() as session:
        rows = await session.exec(select(Member.telegram_id).order_by(Member.telegram_id))  # type: ignore[call-overload]
        return list(rows.all())


async def test_a_block_inside_an_update_is_committed_when_it_ends(db: Database) -> None:
    """Handlers save, then send: what a block saved must be in the database (seen by any
    other connection) before the code after the block runs, even though the update keeps
    its connection; a failed block takes back only its own work."""
    other = Database(db.url)
    try:
        async with db.unit():
            async with db.session() as session:
                session.add(Member(telegram_id=1))
            assert await _telegram_ids(other) == [1]  # committed, not just flushed
            with pytest.raises(RuntimeError):
                async with db.session() as session:
                    session.add(Member(telegram_id=2))
                    await session.flush()
                    raise RuntimeError("the handler failed")
            async with db.session() as session:
                session.add(Member(telegram_id=3))
            assert await _telegram_ids(other) == [1, 3]
    finally:
        await other.dispose()


async def test_the_blocks_of_an_update_share_one_connection(db: Database) -> None:
    checkouts = 0

    def checked_out(*_: object) -> None:
        nonlocal checkouts
        checkouts += 1

    event.listen(db.engine.sync_engine.pool, "checkout", checked_out)
    async with db.unit():
        sessions = []
        for telegram_id in (1, 2, 3):
            async with db.session() as session:
                session.add(Member(telegram_id=telegram_id))
                sessions.append(session)
        async with db.session() as session:
            loaded = (await session.exec(select(Member).where(Member.telegram_id == 1))).one()
    assert checkouts == 1
    assert len(set(map(id, sessions))) == 1
    # Each block starts afresh, as a new session did: what was loaded stays readable.
    assert loaded.telegram_id == 1 and loaded not in session
    event.remove(db.engine.sync_engine.pool, "checkout", checked_out)


async def test_nested_blocks_and_tasks_get_sessions_of_their_own(db: Database) -> None:
    """A block inside a block, or a task started during the update (a broadcast), must not
    commit or close the update's session under its feet."""
    async with db.unit():
        async with db.session() as outer:
            async with db.session() as inner:
                assert inner is not outer
            in_task = asyncio.create_task(_session_of(db))
            assert await in_task is not outer
        async with db.session() as again:
            assert again is outer


async def _session_of(database: Database) -> object:
    async with database.session() as session:
        return session


async def test_an_update_uses_one_connection_and_flushes_nothing_unchanged(
    harness: Harness, db: Database
) -> None:
    """The consent step saves the member, and the persistence writes the new dialogue
    state: one connection checkout for all of it; a /help that changes nothing writes no
    dialogue state at all."""
    user = User(601, language_code="en")
    await harness.send(user, "/start")
    counts: dict[str, int] = {"checkouts": 0, "state writes": 0}

    def checked_out(*_: object) -> None:
        counts["checkouts"] += 1

    def executed(_conn: object, _cursor: object, statement: str, *_: object) -> None:
        if "bot_state" in statement and not statement.lstrip().upper().startswith("SELECT"):
            counts["state writes"] += 1

    event.listen(db.engine.sync_engine.pool, "checkout", checked_out)
    event.listen(db.engine.sync_engine, "before_cursor_execute", executed)
    calls = await harness.press(user, harness.last(601).button("agree"))
    assert "name" in harness.texts(calls).lower()
    assert counts == {"checkouts": 1, "state writes": 1}
    async with db.session() as session:
        member = (await session.exec(select(Member).where(Member.telegram_id == 601))).one()
    assert member.consent_at is not None
    counts.update({"checkouts": 0, "state writes": 0})
    await harness.send(user, "/help")
    await harness.send(user, "/help")
    assert counts["state writes"] == 0 and counts["checkouts"] == 2
    event.remove(db.engine.sync_engine.pool, "checkout", checked_out)
    event.remove(db.engine.sync_engine, "before_cursor_execute", executed)


async def test_a_read_goes_on_into_the_next_block_and_commits_with_it(db: Database) -> None:
    """Loading the member opens no transaction of its own: the handler's block carries it on
    and commits once (what that block saves is committed all the same)."""
    commits = 0

    def committed(*_: object) -> None:
        nonlocal commits
        commits += 1

    other = Database(db.url)
    event.listen(db.engine.sync_engine, "commit", committed)
    try:
        async with db.unit():
            async with db.reader() as session:
                assert (await session.exec(select(Member))).all() == []
            async with db.session() as session:
                session.add(Member(telegram_id=7))
            assert await _telegram_ids(other) == [7]
        assert commits == 1
    finally:
        event.remove(db.engine.sync_engine, "commit", committed)
        await other.dispose()
