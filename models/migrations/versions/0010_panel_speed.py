"""the panel (PostgreSQL): a trigram index of titles, contributions by group with their status

`ix_contrib_title_trgm` (PostgreSQL only): the board's title search (ILIKE '%…%') reads a
GIN index of the titles' trigrams (the pg_trgm extension) instead of every title: a search
of three letters or more among 100,000 titles takes milliseconds, not a scan of the table.
pg_trgm is a trusted extension (PostgreSQL 13+): the database's owner may create it. Where
it cannot be created (no privilege, not installed) the upgrade goes on without the index,
says so in the log, and the panel searches as before (a scan); running this migration again
later (downgrade to 0009, upgrade) adds it. Like the SQLite search index of 0009, the index
is not in the models' metadata: it exists only where the extension does.

`ix_contrib_group_id` (group_id, id) includes the status on PostgreSQL: the board filtered by
a group counts its newest 1,000 contributions per status from the index alone. Without it,
PostgreSQL walked the whole table newest first (reading each row's status) rather than fetch
a small group's rows one by one. (Not on SQLite: its planner would then read every group's
rows through this index for the programme's ready ideas, instead of ideas by support.)

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-02 10:00:00
"""

import logging
from collections.abc import Sequence

from alembic import op
from sqlalchemy import text

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

log = logging.getLogger("alembic.runtime.migration")
TRIGRAM_INDEX = "ix_contrib_title_trgm"


def _trigram_schema() -> str | None:
    """The schema of pg_trgm, created here if it is missing and may be; None if it can't."""
    bind = op.get_bind()
    find = text(
        "SELECT n.nspname FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace "
        "WHERE e.extname = 'pg_trgm'"
    )
    schema = bind.execute(find).scalar()
    if schema is not None:
        return str(schema)
    available = bind.execute(
        text("SELECT 1 FROM pg_available_extensions WHERE name = 'pg_trgm'")
    ).scalar()
    if available is None:
        log.warning("pg_trgm is not installed on this server: titles are searched without an index")
        return None
    try:
        with bind.begin_nested():  # a SAVEPOINT: a refusal undoes this, not the upgrade
            bind.execute(text("CREATE EXTENSION IF NOT EXISTS pg_trgm"))
    except Exception as error:  # any refusal: the index is only an optimisation
        reason = str(getattr(error, "orig", error)).splitlines()[0]
        log.warning("cannot create pg_trgm (%s): titles are searched without an index", reason)
        return None
    schema = bind.execute(find).scalar()
    return None if schema is None else str(schema)


def upgrade() -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    op.drop_index("ix_contrib_group_id", table_name="contributions")
    op.create_index(
        "ix_contrib_group_id", "contributions", ["group_id", "id"], postgresql_include=["status"]
    )
    schema = _trigram_schema()
    if schema is not None:
        opclass = f'"{schema}".gin_trgm_ops'
        op.execute(f"CREATE INDEX {TRIGRAM_INDEX} ON contributions USING gin (title {opclass})")


def downgrade() -> None:
    # pg_trgm stays: other things may use it, and it costs nothing unused.
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute(f"DROP INDEX IF EXISTS {TRIGRAM_INDEX}")
    op.drop_index("ix_contrib_group_id", table_name="contributions")
    op.create_index("ix_contrib_group_id", "contributions", ["group_id", "id"])
