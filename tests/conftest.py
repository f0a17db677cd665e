"""Fixtures: a real database (SQLite file, or PostgreSQL via TEST_DATABASE_URL) per test.

Tests that start the real bot process are marked `slow`: every user of the e2e_database
fixture, and the CLI tests that run `leaders-bot` (marked in their modules). A bare
`uv run pytest` leaves them out; `uv run pytest -m slow` runs only them, and naming files or
tests (`uv run pytest tests/e2e/test_meetings_e2e.py`) runs what is named.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from sqlalchemy import make_url, text
from sqlmodel import SQLModel

import models  # noqa: F401
from bot import i18n
from bot.config import Settings
from bot.db import Database, migrate
from tests.harness import Harness, start_harness

TOKEN = "123456:TEST-token-that-must-never-be-logged"
_BASE_PG_URL = os.environ.get("TEST_DATABASE_URL")
# Under pytest-xdist (`-n`), each worker gets a PostgreSQL database of its own
# (<name>_gw0, <name>_gw1, …), created on first use: tests truncate tables between them.
_WORKER = os.environ.get("PYTEST_XDIST_WORKER")


def _worker_url(base: str | None) -> str | None:
    if not base or not _WORKER:
        return base
    url = make_url(base)
    return url.set(database=f"{url.database}_{_WORKER}").render_as_string(hide_password=False)


PG_URL = _worker_url(_BASE_PG_URL)


def _create_worker_database() -> None:
    """CREATE DATABASE <name>_<worker> on the server of TEST_DATABASE_URL, if missing."""
    import asyncio

    import asyncpg

    assert _BASE_PG_URL and PG_URL
    base, name = make_url(_BASE_PG_URL), make_url(PG_URL).database

    async def run() -> None:
        conn = await asyncpg.connect(
            host=base.host,
            port=base.port,
            user=base.username,
            password=base.password,
            database=base.database,
        )
        try:
            exists = await conn.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", name)
            if not exists:
                await conn.execute(f'CREATE DATABASE "{name}"')
        finally:
            await conn.close()

    asyncio.run(run())


@pytest.hookimpl(tryfirst=True)  # before `-m` deselects by marker
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        if "e2e_database" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.slow)
    slow = [item for item in items if item.get_closest_marker("slow") is not None]
    if not slow or config.option.markexpr or config.args_source == pytest.Config.ArgsSource.ARGS:
        return  # `-m` chooses, or files/tests were named
    config.hook.pytest_deselected(items=slow)
    chosen = set(slow)
    items[:] = [item for item in items if item not in chosen]


@pytest.fixture(scope="session")
def _template_db(tmp_path_factory: pytest.TempPathFactory) -> str:
    """Migrate once per session; tests get a copy (SQLite) or truncated tables (PG)."""
    if PG_URL:
        import asyncio

        if PG_URL != _BASE_PG_URL:
            _create_worker_database()

        async def reset() -> None:
            database = Database(PG_URL)
            async with database.engine.begin() as conn:
                await conn.execute(text("DROP SCHEMA public CASCADE"))
                await conn.execute(text("CREATE SCHEMA public"))
            await database.dispose()

        asyncio.run(reset())
        migrate(PG_URL)
        return PG_URL
    path = tmp_path_factory.mktemp("template") / "template.db"
    url = f"sqlite+aiosqlite:///{path}"
    migrate(url)
    return str(path)


@pytest.fixture
def database_url(_template_db: str, tmp_path: Path) -> Iterator[str]:
    if PG_URL:
        yield PG_URL
        return
    target = tmp_path / "bot.db"
    shutil.copy(_template_db, target)
    yield f"sqlite+aiosqlite:///{target}"


# What TRUNCATE ... RESTART IDENTITY does, in one round trip and 5-10 ms instead of 40-50 (a
# TRUNCATE makes new files for every table; these tables hold a few rows). Foreign keys are
# not checked while deleting (replication role), so the order does not matter.
_EMPTY_EVERY_TABLE = (
    "DO $$ BEGIN SET LOCAL session_replication_role = replica; "
    + " ".join(f'DELETE FROM "{t.name}";' for t in SQLModel.metadata.sorted_tables)
    + " PERFORM setval(c.oid, 1, false) FROM pg_class c JOIN pg_namespace n"
    " ON n.oid = c.relnamespace WHERE c.relkind = 'S' AND n.nspname = current_schema();"
    " END $$"
)


@pytest.fixture
async def db(database_url: str) -> AsyncIterator[Database]:
    database = Database(database_url)
    if PG_URL:
        async with database.engine.begin() as conn:
            await conn.exec_driver_sql(_EMPTY_EVERY_TABLE)
    yield database
    await database.dispose()


@pytest.fixture
def settings(database_url: str) -> Settings:
    i18n.setup("pl", "Europe/Warsaw")
    return Settings(
        telegram_bot_token=TOKEN,  # type: ignore[arg-type]
        database_url=database_url,
        bot_coordinators=(900001,),
        telegram_api_url="http://127.0.0.1:9",
    )


@pytest.fixture
async def harness(settings: Settings, db: Database) -> AsyncIterator[Harness]:
    running = await start_harness(settings, db)
    yield running
    await running.app.shutdown()
