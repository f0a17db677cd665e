"""indexes for a group's page: memberships by (group_id, status, member_id), meetings by
(group_id, status, starts_at)

A group page counts its members and requests and finds the viewer's own status with one
query, reading the index alone instead of every membership row; its next meetings are read
in start order, stopping after a few, instead of sorting all the group's meetings.

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
    op.create_index("ix_meetings_group_upcoming", "meetings", ["group_id", "status", "starts_at"])


def downgrade() -> None:
    op.drop_index("ix_meetings_group_upcoming", table_name="meetings")
    op.drop_index("ix_memberships_group_status", table_name="memberships")
