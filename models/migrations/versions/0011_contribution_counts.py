"""contributions counted per problem area, kind and status, kept by triggers

`contribution_counts` holds one row per (area, kind, status) that ever had a contribution
(area_key 0: no problem area): at most a few hundred rows, whatever the number of
contributions. Triggers on `contributions` keep it: an insert adds one to its row, a delete
takes one away, an update that changes the area, the kind or the status moves one from the
old row to the new (a problem area deleted sets its contributions' area to NULL through the
foreign key, which is an update too). On PostgreSQL a TRUNCATE of contributions empties it.
The panel's board and problem map read their totals from it: exact after every change, a
read of a few rows instead of a count of every contribution.

On PostgreSQL two changes that touch the same rows change them in the same order (the
smaller key first), so that two moves in opposite directions at once never deadlock.

`ix_contrib_updated` (0009) goes: it served only the panel's check of whether its counts were
still true (the newest updated_at), which this table replaces. `ix_contrib_area_kind` (0009:
area, kind, support, status, for counting from the index alone) becomes
`ix_contrib_area_kind_support` (area, kind, support, id): the counts come from this table now,
and with the id last, one kind in one area most supported first (/browse with both filters,
the map's lists) is read in order, a page's rows only. (Without statistics, as after a bulk
import, PostgreSQL read all ~4,000 ideas of an area through the old index, joined each to its
author and group and sorted them: 20 ms for 6 cards; now 0.2 ms.)

(A future batch ALTER that rebuilds `contributions` on SQLite drops its triggers with the
table, as in 0009: recreate them with `SQLITE_TRIGGERS` below.)

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-03 10:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BACKFILL = (
    "INSERT INTO contribution_counts (area_key, kind, status, n) "
    "SELECT coalesce(area_id, 0), kind, status, count(*) FROM contributions "
    "GROUP BY coalesce(area_id, 0), kind, status"
)


def _add(row: str) -> str:
    return (
        "INSERT INTO contribution_counts (area_key, kind, status, n) "
        f"VALUES (coalesce({row}.area_id, 0), {row}.kind, {row}.status, 1) "
        "ON CONFLICT (area_key, kind, status) DO UPDATE SET n = contribution_counts.n + 1;"
    )


def _take(row: str) -> str:
    return (
        "UPDATE contribution_counts SET n = n - 1 "
        f"WHERE area_key = coalesce({row}.area_id, 0) AND kind = {row}.kind "
        f"AND status = {row}.status;"
    )


SQLITE_TRIGGERS = (
    "CREATE TRIGGER contribution_counts_insert AFTER INSERT ON contributions "
    f"BEGIN {_add('new')} END",
    "CREATE TRIGGER contribution_counts_delete AFTER DELETE ON contributions "
    f"BEGIN {_take('old')} END",
    "CREATE TRIGGER contribution_counts_update AFTER UPDATE OF area_id, kind, status "
    "ON contributions WHEN old.area_id IS NOT new.area_id OR old.kind IS NOT new.kind "
    f"OR old.status IS NOT new.status BEGIN {_take('old')} {_add('new')} END",
)

_OLD_KEY = "(coalesce(OLD.area_id, 0), OLD.kind, OLD.status)"
_NEW_KEY = "(coalesce(NEW.area_id, 0), NEW.kind, NEW.status)"
POSTGRESQL_FUNCTIONS = (
    f"""CREATE FUNCTION contribution_counts_keep() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        {_add("NEW")}
    ELSIF TG_OP = 'DELETE' THEN
        {_take("OLD")}
    ELSIF {_OLD_KEY} < {_NEW_KEY} THEN
        {_take("OLD")}
        {_add("NEW")}
    ELSIF {_OLD_KEY} > {_NEW_KEY} THEN
        {_add("NEW")}
        {_take("OLD")}
    END IF;
    RETURN NULL;
END $$""",
    """CREATE FUNCTION contribution_counts_empty() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM contribution_counts;
    RETURN NULL;
END $$""",
)
POSTGRESQL_TRIGGERS = (
    "CREATE TRIGGER contribution_counts_keep AFTER INSERT OR DELETE "
    "OR UPDATE OF area_id, kind, status ON contributions "
    "FOR EACH ROW EXECUTE FUNCTION contribution_counts_keep()",
    "CREATE TRIGGER contribution_counts_empty AFTER TRUNCATE ON contributions "
    "FOR EACH STATEMENT EXECUTE FUNCTION contribution_counts_empty()",
)


def upgrade() -> None:
    op.create_table(
        "contribution_counts",
        sa.Column("area_key", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("n", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("area_key", "kind", "status"),
    )
    op.execute(BACKFILL)
    op.drop_index("ix_contrib_updated", table_name="contributions")
    op.drop_index("ix_contrib_area_kind", table_name="contributions")
    op.create_index(
        "ix_contrib_area_kind_support", "contributions", ["area_id", "kind", "support_count", "id"]
    )
    if op.get_bind().dialect.name == "postgresql":
        for statement in (*POSTGRESQL_FUNCTIONS, *POSTGRESQL_TRIGGERS):
            op.execute(statement)
    else:
        for statement in SQLITE_TRIGGERS:
            op.execute(statement)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for name in ("keep", "empty"):
            op.execute(f"DROP TRIGGER IF EXISTS contribution_counts_{name} ON contributions")
            op.execute(f"DROP FUNCTION IF EXISTS contribution_counts_{name}()")
    else:
        for name in ("insert", "delete", "update"):
            op.execute(f"DROP TRIGGER IF EXISTS contribution_counts_{name}")
    op.drop_table("contribution_counts")
    op.drop_index("ix_contrib_area_kind_support", table_name="contributions")
    op.create_index(
        "ix_contrib_area_kind", "contributions", ["area_id", "kind", "support_count", "status"]
    )
    op.create_index("ix_contrib_updated", "contributions", ["updated_at"])
