"""Typed dates in Polish, English and Ukrainian, in Europe/Warsaw, across clock changes."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from bot.dateparse import is_ambiguous, is_nonexistent, parse_when
from bot.services.errors import InvalidInput
from tests.meeting_support import WARSAW

# Thursday 26 November 2026, 13:00 in Warsaw.
NOW = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)


def local(text: str, language: str, now: datetime = NOW) -> str:
    return (
        parse_when(text, language, now=now, tz=WARSAW).astimezone(WARSAW).strftime("%Y-%m-%d %H:%M")
    )


@pytest.mark.parametrize(
    ("language", "text", "expected"),
    [
        ("pl", "jutro 17:00", "2026-11-27 17:00"),
        ("pl", "15.05 18:30", "2027-05-15 18:30"),
        ("pl", "wtorek 17", "2026-12-01 17:00"),
        ("pl", "w piątek o 18", "2026-11-27 18:00"),
        ("pl", "w środę o 18.30", "2026-12-02 18:30"),
        ("pl", "przyszły wtorek 17", "2026-12-01 17:00"),
        ("pl", "dziś 18", "2026-11-26 18:00"),
        ("pl", "5 grudnia 10:00", "2026-12-05 10:00"),
        ("en", "next Tuesday 5pm", "2026-12-01 17:00"),
        ("en", "tomorrow at 9am", "2026-11-27 09:00"),
        ("en", "friday 6pm", "2026-11-27 18:00"),
        ("en", "in 2 hours", "2026-11-26 15:00"),
        ("uk", "завтра 17:00", "2026-11-27 17:00"),
        ("uk", "у п'ятницю о 18", "2026-11-27 18:00"),
        ("uk", "наступного вівторка о 17", "2026-12-01 17:00"),
        ("uk", "сьогодні о 18", "2026-11-26 18:00"),
    ],
)
def test_typed_dates(language: str, text: str, expected: str) -> None:
    assert local(text, language) == expected


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("dziś 10:00", "already passed"),
        ("jutro", "add the hour"),
        ("32.05 18:00", "does not exist"),
        ("25:00 jutro", "does not exist"),
        ("banana 17", "could not read"),
        ("whenever you like", "could not read that date"),
        ("", "could not read"),
        ("15.05.2029 10:00", "more than a year"),
    ],
)
def test_refusals_carry_examples(text: str, fragment: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        parse_when(text, "en", now=NOW, tz=WARSAW)
    assert fragment in caught.value.message
    assert "tomorrow 17:00" in str(caught.value.params["examples"])


def test_refusal_examples_are_in_the_users_language() -> None:
    with pytest.raises(InvalidInput) as caught:
        parse_when("banan", "pl", now=NOW, tz=WARSAW)
    assert "jutro" in str(caught.value.params["examples"])


def test_spring_gap_0230_is_read_with_the_offset_before_the_gap() -> None:
    """29 March 2026, 02:00 → 03:00 in Warsaw: 02:30 does not exist; RFC 5545 reads it
    as 01:30 UTC, which the clock on the wall shows as 03:30."""
    now = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
    wall = datetime(2026, 3, 29, 2, 30)
    assert is_nonexistent(wall, WARSAW) and not is_ambiguous(wall, WARSAW)
    result = parse_when("29.03 2:30", "pl", now=now, tz=WARSAW)
    assert result == datetime(2026, 3, 29, 1, 30, tzinfo=UTC)
    assert result.astimezone(WARSAW).strftime("%H:%M %Z") == "03:30 CEST"


def test_autumn_overlap_0230_is_the_first_one_in_summer_time() -> None:
    """25 October 2026, 03:00 → 02:00: 02:30 happens twice; we take the first (CEST)."""
    now = datetime(2026, 10, 1, 12, 0, tzinfo=UTC)
    wall = datetime(2026, 10, 25, 2, 30)
    assert is_ambiguous(wall, WARSAW) and not is_nonexistent(wall, WARSAW)
    result = parse_when("25.10 2:30", "pl", now=now, tz=WARSAW)
    assert result == datetime(2026, 10, 25, 0, 30, tzinfo=UTC)
    assert result.astimezone(WARSAW).strftime("%H:%M %Z") == "02:30 CEST"


def test_across_the_change_tomorrow_keeps_the_wall_time() -> None:
    """Saturday before the spring change: 'tomorrow 17:00' is 17:00 summer time."""
    now = datetime(2026, 3, 28, 12, 0, tzinfo=UTC)
    result = parse_when("jutro 17:00", "pl", now=now, tz=WARSAW)
    assert result == datetime(2026, 3, 29, 15, 0, tzinfo=UTC)
