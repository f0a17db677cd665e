"""Throughput and latency of the bot's handlers, against a bare python-telegram-bot echo bot.

A weighted mix of updates (benchmarks/steps.py: onboarding, menu, help, language, stale
buttons, invites, browsing, supports, group pages, joining and leaving, /idea conversations,
invitation answers) goes through `Application.process_update` with the offline recording
request of tests/harness.py, one at a time as in polling, on a database pre-filled with
10,000 members, 100,000 contributions and 2,000 meetings with 10 answers each.
The same updates then go through a bare echo bot in the same process.

    uv run python benchmarks/throughput.py [--updates 3000] [--json]
        [--database-url postgresql+asyncpg://postgres@127.0.0.1:5432/postgres] [--no-sqlite]
--database-url (or --pg): a PostgreSQL database THAT WILL BE WIPED (public schema recreated).
--profile: the measured updates run under cProfile (slower), and the report adds the share of
time spent in each layer (python-telegram-bot, SQLAlchemy, the SQLite driver, our code...).
Besides wall-clock updates/s, "per CPU s" divides by the process's own CPU time: on a
machine shared with other work it is the steadier figure.
Targets: p99 <= 10 ms for every step; >= 600 updates/s on SQLite, >= 400 on PostgreSQL.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import gc
import itertools
import json
import os
import pstats
import random
import statistics
import sys
import tempfile
import time
from collections import Counter, defaultdict
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import event, text  # noqa: E402
from telegram import Update  # noqa: E402
from telegram.ext import (  # noqa: E402
    Application,
    ApplicationBuilder,
    CallbackQueryHandler,
    ContextTypes,
    MessageHandler,
    filters,
)

from benchmarks import steps  # noqa: E402
from benchmarks.steps import PREFILL, SCENARIOS, Population, Scenario  # noqa: E402
from bot.app import build_application, freeze_startup_objects, startup  # noqa: E402
from bot.config import Settings  # noqa: E402
from bot.db import Database, migrate  # noqa: E402
from tests.harness import Harness, RecordingRequest, User  # noqa: E402

TOKEN = "123456:BENCH-throughput-token"
P99_TARGET_MS = 10.0
RATE_TARGETS = {"sqlite": 600.0, "postgresql": 400.0}


_UNIT = Database.unit


@asynccontextmanager
async def _no_unit(_database: Database) -> AsyncIterator[None]:
    yield


class Bench(Harness):
    """The test harness, timing each update under the name of the step being run."""

    def __init__(self, application: Application, request: RecordingRequest, seed: int) -> None:  # type: ignore[type-arg]
        super().__init__(application, request)
        self.rng = random.Random(seed)
        self.step = "warm-up"
        self.timings: dict[str, list[float]] = defaultdict(list)
        self.cpu: dict[str, list[float]] = defaultdict(list)
        # Database work per step: statements, connection checkouts, commits (deterministic,
        # unlike times on a shared machine).
        self.counts: dict[str, Counter[str]] = defaultdict(Counter)
        self.current: Counter[str] = Counter()
        self.updates: list[tuple[str, dict[str, Any]]] = []
        self.gc: dict[str, Any] = {}
        # --ab: every other update runs without the per-update connection (Database.unit),
        # so both are measured under the same load; step -> [CPU with, CPU without].
        self.ab = False
        self.ab_cpu: dict[str, tuple[list[float], list[float]]] = defaultdict(lambda: ([], []))

    def count_database_work(self, database: Database) -> None:
        engine = database.engine.sync_engine

        def on(kind: str) -> Any:
            def listener(*_args: Any, **_kwargs: Any) -> None:
                self.current[kind] += 1

            return listener

        event.listen(engine, "before_cursor_execute", on("statements"))
        event.listen(engine, "commit", on("commits"))
        event.listen(engine.pool, "checkout", on("checkouts"))

    async def feed(self, data: dict[str, Any]) -> list[Any]:
        data.setdefault("update_id", next(self._update_ids))
        self.updates.append((self.step, json.loads(json.dumps(data))))
        before = len(self.request.calls)
        self.current.clear()
        without = self.ab and len(self.updates) % 2 == 0
        if without:
            Database.unit = _no_unit  # type: ignore[method-assign]
        started, cpu = time.perf_counter(), time.thread_time()
        try:
            await self.app.process_update(Update.de_json(data, self.app.bot))
        finally:
            Database.unit = _UNIT  # type: ignore[method-assign]
        self.timings[self.step].append(time.perf_counter() - started)
        self.cpu[self.step].append(time.thread_time() - cpu)
        if self.ab:
            self.ab_cpu[self.step][without].append(time.thread_time() - cpu)
        counts = self.counts[self.step]
        counts.update(self.current)
        counts["updates"] += 1
        calls = self.request.calls[before:]
        if len(self.request.calls) > 10_000:
            self.request.calls.clear()
        return calls


async def prepare_database(url: str, pg: bool) -> None:
    if pg:
        database = Database(url)
        async with database.engine.begin() as conn:
            await conn.execute(text("DROP SCHEMA public CASCADE"))
            await conn.execute(text("CREATE SCHEMA public"))
        await database.dispose()
    await asyncio.to_thread(migrate, url)


async def run_bot(
    url: str,
    updates: int,
    seed: int,
    freeze: bool = True,
    ab: bool = False,
    profiler: cProfile.Profile | None = None,
) -> tuple[Bench, float, float, dict[str, float]]:
    settings = Settings(
        telegram_bot_token=TOKEN,  # type: ignore[arg-type]
        database_url=url,
        telegram_api_url="http://127.0.0.1:9",
    )
    database = Database(url)
    request = RecordingRequest()
    application = build_application(
        settings,
        database=database,
        request=request,
        get_updates_request=RecordingRequest(),
        rate_limit=False,
    )
    rng = random.Random(seed)
    people = steps.FILLED = Population()  # the steps pick groups and ideas from it
    prefill: dict[str, float] = {}
    async with application:
        await startup(application)
        freeze_startup_objects()  # start-up leaves it for FREEZE_AFTER seconds later
        if not freeze:
            gc.unfreeze()  # what start-up froze (bot/app.py), to compare
        task = application.bot_data.get("commands_task")
        if task is not None:
            await task
        for fill in PREFILL:
            started = time.perf_counter()
            async with database.session() as session:
                await fill(session, rng, people)
            prefill[fill.__name__] = time.perf_counter() - started
        if database.engine.dialect.name == "sqlite":
            # A live bot's database has long been checkpointed; the bulk insert sits in the WAL.
            async with database.engine.connect() as conn:
                await conn.execute(text("PRAGMA wal_checkpoint(TRUNCATE)"))
        else:
            # A live PostgreSQL has long been analysed by autovacuum; the bulk insert has no
            # statistics yet, and plans made without them (one row expected) are not its plans.
            async with database.engine.connect() as conn:
                await conn.execution_options(isolation_level="AUTOCOMMIT")
                await conn.execute(text("ANALYZE"))
        bench = Bench(application, request, seed)
        bench.count_database_work(database)
        newcomers = itertools.count(1)
        weights = [s.weight for s in SCENARIOS]

        async def play(scenario: Scenario) -> None:
            if scenario.who == "newcomer":
                user = User(next(newcomers), language_code=rng.choice(["pl", "en", "uk"]))
            else:
                pool = people.coordinators if scenario.who == "coordinator" else people.members
                user = User(rng.choice(pool), language_code="pl")
            for step in scenario.steps:
                bench.step = step.name
                await step.run(bench, user)

        for scenario in SCENARIOS * 3:  # warm caches and code paths; not measured
            await play(scenario)
        bench.ab = ab
        bench.timings.clear()
        bench.cpu.clear()
        bench.counts.clear()
        bench.updates.clear()
        pauses = GcPauses()
        gc.callbacks.append(pauses)
        started, cpu = time.perf_counter(), time.process_time()
        if profiler is not None:
            profiler.enable()
        try:
            while len(bench.updates) < updates:
                await play(rng.choices(SCENARIOS, weights)[0])
        finally:
            if profiler is not None:
                profiler.disable()
            gc.callbacks.remove(pauses)
        elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu
        bench.gc = pauses.summary()
    await database.dispose()
    return bench, elapsed, cpu, prefill


class GcPauses:
    """How long the garbage collector's passes took during the run, by generation."""

    def __init__(self) -> None:
        self.started = 0.0
        self.pauses: dict[int, list[float]] = defaultdict(list)

    def __call__(self, phase: str, info: dict[str, int]) -> None:
        if phase == "start":
            self.started = time.perf_counter()
        else:
            self.pauses[info["generation"]].append(time.perf_counter() - self.started)

    def summary(self) -> dict[str, Any]:
        return {
            f"gen{g}": {"count": len(v), "max_ms": 1000 * max(v), "total_ms": 1000 * sum(v)}
            for g, v in sorted(self.pauses.items())
        }


async def echo(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    if update.callback_query is not None:
        await update.callback_query.answer()
    elif update.effective_message is not None:
        await update.effective_message.reply_text(update.effective_message.text or "?")


async def run_echo(
    updates: list[tuple[str, dict[str, Any]]],
) -> tuple[dict[str, list[float]], float]:
    """The same updates through a bare PTB application that only echoes."""
    application = (
        ApplicationBuilder()
        .token(TOKEN)
        .request(RecordingRequest())
        .get_updates_request(RecordingRequest())
        .build()
    )
    application.add_handler(MessageHandler(filters.ALL, echo))
    application.add_handler(CallbackQueryHandler(echo))
    timings: dict[str, list[float]] = defaultdict(list)
    async with application:
        for _, data in updates[:200]:  # warm-up
            await application.process_update(Update.de_json(data, application.bot))
        started = time.perf_counter()
        for step, data in updates:
            begin = time.perf_counter()
            await application.process_update(Update.de_json(data, application.bot))
            timings[step].append(time.perf_counter() - begin)
        elapsed = time.perf_counter() - started
    return timings, elapsed


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


async def measure(
    url: str,
    pg: bool,
    updates: int,
    seed: int,
    freeze: bool = True,
    ab: bool = False,
    profile: bool = False,
) -> dict[str, Any]:
    await prepare_database(url, pg)
    profiler = cProfile.Profile() if profile else None
    bench, elapsed, cpu, prefill = await run_bot(url, updates, seed, freeze, ab, profiler)
    echo_timings, echo_elapsed = await run_echo(bench.updates)
    steps = []
    order = [step.name for scenario in SCENARIOS for step in scenario.steps]
    for name in dict.fromkeys(order):
        values = bench.timings.get(name)
        if not values:
            continue
        echo_values = echo_timings[name]
        counts = bench.counts[name]
        steps.append(
            {
                "step": name,
                "count": len(values),
                "statements": counts["statements"] / counts["updates"],
                "checkouts": counts["checkouts"] / counts["updates"],
                "commits": counts["commits"] / counts["updates"],
                "cpu_p50_ms": 1000 * statistics.median(bench.cpu[name]),
                "p50_ms": 1000 * statistics.median(values),
                "p99_ms": 1000 * percentile(values, 0.99),
                "max_ms": 1000 * max(values),
                "echo_p50_ms": 1000 * statistics.median(echo_values),
                "echo_p99_ms": 1000 * percentile(echo_values, 0.99),
            }
        )
    total = len(bench.updates)
    return {
        "database": "postgresql" if pg else "sqlite",
        "updates": total,
        "updates_per_s": total / elapsed,
        "updates_per_cpu_s": total / cpu,
        "gc_frozen": freeze,
        "gc_pauses": bench.gc,
        "ab": {
            step: {"with_ms": 1000 * sum(on), "without_ms": 1000 * sum(off), "n": len(on)}
            for step, (on, off) in bench.ab_cpu.items()
        },
        "echo_updates_per_s": total / echo_elapsed,
        "ratio": (total / echo_elapsed) / (total / elapsed),
        "prefill_s": prefill,
        "steps": steps,
        "profile": where_time_goes(profiler) if profiler is not None else None,
    }


# Where a profiled function's own time is counted: the first pattern found in its file name
# (or, for C functions, in their description: sqlite3.Cursor.execute runs the SQL).
LAYERS = (
    ("python-telegram-bot", ("/telegram/",)),
    ("SQLAlchemy + SQLModel", ("/sqlalchemy/", "/sqlmodel/")),
    ("SQLite (driver and C library)", ("sqlite3", "/aiosqlite/", "sqlite_inline")),
    ("PostgreSQL driver", ("asyncpg",)),
    ("bot/ (services, persistence, db)", ("/bot/",)),
    ("handlers/", ("/handlers/",)),
    ("benchmark harness", ("/tests/", "/benchmarks/")),
    ("asyncio", ("/asyncio/",)),
    ("json", ("/json/", "_json")),
)


def where_time_goes(profiler: cProfile.Profile, top: int = 12) -> dict[str, Any]:
    """cProfile's own time per function, summed by layer, and the costliest functions."""
    stats = pstats.Stats(profiler).stats  # type: ignore[attr-defined]
    by_layer: Counter[str] = Counter()
    functions: list[tuple[float, str]] = []
    for (filename, line, name), (_cc, _nc, own, _cum, _callers) in stats.items():
        where = filename if filename != "~" else name
        layer = next((label for label, marks in LAYERS if any(m in where for m in marks)), "other")
        by_layer[layer] += own
        short = where.split("site-packages/")[-1].split(str(ROOT) + "/")[-1]
        functions.append((own, f"{short}:{line} {name}" if filename != "~" else name))
    total = sum(by_layer.values()) or 1.0
    return {
        "total_s": total,
        "layers": {k: v / total for k, v in by_layer.most_common()},
        "functions": [(f, own / total) for own, f in sorted(functions, reverse=True)[:top]],
    }


def report(result: dict[str, Any]) -> None:
    target = RATE_TARGETS[result["database"]]
    print(
        f"\n{result['database']}: {result['updates']} updates, "
        f"{result['updates_per_s']:.0f} updates/s ({result['updates_per_cpu_s']:.0f} per CPU s; "
        f"target >= {target:.0f}); bare PTB echo {result['echo_updates_per_s']:.0f} updates/s; "
        f"echo is {result['ratio']:.1f}x faster"
        + ("" if result["gc_frozen"] else "; gc NOT frozen")
    )
    fills = ", ".join(f"{k} {v:.1f} s" for k, v in result["prefill_s"].items())
    print(f"  pre-fill: {fills}")
    pauses = ", ".join(
        f"{g}: {p['count']} passes, max {p['max_ms']:.1f} ms, total {p['total_ms']:.0f} ms"
        for g, p in result["gc_pauses"].items()
    )
    print(f"  garbage collector: {pauses}")
    print(
        f"  {'step':<24}{'n':>5}{'sql':>5}{'conn':>5}{'cmt':>5}{'cpu p50':>8}"
        f"{'p50 ms':>8}{'p99 ms':>8}{'max ms':>8}"
        f"{'echo p50':>9}{'echo p99':>9}  p99 <= {P99_TARGET_MS:.0f} ms"
    )
    for s in result["steps"]:
        ok = "ok" if s["p99_ms"] <= P99_TARGET_MS else "MISSED"
        print(
            f"  {s['step']:<24}{s['count']:>5}{s['statements']:>5.1f}{s['checkouts']:>5.1f}"
            f"{s['commits']:>5.1f}{s['cpu_p50_ms']:>8.2f}{s['p50_ms']:>8.2f}{s['p99_ms']:>8.2f}"
            f"{s['max_ms']:>8.2f}{s['echo_p50_ms']:>9.2f}{s['echo_p99_ms']:>9.2f}  {ok}"
        )
    print("  sql/conn/cmt: statements, connection checkouts, commits per update (averages)")
    profile = result.get("profile")
    if profile:
        print(f"  --profile: cProfile own time, {profile['total_s']:.1f} s in all, by layer:")
        for layer, share in profile["layers"].items():
            print(f"    {100 * share:5.1f} %  {layer}")
        print("  costliest functions (own time):")
        for function, share in profile["functions"]:
            print(f"    {100 * share:5.1f} %  {function}")
    if result["ab"]:
        on = sum(v["with_ms"] for v in result["ab"].values())
        off = sum(v["without_ms"] for v in result["ab"].values())
        print(
            f"  --ab, CPU of the updates with one connection per update: {on:.0f} ms; "
            f"without (every other update): {off:.0f} ms ({100 * (off - on) / off:+.0f} % saved)"
        )
        for step, v in result["ab"].items():
            print(
                f"    {step:<24} with {v['with_ms'] / max(v['n'], 1):6.2f} ms/update"
                f"  without {v['without_ms'] / max(v['n'], 1):6.2f}"
            )


def summary(results: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The lines of benchmarks/run_all.py's table."""
    rows: list[dict[str, Any]] = []
    for result in results:
        db = result["database"]
        target = RATE_TARGETS[db]
        rows.append(
            {
                "metric": f"{db}: updates/s",
                "value": result["updates_per_s"],
                "unit": "/s",
                "detail": f"{result['updates_per_cpu_s']:.0f} per CPU s",
                "target": f">= {target:.0f}",
                "ok": result["updates_per_s"] >= target,
            }
        )
        rows.append(
            {
                "metric": f"{db}: bare PTB echo is faster by",
                "value": result["ratio"],
                "unit": "x",
                "target": "",
                "ok": None,
            }
        )
        for step in result["steps"]:
            rows.append(
                {
                    "metric": f"{db}: {step['step']} p50 / p99",
                    "value": step["p99_ms"],
                    "unit": "ms",
                    "detail": f"p50 {step['p50_ms']:.1f}",
                    "target": f"<= {P99_TARGET_MS:.0f}",
                    "ok": step["p99_ms"] <= P99_TARGET_MS,
                }
            )
    return rows


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--updates", type=int, default=3000)
    parser.add_argument("--seed", type=int, default=8)
    parser.add_argument(
        "--database-url",
        "--pg",
        dest="pg",
        metavar="URL",
        help="also on this PostgreSQL database (WIPED)",
    )
    parser.add_argument("--no-sqlite", action="store_true", help="only PostgreSQL")
    parser.add_argument(
        "--no-freeze", action="store_true", help="undo start-up's gc.freeze(), to compare"
    )
    parser.add_argument(
        "--ab",
        action="store_true",
        help="every other update without the per-update connection, to compare",
    )
    parser.add_argument(
        "--profile",
        action="store_true",
        help="run the measured updates under cProfile and print where the time goes",
    )
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    args = parser.parse_args()
    results = []
    with tempfile.TemporaryDirectory() as tmp:
        if not args.no_sqlite:
            url = f"sqlite+aiosqlite:///{tmp}/bench.db"
            results.append(
                asyncio.run(
                    measure(
                        url,
                        False,
                        args.updates,
                        args.seed,
                        not args.no_freeze,
                        args.ab,
                        args.profile,
                    )
                )
            )
        if args.pg:
            results.append(
                asyncio.run(
                    measure(
                        args.pg,
                        True,
                        args.updates,
                        args.seed,
                        not args.no_freeze,
                        args.ab,
                        args.profile,
                    )
                )
            )
    if args.json:
        print(json.dumps({"results": results, "summary": summary(results)}))
        return 0
    load = os.getloadavg()
    print(f"throughput ({os.cpu_count()} CPUs, load {load[0]:.2f} {load[1]:.2f} {load[2]:.2f})")
    for result in results:
        report(result)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
