"""Broadcast throughput and exactly-once, with the real bot process and a fake Bot API.

    uv run python benchmarks/broadcast.py [--recipients 3000] [--blocked 0.05] [--ceiling 30]

Prepares a database with N registered members (a share of them "blocked the bot" on the
fake server) and one confirmed broadcast to everyone, then starts `python -m bot run`
against an in-process fake Bot API server. The fake delivers at most `--ceiling`
messages per second (a token bucket of one second's worth; above it: 429 with
retry_after=1); a blocked user gets 403 without using up the ceiling. Run twice: straight
through, and with SIGKILL after half the messages, then a restart. Prints delivered
messages per second as a fraction of the ceiling, duplicates (anyone who received it
twice), unaccounted recipients (no final state, or recorded sent but never received) and
uncertain ones (in flight at the kill; at most bot.broadcasting.CONCURRENCY).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from aiohttp import web
from sqlmodel import select

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.broadcasting import CONCURRENCY  # noqa: E402
from bot.db import Database, migrate  # noqa: E402
from bot.services import broadcasts as broadcasts_service  # noqa: E402
from models import BroadcastRecipient, Member, RecipientState, Role, utcnow  # noqa: E402

TOKEN = "4242:benchmark-token"
COORDINATOR = 1
FIRST_RECIPIENT = 10_000
TEXT = "<b>Benchmark</b> broadcast"
BOT_USER = {"id": 4242, "is_bot": True, "first_name": "Bench", "username": "bench_bot"}


@dataclass
class FakeTelegram:
    ceiling: float
    blocked: set[int]
    received: Counter[int] = field(default_factory=Counter)
    times: list[float] = field(default_factory=list)
    attempts: list[float] = field(default_factory=list)  # every send request, any answer
    throttled: int = 0
    forbidden: int = 0
    reports: list[str] = field(default_factory=list)
    _tokens: float = 0.0
    _last: float = field(default_factory=time.monotonic)
    _message_id: int = 0

    def _take(self) -> bool:
        now = time.monotonic()
        self._tokens = min(self.ceiling, self._tokens + (now - self._last) * self.ceiling)
        self._last = now
        if self._tokens >= 1:
            self._tokens -= 1
            return True
        return False

    async def handle(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        params: dict[str, str] = {}
        if request.can_read_body:
            if request.content_type == "application/json":
                params = await request.json()
            else:
                params = dict(await request.post())  # type: ignore[arg-type]
        if method == "getMe":
            return web.json_response({"ok": True, "result": BOT_USER})
        if method == "getUpdates":
            await asyncio.sleep(min(float(params.get("timeout", 1) or 1), 1.0))
            return web.json_response({"ok": True, "result": []})
        if method not in ("sendMessage", "sendPhoto"):
            return web.json_response({"ok": True, "result": True})
        chat = int(params["chat_id"])
        if chat != COORDINATOR:
            self.attempts.append(time.monotonic())
        if chat in self.blocked:
            self.forbidden += 1
            return web.json_response(
                {
                    "ok": False,
                    "error_code": 403,
                    "description": "Forbidden: bot was blocked by the user",
                },
                status=403,
            )
        if not self._take():
            self.throttled += 1
            return web.json_response(
                {
                    "ok": False,
                    "error_code": 429,
                    "description": "Too Many Requests: retry after 1",
                    "parameters": {"retry_after": 1},
                },
                status=429,
            )
        text = str(params.get("text") or params.get("caption") or "")
        if chat == COORDINATOR:  # the author gets the broadcast too, then the report
            if "Broadcast #" in text:
                self.reports.append(text)
        elif "Benchmark" in text:
            self.received[chat] += 1
            self.times.append(time.monotonic())
        self._message_id += 1
        message = {
            "message_id": self._message_id,
            "date": int(time.time()),
            "chat": {"id": chat, "type": "private"},
            "from": BOT_USER,
            "text": text,
        }
        return web.json_response({"ok": True, "result": message})


async def prepare(url: str, recipients: int) -> int:
    await asyncio.to_thread(migrate, url)
    database = Database(url)
    async with database.session() as session:
        boss = Member(
            telegram_id=COORDINATOR,
            display_name="Boss",
            language="en",
            role=Role.COORDINATOR,
            consent_at=utcnow(),
        )
        session.add(boss)
        session.add_all(
            Member(
                telegram_id=FIRST_RECIPIENT + i,
                display_name=f"P{i}",
                language="en",
                consent_at=utcnow(),
            )
            for i in range(recipients)
        )
        await session.flush()
        draft = await broadcasts_service.create_draft(
            session, boss, broadcasts_service.audience_spec("everyone"), TEXT
        )
        broadcast = await broadcasts_service.start(session, draft.id, boss)  # type: ignore[arg-type]
        broadcast_id = broadcast.id
    await database.dispose()
    assert broadcast_id is not None
    return broadcast_id


async def outcome(url: str, broadcast_id: int) -> dict[int, str]:
    database = Database(url)
    async with database.session() as session:
        rows = await session.exec(
            select(BroadcastRecipient.chat_id, BroadcastRecipient.state).where(
                BroadcastRecipient.broadcast_id == broadcast_id
            )
        )
        states = {chat: state for chat, state in rows.all() if chat != COORDINATOR}
    await database.dispose()
    return states


def start_bot(
    workdir: Path, api: str, url: str, ceiling: float, log: Path
) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "TELEGRAM_BOT_TOKEN": TOKEN,
        "TELEGRAM_API_URL": api,
        "DATABASE_URL": url,
        "BROADCAST_RATE": str(ceiling),
        "BOT_COORDINATORS": str(COORDINATOR),
    }
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "bot",
            "run",
            "--poll-timeout",
            "1",
            "--heartbeat",
            str(workdir / "heartbeat"),
        ],
        cwd=ROOT,
        env=env,
        stdout=log.open("ab"),
        stderr=subprocess.STDOUT,
    )


async def run_once(args: argparse.Namespace, kill: bool) -> dict[str, object]:
    workdir = Path(tempfile.mkdtemp(prefix="bench-broadcast-"))
    url = f"sqlite+aiosqlite:///{workdir / 'bot.db'}"
    broadcast_id = await prepare(url, args.recipients)
    every = max(int(1 / args.blocked), 1) if args.blocked else 0
    blocked = {FIRST_RECIPIENT + i for i in range(args.recipients) if every and i % every == 0}
    fake = FakeTelegram(args.ceiling, blocked)
    app = web.Application()
    app.router.add_post("/bot{token}/{method}", fake.handle)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    api = f"http://127.0.0.1:{port}"
    log = workdir / "bot.log"
    bot = start_bot(workdir, api, url, args.ceiling, log)
    started = time.monotonic()
    gap = 0.0
    killed = False
    try:
        while not fake.reports:
            await asyncio.sleep(0.05)
            if kill and not killed and sum(fake.received.values()) >= args.recipients // 2:
                bot.send_signal(signal.SIGKILL)
                bot.wait()
                killed = True
                down = time.monotonic()
                bot = start_bot(workdir, api, url, args.ceiling, log)
                # The gap ends with the first delivery of the new process.
                before = len(fake.times)
                while len(fake.times) == before and not fake.reports:  # noqa: ASYNC110
                    await asyncio.sleep(0.01)
                gap = time.monotonic() - down
            if time.monotonic() - started > args.timeout:
                raise TimeoutError(f"no report after {args.timeout} s; see {log}")
    finally:
        bot.send_signal(signal.SIGTERM)
        try:
            bot.wait(timeout=15)
        except subprocess.TimeoutExpired:
            bot.kill()
        await runner.cleanup()
    states = await outcome(url, broadcast_id)
    final = {
        RecipientState.SENT,
        RecipientState.BLOCKED,
        RecipientState.FAILED,
        RecipientState.UNCERTAIN,
    }
    delivered = sum(1 for n in fake.received.values() if n)
    span = (fake.times[-1] - fake.times[0]) if len(fake.times) > 1 else float("nan")
    rate = (delivered - 1) / (span - gap) if span == span else float("nan")
    counts = Counter(states.values())
    return {
        "run": "SIGKILL halfway + restart" if kill else "straight through",
        "recipients": args.recipients,
        "blocked_on_server": len(blocked),
        "delivered": delivered,
        "delivered_per_s": round(rate, 2),
        "fraction_of_ceiling": round(rate / args.ceiling, 3),
        # Every send request (403s included) per second: PTB's limiter counts these.
        "requests_fraction_of_ceiling": round(
            (len(fake.attempts) - 1) / (fake.attempts[-1] - fake.attempts[0] - gap) / args.ceiling,
            3,
        ),
        "wall_clock_fraction": round((delivered - 1) / span / args.ceiling, 3)
        if span == span
        else None,
        "restart_gap_s": round(gap, 2),
        "duplicates": sum(n - 1 for n in fake.received.values() if n > 1),
        "unaccounted": sum(1 for s in states.values() if s not in final)
        + sum(1 for c, s in states.items() if s == RecipientState.SENT and not fake.received[c]),
        "uncertain": counts.get(RecipientState.UNCERTAIN, 0),
        "uncertain_actually_received": sum(
            1 for c, s in states.items() if s == RecipientState.UNCERTAIN and fake.received[c]
        ),
        "uncertain_limit": CONCURRENCY,
        "states": {str(k): v for k, v in sorted(counts.items())},
        "429s": fake.throttled,
        "403s": fake.forbidden,
    }


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--recipients", type=int, default=3000)
    parser.add_argument("--blocked", type=float, default=0.05)
    parser.add_argument("--ceiling", type=float, default=30.0)
    parser.add_argument("--timeout", type=float, default=900.0)
    parser.add_argument("--only", choices=["straight", "kill"])
    args = parser.parse_args()
    results = []
    for kill in (False, True):
        if args.only and args.only != ("kill" if kill else "straight"):
            continue
        result = asyncio.run(run_once(args, kill))
        print(json.dumps(result, indent=2), flush=True)
        results.append(result)
    failed = [
        r
        for r in results
        if r["duplicates"] or r["unaccounted"] or int(r["uncertain"]) > CONCURRENCY  # type: ignore[call-overload]
    ]
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
