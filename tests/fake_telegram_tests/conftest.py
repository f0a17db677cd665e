"""Fixtures for the fake Telegram server's own tests."""

from __future__ import annotations

import sys
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
import telegram

# The project root must be importable as the home of the `tests` package, whichever way
# pytest was started (python -m pytest, the pytest script, with or without tests/__init__).
PROJECT_ROOT = str(Path(__file__).resolve().parents[2])
if PROJECT_ROOT not in sys.path:
    sys.path.insert(0, PROJECT_ROOT)

from tests.fake_telegram import FakeTelegram  # noqa: E402

TOKEN = "123456:TEST-token"


@pytest.fixture
def server() -> Iterator[FakeTelegram]:
    with FakeTelegram(token=TOKEN) as fake:
        yield fake


@pytest.fixture
async def bot(server: FakeTelegram) -> AsyncIterator[telegram.Bot]:
    async with telegram.Bot(
        TOKEN, base_url=server.url + "/bot", base_file_url=server.url + "/file/bot"
    ) as client:
        yield client
