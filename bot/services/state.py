"""Small facts the bot remembers between runs (e.g. its own username for the CLI)."""

from __future__ import annotations

from typing import Any

from sqlmodel.ext.asyncio.session import AsyncSession

from models import BotState, utcnow


async def remember(session: AsyncSession, kind: str, key: str, value: Any) -> None:
    row = await session.get(BotState, (kind, key))
    if row is None:
        session.add(BotState(kind=kind, key=key, data=value))
    elif row.data != value:
        row.data, row.updated_at = value, utcnow()
        session.add(row)


async def recall(session: AsyncSession, kind: str, key: str) -> Any:
    row = await session.get(BotState, (kind, key))
    return row.data if row is not None else None
