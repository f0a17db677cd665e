"""Blocking work off the event loop: one way to do it, ``await run_blocking(fn, *args)``.

Everything CPU-heavy or blocking (the export's cell writing, the stats chart, QR codes,
calendar files and attendance lists) goes through here, never straight on the loop: the bot
answers everybody from one event loop, and a 30-second export there stalls every /help.

The work runs in a worker thread (as asyncio.to_thread: context variables such as the
language come along), from a small pool whose threads run at a lower priority (nice 10):
background work, it should not take the CPU from the thread that answers people. The
export does not share the bot's database connections: it opens its own engine in the
worker (bot.services.export.export_file).

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
import contextvars
import functools
import os
import sys
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import ParamSpec, TypeVar

P = ParamSpec("P")
T = TypeVar("T")

SWITCH_INTERVAL = 0.0005  # seconds, while blocking work runs (CPython's default: 0.005)
WORKERS = 4
NICE = 10  # the workers' priority: background work yields the CPU to the loop's thread
_lock = threading.Lock()
_executor: ThreadPoolExecutor | None = None
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


def _lower_priority() -> None:
    """Linux gives each thread its own nice value: the worker's, not the process's."""
    if not sys.platform.startswith("linux"):  # elsewhere the id would name a process
        return
    try:
        os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), NICE)
    except OSError:  # not allowed: run at normal priority
        pass


def _workers() -> ThreadPoolExecutor:
    global _executor
    with _lock:
        if _executor is None:
            _executor = ThreadPoolExecutor(
                WORKERS, thread_name_prefix="blocking", initializer=_lower_priority
            )
        return _executor


async def run_blocking(fn: Callable[P, T], /, *args: P.args, **kwargs: P.kwargs) -> T:
    """Run `fn(*args, **kwargs)` in a worker thread and return its result."""
    loop = asyncio.get_running_loop()
    call = functools.partial(contextvars.copy_context().run, fn, *args, **kwargs)
    _started()
    try:
        return await loop.run_in_executor(_workers(), call)
    finally:
        _finished()
