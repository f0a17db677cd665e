"""Database invariants for the stress tests: table digests and orphan rows, on any backend."""

from __future__ import annotations

import functools
import hashlib

from sqlalchemy import and_, func, select
from sqlmodel import SQLModel

import models  # noqa: F401  (registers every table)
from bot.db import Database

# Conversation states and user data: bookkeeping of the dialogue, not the user's data.
BOOKKEEPING = frozenset({"bot_state"})


async def snapshot(db: Database, exclude: frozenset[str] = BOOKKEEPING) -> dict[str, str]:
    """A digest of every table's rows (in primary-key order), table by table.

    One statement for all tables: the database serialises each table's rows in key order and
    only the digests are compared, so a check around every action of the authorization
    matrix costs one round trip, not one per table."""
    tables = [t for t in SQLModel.metadata.sorted_tables if t.name not in exclude]
    async with db.engine.connect() as conn:
        statement = _snapshot_statement(conn.dialect.name, tuple(t.name for t in tables))
        row = (await conn.exec_driver_sql(statement)).one()
    return {
        table.name: hashlib.sha256(str(rows).encode()).hexdigest()[:16]
        for table, rows in zip(tables, row, strict=True)
    }


@functools.cache
def _snapshot_statement(dialect: str, names: tuple[str, ...]) -> str:
    parts = []
    for name in names:
        table = SQLModel.metadata.tables[name]
        order = ", ".join(
            f'"{c.name}"' for c in (list(table.primary_key.columns) or list(table.columns))
        )
        if dialect == "postgresql":
            parts.append(f"(SELECT string_agg(x::text, E'\\n' ORDER BY {order}) FROM \"{name}\" x)")
        else:  # SQLite: aggregates take rows in the order of the subquery
            columns = ", ".join(f'"{c.name}"' for c in table.columns)
            parts.append(
                f"(SELECT json_group_array(json_array({columns})) "
                f'FROM (SELECT * FROM "{name}" ORDER BY {order}))'
            )
    return "SELECT " + ",\n".join(parts)


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
