"""Connections: PostgreSQL ones dropped while idle are replaced; SQLite lock waits don't block."""

from __future__ import annotations

import asyncio
import os

import pytest
from sqlalchemy import text

from bot import db as db_module
from bot.db import Database
from models import Member


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
