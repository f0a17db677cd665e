"""The coordinators' report: an XLSX workbook (or a zip of CSV files) of the whole database.

Data-driven: ``SHEETS`` holds a translated :class:`SheetSpec` per table that has one; every
other table in ``SQLModel.metadata`` (except ``EXCLUDED_TABLES``) is exported by a generic
sheet with its column names as headers, so tables merged later appear with no change here.
A feature makes its sheet readable with ``register_sheet(SheetSpec(...))``.

Rows are streamed from the database in batches and written by openpyxl's write-only
workbook, so memory stays flat however many rows there are.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import csv
import io
import json
import math
import operator
import os
import re
import shutil
import tempfile
import zipfile
from collections.abc import Awaitable, Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum
from pathlib import Path
from typing import Any

from sqlalchemy import Boolean, DateTime, Integer, String, Table, Text, func, select
from sqlalchemy.engine import Row
from sqlalchemy.sql import ColumnElement, Select
from sqlmodel import SQLModel

from bot.db import Database
from bot.i18n import N_, use_language
from bot.i18n import gettext as _
from bot.i18n import local as to_local
from bot.i18n import timezone as i18n_timezone
from models import AuditEntry, BotState, DigestSend, Group, Invite, Member, Membership, ProblemArea

BATCH = 2000
CELL_MAX = 32_767  # Excel's limit of characters in a cell
SHEET_TITLE_MAX = 31
# Internal bookkeeping, not programme data: persistence blobs and digest receipts.
EXCLUDED_TABLES = {BotState.__tablename__, DigestSend.__tablename__}


class ExportFormat(StrEnum):
    XLSX = "xlsx"
    CSV = "csv"


ValueFn = Callable[[Row[Any]], Any]


@dataclass(frozen=True)
class ExportColumn:
    header: str  # msgid, translated into the coordinator's language
    value: str | ValueFn  # a key of the query's row, or a function of the row
    width: int | None = None  # in characters; guessed from the header if not given

    def getter(self, keys: Sequence[str]) -> ValueFn:
        """A fast accessor for rows with these keys (by position, not by name)."""
        if isinstance(self.value, str):
            return operator.itemgetter(list(keys).index(self.value))
        return self.value


@dataclass(frozen=True)
class SheetSpec:
    name: str  # msgid of the sheet title
    table: Table
    columns: tuple[ExportColumn, ...]
    query: Callable[[], Select[Any]] | None = None  # default: the whole table by primary key
    translate_name: bool = True  # False: name and headers are raw table/column names

    def statement(self) -> Select[Any]:
        if self.query is not None:
            return self.query()
        return select(self.table).order_by(*self.table.primary_key.columns)

    def title(self) -> str:
        return _(self.name) if self.translate_name else self.name


SHEETS: list[SheetSpec] = []


def register_sheet(spec: SheetSpec) -> SheetSpec:
    """Add (or replace) the translated sheet of a table. Order of registration = sheet order."""
    SHEETS[:] = [s for s in SHEETS if s.table is not spec.table]
    SHEETS.append(spec)
    return spec


def table_of(model: type[SQLModel]) -> Table:
    return model.__table__  # type: ignore[attr-defined, no-any-return]


def _width_for(column: Any) -> int:
    kind = column.type
    if isinstance(getattr(kind, "impl", kind), DateTime):
        return 18
    if isinstance(kind, Integer | Boolean):
        return 10
    if isinstance(kind, String) and kind.length and not isinstance(kind, Text):
        return min(max(kind.length // 2, 12), 40)
    return 40


def generic_sheet(table: Table) -> SheetSpec:
    """A sheet for a table nobody described: raw column names, every column."""
    columns = tuple(
        ExportColumn(column.name, column.name, max(_width_for(column), len(column.name) + 2))
        for column in table.columns
    )
    return SheetSpec(table.name, table, columns, translate_name=False)


def sheets(metadata: Any = None) -> list[SheetSpec]:
    """Registered sheets first, then a generic one for every other table."""
    from bot.services.report_extensions import load_extensions

    load_extensions()
    metadata = metadata or SQLModel.metadata
    described = {spec.table.name for spec in SHEETS}
    extra = [
        generic_sheet(table)
        for table in metadata.sorted_tables
        if table.name not in described and table.name not in EXCLUDED_TABLES
    ]
    return [*SHEETS, *extra]


def sheet_label(table_name: str) -> str:
    """A table's name for people: its sheet title if it has a spec (for /mydata)."""
    from bot.services.report_extensions import load_extensions

    load_extensions()
    for spec in SHEETS:
        if spec.table.name == table_name:
            return spec.title()
    return table_name


# --- values -----------------------------------------------------------------------------

# Characters XML 1.0 (and so a spreadsheet) cannot hold; openpyxl refuses them too.
_ILLEGAL = re.compile(r"[\000-\010\013\014\016-\037\ufffe\uffff]")
# What a text needs escaped or removed before it goes into the sheet's XML.
_XML_SPECIAL = re.compile(r"[\000-\010\013\014\016-\037\ufffe\uffff&<>\r]")
# A spreadsheet reads a cell starting with these as a formula (OWASP "CSV injection").
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def cell_value(value: Any) -> Any:
    """A database value as a spreadsheet value: local wall time, readable JSON, no control
    characters (openpyxl refuses them), within Excel's cell limit."""
    kind = type(value)
    if value is None or kind is int or kind is float:
        return value
    if kind is str:
        return _ILLEGAL.sub("", value)[:CELL_MAX] if _ILLEGAL.search(value) else value[:CELL_MAX]
    if isinstance(value, datetime):
        return to_local(value).replace(tzinfo=None, microsecond=0)
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    if isinstance(value, dict | list):
        value = json.dumps(value, ensure_ascii=False)
    if isinstance(value, str):
        return _ILLEGAL.sub("", value)[:CELL_MAX]
    return value


def text_value(value: Any) -> str:
    """The same for CSV: times as YYYY-MM-DD HH:MM; text that a spreadsheet would take for
    a formula gets a leading apostrophe (numbers stay numbers)."""
    value = cell_value(value)
    if value is None:
        return ""
    if isinstance(value, str):
        return "'" + value if value.startswith(FORMULA_START) else value
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M")
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def localized(names: dict[str, str] | None, fallback: str | None) -> str | None:
    from bot.i18n import current_language

    return (names or {}).get(current_language()) or fallback


def localized_sql(names: Any, fallback: Any) -> ColumnElement[Any]:
    """`localized` in SQL, for big sheets: the database picks the name in the current
    language, and no JSON is decoded per row. Build the query in the export's language."""
    from bot.i18n import current_language

    return func.coalesce(func.nullif(names[current_language()].as_string(), ""), fallback)


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


# --- writers ------------------------------------------------------------------------------


def sheet_titles(specs: Sequence[SheetSpec]) -> list[str]:
    """Titles Excel accepts: at most 31 characters, no []:*?/\\, unique."""
    titles: list[str] = []
    for spec in specs:
        base = re.sub(r"[\[\]:*?/\\]", " ", spec.title()).strip()[:SHEET_TITLE_MAX] or "sheet"
        title, n = base, 2
        while title.lower() in (t.lower() for t in titles):
            suffix = f" ({n})"
            title, n = base[: SHEET_TITLE_MAX - len(suffix)] + suffix, n + 1
        titles.append(title)
    return titles


_EPOCH = datetime(1899, 12, 30)  # Excel's day 0 (for days after 1900-02-28)
_EPOCH_SAFE = datetime(1900, 3, 1)
_XML_HEAD = (
    b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
)


def _xml_text(value: str) -> str:
    """Text for the sheet's XML: no illegal characters, within the cell limit, escaped."""
    if _XML_SPECIAL.search(value) is None:
        return value[:CELL_MAX]
    value = _ILLEGAL.sub("", value)[:CELL_MAX]
    return (
        value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\r", "&#13;")
    )


class _SheetFile:
    """Stands in for openpyxl's WorksheetWriter of a write-only sheet whose XML we wrote
    ourselves: ExcelWriter copies `out` into the package, then calls cleanup()."""

    def __init__(self, out: Path) -> None:
        from openpyxl.packaging.relationship import RelationshipList

        self.out = str(out)
        self._rels = RelationshipList()

    def cleanup(self) -> None:
        Path(self.out).unlink(missing_ok=True)


class _XlsxWriter:
    """An XLSX package from openpyxl (workbook, styles, sheet views, column widths) whose
    rows are serialised here: openpyxl's per-cell objects cost ~15 µs a cell, most of the
    export's time. Every text becomes an inline string cell, so a value starting with "="
    is text, never a formula (openpyxl would store it as one)."""

    def __init__(self, path: Path, folder: Path) -> None:
        from openpyxl import Workbook

        self.path = path
        self.folder = folder
        self.workbook = Workbook(write_only=True)
        self.sheet: Any = None
        self.stream: Any = None
        self.row = 0
        self.refs: list[str] = []
        self.styles: dict[str, int] = {}

    def _style_ids(self, sheet: Any) -> None:
        from openpyxl.cell import WriteOnlyCell
        from openpyxl.styles import Font

        bold = WriteOnlyCell(sheet, value="x")
        bold.font = Font(bold=True)
        self.styles = {
            "bold": bold.style_id,
            "datetime": WriteOnlyCell(sheet, value=datetime(2000, 1, 1)).style_id,
            "date": WriteOnlyCell(sheet, value=date(2000, 1, 1)).style_id,
        }

    def start(self, title: str, columns: Sequence[ExportColumn], headers: list[str]) -> None:
        from openpyxl.utils import get_column_letter
        from openpyxl.xml.functions import tostring

        self._end_sheet()
        sheet = self.workbook.create_sheet(title)
        if not self.styles:
            self._style_ids(sheet)
        for index, (column, header) in enumerate(zip(columns, headers, strict=True), start=1):
            width = max(column.width or 14, len(header) + 2)
            sheet.column_dimensions[get_column_letter(index)].width = min(width, 60)
        sheet.freeze_panes = "A2"
        out = self.folder / f"sheet{len(self.workbook.worksheets)}.xml"
        self.stream = out.open("wb")
        self.stream.write(_XML_HEAD)
        for part in (sheet.sheet_properties, sheet.views, sheet.sheet_format):
            self.stream.write(tostring(part.to_tree()))
        if len(sheet.column_dimensions):
            self.stream.write(tostring(sheet.column_dimensions.to_tree()))
        self.stream.write(b"<sheetData>")
        self.refs = [get_column_letter(i) for i in range(1, len(headers) + 1)]
        self.row = 0
        self.sheet = sheet
        # openpyxl takes the sheet as written: no temporary file of its own.
        sheet._writer = _SheetFile(out)
        sheet._comments = []
        sheet._hyperlinks = []
        sheet._WriteOnlyWorksheet__saved = True
        bold = self.styles["bold"]
        cells = "".join(
            f'<c r="{ref}1" s="{bold}" t="inlineStr"><is><t>{_xml_text(text)}</t></is></c>'
            for ref, text in zip(self.refs, headers, strict=True)
        )
        self.stream.write(f'<row r="1">{cells}</row>'.encode())
        self.row = 1

    def rows(self, rows: Iterable[list[Any]]) -> None:
        refs = self.refs
        stamp, day = self.styles["datetime"], self.styles["date"]
        zone = i18n_timezone()
        out: list[str] = []
        append = out.append
        r = self.row
        for values in rows:
            r += 1
            n = str(r)
            append(f'<row r="{n}">')
            for ref, value in zip(refs, values, strict=True):
                kind = type(value)
                if value is None:
                    continue
                if kind is str:
                    if not value:
                        continue
                    text = _xml_text(value)
                    if value[0].isspace() or value[-1].isspace():
                        append(
                            f'<c r="{ref}{n}" t="inlineStr"><is><t xml:space="preserve">'
                            f"{text}</t></is></c>"
                        )
                    else:
                        append(f'<c r="{ref}{n}" t="inlineStr"><is><t>{text}</t></is></c>')
                elif kind is int:
                    append(f'<c r="{ref}{n}"><v>{value}</v></c>')
                elif kind is datetime and value.tzinfo is not None:
                    # Local wall time to the second, as Excel's serial day number.
                    delta = value.astimezone(zone).replace(tzinfo=None) - _EPOCH
                    if delta.days > 60:
                        serial = delta.days + delta.seconds / 86400
                        append(f'<c r="{ref}{n}" s="{stamp}"><v>{serial:.16g}</v></c>')
                    else:
                        append(self._other(ref + n, value, stamp, day))
                else:
                    append(self._other(ref + n, value, stamp, day))
            append("</row>")
        self.row = r
        self.stream.write("".join(out).encode())

    def _other(self, ref: str, value: Any, stamp: int, day: int) -> str:
        if isinstance(value, datetime):
            value = cell_value(value)
            if value >= _EPOCH_SAFE:
                delta = value - _EPOCH
                serial = delta.days + delta.seconds / 86400
            else:
                from openpyxl.utils.datetime import to_excel

                serial = to_excel(value)
            return f'<c r="{ref}" s="{stamp}"><v>{serial:.16g}</v></c>'
        if isinstance(value, date):
            return f'<c r="{ref}" s="{day}"><v>{(value - _EPOCH.date()).days}</v></c>'
        if isinstance(value, float | Decimal) and not isinstance(value, bool):
            return f'<c r="{ref}"><v>{value:.16g}</v></c>' if math.isfinite(value) else ""
        if isinstance(value, int) and not isinstance(value, bool):
            return f'<c r="{ref}"><v>{value}</v></c>'
        value = cell_value(value)
        if not isinstance(value, str):
            value = str(value)
        if not value:
            return ""
        space = ' xml:space="preserve"' if value[0].isspace() or value[-1].isspace() else ""
        return f'<c r="{ref}" t="inlineStr"><is><t{space}>{_xml_text(value)}</t></is></c>'

    def _end_sheet(self) -> None:
        from openpyxl.xml.functions import tostring

        if self.stream is None:
            return
        self.stream.write(b"</sheetData>")
        self.stream.write(tostring(self.sheet.page_margins.to_tree()))
        self.stream.write(b"</worksheet>")
        self.stream.close()
        self.stream = None

    def close(self) -> None:
        from openpyxl.writer.excel import ExcelWriter

        self._end_sheet()
        # Level 1: the XML compresses nearly as well, three times faster than the default.
        with zipfile.ZipFile(self.path, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as archive:
            ExcelWriter(self.workbook, archive).write_data()


class _CsvZipWriter:
    def __init__(self, path: Path, folder: Path) -> None:
        self.archive = zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=1)
        self.stream: io.TextIOWrapper | None = None
        self.writer: Any = None

    def _end_member(self) -> None:
        if self.stream is not None:
            self.stream.close()
            self.stream = None

    def start(self, title: str, columns: Sequence[ExportColumn], headers: list[str]) -> None:
        self._end_member()
        info = zipfile.ZipInfo(f"{title}.csv", date_time=datetime.now().timetuple()[:6])
        info.compress_type = zipfile.ZIP_DEFLATED
        raw = self.archive.open(info, "w", force_zip64=True)
        # UTF-8 with a BOM, so Excel shows Polish letters; \r\n as RFC 4180 asks.
        self.stream = io.TextIOWrapper(raw, encoding="utf-8-sig", newline="")
        self.writer = csv.writer(self.stream)
        self.writer.writerow(headers)

    def rows(self, rows: Iterable[list[Any]]) -> None:
        self.writer.writerows([text_value(v) for v in row] for row in rows)

    def close(self) -> None:
        self._end_member()
        self.archive.close()


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
        writer: _XlsxWriter | _CsvZipWriter = (
            _XlsxWriter(path, folder)
            if export_format == ExportFormat.XLSX
            else _CsvZipWriter(path, folder)
        )
        try:
            for index, (spec, title) in enumerate(zip(specs, titles, strict=True)):
                if progress is not None:
                    progress(index, len(specs), title)
                headers = [_(c.header) if spec.translate_name else c.header for c in spec.columns]
                writer.start(title, spec.columns, headers)
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


# --- the core sheets ------------------------------------------------------------------

_ROLES = {
    "resident": N_("Resident"),
    "leader": N_("Leader"),
    "lead": N_("Group lead"),
    "coordinator": N_("Coordinator"),
}
_GROUP_KINDS = {"team": N_("Team"), "small": N_("Small group")}
_MEMBERSHIP_STATUSES = {"member": N_("Member"), "pending": N_("Asked to join")}


def _label(labels: dict[str, str], key: str) -> ValueFn:
    def value(row: Row[Any]) -> Any:
        raw = row._mapping[key]
        return _(labels[raw]) if raw in labels else raw

    return value


def _names(names_key: str, fallback_key: str) -> ValueFn:
    def value(row: Row[Any]) -> Any:
        return localized(row._mapping[names_key], row._mapping[fallback_key])

    return value


_members = table_of(Member)
_groups = table_of(Group)
_areas = table_of(ProblemArea)
_memberships = table_of(Membership)
_invites = table_of(Invite)
_audit = table_of(AuditEntry)


def _groups_query() -> Select[Any]:
    parent = _groups.alias("parent")
    lead = _members.alias("lead")
    return (
        select(
            _groups,
            _areas.c.names.label("area_names"),
            _areas.c.slug.label("area_slug"),
            parent.c.name.label("parent_name"),
            parent.c.names.label("parent_names"),
            lead.c.display_name.label("lead_name"),
        )
        .outerjoin(_areas, _areas.c.id == _groups.c.area_id)
        .outerjoin(parent, parent.c.id == _groups.c.parent_id)
        .outerjoin(lead, lead.c.id == _groups.c.lead_id)
        .order_by(_groups.c.id)
    )


def _memberships_query() -> Select[Any]:
    return (
        select(
            _memberships,
            _groups.c.name.label("group_name"),
            _groups.c.names.label("group_names"),
            _members.c.display_name.label("member_name"),
            _members.c.institution.label("institution"),
        )
        .join(_groups, _groups.c.id == _memberships.c.group_id)
        .join(_members, _members.c.id == _memberships.c.member_id)
        .order_by(_memberships.c.group_id, _memberships.c.id)
    )


def _invites_query() -> Select[Any]:
    # Never the code: the export must not hand out working invite links.
    return (
        select(
            _invites.c.id,
            _invites.c.role,
            _invites.c.uses,
            _invites.c.max_uses,
            _invites.c.expires_at,
            _invites.c.revoked_at,
            _invites.c.created_at,
            _groups.c.name.label("group_name"),
            _groups.c.names.label("group_names"),
            _members.c.display_name.label("creator_name"),
        )
        .outerjoin(_groups, _groups.c.id == _invites.c.group_id)
        .outerjoin(_members, _members.c.id == _invites.c.created_by_id)
        .order_by(_invites.c.id)
    )


def _audit_query() -> Select[Any]:
    return (
        select(_audit, _members.c.display_name.label("actor_name"))
        .outerjoin(_members, _members.c.id == _audit.c.actor_id)
        .order_by(_audit.c.id)
    )


# Columns that many sheets share (the features' sheets too).
NUMBER = ExportColumn(N_("No."), "id", 6)
CREATED = ExportColumn(N_("Created"), "created_at", 18)
STARTS = ExportColumn(N_("Starts"), "starts_at", 18)
TITLE = ExportColumn(N_("Title"), "title", 40)
MEETING_NO = ExportColumn(N_("Meeting no."), "meeting_id", 10)
FULL_NAME = ExportColumn(N_("Full name"), "member_name", 28)
INSTITUTION = ExportColumn(N_("Institution"), "institution", 30)
CREATED_BY = ExportColumn(N_("Created by"), "creator_name", 24)

C = ExportColumn
register_sheet(
    SheetSpec(
        N_("Groups"),
        _groups,
        (
            NUMBER,
            C(N_("Name"), _names("names", "name"), 32),
            C(N_("Kind"), _label(_GROUP_KINDS, "kind"), 12),
            C(N_("Problem area"), _names("area_names", "area_slug"), 30),
            C(N_("Part of"), _names("parent_names", "parent_name"), 24),
            C(N_("Group lead"), "lead_name", 24),
            C(N_("Open to residents"), "is_open", 10),
            C(N_("Purpose"), _names("purposes", "purpose"), 50),
            CREATED,
            C(N_("Archived"), "archived_at", 18),
        ),
        _groups_query,
    )
)
register_sheet(
    SheetSpec(
        N_("Members"),
        _members,
        (
            NUMBER,
            C(N_("Full name"), "display_name", 28),
            INSTITUTION,
            C(N_("Role"), _label(_ROLES, "role"), 14),
            C(N_("Bot language"), "language", 8),
            C(N_("Consent given"), "consent_at", 18),
            C(N_("Reachable"), "reachable", 10),
            C(N_("Weekly digest off"), "digest_opt_out", 10),
            C(N_("Telegram id"), "telegram_id", 14),
            C(N_("Joined the bot"), "created_at", 18),
        ),
    )
)
register_sheet(
    SheetSpec(
        N_("Memberships"),
        _memberships,
        (
            C(N_("Group"), _names("group_names", "group_name"), 32),
            C(N_("Member"), "member_name", 28),
            INSTITUTION,
            C(N_("Status"), _label(_MEMBERSHIP_STATUSES, "status"), 14),
            C(N_("Joined"), "joined_at", 18),
        ),
        _memberships_query,
    )
)
register_sheet(
    SheetSpec(
        N_("Problem areas"),
        _areas,
        (
            NUMBER,
            C(N_("Name"), _names("names", "slug"), 40),
            C(N_("Short name"), "slug", 16),
        ),
    )
)
register_sheet(
    SheetSpec(
        N_("Invites"),
        _invites,
        (
            NUMBER,
            C(N_("Role"), _label(_ROLES, "role"), 14),
            C(N_("Group"), _names("group_names", "group_name"), 28),
            C(N_("Used"), "uses", 8),
            C(N_("Use limit"), "max_uses", 10),
            C(N_("Valid until"), "expires_at", 18),
            C(N_("Withdrawn"), "revoked_at", 18),
            CREATED_BY,
            CREATED,
        ),
        _invites_query,
    )
)
register_sheet(
    SheetSpec(
        N_("Audit log"),
        _audit,
        (
            C(N_("When"), "created_at", 18),
            C(N_("Who"), "actor_name", 24),
            C(N_("Action"), "action", 18),
            C(N_("Object"), "target", 16),
            C(N_("Details"), "details", 50),
        ),
        _audit_query,
    )
)
