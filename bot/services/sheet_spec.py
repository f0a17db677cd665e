"""The declarative sheet specification of the coordinators' report (bot/services/export.py).

A sheet is declared, not written: ``sheet(title, table, *columns, fields=, joins=, order_by=)``
registers a :class:`SheetSpec`. A column is a translated header, a value (a key of the row, or
a function of the row), a width and, for a coded value, the msgids of its codes. The rows are
one query: the fields selected (every column of the table unless given), the tables joined
to name what the rows point at (:func:`join`), the order (the primary key unless given).

``SHEETS`` keeps the declared sheets in registration order; every other table in
``SQLModel.metadata`` (except ``EXCLUDED_TABLES``) is exported by a generic sheet with its
column names as headers, so tables merged later appear with no change here. The feature
modules that declare sheets are listed in ``bot/services/report_extensions.py``.
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Boolean, DateTime, Integer, String, Table, Text, func, select
from sqlalchemy.engine import Row
from sqlalchemy.sql import ClauseElement, ColumnElement, FromClause, Select
from sqlmodel import SQLModel

from bot.i18n import current_language
from bot.i18n import gettext as _
from models import BotState, DigestSend

# Internal bookkeeping, not programme data: persistence blobs and digest receipts.
EXCLUDED_TABLES = {BotState.__tablename__, DigestSend.__tablename__}

ValueFn = Callable[[Row[Any]], Any]
# What a query selects: a table (all its columns), a column or an expression; or a function
# of nothing that makes one, called per export in its language (e.g. with localized_sql).
Field = ClauseElement | Callable[[], ClauseElement]


@dataclass(frozen=True)
class ExportColumn:
    header: str  # msgid, translated into the coordinator's language
    value: str | ValueFn  # a key of the query's row, or a function of the row
    width: int | None = None  # in characters; guessed from the header if not given
    labels: Mapping[Any, str] | None = None  # a key's codes -> msgids (other values as is)

    def getter(self, keys: Sequence[str]) -> ValueFn:
        """A fast accessor for rows with these keys (by position, not by name). Call it in
        the export's language: coded values are translated here, once."""
        if not isinstance(self.value, str):
            return self.value
        get = operator.itemgetter(list(keys).index(self.value))
        if self.labels is None:
            return get
        labels = {code: _(msgid) for code, msgid in self.labels.items()}

        def label(row: Row[Any]) -> Any:
            raw = get(row)
            return labels.get(raw, raw)

        return label


@dataclass(frozen=True)
class Join:
    """A table joined to a sheet's rows (outer unless `inner`) and the fields taken from it."""

    target: FromClause
    on: ColumnElement[bool]
    fields: tuple[Field, ...] = ()
    inner: bool = False


def join(target: FromClause, key: ColumnElement[Any], *fields: Field, inner: bool = False) -> Join:
    """The row of `target` whose id is `key` (a foreign key of the sheet's rows)."""
    return Join(target, target.c.id == key, fields, inner)


def _built(field: Field) -> Any:
    return field if isinstance(field, ClauseElement) else field()


@dataclass(frozen=True)
class SheetSpec:
    name: str  # msgid of the sheet title
    table: Table
    columns: tuple[ExportColumn, ...]
    fields: tuple[Field, ...] = ()  # from the table (all of it if none) and expressions
    joins: tuple[Join, ...] = ()
    order_by: tuple[ColumnElement[Any], ...] = ()  # the primary key if none
    translate_name: bool = True  # False: name and headers are raw table/column names

    def statement(self) -> Select[Any]:
        """The sheet's query; build it in the export's language."""
        fields = [*(self.fields or (self.table,)), *(f for j in self.joins for f in j.fields)]
        query = select(*map(_built, fields)).select_from(self.table)
        for part in self.joins:
            query = query.join(part.target, part.on, isouter=not part.inner)
        return query.order_by(*(self.order_by or self.table.primary_key.columns))

    def title(self) -> str:
        return _(self.name) if self.translate_name else self.name

    def headers(self) -> list[str]:
        return [_(c.header) if self.translate_name else c.header for c in self.columns]


SHEETS: list[SheetSpec] = []


def register_sheet(spec: SheetSpec) -> SheetSpec:
    """Add (or replace) the translated sheet of a table. Order of registration = sheet order."""
    SHEETS[:] = [s for s in SHEETS if s.table is not spec.table]
    SHEETS.append(spec)
    return spec


def sheet(
    name: str,
    table: Table,
    *columns: ExportColumn,
    fields: tuple[Field, ...] = (),
    joins: tuple[Join, ...] = (),
    order_by: tuple[ColumnElement[Any], ...] = (),
) -> SheetSpec:
    """Declare the translated sheet of `table` and register it (see SheetSpec)."""
    return register_sheet(SheetSpec(name, table, columns, fields, joins, order_by))


def table(name: str) -> Table:
    """A table of the models, by the name the sheets and /mydata know it by."""
    return SQLModel.metadata.tables[name]


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


# --- names in the reader's language ---------------------------------------------------------


def localized(names: dict[str, str] | None, fallback: str | None) -> str | None:
    return (names or {}).get(current_language()) or fallback


def localized_sql(names: Any, fallback: Any) -> ColumnElement[Any]:
    """`localized` in SQL, for big sheets: the database picks the name in the current
    language, and no JSON is decoded per row. Build the query in the export's language."""
    return func.coalesce(func.nullif(names[current_language()].as_string(), ""), fallback)


def named_join(target: FromClause, key: ColumnElement[Any], fallback: str, label: str) -> Join:
    """`join` for the name of what `key` points at, picked in SQL (localized_sql) as `label`:
    for big sheets. `target` has `names`; `fallback` is its column for a missing name."""
    return join(target, key, lambda: localized_sql(target.c.names, target.c[fallback]).label(label))


def names(names_key: str, fallback_key: str) -> ValueFn:
    """A column value: the name in the reader's language from the row's names, or fallback."""

    def value(row: Row[Any]) -> Any:
        return localized(row._mapping[names_key], row._mapping[fallback_key])

    return value
