"""A second process polling with the same token: one clear line, not a stream of tracebacks.

Telegram answers 409 Conflict to one of two pollers; PTB retries getUpdates every few
seconds and used to hand each failure to the general error handler, which logged a full
traceback every time. The real `leaders-bot run` process polls the fake Bot API server, which
answers 409 to the next getUpdates calls.
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from tests.e2e.conftest import TOKEN, BotProcess
from tests.fake_telegram import FakeTelegram

pytestmark = pytest.mark.e2e
FAILURES = 10_000


def _refused(fake: FakeTelegram) -> int:
    """How many of the injected 409s getUpdates has received so far."""
    with fake._cond:
        return FAILURES - len(fake._failures.get("getupdates", ()))


def test_conflict_is_one_clear_line(fake: FakeTelegram, tmp_path: Path, e2e_database: str) -> None:
    bot = BotProcess(fake, tmp_path, e2e_database)
    bot.start()
    try:
        fake.fail_next("getUpdates", count=FAILURES, error_code=409)
        deadline = time.monotonic() + 40
        while time.monotonic() < deadline and _refused(fake) < 4:
            time.sleep(0.2)
        assert _refused(fake) >= 4, bot.log()  # PTB retried getUpdates, refused each time
    finally:
        bot.stop()
    log = bot.log()
    conflict_lines = [line for line in log.splitlines() if "Conflict" in line]
    reports = [line for line in conflict_lines if "another process is polling" in line]
    assert len(reports) == 1, log  # four refused polls or more, one report
    # PTB's last getUpdates at shutdown is refused too: one line, no traceback.
    assert len(conflict_lines) <= 2, log
    assert "Traceback" not in log
    assert TOKEN not in log
