"""What the panel keeps between requests: the overview's statistics, for a while.

They are computed at start (`Panel.warm`), so that the first people to open the panel do not
wait for scans of the whole database. (The board's and the map's totals need no keeping:
`contribution_counts` holds them, exact after every change.)
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Iterable
from dataclasses import dataclass

from sqlmodel.ext.asyncio.session import AsyncSession

from bot.db import Database
from bot.i18n import current_language, use_language
from bot.services import stats as stats_service

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


@dataclass
class Caches:
    stats: StatsCache
