"""Settings errors are one clear line with exit code 2; the CLI works offline."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest

from bot.config import SettingsError, load_settings

ROOT = Path(__file__).resolve().parents[2]
# Tests that start the real `leaders-bot` process (1-3 s each, mostly imports) are end to end:
# `slow`, left out of the quick `uv run pytest` and run by CI (see tests/conftest.py).
STARTS_THE_BOT = pytest.mark.slow


def run_cli(*args: str, env: dict[str, str] | None = None, cwd: Path | None = None):
    base = {k: v for k, v in os.environ.items() if not k.startswith(("TELEGRAM_", "BOT_"))}
    base.pop("DATABASE_URL", None)
    return subprocess.run(
        [sys.executable, "-m", "bot", *args],
        env={**base, **(env or {})},
        cwd=cwd or ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )


@STARTS_THE_BOT
def test_missing_token_is_one_line_exit_2(tmp_path: Path) -> None:
    result = run_cli("run", cwd=tmp_path, env={"PYTHONPATH": str(ROOT)})
    assert result.returncode == 2
    assert "TELEGRAM_BOT_TOKEN is missing" in result.stderr
    assert "BotFather" in result.stderr
    assert "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


@STARTS_THE_BOT
def test_bad_values_name_the_setting(tmp_path: Path) -> None:
    result = run_cli(
        "run",
        cwd=tmp_path,
        env={
            "PYTHONPATH": str(ROOT),
            "TELEGRAM_BOT_TOKEN": "1:x",
            "REMINDER_OFFSETS": "24h,soon",
            "BOT_TIMEZONE": "Mars/Olympus",
        },
    )
    assert result.returncode == 2
    assert "REMINDER_OFFSETS is invalid" in result.stderr
    assert "BOT_TIMEZONE is invalid" in result.stderr
    assert "Traceback" not in result.stderr


def test_settings_parse_the_contract_formats() -> None:
    settings = load_settings(
        telegram_bot_token="1:x", bot_coordinators="11, 22", reminder_offsets="1h,30s,2d"
    )
    assert settings.bot_coordinators == (11, 22)
    assert settings.reminder_offsets == (
        timedelta(days=2),
        timedelta(hours=1),
        timedelta(seconds=30),
    )
    assert settings.database_url.startswith("sqlite+aiosqlite:///./data/")
    with pytest.raises(SettingsError, match="BOT_DEFAULT_LANGUAGE"):
        load_settings(telegram_bot_token="1:x", bot_default_language="de")


@STARTS_THE_BOT
def test_invite_command_prints_a_link_offline(tmp_path: Path) -> None:
    db = tmp_path / "cli.db"
    env = {"PYTHONPATH": str(ROOT), "DATABASE_URL": f"sqlite:///{db}"}
    # The bot's username is learnt when it runs; without it the CLI says what to do.
    result = run_cli("invite", "--role", "coordinator", cwd=tmp_path, env=env)
    assert result.returncode == 2 and "username" in result.stderr
    import asyncio

    from bot.db import Database
    from bot.services.state import remember

    async def learn() -> None:
        database = Database(f"sqlite:///{db}")
        async with database.session() as session:
            await remember(session, "bot", "username", "chelmza_bot")
        await database.dispose()

    asyncio.run(learn())
    qr = tmp_path / "invite.png"
    result = run_cli(
        "invite",
        "--role",
        "lead",
        "--group",
        "mediators",
        "--uses",
        "1",
        "--days",
        "3",
        "--qr",
        str(qr),
        cwd=tmp_path,
        env=env,
    )
    assert result.returncode == 0, result.stderr
    link = result.stdout.strip()
    assert link.startswith("https://t.me/chelmza_bot?start=i-")
    payload = link.split("start=")[1]
    assert len(payload) <= 64
    assert qr.read_bytes().startswith(b"\x89PNG")
    result = run_cli("invite", "--role", "lead", "--group", "nope", cwd=tmp_path, env=env)
    assert result.returncode == 1 and "nope" in result.stderr


@STARTS_THE_BOT
def test_db_upgrade_and_check(tmp_path: Path) -> None:
    env = {
        "PYTHONPATH": str(ROOT),
        "DATABASE_URL": f"sqlite:///{tmp_path / 'c.db'}",
        "TELEGRAM_BOT_TOKEN": "1:x",
    }
    result = run_cli("check", cwd=tmp_path, env=env)
    assert result.returncode == 1 and "db upgrade" in result.stderr
    assert run_cli("db", "upgrade", cwd=tmp_path, env=env).returncode == 0
    result = run_cli("check", cwd=tmp_path, env=env)
    assert result.returncode == 0, result.stderr


# --- Telegram refuses the token, or cannot be reached ----------------------------------------

REVOKED = "424242:REVOKED-token-that-must-never-be-printed"


def _closed_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _assert_one_clean_line(result: subprocess.CompletedProcess[str]) -> str:
    output = result.stdout + result.stderr
    assert REVOKED not in output
    assert REVOKED.split(":", 1)[1] not in output
    assert "Traceback" not in output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    return lines[0]


@STARTS_THE_BOT
@pytest.mark.parametrize(
    "command",
    [
        ("run",),
        ("run", "--webhook", "https://bot.example.org/telegram", "--secret-token", "s3cret"),
        ("invite", "--role", "leader"),
    ],
)
def test_rejected_token_is_one_line_exit_2(tmp_path: Path, command: tuple[str, ...]) -> None:
    from tests.fake_telegram import FakeTelegram

    with FakeTelegram(token="111:the-real-token") as fake:  # any other token gets 401
        result = run_cli(
            *command,
            cwd=tmp_path,
            env={
                "PYTHONPATH": str(ROOT),
                "TELEGRAM_BOT_TOKEN": REVOKED,
                "TELEGRAM_API_URL": fake.url,
                "DATABASE_URL": f"sqlite:///{tmp_path / 'bot.db'}",
            },
        )
    line = _assert_one_clean_line(result)
    assert result.returncode == 2, result.stderr
    assert "TELEGRAM_BOT_TOKEN" in line and "rejected" in line and "BotFather" in line


@STARTS_THE_BOT
def test_invite_says_in_one_line_that_telegram_is_unreachable(tmp_path: Path) -> None:
    result = run_cli(
        "invite",
        "--role",
        "leader",
        cwd=tmp_path,
        env={
            "PYTHONPATH": str(ROOT),
            "TELEGRAM_BOT_TOKEN": REVOKED,
            "TELEGRAM_API_URL": f"http://127.0.0.1:{_closed_port()}",
            "DATABASE_URL": f"sqlite:///{tmp_path / 'bot.db'}",
        },
    )
    line = _assert_one_clean_line(result)
    assert result.returncode == 3, result.stderr
    assert "cannot reach Telegram" in line


@STARTS_THE_BOT
def test_run_waits_for_telegram_with_capped_exponential_backoff(tmp_path: Path) -> None:
    """Telegram unreachable at start: one log line per attempt, growing delays, no traceback."""
    import re
    import signal
    import time

    base = {k: v for k, v in os.environ.items() if not k.startswith(("TELEGRAM_", "BOT_"))}
    env = {
        **base,
        "PYTHONPATH": str(ROOT),
        "TELEGRAM_BOT_TOKEN": REVOKED,
        "TELEGRAM_API_URL": f"http://127.0.0.1:{_closed_port()}",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'bot.db'}",
    }
    log = tmp_path / "bot.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "bot", "run", "--backoff", "0.05,0.4"],
            cwd=tmp_path,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
        try:
            deadline = time.monotonic() + 40
            while time.monotonic() < deadline and process.poll() is None:
                if log.read_text().count("cannot reach Telegram") >= 6:
                    break
                time.sleep(0.1)
            assert process.poll() is None, f"run gave up:\n{log.read_text()}"
        finally:
            # Stopping is not what is tested here; on a loaded machine Ctrl+C may land in
            # the middle of start-up: give it time, then make sure the process is gone.
            process.send_signal(signal.SIGINT)
            try:
                process.wait(30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(10)
    text = log.read_text()
    attempts = [line for line in text.splitlines() if "cannot reach Telegram" in line]
    assert len(attempts) >= 6, text
    delays = [float(re.search(r"next attempt in ([\d.]+)s", line).group(1)) for line in attempts]  # type: ignore[union-attr]
    assert delays[:5] == [0.05, 0.1, 0.2, 0.4, 0.4]
    assert "Traceback" not in text
    assert REVOKED not in text
    assert len(text.strip().splitlines()) == len(attempts), text  # nothing else on the way
