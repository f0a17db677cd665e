"""meeting invitations: broadcasts that carry a meeting's card, and who was invited

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-30 10:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import models.base

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Plain ADD COLUMNs: no table rebuild on SQLite (rebuilding `broadcasts` would touch its
    # recipients' rows). SQLite takes the foreign key only inside the column's definition.
    if op.get_bind().dialect.name == "sqlite":
        op.execute(
            "ALTER TABLE broadcasts ADD COLUMN meeting_id INTEGER "
            "REFERENCES meetings (id) ON DELETE SET NULL"
        )
    else:
        op.add_column("broadcasts", sa.Column("meeting_id", sa.Integer(), nullable=True))
        op.create_foreign_key(
            "fk_broadcasts_meeting_id",
            "broadcasts",
            "meetings",
            ["meeting_id"],
            ["id"],
            ondelete="SET NULL",
        )
    op.add_column(
        "broadcasts",
        sa.Column("outsiders_allowed", sa.Boolean(), nullable=False, server_default=sa.false()),
    )
    op.create_table(
        "meeting_invitations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("meeting_id", sa.Integer(), nullable=False),
        sa.Column("member_id", sa.Integer(), nullable=False),
        sa.Column("audience", sa.String(length=200), nullable=False),
        sa.Column("broadcast_id", sa.Integer(), nullable=True),
        sa.Column("invited_at", models.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["meeting_id"], ["meetings.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["member_id"], ["members.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["broadcast_id"], ["broadcasts.id"], ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("meeting_id", "member_id"),
    )
    with op.batch_alter_table("meeting_invitations", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_meeting_invitations_meeting_id"), ["meeting_id"])


def downgrade() -> None:
    with op.batch_alter_table("meeting_invitations", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_meeting_invitations_meeting_id"))
    op.drop_table("meeting_invitations")
    with op.batch_alter_table("broadcasts", schema=None) as batch_op:
        batch_op.drop_column("outsiders_allowed")
        batch_op.drop_column("meeting_id")
