"""What python-telegram-bot must keep across restarts: conversation states and user data."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Column, String
from sqlmodel import Field, SQLModel

from models.base import UTCDateTime, utcnow


class BotState(SQLModel, table=True):
    """One row per (kind, key): kind is `conv:<name>`, `user` or `chat`."""

    __tablename__ = "bot_state"

    kind: str = Field(sa_type=String(48), primary_key=True)
    key: str = Field(sa_type=String(128), primary_key=True)
    data: Any = Field(default=None, sa_column=Column(JSON, nullable=True))
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
