"""python-telegram-bot persistence in our own database (conversation states, user data).

PTB only flushes every `update_interval`; the application flushes after every update
instead (see app.py), so a crash loses at most the update being handled.

Most updates change nothing here, so the persistence remembers what the table holds (it is
the only writer: one bot process polls at a time) and skips unchanged rows without a query.
The flush after an update runs in `batch()`: what changed is written in one transaction, on
the update's own database connection (bot/db.py `unit`), and nothing at all when nothing did.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import AsyncIterator, MutableMapping
from contextlib import asynccontextmanager
from copy import deepcopy
from typing import Any, TypeAlias

from sqlalchemy import Delete, Insert, Update, delete, insert, text, update
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession
from telegram.ext import BasePersistence, PersistenceInput

from bot.db import Database
from models import BotState, utcnow

# The shapes BasePersistence uses (PTB keeps its own aliases in a private module).
ConversationKey: TypeAlias = tuple[int | str, ...]
ConversationDict: TypeAlias = MutableMapping[ConversationKey, object]
CDCData: TypeAlias = tuple[list[tuple[str, float, dict[str, Any]]], dict[str, str]]

USER = "user"
CONVERSATION = "conv:"


class DatabasePersistence(BasePersistence[dict[str, Any], dict[str, Any], dict[str, Any]]):
    def __init__(self, database: Database) -> None:
        super().__init__(
            store_data=PersistenceInput(
                bot_data=False, chat_data=False, user_data=True, callback_data=False
            ),
            update_interval=3600,
        )
        self.database = database
        # (kind, key) -> the data the table holds (None: no row), for kinds read in full.
        self._stored: dict[tuple[str, str], Any] = {}
        self._loaded: set[str] = set()
        # Inside batch(): (kind, key) -> data to write when the batch ends.
        self._pending: dict[tuple[str, str], Any] | None = None
        # Every conversation's stored states, read at the first get_conversations.
        self._conversation_rows: defaultdict[str, list[BotState]] | None = None

    async def _rows(self, kind: str) -> list[BotState]:
        async with self.database.session() as session:
            rows = list((await session.exec(select(BotState).where(BotState.kind == kind))).all())
        for row in rows:
            self._stored[(kind, row.key)] = deepcopy(row.data)
        self._loaded.add(kind)
        return rows

    async def _put(self, kind: str, key: str, data: Any) -> None:
        if kind in self._loaded and self._stored.get((kind, key)) == data:
            return
        if self._pending is not None:
            self._pending[(kind, key)] = deepcopy(data)
            return
        async with self.database.session() as session:
            await self._relaxed(session)
            await self._write_one(session, kind, key, data)
        # Remembered only once written: a failed write is tried again at the next flush.
        self._stored[(kind, key)] = deepcopy(data)

    @asynccontextmanager
    async def batch(self) -> AsyncIterator[None]:
        """Collect the writes of one flush (PTB makes them in tasks of their own) and make
        them in one transaction of the calling task when the block ends."""
        if self._pending is not None:  # already collecting
            yield
            return
        self._pending = {}
        try:
            yield
        finally:
            pending, self._pending = self._pending, None
        if not pending:
            return
        async with self.database.session() as session:
            await self._relaxed(session)
            for (kind, key), data in pending.items():
                await self._write_one(session, kind, key, data)
        self._stored.update(pending)

    async def _write_one(self, session: AsyncSession, kind: str, key: str, data: Any) -> None:
        if kind in self._loaded:
            exists = self._stored.get((kind, key)) is not None
            await self._write_known(session, kind, key, data, exists=exists)
        else:
            await self._write(session, kind, key, data)

    async def _write_known(
        self, session: AsyncSession, kind: str, key: str, data: Any, *, exists: bool
    ) -> None:
        """One statement, no read first: we know whether the row is there."""
        table = BotState.__table__  # type: ignore[attr-defined]
        where = (table.c.kind == kind) & (table.c.key == key)
        statement: Delete | Update | Insert
        if data is None:
            statement = delete(table).where(where)
        elif exists:
            statement = update(table).where(where).values(data=data, updated_at=utcnow())
        else:
            statement = insert(table).values(kind=kind, key=key, data=data, updated_at=utcnow())
        await session.exec(statement)

    async def _relaxed(self, session: AsyncSession) -> None:
        """On PostgreSQL, don't wait for this commit to reach the disk (a few ms per update).

        Only a crash of the database server itself within a fraction of a second could lose
        it, and then only the dialogue's bookkeeping: the user's data is committed by the
        handlers as usual, and onboarding's buttons resume from the database.
        """
        if self.database.engine.dialect.name == "postgresql":
            connection = await session.connection()
            await connection.execute(text("SET LOCAL synchronous_commit TO OFF"))

    async def _write(self, session: AsyncSession, kind: str, key: str, data: Any) -> None:
        row = await session.get(BotState, (kind, key))
        if data is None:
            if row is not None:
                await session.delete(row)
            return
        if row is None:
            session.add(BotState(kind=kind, key=key, data=data))
        elif row.data != data:
            row.data, row.updated_at = data, utcnow()
            session.add(row)
        await session.flush()

    # user data ---------------------------------------------------------------------------
    async def get_user_data(self) -> dict[int, dict[str, Any]]:
        result: dict[int, dict[str, Any]] = defaultdict(dict)
        for row in await self._rows(USER):
            result[int(row.key)] = dict(row.data or {})
        return result

    async def update_user_data(self, user_id: int, data: dict[str, Any]) -> None:
        await self._put(USER, str(user_id), deepcopy(data) or None)

    async def drop_user_data(self, user_id: int) -> None:
        await self._put(USER, str(user_id), None)

    async def refresh_user_data(self, user_id: int, user_data: dict[str, Any]) -> None:
        return None

    # conversations -----------------------------------------------------------------------
    async def get_conversations(self, name: str) -> ConversationDict:
        if self._conversation_rows is None:
            # PTB asks once per ConversationHandler at initialize (22 of them): read the
            # states of all of them in one query, not one each.
            self._conversation_rows = defaultdict(list)
            async with self.database.session() as session:
                found = await session.exec(
                    select(BotState).where(col(BotState.kind).startswith(CONVERSATION))
                )
                for row in found.all():
                    self._conversation_rows[row.kind].append(row)
        kind = CONVERSATION + name
        if kind in self._loaded:  # asked again: read what the table holds now
            rows = await self._rows(kind)
        else:
            rows = self._conversation_rows.pop(kind, [])
            for row in rows:
                self._stored[(kind, row.key)] = deepcopy(row.data)
            self._loaded.add(kind)
        conversations: ConversationDict = {}
        for row in rows:
            key: ConversationKey = tuple(json.loads(row.key))
            conversations[key] = row.data
        return conversations

    async def update_conversation(
        self, name: str, key: ConversationKey, new_state: object | None
    ) -> None:
        await self._put(CONVERSATION + name, json.dumps(list(key)), new_state)

    async def drop_conversations_of(self, telegram_id: int) -> None:
        """Forget every conversation of a user (used when they erase their data)."""
        async with self.database.session() as session:
            rows = (
                await session.exec(
                    select(BotState).where(col(BotState.kind).startswith(CONVERSATION))
                )
            ).all()
            gone = [(USER, str(telegram_id))]
            for row in rows:
                if telegram_id in json.loads(row.key):
                    await session.delete(row)
                    gone.append((row.kind, row.key))
            await session.exec(
                delete(BotState).where(
                    col(BotState.kind) == USER, col(BotState.key) == str(telegram_id)
                )
            )
        for entry in gone:
            self._stored[entry] = None

    # unused stores -----------------------------------------------------------------------
    async def get_chat_data(self) -> dict[int, dict[str, Any]]:
        return defaultdict(dict)

    async def update_chat_data(self, chat_id: int, data: dict[str, Any]) -> None:
        return None

    async def drop_chat_data(self, chat_id: int) -> None:
        return None

    async def refresh_chat_data(self, chat_id: int, chat_data: dict[str, Any]) -> None:
        return None

    async def get_bot_data(self) -> dict[str, Any]:
        return {}

    async def update_bot_data(self, data: dict[str, Any]) -> None:
        return None

    async def refresh_bot_data(self, bot_data: dict[str, Any]) -> None:
        return None

    async def get_callback_data(self) -> CDCData | None:
        return None

    async def update_callback_data(self, data: CDCData) -> None:
        return None

    async def flush(self) -> None:
        return None
