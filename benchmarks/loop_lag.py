"""Event-loop lag during /export: does one coordinator's big export keep others waiting?

Runs a large export (default 153,000 rows: members, memberships, contributions with
supports, meetings with answers and action items, as benchmarks/export.py builds them)
through the real Application (tests/harness.py's offline recording request), while a
second member sends /help every 100 ms. Prints that member's reply latency (from the
update to the reply being sent) p50/p99/max, the event loop's lag (how late a 10 ms timer
fires), and the export's own time.

    uv run python benchmarks/loop_lag.py [--rows 153000] [--format xlsx] [--db PATH] [--json]
        [--mode thread|process|loop]
--db keeps the generated SQLite database in PATH and reuses it on the next run.
--mode compares how the export is run: thread (what the bot does: bot.offload), process
(a child process per export, for comparison), loop (the export's work on the event loop
itself, as before the fix). Target: the other member's p99 < 50 ms during an export.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import os
import statistics
import sys
import tempfile
import time
import warnings
from concurrent.futures import ProcessPoolExecutor
from multiprocessing import get_context
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.export import build  # noqa: E402
from bot.config import Settings  # noqa: E402
from bot.db import Database, migrate  # noqa: E402
from tests.harness import Harness, RecordingRequest, User  # noqa: E402

# The harness does not start the Application; the export task runs all the same.
warnings.filterwarnings("ignore", message="Tasks created via `Application.create_task`")
TOKEN = "123456:BENCH-loop-lag-token"
COORDINATOR = User(900001, "Ewa", "Szef", language_code="pl")
# Other members take turns sending /help: each stays under the bot's per-person limit of
# 5 updates a second (handlers/throttle.py), together one every 100 ms.
OTHERS = [User(900002 + i, "Olek", f"Inny {i}", language_code="pl") for i in range(4)]
P99_TARGET_MS = 50.0
BASE_ROWS = 153_010  # what build() makes with its defaults below
INTERVAL = 0.1


def scaled(rows: int) -> dict[str, int]:
    factor = rows / BASE_ROWS
    return {
        "members": max(int(10_000 * factor), 10),
        "rows": int(100_000 * factor),
        "meetings": max(int(1_000 * factor), 1),
        "answers": int(20_000 * factor),
    }


async def prepare(url: str, rows: int) -> None:
    size = scaled(rows)
    await build(url, size["members"], size["rows"], size["meetings"], size["answers"])


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


async def register(database: Database) -> None:
    from bot.services import members as members_service
    from models import Role

    async with database.session() as session:
        people = [(COORDINATOR, Role.COORDINATOR, "Ewa Szef")]
        people += [(user, Role.LEADER, f"Olek Inny {user.id}") for user in OTHERS]
        for user, role, name in people:
            member = await members_service.ensure_member(session, user.id)
            await members_service.give_consent(session, member, "pl")
            await members_service.set_profile(session, member, display_name=name)
            await members_service.set_role(session, member, role)


async def start(settings: Settings, database: Database) -> Harness:
    """tests/harness.py's start_harness, without waiting for the start-up's publishing of
    every privileged member's commands (thousands of them here, 50 ms apart)."""
    from bot.app import build_application, startup

    request = RecordingRequest()
    application = build_application(
        settings,
        database=database,
        request=request,
        get_updates_request=RecordingRequest(),
        rate_limit=False,
    )
    await application.initialize()
    await startup(application)
    application.bot_data["commands_task"].cancel()
    request.calls.clear()
    return Harness(application, request)


def use_mode(mode: str) -> None:
    """Swap how write_export runs its worker, for the comparison."""
    from bot.services import export as export_service

    if mode == "thread":
        return
    original = export_service.write_export

    if mode == "process":

        async def in_process(db: Any, path: Path, fmt: Any = "xlsx", **kwargs: Any) -> Any:
            from bot import i18n

            loop = asyncio.get_running_loop()
            with ProcessPoolExecutor(1, mp_context=get_context("spawn")) as pool:
                await loop.run_in_executor(pool, _child_setup, str(i18n.timezone()))
                return await loop.run_in_executor(
                    pool, _child_export, db.url, str(path), str(fmt), kwargs["language"]
                )

        export_service.write_export = in_process  # type: ignore[assignment]
    elif mode == "loop":

        async def on_loop(db: Any, path: Path, fmt: Any = "xlsx", **kwargs: Any) -> Any:
            return await export_service._write(
                db, Path(path), fmt, kwargs["language"], None, kwargs.get("specs")
            )

        export_service.write_export = on_loop  # type: ignore[assignment]
    assert original is not None


def _child_setup(timezone: str) -> None:
    from bot import i18n

    i18n.setup("pl", timezone)


def _child_export(url: str, path: str, fmt: str, language: str) -> Any:
    from bot.services.export import export_file

    return export_file(url, Path(path), fmt, language=language)


async def measure(url: str, fmt: str, mode: str) -> dict[str, Any]:
    from handlers import reports

    use_mode(mode)
    settings = Settings(
        telegram_bot_token=TOKEN,  # type: ignore[arg-type]
        database_url=url,
        bot_coordinators=(COORDINATOR.id,),
        telegram_api_url="http://127.0.0.1:9",
    )
    database = Database(url)
    await register(database)
    harness = await start(settings, database)
    turns = itertools.cycle(OTHERS)
    for _ in range(8):  # warm up: first-use imports and caches
        await harness.send(next(turns), "/help")
    quiet: list[float] = []
    for _ in range(20):
        started = time.perf_counter()
        await harness.send(next(turns), "/help")
        quiet.append(time.perf_counter() - started)
        await asyncio.sleep(INTERVAL)

    lags: list[float] = []
    done = asyncio.Event()

    async def watch_loop() -> None:
        while not done.is_set():
            started = time.perf_counter()
            await asyncio.sleep(0.01)
            lags.append(time.perf_counter() - started - 0.01)

    watcher = asyncio.create_task(watch_loop())
    started = time.perf_counter()
    cpu = time.process_time()
    await harness.press(COORDINATOR, f"rp:ex:{fmt}")
    latencies: list[float] = []
    while reports._exports:
        other = next(turns)
        asked = time.perf_counter()
        calls = await harness.send(other, "/help")
        latencies.append(time.perf_counter() - asked)
        assert any(c.chat_id == other.id for c in calls), "no answer to /help"
        await asyncio.sleep(max(0.0, INTERVAL - (time.perf_counter() - asked)))
    await reports.wait_for_exports()
    export_s = time.perf_counter() - started
    export_cpu = time.process_time() - cpu
    done.set()
    await watcher
    documents = [c for c in harness.calls if c.method == "sendDocument"]
    caption = documents[-1].text if documents else "no document sent"
    await harness.app.shutdown()
    await database.dispose()
    ms = [x * 1000 for x in latencies]
    lag_ms = [x * 1000 for x in lags]
    return {
        "mode": mode,
        "format": fmt,
        "export_s": export_s,
        "export_cpu_s": export_cpu,
        "caption": caption,
        "requests": len(ms),
        "quiet_p50_ms": statistics.median(quiet) * 1000,
        "p50_ms": percentile(ms, 0.5),
        "p99_ms": percentile(ms, 0.99),
        "max_ms": max(ms, default=float("nan")),
        "lag_p50_ms": percentile(lag_ms, 0.5),
        "lag_p99_ms": percentile(lag_ms, 0.99),
        "lag_max_ms": max(lag_ms, default=float("nan")),
    }


def row(
    metric: str, value: float, unit: str, target: str = "", ok: bool | None = None
) -> dict[str, object]:
    return {"metric": metric, "value": value, "unit": unit, "target": target, "ok": ok}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, default=BASE_ROWS, help="rows in the export")
    parser.add_argument("--format", choices=["xlsx", "csv"], default="xlsx")
    parser.add_argument("--mode", choices=["thread", "process", "loop"], default="thread")
    parser.add_argument("--db", type=Path, help="keep/reuse the SQLite database here")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    args = parser.parse_args()
    from bot import i18n

    i18n.setup("pl", "Europe/Warsaw")
    with tempfile.TemporaryDirectory() as folder:
        path = args.db or Path(folder) / "loop_lag.db"
        url = f"sqlite+aiosqlite:///{path}"
        fresh = not path.exists()
        migrate(url)
        if fresh:
            started = time.perf_counter()
            asyncio.run(prepare(url, args.rows))
            if not args.json:
                print(f"built {args.rows} rows in {time.perf_counter() - started:.1f} s")
        os.chdir(folder)  # data/exports of this run
        figures = asyncio.run(measure(url, args.format, args.mode))
    ok = figures["p99_ms"] < P99_TARGET_MS
    if args.json:
        summary = [
            row("other member's /help p99 during an export", figures["p99_ms"], "ms", "< 50", ok),
            row("  its p50", figures["p50_ms"], "ms"),
            row("  its max", figures["max_ms"], "ms"),
            row("event loop lag p99 during an export", figures["lag_p99_ms"], "ms"),
            row("export of the bot (from the button to the file)", figures["export_s"], "s"),
        ]
        print(json.dumps({"figures": figures, "summary": summary}))
        return 0
    load = os.getloadavg()
    print(
        f"loop lag ({os.cpu_count()} CPUs, load {load[0]:.2f}), {args.format} export run "
        f"as '{args.mode}': {figures['caption']}"
    )
    print(f"  export from the button to the file   {figures['export_s']:8.1f} s")
    print(f"  bot process CPU meanwhile            {figures['export_cpu_s']:8.1f} s")
    print(f"  /help while idle, p50                {figures['quiet_p50_ms']:8.1f} ms")
    print(f"  /help during the export ({figures['requests']} sent)")
    print(f"    p50                                {figures['p50_ms']:8.1f} ms")
    print(f"    p99                                {figures['p99_ms']:8.1f} ms   target < 50")
    print(f"    max                                {figures['max_ms']:8.1f} ms")
    print("  event loop lag (10 ms timer)")
    print(f"    p50                                {figures['lag_p50_ms']:8.1f} ms")
    print(f"    p99                                {figures['lag_p99_ms']:8.1f} ms")
    print(f"    max                                {figures['lag_max_ms']:8.1f} ms")
    print("target met" if ok else "target MISSED")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
