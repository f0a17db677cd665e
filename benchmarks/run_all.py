"""Run every benchmark in this folder and print one table: each figure, its target, met/missed.

A benchmark is any benchmarks/*.py script with a `__main__` block (helpers such as steps.py
have none). Each prints its own table when run alone and, with `--json`, one JSON object on
its last line whose "summary" is a list of rows: {"metric", "value", "unit", "target", "ok"}
(optional "detail"). A script without `--json` is run as it is and its last output lines are
shown under its name (no verdict). Scripts that take `--pg URL` get the one given here.

    uv run python benchmarks/run_all.py [--small] [--pg postgresql://...]
                                        [--only throughput,footprint]
--small runs each with small sizes (SMALL below): a check that all still run, in a few
minutes on two cores; its figures are not the record. The record's commands are the
scripts' defaults.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
# Small sizes per script, for --small.
SMALL: dict[str, list[str]] = {
    "broadcast": ["--recipients", "200", "--only", "straight"],
    "browse": ["--contributions", "2000", "--members", "300", "--repeat", "30"],
    "export": ["--members", "500", "--rows", "5000", "--meetings", "50", "--answers", "1000"],
    "footprint": ["--runs", "1", "--idle", "3", "--settle", "3"],
    "group_page": ["--runs", "30"],
    "loop_lag": ["--rows", "15000"],
    "panel": ["--small", "--repeat", "20"],
    "reminders": ["--count", "200", "--spread", "5"],
    "throughput": ["--updates", "300"],
}
TAIL = 8  # lines shown of a script without a JSON summary


def benchmarks() -> list[Path]:
    return [
        path
        for path in sorted(HERE.glob("*.py"))
        if path.name != Path(__file__).name and "__main__" in path.read_text(encoding="utf-8")
    ]


def run(
    path: Path, pg: str | None, small: bool
) -> tuple[list[dict[str, Any]], list[str], str | None, float]:
    """(summary rows, plain output lines, error, seconds)."""
    source = path.read_text(encoding="utf-8")
    has_json = '"--json"' in source
    command = [sys.executable, str(path)]
    if has_json:
        command.append("--json")
    if small:
        command += SMALL.get(path.stem, [])
    if pg and '"--pg"' in source:
        command += ["--pg", pg]
    started = time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True, cwd=HERE.parent)
    elapsed = time.perf_counter() - started
    lines = done.stdout.strip().splitlines()
    if done.returncode != 0 and not (lines and not has_json):
        return [], [], (done.stderr.strip().splitlines() or ["failed"])[-1], elapsed
    if not has_json:
        return [], lines[-TAIL:], None, elapsed
    try:
        result = json.loads(lines[-1])
    except (IndexError, json.JSONDecodeError):
        return [], [], "no JSON on the last line of its output", elapsed
    return list(result.get("summary", [])), [], None, elapsed


def machine() -> str:
    load = os.getloadavg()
    return (
        f"{platform.node()}: {os.cpu_count()} CPUs, {platform.python_implementation()} "
        f"{platform.python_version()}, load {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}, "
        f"{time.strftime('%Y-%m-%d %H:%M %Z')}"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--pg", metavar="URL", help="PostgreSQL database the benchmarks may wipe")
    parser.add_argument("--only", help="comma-separated script names, e.g. throughput,browse")
    parser.add_argument("--small", action="store_true", help="small sizes: a quick check")
    args = parser.parse_args()
    only = set(args.only.split(",")) if args.only else None
    print(machine() + ("  (--small: sizes are not the record's)" if args.small else ""))
    print(f"{'benchmark':<12} {'metric':<56} {'value':>10} {'unit':<4} {'target':<8} result")
    failed = missed = 0
    for path in benchmarks():
        if only and path.stem not in only:
            continue
        rows, lines, error, elapsed = run(path, args.pg, args.small)
        if error:
            failed += 1
            print(f"{path.stem:<12} ERROR: {error}")
            continue
        for row in rows:
            ok = row.get("ok")
            verdict = "" if ok is None else "met" if ok else "MISSED"
            missed += ok is False
            metric = row["metric"] + (f" ({row['detail']})" if row.get("detail") else "")
            print(
                f"{path.stem:<12} {metric:<56} {row['value']:>10.2f} {row['unit']:<4} "
                f"{row.get('target', ''):<8} {verdict}"
            )
        for line in lines:
            print(f"{path.stem:<12} | {line}")
        print(f"{path.stem:<12} (ran {elapsed:.0f} s)")
    print(f"{missed} target(s) missed, {failed} benchmark(s) failed")
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
