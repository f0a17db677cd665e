"""Typed dates and times ("jutro 17:00", "15.05 18:30", "next Tuesday 5pm") → aware UTC.

`dateparser` does the language work; we pre-process what it gets wrong for chat-style
Polish and Ukrainian input (filler words, bare hours, day.month without a year, case
forms of weekdays) and then place the local wall time in BOT_TIMEZONE ourselves.

Daylight saving follows RFC 5545 (what calendar apps do with our .ics files too):
a wall time in the spring gap (02:30 on the last Sunday of March in Europe/Warsaw) is read
with the offset before the gap, so it lands at 03:30 summer time; a wall time that happens
twice (02:30 on the last Sunday of October) is the first one, still in summer time.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from bot.config import SUPPORTED_LANGUAGES
from bot.i18n import N_, use_language
from bot.i18n import gettext as _
from bot.i18n import timezone as i18n_timezone
from bot.services.errors import InvalidInput

MAX_AHEAD = timedelta(days=400)

# Words that only join a day and an hour: "w piątek o 18", "at 5pm", "у вівторок о 17".
_FILLERS = {
    "w", "we", "o", "godz", "godz.", "godzina", "godzinie", "na", "dniu",
    "at", "on", "the",
    "у", "в", "о", "об", "на", "годині", "год", "год.",
}  # fmt: skip
# "Next"/"this" before a weekday: the next such day is what dateparser picks anyway.
_NEXT = re.compile(
    r"^(przysz\w*|najbli[zż]sz\w*|nast[eę]pn\w*|наступн\w*|найближч\w*|цього|цю|цей)$"
)
# Case forms dateparser does not know, to the forms it does.
_FORMS = {
    "środę": "środa", "srode": "środa", "sobotę": "sobota", "niedzielę": "niedziela",
    "понеділка": "понеділок", "вівторка": "вівторок", "середу": "середа", "середи": "середа",
    "четверга": "четвер", "п'ятницю": "п'ятниця", "п'ятниці": "п'ятниця",
    "суботу": "субота", "суботи": "субота", "неділю": "неділя", "неділі": "неділя",
}  # fmt: skip
_UNREADABLE = N_("I could not read that date and time. Try for example: {examples}")
_DAY_MONTH = re.compile(r"^(\d{1,2})[./](\d{1,2})\.?$")
_DAY_MONTH_YEAR = re.compile(r"^(\d{1,2})[./](\d{1,2})[./](\d{2}|\d{4})$")
_HOUR_MINUTE = re.compile(r"^(\d{1,2})[:.h](\d{2})$")
_BARE_HOUR = re.compile(r"^(\d{1,2})(?:h|:00)?$")
_HAS_TIME = re.compile(r"\d{1,2}:\d{2}|\d\s*(am|pm)\b")
_RELATIVE = re.compile(r"\b(in|za|через)\s+\d+")


def _examples() -> str:
    return _("tomorrow 17:00, 15.05 18:30, Tuesday 17, next Tuesday 5pm")


def _refuse(message: str, language: str, **params: object) -> InvalidInput:
    with use_language(language):
        return InvalidInput(message, examples=_examples(), **params)


def localize(wall: datetime, tz: ZoneInfo) -> datetime:
    """A naive local wall time → aware UTC, gap and overlap as in RFC 5545 (fold=0)."""
    return wall.replace(tzinfo=tz, fold=0).astimezone(UTC)


def is_nonexistent(wall: datetime, tz: ZoneInfo) -> bool:
    """True for a wall time skipped when clocks go forward."""
    aware = wall.replace(tzinfo=tz, fold=0)
    return aware.astimezone(UTC).astimezone(tz).replace(tzinfo=None) != wall


def is_ambiguous(wall: datetime, tz: ZoneInfo) -> bool:
    """True for a wall time that happens twice when clocks go back."""
    return wall.replace(tzinfo=tz, fold=0).utcoffset() != wall.replace(
        tzinfo=tz, fold=1
    ).utcoffset() and not is_nonexistent(wall, tz)


def at(day: date, clock: time, tz: ZoneInfo) -> datetime:
    """The quick buttons' day and hour, placed like typed input."""
    return localize(datetime.combine(day, clock), tz)


def _normalise(text: str, today: date) -> str | None:
    """Tokens dateparser understands, or None when a number makes no sense."""
    text = text.lower().replace("ʼ", "'").replace("’", "'").replace(",", " ")
    tokens = [t for t in text.split() if t not in _FILLERS and not _NEXT.match(t)]
    tokens = [_FORMS.get(t, t) for t in tokens]
    has_words = any(any(ch.isalpha() for ch in t) and not re.search(r"\d", t) for t in tokens)
    numeric = [i for i, t in enumerate(tokens) if re.search(r"\d", t)]
    out: list[str] = []
    date_seen = False
    for index, token in enumerate(tokens):
        if index not in numeric:
            out.append(token)
            continue
        later_numbers = [i for i in numeric if i > index]
        if match := _DAY_MONTH_YEAR.match(token):
            day, month, year = (int(g) for g in match.groups())
            year = year + 2000 if year < 100 else year
            if not _valid_date(year, month, day):
                return None
            out.append(f"{day:02d}.{month:02d}.{year}")
            date_seen = True
            continue
        match = _DAY_MONTH.match(token)
        # "15.05 18:30" is a date; "jutro 18.30" and a lone "18.30" after a date are times.
        if match and not date_seen and (later_numbers or not has_words) and "." in token:
            day, month = (int(g) for g in match.groups())
            year = today.year
            if not _valid_date(year, month, day) and not _valid_date(year + 1, month, day):
                return None
            if not _valid_date(year, month, day) or date(year, month, day) < today:
                year += 1
            out.append(f"{day:02d}.{month:02d}.{year}")
            date_seen = True
            continue
        if match := _HOUR_MINUTE.match(token):
            hour, minute = (int(g) for g in match.groups())
            if hour > 23 or minute > 59:
                return None
            out.append(f"{hour:02d}:{minute:02d}")
            continue
        # A bare number is the hour only when it is the last number ("wtorek 17"),
        # not the day of "5 grudnia 18".
        if (
            (match := _BARE_HOUR.match(token))
            and not later_numbers
            and not _is_count(tokens, index)
        ):
            hour = int(match.group(1))
            if hour > 23:
                return None
            out.append(f"{hour:02d}:00")
            continue
        out.append(token)
    return " ".join(out)


def _is_count(tokens: list[str], index: int) -> bool:
    """'za 2 godziny', 'in 3 days': the number counts units, it is not an hour."""
    return index > 0 and tokens[index - 1] in ("za", "in", "через")


def _valid_date(year: int, month: int, day: int) -> bool:
    try:
        date(year, month, day)
    except ValueError:
        return False
    return True


def parse_when(
    text: str, language: str, *, now: datetime | None = None, tz: ZoneInfo | None = None
) -> datetime:
    """A typed date and time in the user's language → aware UTC, in the future.

    `tz` is BOT_TIMEZONE (settings.timezone); left out, the zone i18n was set up with.

    Raises InvalidInput (a msgid with `examples`) when the text is not a date with a
    time, names a time that has passed, or is more than about a year ahead.
    """
    tz = tz or i18n_timezone()
    now = (now or datetime.now(UTC)).astimezone(UTC)
    local_now = now.astimezone(tz)
    cleaned = (text or "").strip()
    if not cleaned or len(cleaned) > 100:
        raise _refuse(_UNREADABLE, language)
    normalised = _normalise(cleaned, local_now.date())
    if normalised is None:
        raise _refuse(N_("That date or hour does not exist. Try for example: {examples}"), language)
    has_time = _HAS_TIME.search(normalised) or _RELATIVE.search(normalised)
    settings = {
        "PREFER_DATES_FROM": "future",
        "RELATIVE_BASE": local_now.replace(tzinfo=None),
        "DATE_ORDER": "DMY",
        "RETURN_AS_TIMEZONE_AWARE": False,
    }
    import dateparser  # ~5 MB and its language data: loaded on the first typed date

    languages = [language] + [code for code in SUPPORTED_LANGUAGES if code != language]
    wall = None
    for code in languages:
        wall = dateparser.parse(normalised, languages=[code], settings=settings)
        if wall is not None:
            break
    if wall is None:
        raise _refuse(_UNREADABLE, language)
    if not has_time:  # a day alone: dateparser would silently use the current hour
        raise _refuse(N_("Please add the hour too. For example: {examples}"), language)
    wall = wall.replace(second=0, microsecond=0, tzinfo=None)
    result = localize(wall, tz)
    if result <= now:
        raise _refuse(
            N_(
                "That time has already passed. Please give a time in the future, for example: "
                "{examples}"
            ),
            language,
        )
    if result - now > MAX_AHEAD:
        raise _refuse(
            N_(
                "That is more than a year ahead. Please give a nearer date, for example: {examples}"
            ),
            language,
        )
    return result
