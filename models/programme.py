"""From contributions to the programme: links between contributions, and programme actions
(an accepted idea with a goal, partners, indicators, schedule, progress and a timeline)."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import (
    JSON,
    CheckConstraint,
    Column,
    Date,
    Float,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlmodel import Field, SQLModel

from models.base import UTCDateTime, fk, utcnow


class ActionStatus(StrEnum):
    PLANNED = "planned"
    IN_PROGRESS = "in_progress"
    DONE = "done"
    DROPPED = "dropped"


class ContributionLink(SQLModel, table=True):
    """Two contributions of different kinds that belong together ("idea #3 addresses cause
    #12"). Stored once per pair, the smaller id first; it reads both ways."""

    __tablename__ = "contribution_links"
    __table_args__ = (
        UniqueConstraint("first_id", "second_id"),
        CheckConstraint("first_id < second_id", name="ck_contribution_links_order"),
    )

    id: int | None = Field(default=None, primary_key=True)
    first_id: int = Field(sa_column=fk("contributions", "CASCADE", nullable=False, index=True))
    second_id: int = Field(sa_column=fk("contributions", "CASCADE", nullable=False, index=True))
    created_by_id: int | None = Field(default=None, sa_column=fk("members", "SET NULL"))
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class ProgrammeAction(SQLModel, table=True):
    """An accepted idea turned into a piece of the programme."""

    __tablename__ = "programme_actions"

    id: int | None = Field(default=None, primary_key=True)
    # The idea it came from; the action stays if the idea is deleted.
    contribution_id: int | None = Field(
        default=None,
        sa_column=Column(
            Integer,
            ForeignKey("contributions.id", ondelete="SET NULL"),
            nullable=True,
            unique=True,
        ),
    )
    group_id: int | None = Field(default=None, sa_column=fk("groups", "SET NULL"))
    title: str = Field(sa_type=String(120))
    goal: str = Field(sa_column=Column(Text, nullable=False))
    target_group: str = Field(default="", sa_type=String(200))
    responsible: str = Field(default="", sa_type=String(120))  # an institution
    partners: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    start_month: str | None = Field(default=None, sa_type=String(7))  # YYYY-MM
    end_month: str | None = Field(default=None, sa_type=String(7))
    status: str = Field(default=ActionStatus.PLANNED, sa_type=String(16))
    progress: int = 0  # percent
    created_by_id: int | None = Field(default=None, sa_column=fk("members", "SET NULL"))
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class ActionIndicator(SQLModel, table=True):
    """How the action's result is measured: "participants, 40 people"."""

    __tablename__ = "programme_action_indicators"

    id: int | None = Field(default=None, primary_key=True)
    action_id: int = Field(sa_column=fk("programme_actions", "CASCADE", nullable=False, index=True))
    name: str = Field(sa_type=String(120))
    target: float = Field(sa_column=Column(Float, nullable=False))
    unit: str = Field(default="", sa_type=String(40))
    achieved: float | None = Field(default=None, sa_column=Column(Float, nullable=True))


class ActionNote(SQLModel, table=True):
    """A dated entry of the action's timeline."""

    __tablename__ = "programme_action_notes"

    id: int | None = Field(default=None, primary_key=True)
    action_id: int = Field(sa_column=fk("programme_actions", "CASCADE", nullable=False, index=True))
    noted_on: date = Field(sa_column=Column(Date, nullable=False))
    text: str = Field(sa_column=Column(Text, nullable=False))
    author_id: int | None = Field(default=None, sa_column=fk("members", "SET NULL"))
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
