"""Database invariants for the stress tests: table digests and orphan rows, on any backend."""

from __future__ import annotations

import hashlib

from sqlalchemy import and_, func, select
from sqlmodel import SQLModel

import models  # noqa: F401  (registers every table)
from bot.db import Database

# Conversation states and user data: bookkeeping of the dialogue, not the user's data.
BOOKKEEPING = frozenset({"bot_state"})


async def snapshot(db: Database, exclude: frozenset[str] = BOOKKEEPING) -> dict[str, str]:
    """A digest of every table's rows (in primary-key order), table by table."""
    digests: dict[str, str] = {}
    async with db.engine.connect() as conn:
        for table in SQLModel.metadata.sorted_tables:
            if table.name in exclude:
                continue
            order = list(table.primary_key.columns) or list(table.columns)
            rows = (await conn.execute(select(table).order_by(*order))).all()
            digests[table.name] = hashlib.sha256(repr(rows).encode()).hexdigest()[:16]
    return digests


async def row_counts(db: Database) -> dict[str, int]:
    async with db.engine.connect() as conn:
        return {
            table.name: (await conn.execute(select(func.count()).select_from(table))).scalar_one()
            for table in SQLModel.metadata.sorted_tables
        }


async def orphans(db: Database) -> list[str]:
    """Rows whose foreign key points at nothing (SQLite enforces FKs only per connection)."""
    found = []
    async with db.engine.connect() as conn:
        for table in SQLModel.metadata.sorted_tables:
            for fk in table.foreign_keys:
                parent = fk.column.table
                missing = ~select(fk.column).where(fk.column == fk.parent).exists()
                query = (
                    select(func.count())
                    .select_from(table)
                    .where(and_(fk.parent.isnot(None), missing))
                )
                count = (await conn.execute(query)).scalar_one()
                if count:
                    found.append(f"{table.name}.{fk.parent.name} -> {parent.name}: {count}")
    return found


def changed(before: dict[str, str], after: dict[str, str]) -> list[str]:
    return sorted(name for name in before if before[name] != after.get(name))
