"""members.coordinator_from_settings: how the coordinator role was granted

BOT_COORDINATORS is the source of the role for the people it lists: a person taken off the
setting loses it at the next start, unless a coordinator (or an invite) granted it in the bot.
Coordinators the bot made before this revision are marked as coming from the setting when
nobody changed their role in the bot and they did not redeem a coordinator invite.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-30 10:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # A literal default ("0": false in SQLite and PostgreSQL), not sa.false(): with an SQL
    # expression as default, batch mode rebuilds `members` on SQLite, and dropping the old
    # table fires ON DELETE CASCADE / SET NULL (memberships, invite uses, audit actors).
    with op.batch_alter_table("members", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "coordinator_from_settings",
                sa.Boolean(),
                server_default="0",
                nullable=False,
            )
        )
    op.execute(
        sa.text(
            "UPDATE members SET coordinator_from_settings = :yes "
            "WHERE role = 'coordinator' "
            "AND NOT EXISTS (SELECT 1 FROM audit_log a WHERE a.action = 'role.change' "
            "AND a.actor_id IS NOT NULL "
            "AND a.target = 'member:' || CAST(members.id AS VARCHAR(20))) "
            "AND NOT EXISTS (SELECT 1 FROM invite_uses u JOIN invites i ON i.id = u.invite_id "
            "WHERE u.member_id = members.id AND i.role = 'coordinator')"
        ).bindparams(yes=True)
    )


def downgrade() -> None:
    with op.batch_alter_table("members", schema=None) as batch_op:
        batch_op.drop_column("coordinator_from_settings")
