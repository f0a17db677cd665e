"""Who was invited to which meeting beyond its group, and through which audience."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import String, UniqueConstraint
from sqlmodel import Field, SQLModel

from models.base import UTCDateTime, fk, utcnow


class MeetingInvitation(SQLModel, table=True):
    """One person invited to one meeting (at most once), by an invitation broadcast."""

    __tablename__ = "meeting_invitations"
    __table_args__ = (UniqueConstraint("meeting_id", "member_id"),)

    id: int | None = Field(default=None, primary_key=True)
    meeting_id: int = Field(sa_column=fk("meetings", "CASCADE", nullable=False, index=True))
    member_id: int = Field(sa_column=fk("members", "CASCADE", nullable=False))
    # The audience the person was reached through: its spec as compact JSON, e.g.
    # {"kind":"volunteers","street":"Hallera"} (bot/services/invitations.py names it).
    audience: str = Field(sa_type=String(200))
    broadcast_id: int | None = Field(default=None, sa_column=fk("broadcasts", "SET NULL"))
    invited_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
