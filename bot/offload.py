"""Blocking work off the event loop: one way to do it, ``await run_blocking(fn, *args)``.

Everything CPU-heavy or blocking (the export's cell writing, the stats chart, QR codes,
calendar files and attendance lists) goes through here, never straight on the loop: the bot
answers everybody from one event loop, and a 30-second export there stalls every /help.

The work runs in a worker thread (asyncio.to_thread: context variables such as the language
come along). The export does not share the bot's database connections: it opens its own
engine in the worker (bot.services.export.export_file).

A thread shares the GIL with the loop. CPython hands the GIL to a waiting thread only every
"switch interval" (5 ms), and the loop waits for it again after each database call (sqlite3
releases it), so a /help during an export took up to ~70 ms at p99. While work runs here the
interval is 0.5 ms: the loop gets the GIL back at once, the worker loses a few per cent.
A child process per export was measured too (benchmarks/loop_lag.py --mode process): no
better for the other users once the interval is short, and it costs an interpreter start
and the imports (1-2 s, far more on a busy machine) per export.
"""

from __future__ import annotations

import asyncio
import sys
import threading
from collections.abc import Callable
from typing import ParamSpec, TypeVar

P = ParamSpec("P")
T = TypeVar("T")

SWITCH_INTERVAL = 0.0005  # seconds, while blocking work runs (CPython's default: 0.005)
_lock = threading.Lock()
_running = 0
_saved_interval: float | None = None


def _started() -> None:
    global _running, _saved_interval
    with _lock:
        _running += 1
        if _running == 1 and sys.getswitchinterval() > SWITCH_INTERVAL:
            _saved_interval = sys.getswitchinterval()
            sys.setswitchinterval(SWITCH_INTERVAL)


def _finished() -> None:
    global _running, _saved_interval
    with _lock:
        _running -= 1
        if _running == 0 and _saved_interval is not None:
            sys.setswitchinterval(_saved_interval)
            _saved_interval = None


async def run_blocking(fn: Callable[P, T], /, *args: P.args, **kwargs: P.kwargs) -> T:
    """Run `fn(*args, **kwargs)` in a worker thread and return its result."""
    _started()
    try:
        return await asyncio.to_thread(fn, *args, **kwargs)
    finally:
        _finished()
