"""members.onboarded_at: onboarding finished is recorded, not inferred

Old onboarding buttons of a member who skipped the institution used to reopen the
institution question; the finished onboarding is now a fact in the table.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-30 09:40:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import models.base

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("members", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("onboarded_at", models.base.UTCDateTime(timezone=True), nullable=True)
        )
    # Everyone named so far went through the whole onboarding (or its crash recovery).
    op.execute(
        "UPDATE members SET onboarded_at = created_at "
        "WHERE display_name IS NOT NULL AND consent_at IS NOT NULL"
    )


def downgrade() -> None:
    with op.batch_alter_table("members", schema=None) as batch_op:
        batch_op.drop_column("onboarded_at")
