"""Dates typed by people ("jutro 17:00", "15.05 18:30", "next Tuesday 5pm") to UTC datetimes.

A minimal version for the volunteers branch; the meetings feature owns the full one.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import dateparser

from bot.i18n import N_
from bot.i18n import timezone as bot_timezone
from bot.services.errors import InvalidInput

# "15.05 18:30" reads as a decimal number to dateparser; "15.05. 18:30" as a date.
_DAY_MONTH = re.compile(r"\b(\d{1,2})\.(\d{1,2})(?=\s|$)")


def parse_when(
    text: str, language: str, now: datetime | None = None, tz: ZoneInfo | None = None
) -> datetime:
    """An aware UTC datetime for `text`, read in the bot's time zone; InvalidInput if unclear."""
    zone = tz or bot_timezone()
    base = (now or datetime.now(UTC)).astimezone(zone).replace(tzinfo=None)
    languages = list(dict.fromkeys([language, "pl", "en"]))
    parsed = dateparser.parse(
        _DAY_MONTH.sub(r"\1.\2.", text.strip()),
        languages=languages,
        settings={
            "DATE_ORDER": "DMY",
            "PREFER_DATES_FROM": "future",
            "TIMEZONE": str(zone),
            "RETURN_AS_TIMEZONE_AWARE": False,
            "RELATIVE_BASE": base,
        },
    )
    if parsed is None:
        raise InvalidInput(
            N_("I could not read that date. Try for example: 15.05 18:30 or tomorrow 17:00.")
        )
    return parsed.replace(tzinfo=zone).astimezone(UTC)
