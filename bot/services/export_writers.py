"""How the report is written: an XLSX package whose sheet XML is serialised here, or a zip of
CSV files; and the database values as spreadsheet values. Used by bot/services/export.py."""

from __future__ import annotations

import csv
import io
import json
import math
import re
import zipfile
from collections.abc import Iterable, Sequence
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from bot.i18n import gettext as _
from bot.i18n import local as to_local
from bot.i18n import timezone as i18n_timezone
from bot.services.sheet_spec import ExportColumn, SheetSpec

CELL_MAX = 32_767  # Excel's limit of characters in a cell
SHEET_TITLE_MAX = 31

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


class XlsxWriter:
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


class CsvZipWriter:
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
