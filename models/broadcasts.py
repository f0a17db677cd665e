"""Broadcasts: a message to an audience, and one row per recipient recording its fate."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, BigInteger, Column, Index, String, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from models.base import UTCDateTime, fk, utcnow


class BroadcastStatus(StrEnum):
    DRAFT = "draft"
    RUNNING = "running"
    STOPPED = "stopped"  # stopped by a person: pending rows stay pending, never sent
    DONE = "done"


class RecipientState(StrEnum):
    PENDING = "pending"  # not tried yet (or a 429/connection refusal put it back)
    SENDING = "sending"  # claimed and committed before the HTTP call
    SENT = "sent"
    BLOCKED = "blocked"  # 403: the user blocked the bot (or the bot left the chat)
    FAILED = "failed"  # Telegram refused it for another reason; `error` says why
    UNCERTAIN = "uncertain"  # the send may or may not have reached Telegram: never resent


class Broadcast(SQLModel, table=True):
    __tablename__ = "broadcasts"

    id: int | None = Field(default=None, primary_key=True)
    author_id: int | None = Field(default=None, sa_column=fk("members", "SET NULL"))
    # {"kind": "everyone" | "leaders" | "group" | "volunteers", "group_id": .., "area": ..,
    #  "street": ..}: what the author chose, kept for the report and the export.
    audience: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    text: str = Field(sa_column=Column(Text, nullable=False))
    photo_file_id: str | None = Field(default=None, sa_type=String(256))
    # An invitation broadcast: each recipient gets this meeting's card with the answer buttons
    # (bot/services/invitations.py); `outsiders_allowed`: a closed group's meeting, opened to
    # the people invited by a coordinator's explicit choice.
    meeting_id: int | None = Field(default=None, sa_column=fk("meetings", "SET NULL"))
    outsiders_allowed: bool = False
    status: str = Field(default=BroadcastStatus.DRAFT, sa_type=String(8), index=True)
    total: int = 0
    sent: int = 0
    blocked: int = 0
    failed: int = 0
    uncertain: int = 0
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    started_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    finished_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    reported_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class BroadcastRecipient(SQLModel, table=True):
    __tablename__ = "broadcast_recipients"
    __table_args__ = (
        UniqueConstraint("broadcast_id", "member_id"),
        UniqueConstraint("broadcast_id", "chat_id"),
        Index("ix_broadcast_recipients_state", "broadcast_id", "state"),
    )

    id: int | None = Field(default=None, primary_key=True)
    broadcast_id: int = Field(sa_column=fk("broadcasts", "CASCADE", nullable=False))
    # None for a group's linked Telegram chat.
    member_id: int | None = Field(default=None, sa_column=fk("members", "SET NULL"))
    chat_id: int = Field(sa_column=Column(BigInteger, nullable=False))
    state: str = Field(default=RecipientState.PENDING, sa_type=String(10))
    error: str | None = Field(default=None, sa_type=String(200))
    message_id: int | None = Field(default=None, sa_column=Column(BigInteger, nullable=True))
    attempts: int = 0
    claimed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    finished_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
