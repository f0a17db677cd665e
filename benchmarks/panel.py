"""The coordinators' panel: server-side time per page on a full database.

    uv run python benchmarks/panel.py            # 10,000 members, 100,000 contributions
    uv run python benchmarks/panel.py --small    # 1,000 / 10,000: a quick look
    uv run python benchmarks/panel.py --pg postgresql://postgres@127.0.0.1/bench_panel

Each page is requested in-process through the panel's ASGI app (httpx's ASGITransport), so
the figure is what the server spends: checking initData, loading the member, the queries,
rendering the template. The panel is first started as `leaders-bot run` starts it
(`Panel.warm`, then `gc.freeze`; the warm-up's own time is printed). Prints p50 and p99 per
page, in wall-clock ms and in CPU ms of this process (on a shared machine the wall clock
also counts the time other processes take the CPU). The target is a p99 <= 50 ms. Then the
chat's /map on the same database (what its handler does on the event loop).
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import httpx
from pydantic import SecretStr
from sqlalchemy import insert, update
from sqlmodel import col, select

from benchmarks.browse import fill, reset_pg
from bot import i18n
from bot.config import Settings
from bot.db import Database, migrate, normalise_url
from bot.panel.app import RateLimit, create_app, panel_of
from bot.panel.auth import sign
from models import (
    ActionIndicator,
    ActionNote,
    Answer,
    Contribution,
    ContributionLink,
    Group,
    Meeting,
    Member,
    Membership,
    ProblemArea,
    ProgrammeAction,
    Rsvp,
    Volunteer,
)
from tests.harness import build_app

TOKEN = "1:bench-token"
TARGET_MS = 50.0


async def fill_more(db: Database, members: int) -> None:
    """Memberships, 120 meetings over 40 days with 3,000 answers, 500 volunteers, 1,000
    links between contributions and 40 programme actions with indicators and notes."""
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
        kinds = dict((await session.exec(select(Contribution.id, Contribution.kind))).all())
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
        await _link_and_plan(conn, rng, kinds, now)


async def _link_and_plan(conn: Any, rng: random.Random, kinds: dict[Any, str], now: Any) -> None:
    """1,000 links between contributions of different kinds among the newest 3,000 (what a
    programme works on; each link is made by hand in the chat, so 1,000 is a big programme)
    and 40 actions from ideas, with 3 indicators and 2 notes each."""
    recent = sorted(kinds)[-3000:]
    links: set[tuple[int, int]] = set()
    while len(links) < 1000:
        a, b = sorted(rng.sample(recent, 2))
        if kinds[a] != kinds[b]:
            links.add((a, b))
    await conn.execute(
        insert(ContributionLink),
        [{"first_id": a, "second_id": b, "created_at": now} for a, b in links],
    )
    ideas = [i for i in recent if kinds[i] == "idea"][:40]
    await conn.execute(
        insert(ProgrammeAction),
        [
            {
                "contribution_id": idea,
                "title": f"Action {n}",
                "goal": "Less unemployment among young people",
                "target_group": "young people",
                "responsible": "Labour office",
                "partners": ["Library", "School"],
                "start_month": "2027-01",
                "end_month": "2027-06",
                "status": "in_progress",
                "progress": rng.randrange(0, 100),
                "created_at": now,
                "updated_at": now,
            }
            for n, idea in enumerate(ideas)
        ],
    )
    action_ids = list((await conn.execute(select(ProgrammeAction.id))).scalars())
    await conn.execute(
        insert(ActionIndicator),
        [
            {"action_id": a, "name": f"indicator {k}", "target": 40.0, "unit": "people"}
            for a in action_ids
            for k in range(3)
        ],
    )
    await conn.execute(
        insert(ActionNote),
        [
            {"action_id": a, "noted_on": date(2027, 1, k + 1), "text": "Met the partners"}
            for a in action_ids
            for k in range(2)
        ],
    )


Case = tuple[str, str, Member, bool]  # label, path, who asks, a change before each request


async def cases(db: Database) -> list[Case]:
    async with db.session() as session:
        inventors = (await session.exec(select(Group).where(Group.slug == "inventors"))).one()
        coordinator = await session.get(Member, 1)
        lead = await session.get(Member, 6)
        leader = await session.get(Member, 20)
        meeting_id = (await session.exec(select(Meeting.id))).first()
        action_id = (await session.exec(select(ProgrammeAction.id))).first()
    assert coordinator is not None and lead is not None and leader is not None
    month = datetime.now(UTC).strftime("%Y-%m")
    return [
        ("overview (coordinator, figures kept)", "/api/view/overview", coordinator, False),
        ("overview (leader: own numbers)", "/api/view/overview", leader, False),
        ("board, no filter", "/api/view/board", coordinator, False),
        ("board, no filter, just after a change", "/api/view/board", coordinator, True),
        ("board, kind=idea", "/api/view/board?kind=idea", coordinator, False),
        ("board, group (lead)", f"/api/view/board?group={inventors.id}", lead, False),
        ("board, search", "/api/view/board?q=number%2012", coordinator, False),
        ("board, search of 2 letters", "/api/view/board?q=12", coordinator, False),
        ("groups", "/api/view/groups", coordinator, False),
        ("group page", f"/api/view/group?id={inventors.id}", coordinator, False),
        ("meetings, month", f"/api/view/meetings?month={month}", coordinator, False),
        ("meetings, month (lead)", f"/api/view/meetings?month={month}", lead, False),
        ("meeting page", f"/api/view/meeting?id={meeting_id}", coordinator, False),
        ("problem map", "/api/view/map", leader, False),
        ("problem map, just after a change", "/api/view/map", leader, True),
        ("programme actions", "/api/view/actions", coordinator, False),
        ("programme actions (lead)", "/api/view/actions", lead, False),
        ("programme action page", f"/api/view/action?id={action_id}", lead, False),
        ("volunteers", "/api/view/volunteers", coordinator, False),
        (
            "volunteers, filtered",
            "/api/view/volunteers?area=employment&skill=cook",
            coordinator,
            False,
        ),
    ]


async def move_one(db: Database, n: int) -> None:
    """A change to the contributions, as a lead's move of a card: one of them to another
    status and back (the counts' triggers run; the page's reads find the change)."""
    async with db.engine.begin() as conn:
        await conn.execute(
            update(Contribution)
            .where(col(Contribution.id) == 1)
            .values(status="discussion" if n % 2 else "new", updated_at=datetime.now(UTC))
        )


def _quantiles(samples: list[float]) -> tuple[float, float]:
    cuts = statistics.quantiles(samples, n=100, method="inclusive")
    return cuts[49], cuts[98]


Step = Callable[[int], Awaitable[None]]
Times = tuple[tuple[float, float], tuple[float, float]]  # (p50, p99) wall-clock, then CPU


async def measure(step: Step, times: int, warm_up: int, before: Step | None = None) -> Times:
    """`step(i)` run warm_up + times times (`before(i)` first, not timed); the p50 and p99 of
    the last `times`, in wall-clock ms and in CPU ms of this process."""
    wall, cpu = [], []
    for i in range(warm_up + times):
        if before is not None:
            await before(i)
        begin, begin_cpu = time.perf_counter(), time.process_time()
        await step(i)
        if i >= warm_up:
            wall.append((time.perf_counter() - begin) * 1000)
            cpu.append((time.process_time() - begin_cpu) * 1000)
    return _quantiles(wall), _quantiles(cpu)


def report(db: Database, label: str, times: Times, target: bool) -> dict[str, Any]:
    """Prints a line of the table; the row of the JSON summary."""
    (p50, p99), (cpu50, cpu99) = times
    flag = f"  > {TARGET_MS:g} ms" if target and p99 > TARGET_MS else ""
    print(f"{label:44} {p50:7.1f} {p99:7.1f} {cpu50:8.1f} {cpu99:8.1f}{flag}")
    row: dict[str, Any] = {
        "metric": f"{db.url.split(':')[0]} {label}: p99",
        "value": p99,
        "unit": "ms",
        "detail": f"p50 {p50:.1f}, CPU p99 {cpu99:.1f}",
    }
    if target:
        row |= {"target": f"<= {TARGET_MS:g}", "ok": p99 <= TARGET_MS}
    return row


async def run(url: str, contributions: int, members: int, repeat: int) -> list[dict[str, Any]]:
    db = Database(url)
    began = time.perf_counter()
    await fill(db, contributions, members, small_groups=40)
    await fill_more(db, members)
    print(
        f"{db.url.split(':')[0]}: filled in {time.perf_counter() - began:.1f} s: "
        f"{members} members, {contributions} contributions"
    )
    settings = Settings(
        telegram_bot_token=SecretStr(TOKEN),
        database_url=url,
        bot_webapp_url="https://panel.example.org/",
    )
    i18n.setup("pl", "Europe/Warsaw")
    application = build_app(settings, db)
    app = create_app(application, telegram_js=False, rate_limit=RateLimit(1e9, 1e9))
    panel = panel_of(app)
    began = time.perf_counter()
    await panel.warm()  # as bot/panel/server.py before it serves
    gc.collect()
    gc.freeze()
    print(f"warm-up at start (before serving): {time.perf_counter() - began:.2f} s")

    def header(member: Member) -> dict[str, str]:
        user = {"id": member.telegram_id, "first_name": "B", "language_code": "pl"}
        return {"Authorization": "tma " + sign(user, TOKEN)}

    summary = []
    transport = httpx.ASGITransport(app=app)
    print(f"{'page':44} {'p50 ms':>7} {'p99 ms':>7} {'CPU p50':>8} {'CPU p99':>8}")
    async with httpx.AsyncClient(transport=transport, base_url="http://bench") as http:
        for label, path, member, change in await cases(db):
            headers = header(member)

            async def request(_i: int, path: str = path, headers: dict[str, str] = headers) -> None:
                response = await http.get(path, headers=headers)
                assert response.status_code == 200, (path, response.status_code)

            async def a_change(i: int) -> None:
                await move_one(db, i)

            times = await measure(request, repeat, warm_up=5, before=a_change if change else None)
            summary.append(report(db, label, times, target=True))
    summary += await chat_map(db, repeat)
    await db.dispose()
    return summary


async def chat_map(db: Database, repeat: int) -> list[dict[str, Any]]:
    """The chat's /map on the same database, as its handler builds it on the event loop:
    the map with its text, and the data of an area's picture (drawn off the loop). Then, a
    few times, the map's rules written plainly (tests/map_rules.py, what /map ran before)."""
    from bot.documents.map_picture import COLUMNS, PER_COLUMN
    from bot.i18n import use_language
    from bot.services import problem_map
    from handlers.programme.map import map_text
    from tests.map_rules import plain_map

    async with db.session() as session:
        area_id = (await session.exec(select(ProblemArea.id))).first()

    async def whole_map(_i: int) -> None:
        async with db.session() as session:
            map_text(await problem_map.problem_map(session, "pl"))

    async def picture(_i: int) -> None:
        async with db.session() as session:
            await problem_map.area_picture(session, area_id, COLUMNS, PER_COLUMN, "pl")

    async def plain(_i: int) -> None:
        async with db.session() as session:
            await plain_map(session, language="pl")

    summary = []
    print(f"{'the chat':44} {'p50 ms':>7} {'p99 ms':>7} {'CPU p50':>8} {'CPU p99':>8}")
    with use_language("pl"):
        for label, run_once, times in (
            ("/map: the map and its text", whole_map, repeat),
            ("/map: an area's picture (its data)", picture, repeat),
            ("/map as before (every contribution read)", plain, 5),
        ):
            measured = await measure(run_once, times, warm_up=2)
            summary.append(report(db, "chat " + label, measured, target=False))
    return summary


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--small", action="store_true", help="1,000 members, 10,000 contributions")
    parser.add_argument("--repeat", type=int, default=200)
    parser.add_argument("--pg", help="also on this scratch PostgreSQL database (it is wiped)")
    parser.add_argument("--json", action="store_true", help="a JSON summary on the last line")
    args = parser.parse_args()
    members, contributions = (1_000, 10_000) if args.small else (10_000, 100_000)
    with tempfile.TemporaryDirectory() as folder:
        url = f"sqlite+aiosqlite:///{folder}/bench.db"
        migrate(url)
        summary = asyncio.run(run(url, contributions, members, args.repeat))
    if args.pg:
        url = normalise_url(args.pg)
        asyncio.run(reset_pg(url))
        migrate(url)
        summary += asyncio.run(run(url, contributions, members, args.repeat))
    if args.json:
        print(json.dumps({"summary": summary}))


if __name__ == "__main__":
    main()
