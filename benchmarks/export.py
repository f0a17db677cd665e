"""Export benchmark: wall time and peak RSS of `/export` on a big database.

    uv run python benchmarks/export.py [--members 10000] [--rows 100000] [--format xlsx]
                                       [--url postgresql://...] [--db PATH] [--json]

Builds the database (a temporary SQLite file unless --url), then runs the export in a
fresh child process so its peak RSS is the export's own, not the data generator's.
Bulk rows: --rows contributions (with a support each tenth), --meetings meetings (most of
them held) with --answers answers and attendance spread over them, and two action items
per meeting: 153,010 rows with the defaults. --db keeps the SQLite database in PATH and
reuses it. Target: <= 10 s and <= 150 MB peak RSS (the whole child process: interpreter,
imports, export). CPU seconds are printed too: on a shared machine they are the steadier
figure.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import resource
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

FIRST = ["Anna", "Zofia", "Łucja", "Józef", "Paweł", "Grażyna", "Bożena", "Mikołaj", "Ścibor"]
LAST = ["Kowalska", "Wiśniewski", "Żółkiewska", "Dąbrowski", "Łęcki", "Gęsiarz", "Ćwik"]
CHUNK = 5000


async def build(url: str, members: int, rows: int, meetings: int, answers: int) -> None:
    from sqlalchemy import insert, select

    from bot.db import Database
    from bot.profile import apply_profile, load_profile
    from models import Contribution, Group, Member, Membership, ProblemArea, Support

    rng = random.Random(7)
    database = Database(url)
    start = datetime(2026, 1, 5, tzinfo=UTC)
    async with database.session() as session:
        await apply_profile(session, load_profile())
    async with database.engine.begin() as conn:
        group_ids = [g for (g,) in (await conn.execute(select(Group.id))).all()]
        people = [
            {
                "telegram_id": 10_000_000 + i,
                "display_name": f"{rng.choice(FIRST)} {rng.choice(LAST)} {i}",
                "institution": rng.choice([None, "MOPS Chełmża", "Szkoła Podstawowa nr 2"]),
                "language": rng.choice(["pl", "pl", "en", "uk"]),
                "role": rng.choice(["resident", "leader", "leader", "lead"]),
                "consent_at": start + timedelta(minutes=i),
                "reachable": True,
                "digest_opt_out": False,
                "created_at": start + timedelta(minutes=i),
            }
            for i in range(members)
        ]
        for i in range(0, members, CHUNK):
            await conn.execute(insert(Member), people[i : i + CHUNK])
        member_ids = [m for (m,) in (await conn.execute(select(Member.id))).all()]
        links = [
            {
                "member_id": m,
                "group_id": rng.choice(group_ids),
                "status": "member",
                "joined_at": start,
            }
            for m in member_ids
        ]
        for i in range(0, len(links), CHUNK):
            await conn.execute(insert(Membership), links[i : i + CHUNK])
        area_ids = [a for (a,) in (await conn.execute(select(ProblemArea.id))).all()]
        kinds = ["idea", "resource", "barrier", "experience", "cause"]
        statuses = ["new", "discussion", "accepted", "in_progress", "done", "rejected"]
        for i in range(0, rows, CHUNK):
            batch = [
                {
                    "kind": rng.choice(kinds),
                    "title": f"Świetlica dla dzieci przy ul. Hallera nr {i + j}",
                    "details": {"for_whom": "dzieci i młodzież", "first_step": "rozmowa z ZGM"},
                    "area_id": rng.choice(area_ids),
                    "group_id": rng.choice(group_ids),
                    "author_id": rng.choice(member_ids),
                    "status": rng.choice(statuses),
                    "support_count": 0,
                    "created_at": start + timedelta(seconds=i + j),
                    "updated_at": start + timedelta(seconds=i + j),
                }
                for j in range(min(CHUNK, rows - i))
            ]
            await conn.execute(insert(Contribution), batch)
        contribution_ids = [c for (c,) in (await conn.execute(select(Contribution.id))).all()]
        supports = [
            {"contribution_id": c, "member_id": rng.choice(member_ids), "created_at": start}
            for c in contribution_ids[::10]
        ]
        for i in range(0, len(supports), CHUNK):
            await conn.execute(insert(Support), supports[i : i + CHUNK])
        await _meetings(conn, rng, start, meetings, answers, group_ids, area_ids, member_ids)
    await database.dispose()


async def _meetings(
    conn: Any,
    rng: random.Random,
    start: datetime,
    meetings: int,
    answers: int,
    group_ids: list[int],
    area_ids: list[int],
    member_ids: list[int],
) -> None:
    """Meetings twice a week from `start`, each with its share of the answers (distinct
    people), check-ins for most who said yes, and two action items."""
    from sqlalchemy import insert, select

    from models import ActionItem, Meeting, Rsvp

    rows = []
    for i in range(meetings):
        starts = start + timedelta(days=3 * i, hours=16)
        rows.append(
            {
                "group_id": rng.choice(group_ids),
                "topic": f"Spotkanie robocze nr {i}: świetlica, ławki, źródła finansowania",
                "area_id": rng.choice(area_ids),
                "starts_at": starts,
                "ends_at": starts + timedelta(minutes=90),
                "place": "Świetlica, ul. Hallera 3",
                "capacity": rng.choice([None, 30]),
                "is_open": rng.random() < 0.2,
                "status": "cancelled" if rng.random() < 0.05 else "scheduled",
                "revision": 1,
                "scheduled_at": starts - timedelta(days=7),
                "created_by_id": rng.choice(member_ids),
                "summary": "Ustalono kolejne kroki; zgoda na zbiórkę podpisów." if i % 2 else None,
                "created_at": starts - timedelta(days=7),
            }
        )
    for i in range(0, meetings, CHUNK):
        await conn.execute(insert(Meeting), rows[i : i + CHUNK])
    found = (await conn.execute(select(Meeting.id, Meeting.starts_at))).all()
    per_meeting, extra = divmod(answers, max(len(found), 1))
    batch: list[dict[str, Any]] = []
    for n, (meeting_id, starts) in enumerate(found):
        people = rng.sample(member_ids, min(per_meeting + (n < extra), len(member_ids)))
        for member_id in people:
            choice = rng.choice(["yes", "yes", "yes", "maybe", "no"])
            batch.append(
                {
                    "meeting_id": meeting_id,
                    "member_id": member_id,
                    "answer": choice,
                    "position": None,
                    "answered_at": starts - timedelta(days=2),
                    "checked_in_at": starts if choice == "yes" and rng.random() < 0.8 else None,
                }
            )
            if len(batch) == CHUNK:
                await conn.execute(insert(Rsvp), batch)
                batch = []
    if batch:
        await conn.execute(insert(Rsvp), batch)
    items = [
        {
            "meeting_id": meeting_id,
            "text": f"Zadzwonić do ZGM w sprawie ławek ({k + 1})",
            "owner_id": rng.choice(member_ids),
            "due_on": (starts + timedelta(days=14)).date(),
            "done_at": starts + timedelta(days=10) if k else None,
            "created_at": starts,
        }
        for meeting_id, starts in found
        for k in range(2)
    ]
    for i in range(0, len(items), CHUNK):
        await conn.execute(insert(ActionItem), items[i : i + CHUNK])


async def export(url: str, out: str, fmt: str) -> None:
    from bot import i18n
    from bot.db import Database
    from bot.services.export import write_export

    i18n.setup("pl", "Europe/Warsaw")
    database = Database(url)
    started = time.perf_counter()
    result = await write_export(database, Path(out), fmt, language="pl")
    elapsed = time.perf_counter() - started
    await database.dispose()
    print(f"export: {result.total_rows} rows in {len(result.rows)} sheets, {elapsed:.1f} s")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--members", type=int, default=10_000)
    parser.add_argument("--rows", type=int, default=100_000, help="contributions")
    parser.add_argument("--meetings", type=int, default=1_000)
    parser.add_argument("--answers", type=int, default=20_000, help="over all meetings")
    parser.add_argument("--format", choices=["xlsx", "csv"], default="xlsx")
    parser.add_argument("--url", help="database URL (default: a temporary SQLite file)")
    parser.add_argument("--db", type=Path, help="keep/reuse the SQLite database here")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument("--child", nargs=2, metavar=("URL", "OUT"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        asyncio.run(export(args.child[0], args.child[1], args.format))
        return 0

    from bot.db import migrate

    with tempfile.TemporaryDirectory() as folder:
        path = args.db or Path(folder) / "bench.db"
        url = args.url or f"sqlite+aiosqlite:///{path}"
        fresh = bool(args.url) or not path.exists()
        migrate(url)
        if fresh:
            started = time.perf_counter()
            asyncio.run(build(url, args.members, args.rows, args.meetings, args.answers))
            if not args.json:
                print(
                    f"built {args.members} members, {args.rows} contributions, "
                    f"{args.meetings} meetings with {args.answers} answers in "
                    f"{time.perf_counter() - started:.1f} s"
                )
        out = Path(folder) / f"report.{'xlsx' if args.format == 'xlsx' else 'zip'}"
        started = time.perf_counter()
        child = subprocess.run(
            [sys.executable, __file__, "--format", args.format, "--child", url, str(out)],
            check=True,
            capture_output=True,
            text=True,
            cwd=folder,  # its data/exports
        )
        wall = time.perf_counter() - started
        usage = resource.getrusage(resource.RUSAGE_CHILDREN)
        peak_mb = usage.ru_maxrss / 1024
        cpu = usage.ru_utime + usage.ru_stime
        size_mb = out.stat().st_size / 1024 / 1024
    line = child.stdout.strip().splitlines()[-1]
    rows, export_s = line.split()[1], float(line.split(", ")[-1].split()[0])
    ok_time, ok_memory = wall <= 10, peak_mb <= 150
    if args.json:
        summary = [
            row(f"export of {rows} rows, {args.format}", wall, "s", "<= 10", ok_time),
            row("  its CPU time", cpu, "s"),
            row("  the export alone (no interpreter start)", export_s, "s"),
            row("  peak RSS", peak_mb, "MB", "<= 150", ok_memory),
        ]
        print(json.dumps({"summary": summary}))
        return 0
    print(line)
    print(
        f"wall time {wall:.1f} s (with interpreter start), CPU {cpu:.1f} s, "
        f"peak RSS {peak_mb:.0f} MB, file {size_mb:.1f} MB"
    )
    ok = ok_time and ok_memory
    print("target <= 10 s and <= 150 MB:", "met" if ok else "MISSED")
    return 0 if ok else 1


def row(
    metric: str, value: float, unit: str, target: str = "", ok: bool | None = None
) -> dict[str, object]:
    return {"metric": metric, "value": value, "unit": unit, "target": target, "ok": ok}


if __name__ == "__main__":
    raise SystemExit(main())
