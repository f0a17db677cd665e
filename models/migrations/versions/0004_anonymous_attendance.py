"""meeting_anonymous_attendance: attendance figures that survive /forget

When a person erases their data, their answers to meetings that took place (and whether
they checked in) stay as rows with no link to any person, so the programme's attendance
counts do not shrink.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-01 10:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import models.base

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "meeting_anonymous_attendance",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("meeting_id", sa.Integer(), nullable=False),
        sa.Column("answer", sa.String(length=8), nullable=False),
        sa.Column("checked_in_at", models.base.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["meeting_id"], ["meetings.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("meeting_anonymous_attendance", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_meeting_anonymous_attendance_meeting_id"), ["meeting_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("meeting_anonymous_attendance", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_meeting_anonymous_attendance_meeting_id"))
    op.drop_table("meeting_anonymous_attendance")
