"""What reports need to remember: which weekly digests went out."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import String, UniqueConstraint
from sqlmodel import Field, SQLModel

from models.base import UTCDateTime, fk, utcnow


class DigestSend(SQLModel, table=True):
    """One row per member and ISO week: claimed before sending, so a digest never goes twice."""

    __tablename__ = "digest_sends"
    __table_args__ = (UniqueConstraint("member_id", "week"),)

    id: int | None = Field(default=None, primary_key=True)
    member_id: int = Field(sa_column=fk("members", "CASCADE", nullable=False))
    week: str = Field(sa_type=String(10))  # ISO week in BOT_TIMEZONE, e.g. 2026-W48
    sent_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
