"""Small steps every service repeats: load a row or refuse, save a row."""

from __future__ import annotations

from typing import Any, TypeVar

from sqlmodel.ext.asyncio.session import AsyncSession

from bot.services.errors import NotFound

T = TypeVar("T")


async def get_or_gone(session: AsyncSession, model: type[T], row_id: Any, gone: str) -> T:
    """The row `row_id` of `model`; NotFound(`gone`) when there is no such row (or no id)."""
    row = await session.get(model, row_id) if row_id else None
    if row is None:
        raise NotFound(gone)
    return row


async def save(session: AsyncSession, row: T) -> T:
    """Add `row` and flush: its id is set and the rest of the unit of work sees it."""
    session.add(row)
    await session.flush()
    return row
