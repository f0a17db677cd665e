"""Column types shared by every table."""

from __future__ import annotations

import os
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Column, DateTime, ForeignKey, Integer
from sqlalchemy.types import TypeDecorator

# TEST-ONLY: BOT_TEST_CLOCK_OFFSET (seconds, read once at start) moves the bot's clock
# forward, so an end-to-end test can restart the process "later" instead of waiting for a
# reminder in real time. The bot's "now" comes from utcnow(), and meeting reminders from
# periodic sweeps that ask it, so they follow; jobs set at a wall-clock time (the daily
# digest) still run on the real clock. Never set it in production.
CLOCK_OFFSET = timedelta(seconds=float(os.environ.get("BOT_TEST_CLOCK_OFFSET") or 0))


def fk(
    table: str, ondelete: str, *, nullable: bool = True, index: bool | None = None
) -> Column[int]:
    """An integer column pointing at `table`.id."""
    return Column(
        Integer, ForeignKey(f"{table}.id", ondelete=ondelete), nullable=nullable, index=index
    )


def utcnow() -> datetime:
    return datetime.now(UTC) + CLOCK_OFFSET


class UTCDateTime(TypeDecorator[datetime]):
    """Stores aware datetimes as UTC and gives them back aware, on SQLite too."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column; attach a time zone")
        value = value.astimezone(UTC)
        # SQLite keeps no zone: store the UTC wall time.
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)
