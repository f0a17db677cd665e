"""memberships: an index on (group_id, status, member_id) for a group's counts and members

A group page counts its members and requests and finds the viewer's own status with one
query; with this index it reads the index alone instead of every membership row.

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-30 10:20:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index(
        "ix_memberships_group_status", "memberships", ["group_id", "status", "member_id"]
    )


def downgrade() -> None:
    op.drop_index("ix_memberships_group_status", table_name="memberships")
