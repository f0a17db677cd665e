"""Volunteers (a resident's offer of help), opportunities and sign-ups for them."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Column, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from models.base import UTCDateTime, fk, utcnow

AVAILABILITY = ("weekday", "evening", "weekend")


class Volunteer(SQLModel, table=True):
    """One profile per member; withdrawing deletes it (nothing kept that is not needed)."""

    __tablename__ = "volunteers"

    id: int | None = Field(default=None, primary_key=True)
    member_id: int = Field(
        sa_column=Column(
            Integer, ForeignKey("members.id", ondelete="CASCADE"), nullable=False, unique=True
        )
    )
    name: str = Field(sa_type=String(64))
    phone: str | None = Field(default=None, sa_type=String(32))
    street: str | None = Field(default=None, sa_type=String(64), index=True)  # None: other
    skills: str = Field(default="", sa_column=Column(Text, nullable=False))
    areas: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    availability: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class Opportunity(SQLModel, table=True):
    __tablename__ = "opportunities"

    id: int | None = Field(default=None, primary_key=True)
    title: str = Field(sa_type=String(120))
    starts_at: datetime = Field(sa_type=UTCDateTime, index=True)
    place: str = Field(sa_type=String(200))
    places: int
    area_id: int | None = Field(default=None, sa_column=fk("problem_areas", "SET NULL"))
    details: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    posted_by_id: int | None = Field(default=None, sa_column=fk("members", "SET NULL"))
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    cancelled_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    # Seconds-before-start of the reminders already sent (REMINDER_OFFSETS), each once.
    reminders_sent: list[int] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))


class OpportunitySignup(SQLModel, table=True):
    __tablename__ = "opportunity_signups"
    __table_args__ = (UniqueConstraint("opportunity_id", "member_id"),)

    id: int | None = Field(default=None, primary_key=True)
    opportunity_id: int = Field(
        sa_column=fk("opportunities", "CASCADE", nullable=False, index=True)
    )
    member_id: int = Field(sa_column=fk("members", "CASCADE", nullable=False))
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
