"""the panel: a title search index (SQLite), contributions by updated_at and by area/kind

On SQLite an FTS5 table `contributions_search` indexes every title by trigrams (any part of
a title, case-insensitive in every alphabet), kept up to date by triggers on `contributions`;
PostgreSQL has no such index without an extension, so there the panel searches with ILIKE.
The table is left out where SQLite lacks FTS5 or its trigram tokenizer (before 3.34): the
panel then searches with LIKE. It is not in the models' metadata: only these statements and
bot/panel/search.py know it. (A future batch ALTER that rebuilds `contributions` drops the
triggers with the table: recreate them with `TRIGGERS` below.)

`ix_contrib_updated`: the panel reads the newest change (max of updated_at) at once, to know
whether its kept counts are still true. `ix_contrib_area_kind`: the problem map's counts per
area and kind (without the rejected) read this index alone, not every row, and its lists
(the most supported causes or ideas of an area) read it in support order.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-01 10:00:00
"""

import sqlite3
from collections.abc import Sequence

from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TABLE = (
    "CREATE VIRTUAL TABLE contributions_search USING fts5("
    "title, content='contributions', content_rowid='id', tokenize='trigram')"
)
TRIGGERS = (
    "CREATE TRIGGER contributions_search_insert AFTER INSERT ON contributions BEGIN "
    "INSERT INTO contributions_search (rowid, title) VALUES (new.id, new.title); END",
    "CREATE TRIGGER contributions_search_delete AFTER DELETE ON contributions BEGIN "
    "INSERT INTO contributions_search (contributions_search, rowid, title) "
    "VALUES ('delete', old.id, old.title); END",
    "CREATE TRIGGER contributions_search_update AFTER UPDATE OF title ON contributions BEGIN "
    "INSERT INTO contributions_search (contributions_search, rowid, title) "
    "VALUES ('delete', old.id, old.title); "
    "INSERT INTO contributions_search (rowid, title) VALUES (new.id, new.title); END",
)


def _fts5_trigram() -> bool:
    options = {row[0] for row in op.get_bind().exec_driver_sql("PRAGMA compile_options")}
    return "ENABLE_FTS5" in options and sqlite3.sqlite_version_info >= (3, 34)


def upgrade() -> None:
    op.create_index("ix_contrib_updated", "contributions", ["updated_at"])
    op.create_index(
        "ix_contrib_area_kind", "contributions", ["area_id", "kind", "support_count", "status"]
    )
    if op.get_bind().dialect.name == "sqlite" and _fts5_trigram():
        op.execute(TABLE)
        op.execute("INSERT INTO contributions_search (contributions_search) VALUES ('rebuild')")
        for statement in TRIGGERS:
            op.execute(statement)


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        for name in ("insert", "delete", "update"):
            op.execute(f"DROP TRIGGER IF EXISTS contributions_search_{name}")
        op.execute("DROP TABLE IF EXISTS contributions_search")
    op.drop_index("ix_contrib_area_kind", table_name="contributions")
    op.drop_index("ix_contrib_updated", table_name="contributions")
