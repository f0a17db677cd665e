"""The coordinators' report: an XLSX workbook (or a zip of CSV files) of the whole database.

Its sheets are declared (bot/services/sheet_spec.py): the core tables' in
bot/services/core_sheets.py, the features' in the modules of bot/services/report_extensions.py,
and every other table gets a generic sheet. Rows are streamed from the database in batches
and written by bot/services/export_writers.py, so memory stays flat however many rows there
are. Exports hold personal data: they are written only in EXPORT_DIR.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import os
import shutil
import tempfile
from collections.abc import Awaitable, Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Any

from bot.db import Database
from bot.i18n import use_language
from bot.services import core_sheets  # noqa: F401  (the core tables' sheets, registered first)
from bot.services.export_writers import CsvZipWriter, XlsxWriter, sheet_titles
from bot.services.sheet_spec import EXCLUDED_TABLES, SheetSpec, sheet_label, sheets

__all__ = [
    "EXCLUDED_TABLES",
    "EXPORT_DIR",
    "ExportFormat",
    "ExportResult",
    "SheetSpec",
    "XlsxWriter",
    "export_file",
    "keep_openpyxl_temp_files_private",
    "scratch",
    "sheet_label",
    "sheet_titles",
    "sheets",
    "wipe_stale_exports",
    "write_export",
]

BATCH = 2000


class ExportFormat(StrEnum):
    XLSX = "xlsx"
    CSV = "csv"


# --- where exports are written -----------------------------------------------------------

# Exports hold personal data: they are written only here (never the system temp folder),
# in a folder per export named "<pid>-…", removed when the export is sent; what a killed
# process left is removed at the next start (wipe_stale_exports, from bot.app.startup).
EXPORT_DIR = Path("data") / "exports"


def export_dir() -> Path:
    """The private folder of exports (mode 0700), created if missing."""
    EXPORT_DIR.mkdir(mode=0o700, parents=True, exist_ok=True)
    EXPORT_DIR.chmod(0o700)
    return EXPORT_DIR


@contextmanager
def scratch() -> Iterator[Path]:
    """A private folder for one export (0700, under EXPORT_DIR), removed afterwards."""
    folder = Path(tempfile.mkdtemp(prefix=f"{os.getpid()}-", dir=export_dir()))
    try:
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def _running(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _owner(name: str) -> int | None:
    pid = name.split("-", 1)[0]
    return int(pid) if pid.isdigit() else None


def wipe_stale_exports() -> int:
    """Remove everything in EXPORT_DIR but what other running processes are writing (a CLI
    export, another test run): their entries start with their pid. Called at start-up, when
    this process has no export going. Returns how many entries were removed."""
    if not EXPORT_DIR.exists():
        return 0
    export_dir()  # and make sure of its mode
    removed = 0
    for entry in EXPORT_DIR.iterdir():
        owner = _owner(entry.name)
        if owner is not None and owner != os.getpid() and _running(owner):
            continue
        if entry.is_dir() and not entry.is_symlink():
            shutil.rmtree(entry, ignore_errors=True)
        else:
            entry.unlink(missing_ok=True)
        removed += 1
    return removed


def keep_openpyxl_temp_files_private() -> None:
    """openpyxl writes each sheet of a workbook to a temporary file first, in the system
    temp folder, where a killed process leaves it: send those files to EXPORT_DIR instead.
    For code that saves an ordinary openpyxl Workbook (the export itself writes no such
    files). Idempotent."""
    from openpyxl.worksheet import _writer

    if getattr(_writer.create_temporary_file, "private", False):
        return

    def create_temporary_file(suffix: str = "") -> str:
        handle, name = tempfile.mkstemp(
            suffix=suffix, prefix=f"{os.getpid()}-openpyxl.", dir=export_dir()
        )
        os.close(handle)
        _writer.ALL_TEMP_FILES.append(name)
        return name

    create_temporary_file.private = True  # type: ignore[attr-defined]
    _writer.create_temporary_file = create_temporary_file


Progress = Callable[[int, int, str], Awaitable[None]]
SyncProgress = Callable[[int, int, str], None]


@dataclass
class ExportResult:
    path: Path
    format: ExportFormat
    rows: dict[str, int] = field(default_factory=dict)  # sheet title -> data rows

    @property
    def total_rows(self) -> int:
        return sum(self.rows.values())


async def write_export(
    db: Database,
    path: Path,
    export_format: ExportFormat | str = ExportFormat.XLSX,
    *,
    language: str,
    progress: Progress | None = None,
    specs: Sequence[SheetSpec] | None = None,
) -> ExportResult:
    """Write the report to `path`, off the event loop: the work runs in a worker
    (bot.offload.run_blocking) that reads through its own database connection.
    `progress(index, total, title)` is awaited here, on the loop, per sheet."""
    from bot.offload import run_blocking

    loop = asyncio.get_running_loop()
    reported: list[concurrent.futures.Future[None]] = []

    in_order = asyncio.Lock()  # one progress report at a time, in the sheets' order

    async def on_loop(index: int, total: int, title: str) -> None:
        async with in_order:
            if progress is not None:
                await progress(index, total, title)

    def report(index: int, total: int, title: str) -> None:  # called in the worker
        if progress is not None:
            reported.append(asyncio.run_coroutine_threadsafe(on_loop(index, total, title), loop))

    try:
        return await run_blocking(
            export_file,
            db.url,
            path,
            export_format,
            language=language,
            progress=report,
            specs=specs,
        )
    finally:
        for future in reported:
            with contextlib.suppress(Exception):
                await asyncio.wrap_future(future)


async def write_recorded_export(
    db: Database,
    member_id: int | None,
    path: Path,
    export_format: ExportFormat | str,
    *,
    language: str,
    progress: Progress | None = None,
    specs: Sequence[SheetSpec] | None = None,
    **audit: Any,
) -> ExportResult:
    """`write_export`, then the audit entry every export gets (who, the format, the rows;
    `audit` adds to it, e.g. which sheet and from where)."""
    from bot.services.audit import record
    from models import Member

    result = await write_export(
        db, path, export_format, language=language, progress=progress, specs=specs
    )
    async with db.session() as session:
        actor = await session.get(Member, member_id) if member_id is not None else None
        await record(
            session,
            actor,
            "export",
            None,
            format=str(export_format),
            rows=result.total_rows,
            **audit,
        )
    return result


def export_file(
    url: str,
    path: Path,
    export_format: ExportFormat | str = ExportFormat.XLSX,
    *,
    language: str,
    progress: SyncProgress | None = None,
    specs: Sequence[SheetSpec] | None = None,
) -> ExportResult:
    """The export, synchronously: for a worker thread or process, never the bot's loop.
    Opens its own engine on `url` (an event loop of its own: only async drivers are
    installed), so nothing here waits on the bot's loop or holds its connections."""
    from sqlalchemy.pool import NullPool

    async def run() -> ExportResult:
        database = Database(url, poolclass=NullPool)
        try:
            return await _write(database, Path(path), export_format, language, progress, specs)
        finally:
            await database.dispose()

    return asyncio.run(run())


async def _write(
    db: Database,
    path: Path,
    export_format: ExportFormat | str,
    language: str,
    progress: SyncProgress | None,
    specs: Sequence[SheetSpec] | None,
) -> ExportResult:
    export_format = ExportFormat(export_format)
    result = ExportResult(path, export_format)
    with use_language(language), scratch() as folder:
        specs = list(specs if specs is not None else sheets())
        titles = sheet_titles(specs)
        writer: XlsxWriter | CsvZipWriter = (
            XlsxWriter(path, folder)
            if export_format == ExportFormat.XLSX
            else CsvZipWriter(path, folder)
        )
        try:
            for index, (spec, title) in enumerate(zip(specs, titles, strict=True)):
                if progress is not None:
                    progress(index, len(specs), title)
                writer.start(title, spec.columns, spec.headers())
                count = 0
                async with db.engine.connect() as conn:
                    stream = await conn.stream(spec.statement().execution_options(yield_per=BATCH))
                    getters = [column.getter(list(stream.keys())) for column in spec.columns]
                    async for batch in stream.partitions(BATCH):
                        writer.rows([get(row) for get in getters] for row in batch)
                        count += len(batch)
                result.rows[title] = count
        finally:
            writer.close()
    return result
