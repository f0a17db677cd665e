"""Catalog maintenance with Babel's own tools: ``python -m bot.i18n_tools update|check|compile``.

One catalog per language, ``locales/<lang>/LC_MESSAGES/messages.po``, made from the template
``locales/messages.pot`` that ``pybabel extract`` writes from the code (``babel.cfg``). What
this module adds to pybabel:

- ``update``: extract, ``pybabel update`` (no fuzzy guesses, obsolete entries dropped), then
  English msgstrs are filled from the msgids (English is the source language);
- ``check``: the gate CI runs — ``pybabel update --check`` against a fresh extraction (every
  string in the code is in every catalog, nothing stale), and no entry untranslated, fuzzy or
  with the wrong number of plural forms;
- ``compile``: ``pybabel compile`` (fuzzy entries are never used).

Translators edit ``messages.po`` (Poedit, Weblate or a text editor), then run ``update`` and
``compile``.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from babel.messages.catalog import Catalog
from babel.messages.pofile import read_po, write_po

from bot.config import SUPPORTED_LANGUAGES
from bot.i18n import LOCALES_DIR

ROOT = LOCALES_DIR.parent
TEMPLATE = LOCALES_DIR / "messages.pot"
MAPPING = ROOT / "babel.cfg"
DOMAIN = "messages"
SOURCE_DIRS = ("bot", "handlers", "models")


def pybabel(*args: str) -> subprocess.CompletedProcess[str]:
    """Run Babel's command line (the `pybabel` of this interpreter's environment)."""
    command = [sys.executable, "-m", "babel.messages.frontend", *args]
    return subprocess.run(command, cwd=ROOT, capture_output=True, text=True, check=False)


def _checked(result: subprocess.CompletedProcess[str]) -> None:
    if result.returncode != 0:
        raise RuntimeError(f"pybabel failed:\n{result.stdout}\n{result.stderr}")


def extract(template: Path = TEMPLATE) -> Path:
    _checked(
        pybabel(
            "extract",
            "-F",
            str(MAPPING),
            "-k",
            "N_",
            "--project",
            "leaders-bot",
            "--version",
            "1",
            "--sort-output",
            "--add-location",
            "file",
            "-o",
            str(template),
            *SOURCE_DIRS,
        )
    )
    return template


def catalog_path(language: str, locales: Path = LOCALES_DIR) -> Path:
    return locales / language / "LC_MESSAGES" / f"{DOMAIN}.po"


def _read(path: Path, language: str) -> Catalog:
    with path.open("rb") as fh:
        return read_po(fh, locale=language)


def _fill_english(locales: Path = LOCALES_DIR) -> None:
    """English is the source language: its msgstrs are the msgids."""
    path = catalog_path("en", locales)
    catalog = _read(path, "en")
    for message in catalog:
        if not message.id:
            continue
        if isinstance(message.id, tuple):
            message.string = tuple(message.id[i] for i in range(catalog.num_plurals))
        else:
            message.string = message.id
        message.flags.discard("fuzzy")
    with path.open("wb") as fh:
        write_po(fh, catalog, sort_output=True, include_previous=False)


def update() -> list[Path]:
    """Bring every catalog in line with the code, keeping the translations."""
    extract()
    _checked(
        pybabel(
            "update",
            "-i",
            str(TEMPLATE),
            "-d",
            str(LOCALES_DIR),
            "-D",
            DOMAIN,
            "--no-fuzzy-matching",
            "--ignore-obsolete",
            "--ignore-pot-creation-date",
        )
    )
    _fill_english()
    return [catalog_path(language) for language in SUPPORTED_LANGUAGES]


def compile_catalogs() -> list[Path]:
    _checked(pybabel("compile", "-d", str(LOCALES_DIR), "-D", DOMAIN))
    return [catalog_path(language).with_suffix(".mo") for language in SUPPORTED_LANGUAGES]


def gaps(locales: Path = LOCALES_DIR) -> list[str]:
    """What keeps the catalogs from being complete: strings missing or stale against a fresh
    extraction (``pybabel update --check``), untranslated or fuzzy entries, wrong plurals."""
    problems: list[str] = []
    with tempfile.TemporaryDirectory() as folder:
        template = extract(Path(folder) / "messages.pot")
        result = pybabel(
            "update",
            "--check",
            "-i",
            str(template),
            "-d",
            str(locales),
            "-D",
            DOMAIN,
            "--no-fuzzy-matching",
            "--ignore-obsolete",
            "--ignore-pot-creation-date",
        )
        if result.returncode != 0:
            problems.append(
                "catalogs out of date with the code: run `python -m bot.i18n_tools update`"
            )
    for language in SUPPORTED_LANGUAGES:
        path = catalog_path(language, locales)
        if not path.exists():
            problems.append(f"{language}: no catalog at {path}")
            continue
        catalog = _read(path, language)
        for message in catalog:
            if not message.id:
                continue
            singular = message.id if isinstance(message.id, str) else message.id[0]
            strings: Iterable[Any] = (
                message.string if isinstance(message.string, tuple) else (message.string,)
            )
            where = path.relative_to(locales.parent)
            if message.fuzzy or not all(strings):
                problems.append(f"{where}: untranslated or fuzzy: {singular[:60]!r}")
            elif isinstance(message.string, tuple) and len(message.string) != catalog.num_plurals:
                problems.append(
                    f"{where}: {catalog.num_plurals} plural forms needed: {singular[:60]!r}"
                )
    return problems


def main(argv: list[str] | None = None) -> int:
    args = argv if argv is not None else sys.argv[1:]
    action = args[0] if args else "check"
    if action in ("update", "sync"):  # "sync": the name this command had before
        for path in update():
            print(path.relative_to(ROOT))
        action = "check"
    if action == "compile":
        for path in compile_catalogs():
            print(path.relative_to(ROOT))
        return 0
    if action == "check":
        problems = gaps()
        print("\n".join(problems) if problems else "catalogs complete")
        return 1 if problems else 0
    print("usage: python -m bot.i18n_tools update|check|compile", file=sys.stderr)
    return 2


if __name__ == "__main__":
    raise SystemExit(main())
