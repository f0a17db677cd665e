"""Reminder benchmark: N reminders due within the same minute, lateness and duplicates.

    uv run python benchmarks/reminders.py [--count 2000] [--spread 60] [--database-url URL]

Each of N meetings has one attendee whose 1-hour reminder falls in the same minute
(spread evenly). The real Application runs its reminder sweep (bot.reminders.TICK) on the
JobQueue against an instant, offline Bot API, so the figures are ours: the sweep's period,
the database query and claim, rendering.
(Telegram itself allows about 30 messages/s; AIORateLimiter spreads a real burst.)

Scenarios: one process for the whole minute; and a restart in the middle of the minute,
where the new process starts (and sweeps the same database) while the old one
is still sending for two more seconds — the overlap of a rolling deploy. Lateness is the
time from a reminder's due moment to its sendMessage call.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import statistics
import sys
import tempfile
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bot import reminders
from bot.config import Settings
from bot.db import Database, migrate
from models import Answer, Group, Meeting, Member, Rsvp
from tests.harness import RecordingRequest, build_app

OFFSET = timedelta(hours=1)


async def seed(db: Database, count: int, first_due: datetime, spread: float) -> dict[int, float]:
    """N meetings, one attendee each; returns chat id → due time (epoch seconds)."""
    due_by_chat: dict[int, float] = {}
    now = datetime.now(UTC)
    async with db.session() as session:
        lead = Member(telegram_id=10, display_name="Lead", consent_at=now, role="lead")
        session.add(lead)
        await session.flush()
        group = Group(slug="bench", name="Bench", lead_id=lead.id)
        session.add(group)
        await session.flush()
        people = [
            Member(telegram_id=100_000 + i, display_name=f"P{i}", consent_at=now, language="pl")
            for i in range(count)
        ]
        session.add_all(people)
        await session.flush()
        meetings = []
        for i in range(count):
            due = first_due + timedelta(seconds=spread * i / count)
            meetings.append(
                Meeting(
                    group_id=group.id,  # type: ignore[arg-type]
                    topic=f"Meeting {i}",
                    starts_at=due + OFFSET,
                    ends_at=due + OFFSET + timedelta(hours=1),
                    place="Hall",
                    scheduled_at=now,
                    created_by_id=lead.id,
                )
            )
            due_by_chat[100_000 + i] = due.timestamp()
        session.add_all(meetings)
        await session.flush()
        session.add_all(
            Rsvp(meeting_id=m.id, member_id=p.id, answer=Answer.YES)  # type: ignore[arg-type]
            for m, p in zip(meetings, people, strict=True)
        )
    return due_by_chat


async def start_app(settings: Settings, db: Database, requests: list[RecordingRequest]) -> Any:
    """The bot on the tests' offline request (answers at once, records each call's time)."""
    requests.append(RecordingRequest())
    application = build_app(settings, db, requests[-1])
    await application.initialize()
    await application.start()  # starts the JobQueue; no polling needed
    await reminders.start_jobs(application)
    return application


async def stop_app(application: Any) -> None:
    await application.stop()
    await application.shutdown()


async def scenario(url: str, count: int, spread: float, restart: bool) -> dict[str, float]:
    settings = Settings(
        telegram_bot_token="1:bench",  # type: ignore[arg-type]
        database_url=url,
        reminder_offsets=(OFFSET,),
    )
    db = Database(url)
    lead_in = 10.0  # seeding and start-up happen before the first reminder is due
    first_due = datetime.now(UTC) + timedelta(seconds=lead_in)
    due_by_chat = await seed(db, count, first_due, spread)
    requests: list[RecordingRequest] = []
    first = await start_app(settings, db, requests)
    if restart:
        await asyncio.sleep(lead_in + spread / 2)
        # The new process comes up while the old one still runs for two seconds.
        second = await start_app(settings, Database(url), requests)
        await asyncio.sleep(2.0)
        await stop_app(first)
        await asyncio.sleep(spread / 2 + 3.0)
        await stop_app(second)
    else:
        await asyncio.sleep(lead_in + spread + 3.0)
        await stop_app(first)
    sends = [(c.chat_id, c.at) for r in requests for c in r.calls if c.method == "sendMessage"]
    per_chat = Counter(chat for chat, _t in sends)
    lateness = sorted(max(0.0, sent - due_by_chat[chat]) for chat, sent in sends)
    return {
        "sent": len(sends),
        "missing": sum(1 for chat in due_by_chat if chat not in per_chat),
        "duplicates": sum(n - 1 for n in per_chat.values() if n > 1),
        "p50": statistics.median(lateness) if lateness else float("nan"),
        "p99": lateness[int(0.99 * (len(lateness) - 1))] if lateness else float("nan"),
        "max": lateness[-1] if lateness else float("nan"),
    }


def main() -> None:
    # Stopping the first process cancels a sweep in flight, which APScheduler prints as an
    # error; whatever it had not claimed yet, the second process sends.
    logging.getLogger("apscheduler").setLevel(logging.CRITICAL)
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=2000)
    parser.add_argument("--spread", type=float, default=60.0, help="seconds the dues span")
    parser.add_argument("--database-url", help="an empty database (default: a temp SQLite file)")
    args = parser.parse_args()
    for restart in (False, True):
        with tempfile.TemporaryDirectory() as folder:
            url = args.database_url or f"sqlite+aiosqlite:///{folder}/bench.db"
            if args.database_url:
                _reset(url)
            migrate(url)
            result = asyncio.run(scenario(url, args.count, args.spread, restart))
        label = "restart mid-minute" if restart else "no restart        "
        print(
            f"{label}: {result['sent']:.0f} sent, {result['missing']:.0f} missing, "
            f"{result['duplicates']:.0f} duplicates, lateness p50 {result['p50'] * 1000:.0f} ms, "
            f"p99 {result['p99'] * 1000:.0f} ms, max {result['max'] * 1000:.0f} ms"
        )


def _reset(url: str) -> None:
    """Empty a PostgreSQL database given on the command line (benchmark use only)."""
    from sqlalchemy import text

    async def drop() -> None:
        database = Database(url)
        async with database.engine.begin() as conn:
            await conn.execute(text("DROP SCHEMA public CASCADE"))
            await conn.execute(text("CREATE SCHEMA public"))
        await database.dispose()

    asyncio.run(drop())


if __name__ == "__main__":
    main()
