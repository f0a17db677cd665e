"""Translations and locale-aware formatting.

Catalogs live in ``locales/<lang>/LC_MESSAGES/messages.po`` (maintained with pybabel through
``python -m bot.i18n_tools``); the compiled ``messages.mo`` is rebuilt when older.
The current user's language sits in a ContextVar set once per update; jobs set it
explicitly with :func:`use_language`.
"""

from __future__ import annotations

import functools
import gettext as _gettext
import io
import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from contextvars import ContextVar
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from pathlib import Path
from zoneinfo import ZoneInfo

from babel import Locale
from babel import dates as babel_dates

from bot.config import SUPPORTED_LANGUAGES

LOCALES_DIR = Path(__file__).resolve().parent.parent / "locales"
DOMAIN = "messages"
LANGUAGE_NAMES = {"pl": "Polski", "en": "English", "uk": "Українська"}


class CatalogError(RuntimeError):
    """A catalog is missing or broken: the bot must not silently speak msgids."""


_catalogs: dict[str, _gettext.GNUTranslations] = {}
_default_language = "pl"
_timezone = ZoneInfo("Europe/Warsaw")
_current: ContextVar[str | None] = ContextVar("language", default=None)


def catalog_file(language: str, locales_dir: Path = LOCALES_DIR) -> Path:
    return locales_dir / language / "LC_MESSAGES" / f"{DOMAIN}.po"


def compile_language(language: str, locales_dir: Path = LOCALES_DIR) -> bytes:
    """The compiled catalog of a language (fuzzy entries left out, as pybabel compile does)."""
    # babel.messages reads and writes .po files: only needed when a .mo is out of date.
    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po

    source = catalog_file(language, locales_dir)
    if not source.exists():
        raise CatalogError(f"no catalog for language {language!r} at {source}")
    with source.open("rb") as fh:
        catalog = read_po(fh, locale=language, abort_invalid=True)
    buffer = io.BytesIO()
    write_mo(buffer, catalog, use_fuzzy=False)
    return buffer.getvalue()


def _mo_path(language: str, locales_dir: Path) -> Path:
    return catalog_file(language, locales_dir).with_suffix(".mo")


def _load_language(language: str, locales_dir: Path) -> _gettext.GNUTranslations:
    mo, source = _mo_path(language, locales_dir), catalog_file(language, locales_dir)
    if not source.exists():
        raise CatalogError(f"no catalog for language {language!r} at {source}")
    if mo.exists() and mo.stat().st_mtime >= source.stat().st_mtime:
        return _parsed(mo, mo.stat().st_mtime_ns)
    # Missing or stale .mo: compile now, so a fresh checkout just works.
    data = compile_language(language, locales_dir)
    _write_whole(mo, data)
    return _gettext.GNUTranslations(io.BytesIO(data))


def _write_whole(path: Path, data: bytes) -> None:
    """Writes `data` to a file of its own, then renames it over `path`: another process (a
    CLI command beside the bot, a test worker) that reads the catalog meanwhile finds the old
    file or the whole new one, never a half-written one (which it would fail to parse). A
    folder that cannot be written is no error: the catalog was compiled in memory."""
    temporary = path.with_name(f".{path.name}.{os.getpid()}.{threading.get_ident()}")
    try:
        temporary.write_bytes(data)
        os.replace(temporary, path)
    except OSError:
        with suppress(OSError):
            temporary.unlink(missing_ok=True)


@functools.lru_cache(maxsize=16)
def _parsed(mo: Path, _mtime_ns: int) -> _gettext.GNUTranslations:
    """A compiled catalog parsed once per version of the file: `setup` runs again in each
    CLI command and test, and parsing the three catalogs takes tens of milliseconds."""
    return _gettext.GNUTranslations(io.BytesIO(mo.read_bytes()))


def setup(
    default_language: str = "pl",
    timezone: ZoneInfo | str = "Europe/Warsaw",
    locales_dir: Path = LOCALES_DIR,
) -> None:
    """Load every catalog (raising CatalogError if one is missing) and set the defaults."""
    global _default_language, _timezone
    _catalogs.clear()
    for language in SUPPORTED_LANGUAGES:
        _catalogs[language] = _load_language(language, locales_dir)
    _default_language = default_language
    _timezone = ZoneInfo(timezone) if isinstance(timezone, str) else timezone


def timezone() -> ZoneInfo:
    return _timezone


def default_language() -> str:
    return _default_language


def resolve_language(stored: str | None, telegram_code: str | None) -> str:
    """The stored choice, else Telegram's language_code, else the default."""
    if stored in SUPPORTED_LANGUAGES:
        return stored
    if telegram_code:
        base = telegram_code.split("-")[0].lower()
        if base in SUPPORTED_LANGUAGES:
            return base
    return _default_language


def current_language() -> str:
    return _current.get() or _default_language


def set_language(language: str) -> None:
    _current.set(language if language in SUPPORTED_LANGUAGES else _default_language)


@contextmanager
def use_language(language: str | None) -> Iterator[str]:
    """For jobs and notifications to other people: speak the recipient's language."""
    chosen = language if language in SUPPORTED_LANGUAGES else _default_language
    token = _current.set(chosen)
    try:
        yield chosen
    finally:
        _current.reset(token)


def _translations() -> _gettext.GNUTranslations | _gettext.NullTranslations:
    if not _catalogs:
        setup(_default_language, _timezone)
    return _catalogs.get(current_language()) or _gettext.NullTranslations()


def gettext(message: str) -> str:
    return _translations().gettext(message)


def ngettext(singular: str, plural: str, n: int) -> str:
    return _translations().ngettext(singular, plural, n)


def pgettext(context: str, message: str) -> str:
    return _translations().pgettext(context, message)


_ = gettext


def N_(message: str) -> str:
    """Mark a string for extraction; translate it later with gettext()."""
    return message


# --- formatting -----------------------------------------------------------------------


@functools.lru_cache(maxsize=16)
def _locale_of(language: str) -> Locale:
    return Locale.parse(language)


def _locale() -> Locale:
    return _locale_of(current_language())


def local(dt: datetime) -> datetime:
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=UTC)
    return dt.astimezone(_timezone)


# Dates and times shown on cards repeat (a page of cards, a notification to 20 people):
# formatted once per value, format, language and time zone. Babel's output depends on
# nothing else.
@functools.lru_cache(maxsize=4096)
def _formatted_datetime(dt: datetime, format: str, language: str, zone: tzinfo) -> str:
    if format == "short_day":
        format = "EEE d MMM, HH:mm"
    return babel_dates.format_datetime(
        dt.astimezone(zone), format, tzinfo=zone, locale=_locale_of(language)
    )


@functools.lru_cache(maxsize=4096)
def _formatted_date(value: date, format: str, language: str) -> str:
    return babel_dates.format_date(value, format, locale=_locale_of(language))


def format_datetime(dt: datetime, format: str = "medium") -> str:
    """A stored (UTC) datetime shown in BOT_TIMEZONE in the user's language."""
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=UTC)
    return _formatted_datetime(dt, format, current_language(), _timezone)


def format_date(value: date | datetime, format: str = "medium") -> str:
    if isinstance(value, datetime):
        value = local(value).date()
    return _formatted_date(value, format, current_language())


def format_time(value: datetime | time, format: str = "short") -> str:
    if isinstance(value, datetime):
        value = local(value)
        return babel_dates.format_time(value, format, tzinfo=_timezone, locale=_locale())
    return babel_dates.format_time(value, format, locale=_locale())


def format_timedelta(delta: timedelta) -> str:
    return babel_dates.format_timedelta(delta, locale=_locale(), threshold=1.0)


def weekday_name(day: date, width: str = "wide") -> str:
    return babel_dates.format_date(day, "EEEE" if width == "wide" else "EEE", locale=_locale())
