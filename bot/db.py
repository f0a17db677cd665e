"""Engine, sessions and migrations: one place that knows SQLite from PostgreSQL."""

from __future__ import annotations

import ast
import asyncio
import logging
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager, suppress
from contextvars import ContextVar
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import event, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DisconnectionError
from sqlalchemy.ext.asyncio import (
    AsyncConnection,
    AsyncEngine,
    async_sessionmaker,
    create_async_engine,
)
from sqlmodel.ext.asyncio.session import AsyncSession

if TYPE_CHECKING:
    from alembic.config import Config

log = logging.getLogger(__name__)
ROOT = Path(__file__).resolve().parent.parent
MIGRATIONS = ROOT / "models" / "migrations"


def normalise_url(url: str) -> str:
    """Accept plain sqlite:// and postgresql:// URLs and pick the async drivers."""
    parsed = make_url(url)
    if parsed.drivername in ("sqlite", "sqlite+pysqlite"):
        parsed = parsed.set(drivername="sqlite+aiosqlite")
    elif parsed.drivername in ("postgresql", "postgres", "postgresql+psycopg2"):
        parsed = parsed.set(drivername="postgresql+asyncpg")
    return parsed.render_as_string(hide_password=False)


def is_sqlite(url: str) -> bool:
    return make_url(url).get_backend_name() == "sqlite"


def ensure_sqlite_dir(url: str) -> None:
    """SQLite will not create the folder of its file (the default lives under ./data)."""
    if is_sqlite(url):
        database = make_url(url).database
        if database and database != ":memory:":
            Path(database).expanduser().parent.mkdir(parents=True, exist_ok=True)


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    # No waiting inside SQLite (it would block the event loop): bot/sqlite_inline.py retries.
    cursor.execute("PRAGMA busy_timeout=0")
    cursor.close()


def create_engine(url: str, **kwargs: Any) -> AsyncEngine:
    url = normalise_url(url)
    ensure_sqlite_dir(url)
    if is_sqlite(url):
        from bot import sqlite_inline

        connect_args = {"async_creator_fn": sqlite_inline.connect, **kwargs.pop("connect_args", {})}
        engine = create_async_engine(url, connect_args=connect_args, **kwargs)
        event.listen(engine.sync_engine, "connect", _sqlite_pragmas)
        return engine
    engine = create_async_engine(url, **kwargs)
    if "pool_pre_ping" not in kwargs:
        _ping_after_idle(engine)
    return engine


IDLE_BEFORE_PING = 10.0


def _ping_after_idle(engine: AsyncEngine) -> None:
    """pool_pre_ping, but only for a connection that sat unused for a while.

    A ping per checkout is a round trip per checkout, a good part of a busy bot's time on
    PostgreSQL. Connections in steady use are alive; one idle for seconds may
    have been dropped (server restart, network), and is tested and replaced as pre-ping would.
    """
    pool = engine.sync_engine.pool

    @event.listens_for(pool, "checkin")
    def _checked_in(_dbapi: Any, record: Any) -> None:
        record.info["idle_since"] = time.monotonic()

    @event.listens_for(pool, "checkout")
    def _checked_out(dbapi_connection: Any, record: Any, _proxy: Any) -> None:
        since = record.info.get("idle_since")
        if since is None or time.monotonic() - since < IDLE_BEFORE_PING:
            return
        try:
            dbapi_connection.ping()
        except Exception as error:
            raise DisconnectionError("connection lost while idle") from error


SessionFactory = async_sessionmaker[AsyncSession]


def session_factory(engine: AsyncEngine) -> SessionFactory:
    return async_sessionmaker(engine, class_=AsyncSession, expire_on_commit=False)


class _Unit:
    """One update's database connection and session, shared by its `Database.session()`
    blocks (see `Database.unit`)."""

    __slots__ = ("busy", "connection", "database", "session", "task")

    def __init__(self, database: Database, task: asyncio.Task[Any] | None) -> None:
        self.database = database
        self.task = task
        self.connection: AsyncConnection | None = None
        self.session: AsyncSession | None = None
        self.busy = False

    def serves(self, database: Database) -> bool:
        """This block may use the unit: same database, same task, no block already open."""
        return self.database is database and not self.busy and self.task is asyncio.current_task()

    async def open(self) -> AsyncSession:
        if self.session is None:
            self.connection = await self.database.engine.connect()
            self.session = self.database.sessions(bind=self.connection)
        return self.session

    async def close(self) -> None:
        session, connection = self.session, self.connection
        self.session = self.connection = None
        try:
            if session is not None:
                await session.close()
        finally:
            if connection is not None:
                await connection.close()


_UNIT: ContextVar[_Unit | None] = ContextVar("database_unit", default=None)


@asynccontextmanager
async def _unit_block(unit: _Unit, *, commit: bool) -> AsyncIterator[AsyncSession]:
    """A block on the update's shared session: committed at its end if `commit`, rolled
    back on error."""
    session = await unit.open()
    unit.busy = True
    try:
        yield session
        if commit:
            await session.commit()
    except BaseException:
        try:
            await session.rollback()
        except BaseException:
            # A broken connection: drop it; the next block of the update takes a new one.
            with suppress(Exception):
                await unit.close()
            raise
        raise
    finally:
        # Loaded objects stay readable (expire_on_commit=False), as after a session's close.
        if unit.session is not None:
            unit.session.expunge_all()
        unit.busy = False


class Database:
    """The engine and its session factory, shared by handlers, jobs and the CLI."""

    def __init__(self, url: str, **engine_kwargs: Any) -> None:
        self.url = normalise_url(url)
        self.engine = create_engine(self.url, **engine_kwargs)
        self.sessions = session_factory(self.engine)

    @asynccontextmanager
    async def session(self) -> AsyncIterator[AsyncSession]:
        """One unit of work: committed on success (before the block's caller goes on, so
        "commit, then send" holds), rolled back on error.

        Inside `unit()` (one update) the blocks share one connection and one session: no
        pool checkout, no new session per block. Each block is still its own transaction,
        and starts with an empty identity map, exactly like a new session. A block opened
        inside another one, or from another task, gets a session of its own as before.
        """
        unit = _UNIT.get()
        if unit is None or not unit.serves(self):
            async with self.sessions() as session:
                try:
                    yield session
                    await session.commit()
                except BaseException:
                    await session.rollback()
                    raise
            return
        async with _unit_block(unit, commit=True) as session:
            yield session

    @asynccontextmanager
    async def reader(self) -> AsyncIterator[AsyncSession]:
        """A session for reading only (loading the member of an update).

        Inside `unit()` it is not committed: its transaction goes on into the update's next
        block, which commits it (or is rolled back when the update ends), so a PostgreSQL
        update pays one BEGIN/COMMIT pair fewer. Outside, it is `session()`. Writes made
        here would be committed only by a later block: don't.
        """
        unit = _UNIT.get()
        if unit is None or not unit.serves(self):
            async with self.session() as session:
                yield session
            return
        async with _unit_block(unit, commit=False) as session:
            yield session

    @asynccontextmanager
    async def unit(self) -> AsyncIterator[None]:
        """The scope of one update: its `session()` blocks share one connection checkout.

        Re-entrant (an inner call changes nothing). Tasks started inside it don't share it.
        """
        current, task = _UNIT.get(), asyncio.current_task()
        if current is not None and current.database is self and current.task is task:
            yield
            return
        unit = _Unit(self, task)
        token = _UNIT.set(unit)
        try:
            yield
        finally:
            _UNIT.reset(token)
            try:
                await unit.close()
            except Exception:  # the update itself is done; the pool replaces the connection
                log.warning("could not return an update's database connection", exc_info=True)

    async def dispose(self) -> None:
        await self.engine.dispose()


def alembic_config(url: str) -> Config:
    # Alembic (with Mako and Pygments) is imported only when migrations really run: it is
    # most of the bot's start-up time otherwise.
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("sqlalchemy.url", normalise_url(url).replace("%", "%%"))
    return config


def migrate(url: str, revision: str = "head") -> None:
    """Apply migrations synchronously (call outside a running event loop)."""
    ensure_sqlite_dir(normalise_url(url))
    if revision == "head" and _at_head(url):
        return
    from alembic import command

    command.upgrade(alembic_config(url), revision)


def downgrade(url: str, revision: str) -> None:
    from alembic import command

    command.downgrade(alembic_config(url), revision)


def script_head() -> str | None:
    """The head revision, read from the version files' source without importing Alembic.

    None when it cannot be told for sure (several heads, an unusual file): then Alembic decides.
    """
    revisions: set[str] = set()
    parents: set[str] = set()
    for path in (MIGRATIONS / "versions").glob("*.py"):
        values: dict[str, Any] = {}
        for node in ast.parse(path.read_text(encoding="utf-8")).body:
            target: ast.expr
            if isinstance(node, ast.AnnAssign) and node.value is not None:
                target, value = node.target, node.value
            elif isinstance(node, ast.Assign) and len(node.targets) == 1:
                target, value = node.targets[0], node.value
            else:
                continue
            if isinstance(target, ast.Name) and target.id in ("revision", "down_revision"):
                try:
                    values[target.id] = ast.literal_eval(value)
                except ValueError:
                    return None
        revision, parent = values.get("revision"), values.get("down_revision")
        if not isinstance(revision, str):
            return None
        revisions.add(revision)
        if isinstance(parent, str):
            parents.add(parent)
        elif isinstance(parent, tuple | list):
            parents.update(parent)
    heads = revisions - parents
    return heads.pop() if len(heads) == 1 else None


async def stored_revisions(url: str) -> list[str]:
    """The rows of alembic_version ([] for a new database)."""
    engine = create_engine(url)
    try:
        async with engine.connect() as conn:
            rows = await conn.execute(text("SELECT version_num FROM alembic_version"))
            return [row[0] for row in rows]
    except Exception:  # no such table yet, among others: let Alembic look properly
        return []
    finally:
        await engine.dispose()


def _at_head(url: str) -> bool:
    """Cheap check that lets a restart skip Alembic when nothing is pending."""
    head = script_head()
    return head is not None and asyncio.run(stored_revisions(url)) == [head]


async def current_revision(database: Database) -> str | None:
    from alembic.runtime.migration import MigrationContext

    async with database.engine.connect() as conn:
        return await conn.run_sync(lambda c: MigrationContext.configure(c).get_current_revision())


def head_revision() -> str | None:
    from alembic.script import ScriptDirectory

    return ScriptDirectory.from_config(alembic_config("sqlite://")).get_current_head()
