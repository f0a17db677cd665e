"""Browse and submit latency on a full database: 100,000 contributions, 10,000 members.

    uv run python benchmarks/browse.py                      # SQLite (a temporary file)
    uv run python benchmarks/browse.py --pg postgresql://postgres@127.0.0.1/bench_x

The PostgreSQL database is WIPED (schema dropped and migrated): give it a scratch one.
Prints p50 and p99 of rendering one /browse page (query + card text + keyboard) for each
filter and sort, of reading page 1 and page 500 (by page number: an OFFSET over ids; by
keyset: after the previous page's last card; and the old OFFSET query over whole cards), and
of a submission's final step (save, load the card, find reviewers).
"""

from __future__ import annotations

import argparse
import asyncio
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import SimpleNamespace
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import insert, text
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlmodel import col, select

from bot import i18n
from bot.config import Settings
from bot.db import Database, migrate, normalise_url
from bot.profile import apply_profile, load_profile
from bot.runtime import KEY, Runtime
from bot.services import contributions as service
from handlers import contributions as screens
from models import Contribution, Group, Member, ProblemArea, Role, Support

STATUSES = ["new"] * 4 + ["discussion"] * 2 + ["accepted", "in_progress", "done", "rejected"]
BATCH = 5000


async def fill(db: Database, contributions: int, members: int, small_groups: int) -> None:
    rng = random.Random(4)
    now = datetime.now(UTC)
    async with db.session() as session:
        await apply_profile(session, load_profile())
    async with db.engine.begin() as conn:
        await conn.execute(
            insert(Member),
            [
                {
                    "telegram_id": 10_000_000 + i,
                    "display_name": f"Member {i}",
                    "language": rng.choice(["pl", "pl", "en", "uk"]),
                    "role": Role.COORDINATOR if i < 3 else Role.LEADER,
                    "consent_at": now,
                    "reachable": True,
                    "created_at": now,
                }
                for i in range(members)
            ],
        )
        await conn.execute(
            insert(Group),
            [
                {
                    "slug": f"small-{i}",
                    "kind": "small",
                    "name": f"Small group {i}",
                    "names": {},
                    "purposes": {},
                    "is_open": True,
                    "position": i,
                    "created_at": now,
                }
                for i in range(small_groups)
            ],
        )
    async with db.session() as session:
        member_ids = list((await session.exec(select(Member.id))).all())
    async with db.engine.begin() as conn:
        await insert_contributions(conn, rng, contributions, member_ids)
        # Supports by the viewer we browse as, so "you support this" is looked up for real.
        await conn.execute(
            insert(Support),
            [
                {"contribution_id": cid, "member_id": member_ids[5], "created_at": now}
                for cid in rng.sample(range(1, contributions + 1), 2000)
            ],
        )
    if db.url.startswith("postgresql"):
        async with db.engine.connect() as conn:
            await conn.execution_options(isolation_level="AUTOCOMMIT")
            await conn.execute(text("VACUUM ANALYZE"))
    else:
        async with db.engine.begin() as conn:
            await conn.execute(text("ANALYZE"))


async def insert_contributions(
    conn: AsyncConnection, rng: random.Random, contributions: int, member_ids: list[int]
) -> None:
    """Bulk-insert contributions over two years, in the existing groups and areas, by
    `member_ids` (5 % anonymised); also used by the throughput benchmark's pre-fill."""
    group_ids = list((await conn.execute(select(Group.id))).scalars())
    area_ids = list((await conn.execute(select(ProblemArea.id))).scalars())
    now = datetime.now(UTC)
    kinds = service.kinds()
    start = now - timedelta(days=730)
    step = timedelta(days=730) / contributions
    for offset in range(0, contributions, BATCH):
        rows = []
        for i in range(offset, min(offset + BATCH, contributions)):
            created = start + step * i
            rows.append(
                {
                    "kind": rng.choice(kinds),
                    "title": f"Contribution number {i} about something local",
                    "details": {"for_whom": "residents", "first_step": "talk to people"},
                    "area_id": rng.choice(area_ids),
                    "group_id": rng.choice(group_ids),
                    # Some authors have erased their data.
                    "author_id": None if rng.random() < 0.05 else rng.choice(member_ids),
                    "status": rng.choice(STATUSES),
                    "support_count": int(rng.paretovariate(1.5)) - 1,
                    "created_at": created,
                    "updated_at": created,
                }
            )
        await conn.execute(insert(Contribution), rows)


async def timed(
    label: str, action: Callable[[], Awaitable[Any]], repeat: int
) -> tuple[str, float, float]:
    for _ in range(5):  # warm caches and the connection pool
        await action()
    samples = []
    for _ in range(repeat):
        begin = time.perf_counter()
        await action()
        samples.append((time.perf_counter() - begin) * 1000)
    cuts = statistics.quantiles(samples, n=100, method="inclusive")
    return label, cuts[49], cuts[98]


async def measure(db: Database, repeat: int) -> list[tuple[str, float, float]]:
    settings = Settings(telegram_bot_token="1:bench", database_url=db.url)  # type: ignore[arg-type]
    runtime = Runtime(settings=settings, db=db, profile=load_profile())
    context = SimpleNamespace(
        application=SimpleNamespace(bot_data={KEY: runtime}), runtime=runtime, db=db
    )
    i18n.setup("pl", "Europe/Warsaw")
    i18n.set_language("pl")
    async with db.session() as session:
        viewer = await session.get(Member, 6)
        area = (await session.exec(select(ProblemArea))).first()
        group = (await session.exec(select(Group).where(Group.slug == "inventors"))).one()
    assert viewer is not None and area is not None
    rng = random.Random(7)
    cases = {
        "no filter": {},
        "kind=idea": {"kind": "idea"},
        "area": {"area_id": area.id},
        "group": {"group_id": group.id},
        "status=accepted": {"status": "accepted"},
        "kind+status": {"kind": "barrier", "status": "new"},
        "mine": {"author_id": viewer.id},
    }
    results = []
    for label, base in cases.items():
        for by_support in (False, True):
            filters = service.Filters(**base, by_support=by_support)

            async def render(filters: service.Filters = filters) -> None:
                page = rng.randrange(0, 20)
                text, _keyboard = await screens.render_list(context, filters, page, viewer)  # type: ignore[arg-type]
                assert len(text) < 4096

            sort = "most supported" if by_support else "newest"
            results.append(await timed(f"/browse {label}, {sort}", render, repeat))

    results += await deep_pages(db, viewer)

    draft = service.new_draft("idea")
    draft["fields"] = {"title": "A bench idea", "for_whom": "everyone", "first_step": "start"}
    draft["area_id"], draft["group_id"] = area.id, group.id

    async def final_step() -> None:
        # What the "send" button does before it talks to Telegram.
        async with db.session() as session:
            author = await session.get(Member, viewer.id)
            saved = await service.submit(session, author, dict(draft))  # type: ignore[arg-type]
            card = await service.card(session, saved.id, author)
            reviewers = await service.reviewers(session, saved)
        screens.card_text(card)
        assert reviewers

    results.append(await timed("submission: final step (send)", final_step, repeat))
    return results


DEEP_PAGE = 499  # page 500 as the user counts


async def deep_pages(db: Database, viewer: Member) -> list[tuple[str, float, float]]:
    """Page 1 and page 500, newest first and most supported first."""
    results = []
    for by_support in (False, True):
        filters = service.Filters(by_support=by_support)
        sort = "most supported" if by_support else "newest"
        async with db.session() as session:
            before = await service.browse(session, filters, DEEP_PAGE - 1, viewer)
        cursor = before.next_cursor
        assert cursor is not None

        async def page(number: int, filters: service.Filters = filters, **kw: Any) -> None:
            async with db.session() as session:
                result = await service.browse(session, filters, number, viewer, **kw)
            assert len(result.cards) == service.PAGE_SIZE

        async def old_offset(filters: service.Filters = filters) -> None:
            # The query before keyset pagination: whole cards, OFFSET 2,495.
            order = (
                [col(Contribution.support_count).desc(), col(Contribution.id).desc()]
                if filters.by_support
                else [col(Contribution.id).desc()]
            )
            async with db.session() as session:
                query = service._card_query(viewer).order_by(*order)
                rows = await session.exec(query.offset(DEEP_PAGE * service.PAGE_SIZE).limit(6))
                assert len(rows.all()) == service.PAGE_SIZE + 1

        results.append(await timed(f"page 1, {sort}", lambda: page(0), 100))
        results.append(
            await timed(
                f"page 500 by keyset, {sort}",
                lambda cursor=cursor: page(DEEP_PAGE, after=cursor),
                100,
            )
        )
        results.append(await timed(f"page 500 by number, {sort}", lambda: page(DEEP_PAGE), 100))
        results.append(await timed(f"page 500, old OFFSET query, {sort}", old_offset, 30))
    return results


async def run(url: str, contributions: int, members: int, repeat: int) -> None:
    db = Database(url)
    started = time.perf_counter()
    await fill(db, contributions, members, small_groups=20)
    filled = time.perf_counter() - started
    backend = "PostgreSQL" if db.url.startswith("postgresql") else "SQLite"
    print(
        f"\n{backend}: {contributions:,} contributions, {members:,} members, "
        f"filled in {filled:.1f} s"
    )
    print(f"{'case':<46}{'p50 ms':>9}{'p99 ms':>9}")
    for label, p50, p99 in await measure(db, repeat):
        flag = "" if p99 < 15 else "  > 15 ms"
        print(f"{label:<46}{p50:>9.2f}{p99:>9.2f}{flag}")
    await db.dispose()


async def reset_pg(url: str) -> None:
    db = Database(url)
    async with db.engine.begin() as conn:
        await conn.execute(text("DROP SCHEMA public CASCADE"))
        await conn.execute(text("CREATE SCHEMA public"))
    await db.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pg", help="a scratch PostgreSQL URL (it is wiped)")
    parser.add_argument("--contributions", type=int, default=100_000)
    parser.add_argument("--members", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=300)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        url = f"sqlite+aiosqlite:///{folder}/bench.db"
        migrate(url)
        asyncio.run(run(url, args.contributions, args.members, args.repeat))
    if args.pg:
        url = normalise_url(args.pg)
        asyncio.run(reset_pg(url))
        migrate(url)
        asyncio.run(run(url, args.contributions, args.members, args.repeat))


if __name__ == "__main__":
    main()
