"""Footprint of the real bot process: start-up time, idle memory, idle CPU.

Starts `python -m bot run` against the fake Bot API server (tests/fake_telegram) and measures
  * start-up: process start -> first getUpdates (wall clock, and the CPU seconds the bot used
    by then, which a busy machine does not inflate), median of N runs on a fresh SQLite
    database (migrations run) and of N restarts on a database already at head. Bytecode is
    cached in a temporary PYTHONPYCACHEPREFIX as in a deployment (the Docker image compiles
    it); the very first start, which compiles every module, is reported on its own;
  * idle RSS after 10 s (from /proc, the bot process alone; the fake server runs in here);
  * CPU seconds (user + system) the bot used over `--idle` idle seconds.

Packages only the dev group installs are hidden from the bot process (`import trio` fails
as it does in the Docker image, `uv sync --no-dev`): httpcore imports trio and httpx imports
pygments whenever they are installed, ~5 MB and ~0.1 s that a deployment never pays.
`--with-dev-packages` measures the development environment as it is.

    uv run python benchmarks/footprint.py [--runs 5] [--idle 60] [--json]
Targets: start-up (bytecode cached) <= 0.5 s, idle RSS <= 70 MB, idle CPU ~ 0.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.fake_telegram import FakeTelegram  # noqa: E402

TOKEN = "123456:BENCH-footprint-token"
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


# Runs `python -m bot ...` with the named modules made unimportable (argv[1]: comma-separated).
LAUNCH = """import runpy, sys
sys.modules.update(dict.fromkeys(m for m in sys.argv.pop(1).split(",") if m))
sys.argv[0] = "bot"
runpy.run_module("bot", run_name="__main__", alter_sys=True)
"""
BOT_RUN = ("run", "--heartbeat")


def _normalised(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def dev_only_modules(project: str = "leaders-bot") -> set[str]:
    """Top-level modules of the installed distributions `project` does not require."""
    from importlib import metadata

    from packaging.requirements import Requirement

    required: set[str] = set()
    queue: list[tuple[str, frozenset[str]]] = [(project, frozenset())]
    seen: set[tuple[str, frozenset[str]]] = set()
    while queue:
        name, extras = queue.pop()
        if (_normalised(name), extras) in seen:
            continue
        seen.add((_normalised(name), extras))
        required.add(_normalised(name))
        try:
            requires = metadata.distribution(name).requires or []
        except metadata.PackageNotFoundError:
            continue
        for text in requires:
            requirement = Requirement(text)
            marker = requirement.marker
            if marker is None or any(marker.evaluate({"extra": e}) for e in extras | {""}):
                queue.append((requirement.name, frozenset(requirement.extras)))

    def modules(dist: metadata.Distribution) -> set[str]:
        names = set()
        for file in dist.files or []:
            top = file.parts[0]
            if top in ("..", "__pycache__") or top.endswith((".dist-info", ".data", ".pth")):
                continue
            if len(file.parts) > 1 or top.endswith((".py", ".so", ".pyd")):
                names.add(top.split(".")[0])
        return names

    kept: set[str] = set()
    hidden: set[str] = set()
    for dist in metadata.distributions():
        wanted = _normalised(dist.metadata["Name"]) in required
        (kept if wanted else hidden).update(modules(dist))
    return hidden - kept


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("no VmRSS")


def cpu_seconds(pid: int) -> float:
    # Fields after the command name (which may hold spaces): utime and stime are 14 and 15.
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS


def start_bot(
    fake: FakeTelegram,
    workdir: Path,
    database: Path,
    log_name: str,
    hidden: set[str],
    extra_env: dict[str, str] | None = None,
) -> tuple[subprocess.Popen[bytes], float, float]:
    """Start the bot; return it, the seconds until its first getUpdates and its CPU by then."""
    env = {
        **(extra_env or {}),
        **{
            k: v
            for k, v in os.environ.items()
            if not k.startswith(("TELEGRAM_", "BOT_")) and k != "PYTHONDONTWRITEBYTECODE"
        },
        "TELEGRAM_BOT_TOKEN": TOKEN,
        "TELEGRAM_API_URL": fake.url,
        "DATABASE_URL": f"sqlite:///{database}",
        "PYTHONPATH": str(ROOT),
        "PYTHONPYCACHEPREFIX": str(workdir / "pycache"),
    }
    log = (workdir / log_name).open("wb")
    since = time.time()
    started = time.perf_counter()
    process = subprocess.Popen(
        [
            sys.executable,
            "-c",
            LAUNCH,
            ",".join(sorted(hidden)),
            *BOT_RUN,
            str(workdir / "heartbeat"),
        ],
        cwd=workdir,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    deadline = started + 60
    while time.perf_counter() < deadline:
        polls = [t for t in fake._poll_times if t >= since]
        if polls:
            return process, min(polls) - since, cpu_seconds(process.pid)
        if process.poll() is not None:
            raise RuntimeError(f"the bot exited: {(workdir / log_name).read_text()}")
        time.sleep(0.005)
    process.kill()
    raise RuntimeError("the bot did not poll within 60 s")


def stop(process: subprocess.Popen[bytes]) -> None:
    process.terminate()
    try:
        process.wait(15)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def import_breakdown(log: str, top: int = 12) -> dict[str, Any]:
    """`python -X importtime` lines of a start: own import time summed by top-level package."""
    own: Counter[str] = Counter()
    for line in log.splitlines():
        match = re.match(r"import time:\s+(\d+) \|\s+\d+ \|\s*(\S+)", line)
        if match:
            own[match[2].split(".")[0]] += int(match[1]) / 1e6
    return {"total_s": sum(own.values()), "packages": own.most_common(top)}


def memory_breakdown(pid: int, top: int = 8) -> dict[str, Any]:
    """Resident memory by mapping (/proc/PID/smaps): the heap, anonymous memory, each file."""
    resident: Counter[str] = Counter()
    name = "[anonymous]"
    for line in Path(f"/proc/{pid}/smaps").read_text().splitlines():
        fields = line.split()
        if re.match(r"^[0-9a-f]+-[0-9a-f]+ ", line):
            path = fields[5] if len(fields) > 5 else "[anonymous]"
            name = path.rsplit("/", 1)[-1] if path.startswith("/") else path
        elif fields and fields[0] == "Rss:":
            resident[name] += int(fields[1]) / 1024
    files = sum(v for k, v in resident.items() if not k.startswith("["))
    return {
        "anonymous_mb": resident["[anonymous]"] + resident["[heap]"],
        "files_mb": files,
        "largest": resident.most_common(top),
    }


def measure(
    runs: int, idle: float, settle: float, hidden: set[str], breakdown: bool = False
) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as tmp, FakeTelegram(token=TOKEN) as fake:
        workdir = Path(tmp)
        process, first, first_cpu = start_bot(
            fake, workdir, workdir / "first.db", "first.log", hidden
        )
        stop(process)
        fresh, fresh_cpu, warm, warm_cpu = [], [], [], []
        for i in range(runs):
            database = workdir / f"fresh{i}.db"
            process, seconds, cpu = start_bot(fake, workdir, database, f"fresh{i}.log", hidden)
            fresh.append(seconds)
            fresh_cpu.append(cpu)
            stop(process)
        database = workdir / "fresh0.db"  # already at head
        for i in range(runs):
            process, seconds, cpu = start_bot(fake, workdir, database, f"warm{i}.log", hidden)
            warm.append(seconds)
            warm_cpu.append(cpu)
            if i < runs - 1:
                stop(process)
        imports = None
        if breakdown:  # one more start, with Python's import timer (it slows the start a bit)
            stop(process)
            profiled = {"PYTHONPROFILEIMPORTTIME": "1"}
            process, seconds, _cpu = start_bot(
                fake, workdir, database, "imports.log", hidden, profiled
            )
            imports = {
                "startup_s": seconds,
                **import_breakdown((workdir / "imports.log").read_text()),
            }
        # The last warm process stays: memory and CPU while nothing happens.
        time.sleep(max(0.0, settle - warm[-1]))
        rss = rss_mb(process.pid)
        memory = memory_breakdown(process.pid) if breakdown else None
        cpu_before, wall_before = cpu_seconds(process.pid), time.perf_counter()
        polls_before = len(fake._poll_times)
        time.sleep(idle)
        cpu = cpu_seconds(process.pid) - cpu_before
        wall = time.perf_counter() - wall_before
        polls = len(fake._poll_times) - polls_before
        rss_end = rss_mb(process.pid)
        stop(process)
    return {
        "startup_first_s": first,
        "startup_first_cpu_s": first_cpu,
        "startup_fresh_cpu_median_s": statistics.median(fresh_cpu),
        "startup_warm_cpu_median_s": statistics.median(warm_cpu),
        "startup_fresh_median_s": statistics.median(fresh),
        "startup_fresh_max_s": max(fresh),
        "startup_warm_median_s": statistics.median(warm),
        "startup_warm_max_s": max(warm),
        "idle_rss_mb": rss,
        "idle_rss_end_mb": rss_end,
        "idle_seconds": wall,
        "idle_cpu_s": cpu,
        "idle_cpu_percent": 100 * cpu / wall,
        "idle_polls": polls,
        "imports": imports,
        "memory": memory,
    }


def row(
    metric: str, value: float, unit: str, target: str = "", ok: bool | None = None
) -> dict[str, object]:
    """One line of benchmarks/run_all.py's table."""
    return {"metric": metric, "value": value, "unit": unit, "target": target, "ok": ok}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--idle", type=float, default=15.0, help="idle seconds (60 for the record)")
    parser.add_argument("--settle", type=float, default=10.0, help="seconds before reading RSS")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument(
        "--breakdown",
        action="store_true",
        help="also print where start-up time (import timer) and idle memory (smaps) go",
    )
    parser.add_argument(
        "--with-dev-packages",
        action="store_true",
        help="let the bot import what only the dev group installs (trio, pygments, ...)",
    )
    args = parser.parse_args()
    hidden = set() if args.with_dev_packages else dev_only_modules()
    figures = measure(args.runs, args.idle, args.settle, hidden, args.breakdown)
    if args.json:
        warm, fresh = figures["startup_warm_median_s"], figures["startup_fresh_median_s"]
        summary = [
            row("start-up, database at head (median)", warm, "s", "<= 0.5", warm <= 0.5),
            row("start-up, fresh database (median)", fresh, "s", "<= 0.5", fresh <= 0.5),
            row("start-up CPU, database at head", figures["startup_warm_cpu_median_s"], "s"),
            row("idle RSS", figures["idle_rss_mb"], "MB", "<= 70", figures["idle_rss_mb"] <= 70),
            row(
                f"CPU over {figures['idle_seconds']:.0f} idle s",
                figures["idle_cpu_s"],
                "s",
                "~ 0",
                figures["idle_cpu_percent"] < 1,
            ),
        ]
        print(json.dumps({"figures": figures, "summary": summary}))
        return 0
    load = os.getloadavg()
    print(
        f"footprint ({os.cpu_count()} CPUs, load {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}; "
        f"{'dev packages importable' if args.with_dev_packages else 'dev-only packages hidden'})"
    )
    rows = [
        ("first start, no bytecode yet", figures["startup_first_s"], "s", ""),
        ("  its CPU time", figures["startup_first_cpu_s"], "s", ""),
        ("start-up, fresh database (median)", figures["startup_fresh_median_s"], "s", "<= 0.5"),
        ("start-up, fresh database (max)", figures["startup_fresh_max_s"], "s", ""),
        ("  its CPU time (median)", figures["startup_fresh_cpu_median_s"], "s", ""),
        ("start-up, database at head (median)", figures["startup_warm_median_s"], "s", "<= 0.5"),
        ("  its CPU time (median)", figures["startup_warm_cpu_median_s"], "s", ""),
        ("start-up, database at head (max)", figures["startup_warm_max_s"], "s", ""),
        (f"idle RSS after {args.settle:.0f} s", figures["idle_rss_mb"], "MB", "<= 70"),
        (f"idle RSS after {args.settle + args.idle:.0f} s", figures["idle_rss_end_mb"], "MB", ""),
        (f"CPU over {figures['idle_seconds']:.0f} idle s", figures["idle_cpu_s"], "s", "~ 0"),
        ("idle CPU share", figures["idle_cpu_percent"], "%", ""),
        ("getUpdates calls while idle", figures["idle_polls"], "", ""),
    ]
    for name, value, unit, target in rows:
        print(f"  {name:<38} {value:>9.3f} {unit:<3} {('target ' + target) if target else ''}")
    if figures["imports"]:
        imports = figures["imports"]
        print(
            f"  --breakdown, a start with -X importtime: first getUpdates after "
            f"{imports['startup_s']:.3f} s, {imports['total_s']:.3f} s of it importing:"
        )
        for package, seconds in imports["packages"]:
            print(f"    {1000 * seconds:7.1f} ms  {package}")
    if figures["memory"]:
        memory = figures["memory"]
        print(
            f"  idle resident memory: {memory['anonymous_mb']:.1f} MB heap and anonymous, "
            f"{memory['files_mb']:.1f} MB mapped files; largest:"
        )
        for name, mb in memory["largest"]:
            print(f"    {mb:7.1f} MB  {name}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
