"""Migration 0010 (the panel's indexes on PostgreSQL) upgrades and downgrades on both
databases; where pg_trgm cannot be created, the upgrade still succeeds, says so, and the
panel searches without the index."""

from __future__ import annotations

import asyncio
import logging
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import asyncpg
import pytest
from sqlalchemy import make_url

from bot.db import Database, downgrade, head_revision, migrate
from bot.panel import search
from models import Contribution
from tests.conftest import PG_URL

INDEXES = "SELECT indexdef FROM pg_indexes WHERE tablename = 'contributions' AND indexname = $1"


@pytest.mark.skipif(bool(PG_URL), reason="the SQLite side")
def test_sqlite_goes_down_to_0009_and_up_again(tmp_path: Path) -> None:
    path = tmp_path / "bot.db"
    url = f"sqlite+aiosqlite:///{path}"
    migrate(url)
    downgrade(url, "0009")
    migrate(url)
    with sqlite3.connect(path) as conn:
        assert conn.execute("SELECT version_num FROM alembic_version").fetchone() == (
            head_revision(),
        )
        (index,) = conn.execute(
            "SELECT sql FROM sqlite_master WHERE name = 'ix_contrib_group_id'"
        ).fetchone()
        assert "(group_id, id)" in index  # as it was: SQLite's plans do not change


def _admin(sql: str, *args: object, database: str | None = None) -> list[asyncpg.Record]:
    assert PG_URL
    url = make_url(PG_URL)

    async def run() -> list[asyncpg.Record]:
        conn = await asyncpg.connect(
            host=url.host,
            port=url.port,
            user=url.username,
            password=url.password,
            database=database or url.database,
        )
        try:
            return list(await conn.fetch(sql, *args))
        finally:
            await conn.close()

    return asyncio.run(run())


@pytest.fixture
def scratch() -> Iterator[str]:
    """A PostgreSQL database of its own: migrations go down and up there."""
    assert PG_URL
    name = f"{make_url(PG_URL).database}_migration_0010"
    _admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    _admin(f'CREATE DATABASE "{name}"')
    yield make_url(PG_URL).set(database=name).render_as_string(hide_password=False)
    _admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _index(database: str, name: str) -> str | None:
    found = _admin(INDEXES, name, database=database)
    return found[0]["indexdef"] if found else None


@pytest.mark.skipif(not PG_URL, reason="PostgreSQL's indexes")
def test_postgresql_goes_down_to_0009_and_up_again(scratch: str) -> None:
    name = make_url(scratch).database
    migrate(scratch)
    assert "gin_trgm_ops" in (_index(name, "ix_contrib_title_trgm") or "")
    assert "INCLUDE (status)" in (_index(name, "ix_contrib_group_id") or "")
    downgrade(scratch, "0009")
    assert _index(name, "ix_contrib_title_trgm") is None
    assert "INCLUDE" not in (_index(name, "ix_contrib_group_id") or "INCLUDE")
    migrate(scratch)
    assert _index(name, "ix_contrib_title_trgm") is not None


REFUSE = (
    "CREATE FUNCTION refuse_extensions() RETURNS event_trigger LANGUAGE plpgsql AS $$ BEGIN "
    "RAISE EXCEPTION 'permission denied to create extension' USING ERRCODE = '42501'; END $$",
    "CREATE EVENT TRIGGER refuse_extensions ON ddl_command_start "
    "WHEN TAG IN ('CREATE EXTENSION') EXECUTE FUNCTION refuse_extensions()",
)


@pytest.mark.skipif(not PG_URL, reason="PostgreSQL's extensions")
def test_without_pg_trgm_the_upgrade_goes_on_and_titles_are_still_found(
    scratch: str, caplog: pytest.LogCaptureFixture
) -> None:
    name = make_url(scratch).database
    if not _admin("SELECT rolsuper FROM pg_roles WHERE rolname = current_user")[0][0]:
        pytest.skip("refusing CREATE EXTENSION here takes an event trigger (a superuser's)")
    if _admin("SELECT 1 FROM pg_extension WHERE extname = 'pg_trgm'", database=name):
        pytest.skip("pg_trgm comes with every new database on this server")
    for statement in REFUSE:
        _admin(statement, database=name)
    with caplog.at_level(logging.WARNING):
        migrate(scratch)
    assert "cannot create pg_trgm" in caplog.text
    assert _index(name, "ix_contrib_title_trgm") is None
    assert _admin("SELECT version_num FROM alembic_version", database=name)[0][0] == head_revision()

    async def found() -> list[int]:
        db = Database(scratch)
        try:
            async with db.session() as session:
                session.add(Contribution(kind="idea", title="Łąka przy szkole", details={}))
                session.add(Contribution(kind="idea", title="Boisko", details={}))
            async with db.session() as session:
                return [i for i, _s in await search.newest_matches(session, "ŁĄKA", [], 10)]
        finally:
            await db.dispose()

    assert len(asyncio.run(found())) == 1
