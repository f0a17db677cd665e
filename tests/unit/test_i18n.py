"""Catalogs are complete, Polish plurals are right, dates show in Europe/Warsaw."""

from __future__ import annotations

import shutil
import threading
from datetime import UTC, datetime
from pathlib import Path

from bot import i18n
from bot.i18n_tools import gaps


def test_every_catalog_is_complete() -> None:
    problems = gaps()
    assert problems == [], "\n".join(problems[:20])


def test_polish_plural_forms() -> None:
    i18n.setup("pl", "Europe/Warsaw")
    with i18n.use_language("pl"):
        forms = [i18n.ngettext("{n} day", "{n} days", n).format(n=n) for n in (1, 2, 5, 22, 25)]
    assert forms == ["1 dzień", "2 dni", "5 dni", "22 dni", "25 dni"]
    with i18n.use_language("pl"):
        times = [
            i18n.ngettext("Used {used} of {n} time", "Used {used} of {n} times", n).format(
                used=0, n=n
            )
            for n in (1, 2, 5, 22)
        ]
    assert times[0].endswith("1 raz") and times[1].endswith("2 razy")
    assert times[2].endswith("5 razy") and times[3].endswith("22 razy")


def test_dates_are_shown_in_warsaw_time() -> None:
    i18n.setup("pl", "Europe/Warsaw")
    winter = datetime(2026, 1, 15, 16, 0, tzinfo=UTC)
    summer = datetime(2026, 7, 15, 16, 0, tzinfo=UTC)
    with i18n.use_language("pl"):
        assert i18n.format_time(winter) == "17:00"
        assert i18n.format_time(summer) == "18:00"
        assert "stycznia" in i18n.format_date(winter, "long")
    with i18n.use_language("en"):
        assert "January" in i18n.format_date(winter, "long")


def test_language_resolution() -> None:
    i18n.setup("pl", "Europe/Warsaw")
    assert i18n.resolve_language("uk", "en") == "uk"
    assert i18n.resolve_language(None, "en-GB") == "en"
    assert i18n.resolve_language(None, "de") == "pl"
    assert i18n.resolve_language(None, None) == "pl"


def test_missing_catalog_fails_loudly(tmp_path) -> None:
    import pytest

    with pytest.raises(i18n.CatalogError):
        i18n.setup("pl", "Europe/Warsaw", locales_dir=tmp_path)
    i18n.setup("pl", "Europe/Warsaw")


def test_the_check_finds_a_string_missing_from_a_catalog(tmp_path) -> None:
    """`python -m bot.i18n_tools check` (pybabel update --check plus the untranslated gate)
    fails when the code has a string a catalog lacks, and on an untranslated entry."""
    import shutil

    from babel.messages.pofile import read_po, write_po

    from bot.i18n import LOCALES_DIR

    locales = tmp_path / "locales"
    shutil.copytree(LOCALES_DIR, locales)
    path = locales / "pl" / "LC_MESSAGES" / "messages.po"
    with path.open("rb") as fh:
        catalog = read_po(fh, locale="pl")
    catalog.delete("Main menu")
    catalog["Help"].string = ""
    with path.open("wb") as fh:
        write_po(fh, catalog)
    problems = gaps(locales)
    assert any("out of date" in p for p in problems)
    assert any("untranslated" in p and "'Help'" in p for p in problems)


def test_processes_starting_together_never_read_a_half_written_catalog(tmp_path: Path) -> None:
    """On a fresh checkout the first to start compiles the .mo files and writes them; the
    others (the bot beside a CLI command, the suite's workers) read them meanwhile. They must
    find no file or a whole one: a half-written one fails to parse ("unpack requires a buffer
    of 4 bytes", seen in CI), and one left by a crash would fail every start after it."""
    locales = tmp_path / "locales"
    shutil.copytree(i18n.LOCALES_DIR, locales, ignore=shutil.ignore_patterns("*.mo"))
    mo = locales / "pl" / "LC_MESSAGES" / "messages.mo"
    failures: list[str] = []
    for _round in range(15):
        mo.unlink(missing_ok=True)
        together = threading.Barrier(4)

        def start(together: threading.Barrier = together) -> None:
            together.wait()
            for _ in range(3):
                try:
                    i18n._load_language("pl", locales)
                except Exception as error:  # what a reader would crash with
                    failures.append(repr(error))

        starting = [threading.Thread(target=start) for _ in range(4)]
        for thread in starting:
            thread.start()
        for thread in starting:
            thread.join()
    assert failures == []
    assert sorted(p.name for p in mo.parent.iterdir()) == ["messages.mo", "messages.po"]
