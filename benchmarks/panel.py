"""The coordinators' panel: server-side time per page on a full database.

    uv run python benchmarks/panel.py            # 10,000 members, 100,000 contributions
    uv run python benchmarks/panel.py --small    # 1,000 / 10,000: a quick look

Each page is requested in-process through the panel's ASGI app (httpx's ASGITransport), so
the figure is what the server spends: checking initData, loading the member, the queries,
rendering the template. Prints p50 and p99 in ms per page; the target is p99 <= 50 ms.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import httpx
from sqlalchemy import insert
from sqlmodel import select

from benchmarks.browse import fill
from bot import i18n
from bot.config import Settings
from bot.db import Database, migrate
from bot.panel.app import RateLimit, create_app
from bot.panel.auth import sign
from models import Answer, Group, Meeting, Member, Membership, Rsvp, Volunteer
from tests.harness import build_app

TOKEN = "1:bench-token"


async def fill_more(db: Database, members: int) -> None:
    """Memberships, 120 meetings over 40 days with 3,000 answers, and 500 volunteers."""
    rng = random.Random(9)
    now = datetime.now(UTC)
    async with db.session() as session:
        member_ids = list((await session.exec(select(Member.id))).all())
        group_ids = list((await session.exec(select(Group.id))).all())
        lead = await session.get(Member, member_ids[5])
        assert lead is not None
        lead.role = "lead"
        session.add(lead)
        inventors = (await session.exec(select(Group).where(Group.slug == "inventors"))).one()
        inventors.lead_id = lead.id
        session.add(inventors)
    async with db.engine.begin() as conn:
        pairs = {(rng.choice(member_ids), rng.choice(group_ids)) for _ in range(members)}
        await conn.execute(
            insert(Membership),
            [
                {"member_id": m, "group_id": g, "status": "member", "joined_at": now}
                for m, g in pairs
            ],
        )
        meetings = []
        for i in range(120):
            starts = now + timedelta(days=rng.randrange(-20, 20), hours=rng.randrange(0, 10))
            meetings.append(
                {
                    "group_id": rng.choice(group_ids),
                    "topic": f"Meeting {i}",
                    "starts_at": starts,
                    "ends_at": starts + timedelta(hours=1),
                    "place": "Town hall",
                    "is_open": rng.random() < 0.3,
                    "status": "scheduled",
                    "revision": 1,
                    "scheduled_at": now,
                    "created_at": now,
                }
            )
        await conn.execute(insert(Meeting), meetings)
        meeting_ids = list((await conn.execute(select(Meeting.id))).scalars())
        answers = {(rng.choice(meeting_ids), rng.choice(member_ids)) for _ in range(3000)}
        await conn.execute(
            insert(Rsvp),
            [
                {
                    "meeting_id": m,
                    "member_id": p,
                    "answer": rng.choice(list(Answer)),
                    "answered_at": now,
                }
                for m, p in answers
            ],
        )
        await conn.execute(
            insert(Volunteer),
            [
                {
                    "member_id": member_id,
                    "name": f"Volunteer {i}",
                    "skills": "cooking",
                    "areas": ["employment"],
                    "availability": ["evening"],
                    "created_at": now,
                    "updated_at": now,
                }
                for i, member_id in enumerate(rng.sample(member_ids, min(500, len(member_ids))))
            ],
        )


async def run(url: str, contributions: int, members: int, repeat: int) -> None:
    db = Database(url)
    began = time.perf_counter()
    await fill(db, contributions, members, small_groups=40)
    await fill_more(db, members)
    print(
        f"filled in {time.perf_counter() - began:.1f} s: {members} members, "
        f"{contributions} contributions"
    )
    settings = Settings(  # type: ignore[arg-type]
        telegram_bot_token=TOKEN, database_url=url, bot_webapp_url="https://panel.example.org/"
    )
    i18n.setup("pl", "Europe/Warsaw")
    application = build_app(settings, db)
    app = create_app(application, telegram_js=False, rate_limit=RateLimit(1e9, 1e9))
    async with db.session() as session:
        inventors = (await session.exec(select(Group).where(Group.slug == "inventors"))).one()
        coordinator = await session.get(Member, 1)
        lead = await session.get(Member, 6)
        assert coordinator is not None and lead is not None
    month = datetime.now(UTC).strftime("%Y-%m")

    def header(member: Member) -> dict[str, str]:
        user = {"id": member.telegram_id, "first_name": "B", "language_code": "pl"}
        return {"Authorization": "tma " + sign(user, TOKEN)}

    cases = [
        ("overview (coordinator, figures kept)", "/api/view/overview", coordinator, False),
        ("overview (coordinator, first after start)", "/api/view/overview", coordinator, True),
        ("overview (leader: own numbers)", "/api/view/overview", await _leader(db), False),
        ("board, no filter", "/api/view/board", coordinator, False),
        ("board, kind=idea", "/api/view/board?kind=idea", coordinator, False),
        ("board, group (lead)", f"/api/view/board?group={inventors.id}", lead, False),
        ("board, search", "/api/view/board?q=number%2012", coordinator, False),
        ("groups", "/api/view/groups", coordinator, False),
        ("group page", f"/api/view/group?id={inventors.id}", coordinator, False),
        ("meetings, month", f"/api/view/meetings?month={month}", coordinator, False),
        ("meetings, month (lead)", f"/api/view/meetings?month={month}", lead, False),
        ("volunteers", "/api/view/volunteers", coordinator, False),
        (
            "volunteers, filtered",
            "/api/view/volunteers?area=employment&skill=cook",
            coordinator,
            False,
        ),
    ]
    panel = app.app.state.panel  # type: ignore[attr-defined]
    transport = httpx.ASGITransport(app=app)
    print(f"{'page':48} {'p50 ms':>8} {'p99 ms':>8}")
    async with httpx.AsyncClient(transport=transport, base_url="http://bench") as http:
        for label, path, member, cold in cases:
            headers = header(member)
            samples = []
            for i in range(repeat + 5):
                if cold:
                    panel.cache.clear()  # the first overview after a start
                begin = time.perf_counter()
                response = await http.get(path, headers=headers)
                elapsed = (time.perf_counter() - begin) * 1000
                assert response.status_code == 200, (label, response.status_code)
                if i >= 5:
                    samples.append(elapsed)
            cuts = statistics.quantiles(samples, n=100, method="inclusive")
            print(f"{label:48} {cuts[49]:8.1f} {cuts[98]:8.1f}")
    await db.dispose()


async def _leader(db: Database) -> Member:
    async with db.session() as session:
        member = await session.get(Member, 20)
        assert member is not None
        return member


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--small", action="store_true", help="1,000 members, 10,000 contributions")
    parser.add_argument("--repeat", type=int, default=200)
    args = parser.parse_args()
    members, contributions = (1_000, 10_000) if args.small else (10_000, 100_000)
    with tempfile.TemporaryDirectory() as folder:
        url = f"sqlite+aiosqlite:///{folder}/bench.db"
        migrate(url)
        asyncio.run(run(url, contributions, members, args.repeat))


if __name__ == "__main__":
    main()
