"""Run every benchmark in this folder and print one table.

A benchmark is any benchmarks/*.py script with a `__main__` block (helpers such as steps.py
have none). Each prints its own table when run alone and, with `--json`, one JSON object on
its last line whose "summary" is a list of rows: {"metric", "value", "unit", "target", "ok"}
(optional "detail"). Scripts that take `--pg URL` get the one given here.

    uv run python benchmarks/run_all.py [--pg postgresql://...] [--only throughput,footprint]
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


def benchmarks() -> list[Path]:
    return [
        path
        for path in sorted(HERE.glob("*.py"))
        if path.name != Path(__file__).name and "__main__" in path.read_text(encoding="utf-8")
    ]


def run(path: Path, pg: str | None) -> tuple[list[dict[str, Any]], str | None, float]:
    command = [sys.executable, str(path), "--json"]
    if pg and "--pg" in path.read_text(encoding="utf-8"):
        command += ["--pg", pg]
    started = time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True, cwd=HERE.parent)
    elapsed = time.perf_counter() - started
    if done.returncode != 0:
        return [], (done.stderr.strip().splitlines() or ["failed"])[-1], elapsed
    try:
        result = json.loads(done.stdout.strip().splitlines()[-1])
    except (IndexError, json.JSONDecodeError):
        return [], "no JSON on the last line of its output", elapsed
    return list(result.get("summary", [])), None, elapsed


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
    args = parser.parse_args()
    only = set(args.only.split(",")) if args.only else None
    print(machine())
    print(f"{'benchmark':<12} {'metric':<56} {'value':>10} {'unit':<4} {'target':<8} result")
    failed = False
    for path in benchmarks():
        if only and path.stem not in only:
            continue
        rows, error, elapsed = run(path, args.pg)
        if error:
            failed = True
            print(f"{path.stem:<12} ERROR: {error}")
            continue
        for row in rows:
            ok = row.get("ok")
            verdict = "" if ok is None else "ok" if ok else "MISSED"
            metric = row["metric"] + (f" ({row['detail']})" if row.get("detail") else "")
            print(
                f"{path.stem:<12} {metric:<56} {row['value']:>10.2f} {row['unit']:<4} "
                f"{row.get('target', ''):<8} {verdict}"
            )
        print(f"{path.stem:<12} (ran {elapsed:.0f} s)")
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
