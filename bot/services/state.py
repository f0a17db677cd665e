"""Small facts the bot remembers between runs (e.g. its own username for the CLI)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete
from sqlmodel import col
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


NOTICE = "notice"
NOTICE_WINDOW = timedelta(hours=1)


async def claim_notice(
    session: AsyncSession,
    topic: str,
    *,
    now: datetime | None = None,
    window: timedelta = NOTICE_WINDOW,
) -> bool:
    """True at most once per `window` for a topic such as ``opp-signup:12:5``: one
    notification per requester and object, however often they toggle (join, leave, join…).
    The row is claimed in the caller's transaction, so the notice is sent after the commit."""
    now = now or utcnow()
    row = await session.get(BotState, (NOTICE, topic))
    if row is not None and row.updated_at > now - window:
        return False
    if row is None:
        session.add(BotState(kind=NOTICE, key=topic, data=None, updated_at=now))
    else:
        row.updated_at = now
        session.add(row)
    # Old claims are worth nothing: keep the table small.
    await session.exec(
        delete(BotState).where(
            col(BotState.kind) == NOTICE, col(BotState.updated_at) < now - 24 * window
        )
    )
    return True
