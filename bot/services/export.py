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
import csv
import io
import json
import operator
import re
import zipfile
from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum
from pathlib import Path
from typing import Any

from sqlalchemy import Boolean, DateTime, Integer, String, Table, Text, select
from sqlalchemy.engine import Row
from sqlalchemy.sql import Select
from sqlmodel import SQLModel

from bot.db import Database
from bot.i18n import N_, use_language
from bot.i18n import gettext as _
from bot.i18n import local as to_local
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

_ILLEGAL = re.compile(r"[\000-\010\013\014\016-\037]")


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
    """The same for CSV: times as YYYY-MM-DD HH:MM."""
    value = cell_value(value)
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M")
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def localized(names: dict[str, str] | None, fallback: str | None) -> str | None:
    from bot.i18n import current_language

    return (names or {}).get(current_language()) or fallback


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


class _XlsxWriter:
    def __init__(self, path: Path) -> None:
        from openpyxl import Workbook

        self.path = path
        self.workbook = Workbook(write_only=True)
        self.sheet: Any = None

    def start(self, title: str, columns: Sequence[ExportColumn], headers: list[str]) -> None:
        from openpyxl.cell import WriteOnlyCell
        from openpyxl.styles import Font
        from openpyxl.utils import get_column_letter

        self.sheet = self.workbook.create_sheet(title)
        for index, (column, header) in enumerate(zip(columns, headers, strict=True), start=1):
            width = max(column.width or 14, len(header) + 2)
            self.sheet.column_dimensions[get_column_letter(index)].width = min(width, 60)
        self.sheet.freeze_panes = "A2"
        bold = Font(bold=True)
        cells = []
        for header in headers:
            cell = WriteOnlyCell(self.sheet, value=header)
            cell.font = bold
            cells.append(cell)
        self.sheet.append(cells)

    def rows(self, rows: Iterable[list[Any]]) -> None:
        for row in rows:
            self.sheet.append([cell_value(v) for v in row])

    def close(self) -> None:
        self.workbook.save(self.path)


class _CsvZipWriter:
    def __init__(self, path: Path) -> None:
        self.archive = zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED)
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
    """Write the report to `path`. `progress(index, total, title)` is awaited per sheet."""
    export_format = ExportFormat(export_format)
    result = ExportResult(path, export_format)
    with use_language(language):
        specs = list(specs if specs is not None else sheets())
        titles = sheet_titles(specs)
        writer: _XlsxWriter | _CsvZipWriter = (
            _XlsxWriter(path) if export_format == ExportFormat.XLSX else _CsvZipWriter(path)
        )
        try:
            for index, (spec, title) in enumerate(zip(specs, titles, strict=True)):
                if progress is not None:
                    await progress(index, len(specs), title)
                headers = [_(c.header) if spec.translate_name else c.header for c in spec.columns]
                writer.start(title, spec.columns, headers)
                count = 0
                async with db.engine.begin() as conn:
                    stream = await conn.stream(spec.statement().execution_options(yield_per=BATCH))
                    getters = [column.getter(list(stream.keys())) for column in spec.columns]
                    async for batch in stream.partitions(BATCH):
                        writer.rows([get(row) for get in getters] for row in batch)
                        count += len(batch)
                        await asyncio.sleep(0)  # let the bot answer others meanwhile
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


C = ExportColumn
register_sheet(
    SheetSpec(
        N_("Groups"),
        _groups,
        (
            C(N_("No."), "id", 6),
            C(N_("Name"), _names("names", "name"), 32),
            C(N_("Kind"), _label(_GROUP_KINDS, "kind"), 12),
            C(N_("Problem area"), _names("area_names", "area_slug"), 30),
            C(N_("Part of"), _names("parent_names", "parent_name"), 24),
            C(N_("Group lead"), "lead_name", 24),
            C(N_("Open to residents"), "is_open", 10),
            C(N_("Purpose"), _names("purposes", "purpose"), 50),
            C(N_("Created"), "created_at", 18),
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
            C(N_("No."), "id", 6),
            C(N_("Full name"), "display_name", 28),
            C(N_("Institution"), "institution", 30),
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
            C(N_("Institution"), "institution", 30),
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
            C(N_("No."), "id", 6),
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
            C(N_("No."), "id", 6),
            C(N_("Role"), _label(_ROLES, "role"), 14),
            C(N_("Group"), _names("group_names", "group_name"), 28),
            C(N_("Used"), "uses", 8),
            C(N_("Use limit"), "max_uses", 10),
            C(N_("Valid until"), "expires_at", 18),
            C(N_("Withdrawn"), "revoked_at", 18),
            C(N_("Created by"), "creator_name", 24),
            C(N_("Created"), "created_at", 18),
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
