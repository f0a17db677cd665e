"""programme: links between contributions, programme actions, indicators, timeline

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-02 10:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import models.base

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "contribution_links",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("first_id", sa.Integer(), nullable=False),
        sa.Column("second_id", sa.Integer(), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", models.base.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint("first_id < second_id", name="ck_contribution_links_order"),
        sa.ForeignKeyConstraint(["created_by_id"], ["members.id"], ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["first_id"], ["contributions.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["second_id"], ["contributions.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("first_id", "second_id"),
    )
    with op.batch_alter_table("contribution_links", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_contribution_links_first_id"), ["first_id"])
        batch_op.create_index(batch_op.f("ix_contribution_links_second_id"), ["second_id"])

    op.create_table(
        "programme_actions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("contribution_id", sa.Integer(), nullable=True),
        sa.Column("group_id", sa.Integer(), nullable=True),
        sa.Column("title", sa.String(length=120), nullable=False),
        sa.Column("goal", sa.Text(), nullable=False),
        sa.Column("target_group", sa.String(length=200), nullable=False),
        sa.Column("responsible", sa.String(length=120), nullable=False),
        sa.Column("partners", sa.JSON(), nullable=False),
        sa.Column("start_month", sa.String(length=7), nullable=True),
        sa.Column("end_month", sa.String(length=7), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("progress", sa.Integer(), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", models.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["contribution_id"], ["contributions.id"], ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["created_by_id"], ["members.id"], ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["group_id"], ["groups.id"], ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("contribution_id"),
    )
    op.create_table(
        "programme_action_indicators",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("action_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("target", sa.Float(), nullable=False),
        sa.Column("unit", sa.String(length=40), nullable=False),
        sa.Column("achieved", sa.Float(), nullable=True),
        sa.ForeignKeyConstraint(["action_id"], ["programme_actions.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("programme_action_indicators", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_programme_action_indicators_action_id"), ["action_id"])
    op.create_table(
        "programme_action_notes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("action_id", sa.Integer(), nullable=False),
        sa.Column("noted_on", sa.Date(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("author_id", sa.Integer(), nullable=True),
        sa.Column("created_at", models.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["action_id"], ["programme_actions.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["author_id"], ["members.id"], ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("programme_action_notes", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_programme_action_notes_action_id"), ["action_id"])


def downgrade() -> None:
    with op.batch_alter_table("programme_action_notes", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_programme_action_notes_action_id"))
    op.drop_table("programme_action_notes")
    with op.batch_alter_table("programme_action_indicators", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_programme_action_indicators_action_id"))
    op.drop_table("programme_action_indicators")
    op.drop_table("programme_actions")
    with op.batch_alter_table("contribution_links", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_contribution_links_second_id"))
        batch_op.drop_index(batch_op.f("ix_contribution_links_first_id"))
    op.drop_table("contribution_links")
