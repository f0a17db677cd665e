"""The error handler polling failures reach: one line per kind, then at most one a minute."""

from __future__ import annotations

import logging
from types import SimpleNamespace

import pytest
from telegram.error import BadRequest, Conflict, NetworkError, TimedOut
from telegram.ext import ApplicationHandlerStop

from bot.telegram_link import PollingErrors, backoff_delays


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


async def _poll_failure(handler: PollingErrors, error: Exception) -> None:
    with pytest.raises(ApplicationHandlerStop):  # the general handler never sees it
        await handler(None, SimpleNamespace(error=error, job=None))


async def test_conflict_is_reported_once_then_once_a_minute(
    caplog: pytest.LogCaptureFixture,
) -> None:
    clock = Clock()
    handler = PollingErrors(clock=clock)
    conflict = Conflict("Conflict: terminated by other getUpdates request")
    with caplog.at_level(logging.INFO, logger="bot.telegram_link"):
        for second in range(0, 60, 3):  # PTB retries every few seconds
            clock.now = 1000.0 + second
            await _poll_failure(handler, conflict)
        assert len(caplog.records) == 1
        assert "another process is polling Telegram" in caplog.records[0].getMessage()
        assert caplog.records[0].exc_info is None  # no traceback
        clock.now = 1061.0
        await _poll_failure(handler, conflict)
        assert len(caplog.records) == 2
        assert "(19 more since the last report)" in caplog.records[1].getMessage()
        # A network failure is its own kind: reported at once, also in one line.
        await _poll_failure(handler, TimedOut())
        await _poll_failure(handler, NetworkError("httpx.ConnectError: refused"))
    assert len(caplog.records) == 3
    assert "cannot reach Telegram while polling" in caplog.records[2].getMessage()


async def test_other_errors_go_to_the_general_handler() -> None:
    handler = PollingErrors()
    # An update's error, a job's error, or another kind of error: not ours.
    await handler(object(), SimpleNamespace(error=Conflict("x"), job=None))
    await handler(None, SimpleNamespace(error=NetworkError("x"), job=object()))
    await handler(None, SimpleNamespace(error=BadRequest("x"), job=None))


def test_backoff_doubles_up_to_the_cap() -> None:
    delays = backoff_delays()
    assert [next(delays) for _ in range(9)] == [1, 2, 4, 8, 16, 32, 60, 60, 60]
