"""End to end: the real `leaders-bot run` process long-polling the fake Bot API server."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy.engine import make_url

from tests.fake_telegram import FakeTelegram

ROOT = Path(__file__).resolve().parents[2]
TOKEN = "123456:TEST-e2e-token-never-in-logs"
COORDINATOR_ID = 777000001


def _admin_pg(url: str, statement: str) -> None:
    import asyncpg

    parsed = make_url(url)

    async def run() -> None:
        conn = await asyncpg.connect(
            host=parsed.host,
            port=parsed.port or 5432,
            user=parsed.username,
            password=parsed.password,
            database="postgres",
        )
        try:
            await conn.execute(statement)
        finally:
            await conn.close()

    asyncio.run(run())


@pytest.fixture
def e2e_database(tmp_path: Path) -> Iterator[str]:
    """A database of its own: a SQLite file, or a fresh PostgreSQL database in CI."""
    base = os.environ.get("TEST_DATABASE_URL")
    if not base:
        yield f"sqlite:///{tmp_path / 'e2e.db'}"
        return
    name = f"e2e_{uuid.uuid4().hex[:12]}"
    _admin_pg(base, f'CREATE DATABASE "{name}"')
    try:
        yield make_url(base).set(database=name).render_as_string(hide_password=False)
    finally:
        _admin_pg(base, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


class BotProcess:
    """Start, stop, kill and restart the bot; its log is kept for assertions."""

    def __init__(self, fake: FakeTelegram, workdir: Path, database_url: str, **env: str) -> None:
        self.fake = fake
        self.workdir = workdir
        self.log_path = workdir / "bot.log"
        self.env = {
            **{
                k: v
                for k, v in os.environ.items()
                if not k.startswith(("TELEGRAM_", "BOT_")) and k != "PYTHONDONTWRITEBYTECODE"
            },
            # Compiled once, not at every start of every test (seconds each on a busy machine).
            "PYTHONPYCACHEPREFIX": str(Path(tempfile.gettempdir()) / "leaders-bot-e2e-pycache"),
            "TELEGRAM_BOT_TOKEN": TOKEN,
            "TELEGRAM_API_URL": fake.url,
            "DATABASE_URL": database_url,
            "BOT_COORDINATORS": str(COORDINATOR_ID),
            "PYTHONPATH": str(ROOT),
            **env,
        }
        self.process: subprocess.Popen[bytes] | None = None
        self.started_at = 0.0
        self.ready_after = 0.0

    def start(self, *extra: str, wait: bool = True) -> BotProcess:
        since = time.time()
        log = self.log_path.open("ab")
        self.started_at = time.monotonic()
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "bot",
                "run",
                "--poll-timeout",
                "1",
                "-v",
                "--heartbeat",
                str(self.workdir / "heartbeat"),
                *extra,
            ],
            cwd=self.workdir,
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        if wait:
            try:
                self.fake.wait_until_polling(timeout=30, since=since)
            except AssertionError:
                self.stop()
                raise AssertionError(f"bot did not start polling; log:\n{self.log()}") from None
            self.ready_after = time.monotonic() - self.started_at
        return self

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 15) -> int | None:
        if self.process is None:
            return None
        if self.process.poll() is None:
            self.process.send_signal(sig)
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(5)
        code = self.process.returncode
        self.process = None
        return code

    def kill(self) -> None:
        self.stop(signal.SIGKILL)

    def restart(self) -> BotProcess:
        self.stop()
        return self.start()

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""


@pytest.fixture
def fake() -> Iterator[FakeTelegram]:
    with FakeTelegram(token=TOKEN) as server:
        yield server


@pytest.fixture
def bot(fake: FakeTelegram, tmp_path: Path, e2e_database: str) -> Iterator[BotProcess]:
    process = BotProcess(fake, tmp_path, e2e_database, REMINDER_OFFSETS="24h,1h")
    process.start()
    yield process
    process.stop()
    assert TOKEN not in process.log(), "the bot token appeared in the log"
