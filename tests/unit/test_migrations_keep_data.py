"""Upgrading an old SQLite database keeps every row: batch ALTERs rebuild tables, and with
foreign keys on, dropping the old copy of a parent table would cascade into its children."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from bot.db import migrate
from tests.conftest import PG_URL


@pytest.mark.skipif(bool(PG_URL), reason="SQLite's table rebuilds are what is tested")
def test_upgrading_from_the_first_revision_keeps_members_and_their_rows(tmp_path: Path) -> None:
    path = tmp_path / "old.sqlite3"
    url = f"sqlite+aiosqlite:///{path}"
    migrate(url, "0001")
    with sqlite3.connect(path) as conn:
        conn.execute(
            "INSERT INTO members (id, telegram_id, display_name, role, reachable, "
            "digest_opt_out, created_at) VALUES (1, 501, 'Anna', 'leader', 1, 0, "
            "'2026-01-01 10:00:00')"
        )
        conn.execute(
            "INSERT INTO groups (id, slug, kind, name, names, purposes, is_open, position, "
            "created_at) VALUES (1, 'g', 'team', 'G', '{}', '{}', 1, 0, '2026-01-01 10:00:00')"
        )
        conn.execute(
            "INSERT INTO memberships (member_id, group_id, status, joined_at) "
            "VALUES (1, 1, 'member', '2026-01-01 10:00:00')"
        )
    migrate(url, "head")
    with sqlite3.connect(path) as conn:
        assert conn.execute("SELECT count(*) FROM members").fetchone() == (1,)
        assert conn.execute("SELECT count(*) FROM memberships").fetchone() == (1,)
        assert conn.execute("PRAGMA foreign_key_check").fetchall() == []
