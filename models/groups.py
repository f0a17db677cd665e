"""Problem areas, working groups (the five teams and small groups) and memberships."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import JSON, BigInteger, Column, Index, String, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from models.base import UTCDateTime, fk, utcnow


class GroupKind(StrEnum):
    TEAM = "team"  # one of the programme's working teams, from the profile
    SMALL = "small"  # a small group on a concrete problem, created by a coordinator


class MembershipStatus(StrEnum):
    MEMBER = "member"
    PENDING = "pending"  # asked to join a closed group


class ProblemArea(SQLModel, table=True):
    __tablename__ = "problem_areas"

    id: int | None = Field(default=None, primary_key=True)
    slug: str = Field(sa_type=String(48), unique=True, index=True)
    names: dict[str, str] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    position: int = 0

    def display_name(self, language: str) -> str:
        """In `language`, else in Polish (the profile's own), else the slug."""
        return self.names.get(language) or self.names.get("pl") or self.slug


class Group(SQLModel, table=True):
    __tablename__ = "groups"

    id: int | None = Field(default=None, primary_key=True)
    slug: str = Field(sa_type=String(64), unique=True, index=True)
    kind: str = Field(default=GroupKind.SMALL, sa_type=String(8))
    name: str = Field(sa_type=String(120))
    # Profile groups carry their name and purpose per language; small groups only `name`.
    names: dict[str, str] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    purpose: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    purposes: dict[str, str] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    contribution_kind: str | None = Field(default=None, sa_type=String(16))
    area_id: int | None = Field(default=None, sa_column=fk("problem_areas", "SET NULL"))
    parent_id: int | None = Field(default=None, sa_column=fk("groups", "SET NULL"))
    lead_id: int | None = Field(default=None, sa_column=fk("members", "SET NULL"))
    is_open: bool = True
    chat_id: int | None = Field(default=None, sa_column=Column(BigInteger, unique=True))
    position: int = 0
    archived_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)

    def display_name(self, language: str) -> str:
        return self.names.get(language) or self.name

    def display_purpose(self, language: str) -> str | None:
        return self.purposes.get(language) or self.purpose


class Membership(SQLModel, table=True):
    __tablename__ = "memberships"
    __table_args__ = (
        UniqueConstraint("member_id", "group_id"),
        # A group's counts by status and the viewer's own status, from the index alone.
        Index("ix_memberships_group_status", "group_id", "status", "member_id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    member_id: int = Field(sa_column=fk("members", "CASCADE", nullable=False, index=True))
    group_id: int = Field(sa_column=fk("groups", "CASCADE", nullable=False, index=True))
    status: str = Field(default=MembershipStatus.MEMBER, sa_type=String(8))
    joined_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
