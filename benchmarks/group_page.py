"""How long a 300-member group's page takes to build: service queries + rendering, no Telegram.

    uv run python benchmarks/group_page.py [--runs 300] [--database-url URL]

Without a URL it uses a fresh SQLite file in a temporary folder (migrated like production).
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlmodel import select

from bot import i18n
from bot.db import Database, migrate
from bot.profile import apply_profile, load_profile
from handlers.groups import page_screen
from models import Group, Member, Membership, Role, utcnow

MEMBERS = 300


async def fill(db: Database) -> tuple[int, Member]:
    async with db.session() as session:
        await apply_profile(session, load_profile())
    async with db.session() as session:
        group = (await session.exec(select(Group).where(Group.slug == "treasurers"))).one()
        people = [
            Member(
                telegram_id=10_000_000 + i,
                display_name=f"Uczestnik {i:03}",
                institution="Szkoła Podstawowa nr 2" if i % 3 else None,
                role=Role.LEADER,
                consent_at=utcnow(),
                language="pl",
            )
            for i in range(MEMBERS)
        ]
        session.add_all(people)
        await session.flush()
        session.add_all(Membership(member_id=p.id, group_id=group.id) for p in people)  # type: ignore[arg-type]
        group.lead_id = people[0].id
        session.add(group)
    assert group.id is not None
    return group.id, people[150]


async def measure(db: Database, group_id: int, viewer: Member, runs: int, page: int) -> list[float]:
    timings = []
    for _ in range(runs):
        start = time.perf_counter()
        async with db.session() as session:
            # What the handler runs: group, members page, latest contributions, meetings.
            text, _keyboard = await page_screen(session, group_id, viewer, page, utcnow())
        timings.append((time.perf_counter() - start) * 1000)
        assert len(text) <= 4096
    return timings


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


async def main(url: str, runs: int) -> None:
    db = Database(url)
    group_id, viewer = await fill(db)
    i18n.setup("pl", "Europe/Warsaw")
    i18n.set_language("pl")
    await measure(db, group_id, viewer, 20, 0)  # warm-up: connections, statement caches
    for page in (0, 19):
        timings = await measure(db, group_id, viewer, runs, page)
        print(
            f"{db.engine.dialect.name}: {MEMBERS}-member group page {page + 1}/20, {runs} runs: "
            f"p50 {statistics.median(timings):.2f} ms, p99 {percentile(timings, 99):.2f} ms, "
            f"max {max(timings):.2f} ms"
        )
    await db.dispose()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=300)
    parser.add_argument("--database-url", default=None, help="an empty database to fill")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        database_url = args.database_url or f"sqlite+aiosqlite:///{folder}/bench.db"
        migrate(database_url)
        asyncio.run(main(database_url, args.runs))
