"""Catalog maintenance: `python -m bot.i18n_tools sync|check|compile`.

Each source module's strings go to its own part (``handlers/groups.py`` and
``bot/services/groups.py`` both feed ``groups.po``), so parallel work on different
features never touches the same catalog file. English msgstrs are filled from the msgids;
Polish and Ukrainian are translated by people (or reviewed after a draft).
"""

from __future__ import annotations

import sys
from collections.abc import Iterable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from babel.messages.catalog import Catalog
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_file
from babel.messages.pofile import read_po, write_po

from bot.config import SUPPORTED_LANGUAGES
from bot.i18n import LOCALES_DIR, compile_all

ROOT = LOCALES_DIR.parent
SOURCE_DIRS = ("bot", "handlers", "models")
KEYWORDS = {**DEFAULT_KEYWORDS, "N_": None}

MessageId = str | tuple[str, str]
STABLE_DATE = datetime(2026, 1, 1, tzinfo=UTC)


def source_files(root: Path = ROOT) -> list[Path]:
    files: list[Path] = []
    for folder in SOURCE_DIRS:
        files.extend(p for p in (root / folder).rglob("*.py") if "migrations" not in p.parts)
    return sorted(files)


def part_of(path: Path) -> str:
    # A feature split into a package (handlers/contributions/cards.py) keeps one part: its name.
    if path.parent.parent.name == "handlers":
        return path.parent.name
    return path.stem if path.stem not in ("__init__", "__main__") else path.parent.name


def _current_owners(root: Path) -> dict[str, str]:
    """msgid -> the part whose catalog holds it now (read from the Polish catalogs)."""
    owners: dict[str, str] = {}
    for path in sorted((root / "locales" / "pl" / "LC_MESSAGES").glob("*.po")):
        for message in _read(path, "pl") or ():
            if message.id:
                singular = message.id if isinstance(message.id, str) else message.id[0]
                owners.setdefault(singular, path.stem)
    return owners


def extract(root: Path = ROOT) -> dict[str, dict[MessageId, list[str]]]:
    """part -> message id -> locations.

    A message used by several modules stays in the part that holds it already (so reusing
    a common string never moves it between files); a new one goes to its first user.
    """
    found: dict[MessageId, dict[str, list[str]]] = {}
    for path in source_files(root):
        rel = path.relative_to(root).as_posix()
        for lineno, message, _comments, _context in extract_from_file(
            "python", str(path), keywords=KEYWORDS
        ):
            key: MessageId = message if isinstance(message, str) else (message[0], message[1])
            if not (key if isinstance(key, str) else key[0]):
                continue
            found.setdefault(key, {}).setdefault(part_of(path), []).append(f"{rel}:{lineno}")
    owners = _current_owners(root)
    parts: dict[str, dict[MessageId, list[str]]] = {}
    for key, users in found.items():
        singular = key if isinstance(key, str) else key[0]
        owner = owners.get(singular)
        if owner not in users:
            owner = next(iter(users))
        parts.setdefault(owner, {})[key] = [loc for locs in users.values() for loc in locs]
    return parts


def _read(path: Path, language: str) -> Catalog | None:
    if not path.exists():
        return None
    with path.open("rb") as fh:
        return read_po(fh, locale=language)


def sync(root: Path = ROOT) -> list[Path]:
    """Bring every part's catalogs in line with the code, keeping existing translations."""
    locales = root / "locales"
    parts = extract(root)
    written: list[Path] = []
    for language in SUPPORTED_LANGUAGES:
        folder = locales / language / "LC_MESSAGES"
        folder.mkdir(parents=True, exist_ok=True)
        old_parts = {p.stem for p in folder.glob("*.po")}
        # Translations can move between parts when code moves: look them up everywhere.
        known: dict[str, Any] = {}
        for path in folder.glob("*.po"):
            old = _read(path, language)
            for message in old or ():
                if message.id and message.string and not message.fuzzy:
                    known[message.id if isinstance(message.id, str) else message.id[0]] = (
                        message.string
                    )
        for part, messages in sorted(parts.items()):
            # Fixed dates and no fuzzy header: a sync that changes no message changes no file,
            # so branches that sync in parallel don't conflict on headers.
            catalog = Catalog(
                locale=language,
                domain="messages",
                project="leaders-bot",
                version="1",
                creation_date=STABLE_DATE,
                revision_date=STABLE_DATE,
                fuzzy=False,
            )
            for key, _locations in sorted(messages.items(), key=lambda kv: str(kv[0])):
                singular = key if isinstance(key, str) else key[0]
                string = known.get(singular)
                if string is None and language == "en":
                    string = key
                if isinstance(key, tuple) and isinstance(string, str):
                    string = None
                catalog.add(key, string or ("" if isinstance(key, str) else ()))
            path = folder / f"{part}.po"
            with path.open("wb") as fh:
                write_po(
                    fh,
                    catalog,
                    width=0,
                    omit_header=False,
                    sort_output=True,
                    no_location=True,
                    include_previous=False,
                )
            written.append(path)
        for stale in old_parts - set(parts):
            (folder / f"{stale}.po").unlink()
    return written


def gaps(root: Path = ROOT) -> list[str]:
    """Untranslated or fuzzy entries, and strings used in code but missing from a catalog."""
    problems: list[str] = []
    used = {k if isinstance(k, str) else k[0] for msgs in extract(root).values() for k in msgs}
    for language in SUPPORTED_LANGUAGES:
        folder = root / "locales" / language / "LC_MESSAGES"
        present: set[str] = set()
        paths = sorted(folder.glob("*.po"))
        if not paths:
            problems.append(f"{language}: no catalog")
            continue
        for path in paths:
            catalog = _read(path, language)
            for message in catalog or ():
                if not message.id:
                    continue
                singular = message.id if isinstance(message.id, str) else message.id[0]
                present.add(singular)
                strings: Iterable[Any] = (
                    message.string if isinstance(message.string, tuple) else (message.string,)
                )
                if message.fuzzy or not all(strings):
                    problems.append(
                        f"{path.relative_to(root)}: untranslated or fuzzy: {singular[:60]!r}"
                    )
                elif (
                    isinstance(message.string, tuple)
                    and catalog is not None
                    and (len(message.string) != catalog.num_plurals)
                ):
                    problems.append(
                        f"{path.relative_to(root)}: {catalog.num_plurals} plural forms needed: "
                        f"{singular[:60]!r}"
                    )
        for missing in sorted(used - present):
            problems.append(f"{language}: not in any catalog: {missing[:60]!r}")
    return problems


def main(argv: list[str] | None = None) -> int:
    args = argv if argv is not None else sys.argv[1:]
    action = args[0] if args else "check"
    if action == "sync":
        for path in sync():
            print(path.relative_to(ROOT))
        action = "check"
    if action == "compile":
        for path in compile_all():
            print(path.relative_to(ROOT))
        return 0
    if action == "check":
        problems = gaps()
        print("\n".join(problems) if problems else "catalogs complete")
        return 1 if problems else 0
    print("usage: python -m bot.i18n_tools sync|check|compile", file=sys.stderr)
    return 2


if __name__ == "__main__":
    raise SystemExit(main())
