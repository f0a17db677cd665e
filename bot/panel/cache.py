"""What the panel keeps between requests: the overview's statistics (for a while) and
whole-table counts (while the contributions do not change).

Both are filled at start (`Panel.warm`), so that the first people to open the panel do not
wait for scans of the whole database.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from functools import cache
from typing import Any

from sqlalchemy import func
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.db import Database
from bot.i18n import current_language, use_language
from bot.services import stats as stats_service
from models import AuditEntry, Contribution

log = logging.getLogger(__name__)
STATS_TTL = 30.0  # seconds the overview's numbers are reused (they are the same for all)


class StatsCache:
    """The overview's series per language. After STATS_TTL seconds the next request still
    gets the kept figures at once while they are computed again in the background (the
    counts scan whole tables: 100 ms and more on 100,000 contributions). A request that
    comes while they are first computed (at start) waits for that computation."""

    def __init__(self, db: Database) -> None:
        self.db = db
        self.entries: dict[str, tuple[float, list[stats_service.SeriesResult]]] = {}
        self.pending: dict[str, asyncio.Task[None]] = {}

    async def get(self, session: AsyncSession) -> list[stats_service.SeriesResult]:
        language = current_language()
        if language not in self.entries and language in self.pending:
            await asyncio.shield(self.pending[language])
        cached = self.entries.get(language)
        if cached is None:
            results = await stats_service.collect(session)
            self.entries[language] = (time.monotonic(), results)
            return results
        if time.monotonic() - cached[0] > STATS_TTL:
            self.refresh(language)
        return cached[1]

    def refresh(self, language: str) -> asyncio.Task[None]:
        """Count again in the background (once at a time per language)."""
        task = self.pending.get(language)
        if task is None:
            task = asyncio.create_task(self._count(language))
            self.pending[language] = task
        return task

    async def warm(self, languages: Iterable[str]) -> None:
        for language in languages:
            await self.refresh(language)

    async def _count(self, language: str) -> None:
        try:
            with use_language(language):
                async with self.db.session() as session:
                    results = await stats_service.collect(session)
            self.entries[language] = (time.monotonic(), results)
        except Exception:
            log.warning("could not refresh the panel's statistics", exc_info=True)
        finally:
            self.pending.pop(language, None)

    def expire(self) -> None:
        """Something changed: the next overview brings fresh figures (in the background)."""
        self.entries = {k: (float("-inf"), v) for k, (_t, v) in self.entries.items()}

    def clear(self) -> None:
        self.entries.clear()


Marker = tuple[Any, ...]


@cache
def _marker_statement() -> Any:
    newest = select(func.max(Contribution.id)).scalar_subquery()
    changed = select(func.max(col(Contribution.updated_at))).scalar_subquery()
    audited = select(func.max(AuditEntry.id)).scalar_subquery()
    return select(newest, changed, audited)


async def change_marker(session: AsyncSession) -> Marker:
    """What moves whenever a contribution is added, edited, moved or withdrawn: the newest
    id, the newest updated_at (edits and moves set it) and the newest audit entry (a
    withdrawal is recorded there). Three index look-ups."""
    return tuple((await session.exec(_marker_statement())).one())


Compute = Callable[[AsyncSession], Awaitable[Any]]


@dataclass
class KeptCounts:
    """Counts over the whole contributions table (a scan of 100,000 rows), kept while
    `change_marker` stays the same: exact, and counted again after any change."""

    entries: dict[str, tuple[Marker, Any]] = field(default_factory=dict)

    async def get(self, session: AsyncSession, name: str, compute: Compute) -> Any:
        marker = await change_marker(session)  # read first: a change after it counts again
        kept = self.entries.get(name)
        if kept is not None and kept[0] == marker:
            return kept[1]
        value = await compute(session)
        self.entries[name] = (marker, value)
        return value

    def clear(self) -> None:
        self.entries.clear()


@dataclass
class Caches:
    stats: StatsCache
    counts: KeptCounts = field(default_factory=KeptCounts)
