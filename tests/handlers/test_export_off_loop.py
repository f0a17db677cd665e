"""/export runs off the event loop, in its private folder: others are answered meanwhile,
and a killed export's files are wiped at the next start."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import pytest

from bot.config import Settings
from bot.db import Database
from bot.services import export as export_service
from handlers.reports import wait_for_exports
from tests.handlers.test_reports import COORDINATOR, signup
from tests.harness import Harness, User, start_harness

pytestmark = pytest.mark.filterwarnings("ignore:Tasks created via `Application.create_task`")
OTHER = User(611, "Olek", "Inny", language_code="pl")


@pytest.fixture
def exports(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    folder = tmp_path / "exports"
    monkeypatch.setattr(export_service, "EXPORT_DIR", folder)
    return folder


async def test_help_is_answered_while_an_export_is_being_written(
    harness: Harness, exports: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A sheet whose cell writing takes long and never yields (as openpyxl's did): on the
    # event loop it would hold up every other update until it finished.
    writing, release = threading.Event(), threading.Event()
    rows = export_service.XlsxWriter.rows

    def slow_rows(self: Any, batch: Any) -> None:
        writing.set()
        release.wait(10)
        rows(self, batch)

    monkeypatch.setattr(export_service.XlsxWriter, "rows", slow_rows)
    await signup(harness, COORDINATOR, "Ewa Szef")
    calls = await harness.send(COORDINATOR, "/export")
    try:
        started = time.monotonic()
        await harness.press(COORDINATOR, calls[-1].button("XLSX"))
        assert await asyncio.to_thread(writing.wait, 10)
        assert time.monotonic() - started < 5, "the loop was blocked while the export wrote"

        asked = time.monotonic()
        answer = await harness.send(OTHER, "/help")
        latency = time.monotonic() - asked
        assert [c for c in answer if c.method == "sendMessage" and c.chat_id == OTHER.id]
        assert latency < 2, f"/help took {latency:.1f} s during an export"
        sent = [c for c in harness.sent_to(COORDINATOR.id) if c.method == "sendDocument"]
        assert not sent, "the export finished before /help was answered"
    finally:
        release.set()
    await wait_for_exports()
    assert [c for c in harness.sent_to(COORDINATOR.id) if c.method == "sendDocument"]
    # The report was written in the private folder, and removed once sent.
    assert entries(exports) == []
    assert mode(exports) == 0o700


def entries(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir())


def mode(folder: Path) -> int:
    return folder.stat().st_mode & 0o777


def leave_stale_files(exports: Path) -> str:
    """What a killed bot leaves, plus a live process's export; returns the latter's name."""
    exports.mkdir(mode=0o700)
    stale = exports / f"{_dead_pid()}-k1ll3d"
    stale.mkdir()
    (stale / "raport-2026-11-30.xlsx").write_bytes(b"PK personal data")
    (stale / "sheet3.xml").write_text("<row>Anna Nowak, +48 600 700 800</row>")
    (exports / "stray.csv").write_text("Anna Nowak")
    (exports / f"{os.getpid()}-earlier-run").mkdir()  # this process has no export at start
    running_elsewhere = exports / f"{os.getppid()}-cli-export"  # a live process: kept
    running_elsewhere.mkdir()
    return running_elsewhere.name


def _dead_pid() -> int:
    process = subprocess.Popen([sys.executable, "-c", "pass"])
    process.wait()
    return process.pid


async def test_start_up_wipes_what_a_killed_export_left(
    settings: Settings, db: Database, exports: Path
) -> None:
    kept = leave_stale_files(exports)
    harness = await start_harness(settings, db)
    try:
        assert entries(exports) == [kept]
    finally:
        await harness.app.shutdown()
