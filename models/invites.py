"""Invite deep links that bring leaders, leads and coordinators in."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import String, UniqueConstraint
from sqlmodel import Field, SQLModel

from models.base import UTCDateTime, fk, utcnow


class Invite(SQLModel, table=True):
    __tablename__ = "invites"

    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(sa_type=String(64), unique=True, index=True)
    role: str = Field(sa_type=String(16))
    group_id: int | None = Field(default=None, sa_column=fk("groups", "CASCADE"))
    max_uses: int | None = None
    uses: int = 0
    expires_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    revoked_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    created_by_id: int | None = Field(default=None, sa_column=fk("members", "SET NULL"))
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class InviteUse(SQLModel, table=True):
    __tablename__ = "invite_uses"
    __table_args__ = (UniqueConstraint("invite_id", "member_id"),)

    id: int | None = Field(default=None, primary_key=True)
    invite_id: int = Field(sa_column=fk("invites", "CASCADE", nullable=False))
    member_id: int = Field(sa_column=fk("members", "CASCADE", nullable=False))
    used_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
