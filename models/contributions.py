"""Contributions (ideas, resources, barriers, experiences, causes) and their supports."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, Column, Float, Index, String, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from models.base import UTCDateTime, fk, utcnow


class ContributionKind(StrEnum):
    IDEA = "idea"
    RESOURCE = "resource"
    BARRIER = "barrier"
    EXPERIENCE = "experience"
    CAUSE = "cause"


class ContributionStatus(StrEnum):
    NEW = "new"
    DISCUSSION = "discussion"
    ACCEPTED = "accepted"
    IN_PROGRESS = "in_progress"
    DONE = "done"
    REJECTED = "rejected"


class Contribution(SQLModel, table=True):
    __tablename__ = "contributions"
    # Browse = one filter (or none) + newest (id) or most supported first, LIMIT 5:
    # each (filter, sort) pair has an index that yields rows already in order.
    __table_args__ = (
        Index("ix_contrib_kind_id", "kind", "id"),
        Index("ix_contrib_area_id", "area_id", "id"),
        # On PostgreSQL migration 0010 adds INCLUDE (status): the panel's board of a group
        # counts from the index. Not declared here: `postgresql_include` would import the
        # PostgreSQL dialect with the models, on SQLite too.
        Index("ix_contrib_group_id", "group_id", "id"),
        Index("ix_contrib_status_id", "status", "id"),
        Index("ix_contrib_author_id", "author_id", "id"),
        Index("ix_contrib_support", "support_count", "id"),
        Index("ix_contrib_kind_support", "kind", "support_count", "id"),
        Index("ix_contrib_area_support", "area_id", "support_count", "id"),
        Index("ix_contrib_group_support", "group_id", "support_count", "id"),
        Index("ix_contrib_status_support", "status", "support_count", "id"),
        Index("ix_contrib_created", "created_at"),
        # One kind in one area, most supported first: /browse with both filters, the map's
        # lists and a picture's columns read the first few rows in order, not all of them.
        Index("ix_contrib_area_kind_support", "area_id", "kind", "support_count", "id"),
    )
    # On SQLite, migration 0009 also indexes titles for search (FTS5 `contributions_search`,
    # kept by triggers), on PostgreSQL migration 0010 (a pg_trgm GIN index, where the
    # extension may be created): both outside this metadata; see bot/panel/search.py.

    id: int | None = Field(default=None, primary_key=True)
    kind: str = Field(sa_type=String(16))
    title: str = Field(sa_type=String(120))
    # The kind's own answers (who owns it, first step, evidence...), keyed by field name.
    details: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    area_id: int | None = Field(default=None, sa_column=fk("problem_areas", "SET NULL"))
    group_id: int | None = Field(default=None, sa_column=fk("groups", "SET NULL"))
    # NULL after the author erased their data: the contribution stays, anonymised.
    author_id: int | None = Field(default=None, sa_column=fk("members", "SET NULL"))
    photo_file_id: str | None = Field(default=None, sa_type=String(255))
    # The draft's own key: a send handled again after a crash finds the row it already made.
    submission_key: str | None = Field(default=None, sa_type=String(32), unique=True)
    latitude: float | None = Field(default=None, sa_column=Column(Float, nullable=True))
    longitude: float | None = Field(default=None, sa_column=Column(Float, nullable=True))
    status: str = Field(default=ContributionStatus.NEW, sa_type=String(16))
    rejection_reason: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    support_count: int = Field(default=0)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class ContributionCount(SQLModel, table=True):
    """How many contributions there are per problem area (0: none), kind and status.

    Kept by triggers on `contributions` (migration 0011) whatever writes there, never by the
    bot's code: the panel's board and problem map read these few rows for their totals
    instead of counting 100,000 contributions after every change."""

    __tablename__ = "contribution_counts"

    area_key: int = Field(primary_key=True)
    kind: str = Field(primary_key=True, sa_type=String(16))
    status: str = Field(primary_key=True, sa_type=String(16))
    n: int = Field(default=0)


class Support(SQLModel, table=True):
    """One member's support of one contribution; withdrawing deletes the row."""

    __tablename__ = "supports"
    __table_args__ = (UniqueConstraint("member_id", "contribution_id"),)

    id: int | None = Field(default=None, primary_key=True)
    contribution_id: int = Field(
        sa_column=fk("contributions", "CASCADE", nullable=False, index=True)
    )
    member_id: int = Field(sa_column=fk("members", "CASCADE", nullable=False))
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
