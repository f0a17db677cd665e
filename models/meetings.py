"""Meetings of working groups: answers, reminders sent, action items, date polls."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from sqlalchemy import BigInteger, Column, Date, Index, String, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from models.base import UTCDateTime, fk, utcnow


class MeetingStatus(StrEnum):
    SCHEDULED = "scheduled"
    CANCELLED = "cancelled"


class Answer(StrEnum):
    YES = "yes"
    MAYBE = "maybe"
    NO = "no"
    WAITING = "waiting"  # said yes when the meeting was full


class PollStatus(StrEnum):
    OPEN = "open"
    DECIDED = "decided"
    CANCELLED = "cancelled"


class Meeting(SQLModel, table=True):
    __tablename__ = "meetings"
    # A group page's next meetings: read in start order, stopping after a few.
    __table_args__ = (Index("ix_meetings_group_upcoming", "group_id", "status", "starts_at"),)

    id: int | None = Field(default=None, primary_key=True)
    group_id: int = Field(sa_column=fk("groups", "CASCADE", nullable=False, index=True))
    topic: str = Field(sa_type=String(200))
    area_id: int | None = Field(default=None, sa_column=fk("problem_areas", "SET NULL"))
    starts_at: datetime = Field(sa_type=UTCDateTime, index=True)
    ends_at: datetime = Field(sa_type=UTCDateTime)
    place: str = Field(sa_type=String(200))
    capacity: int | None = None
    is_open: bool = False  # residents outside the group may join
    agenda: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    status: str = Field(default=MeetingStatus.SCHEDULED, sa_type=String(16), index=True)
    # Bumped when the time moves: reminders are keyed on it, so the new time gets its own.
    revision: int = 1
    # When the current time was set: reminders due before it were never meant to be sent.
    scheduled_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    created_by_id: int | None = Field(default=None, sa_column=fk("members", "SET NULL"))
    summary: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    # The invitation card in the group's linked chat, kept current as people answer.
    chat_message_id: int | None = Field(default=None, sa_column=Column(BigInteger, nullable=True))
    followup_asked_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    # Set when answers (or the meeting itself) changed since its cards were last edited: a
    # periodic job edits the sent invitation cards of such meetings, at most once a round.
    cards_dirty_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)

    @property
    def is_cancelled(self) -> bool:
        return self.status == MeetingStatus.CANCELLED


class Rsvp(SQLModel, table=True):
    """A member's answer to a meeting invitation, and their attendance."""

    __tablename__ = "meeting_answers"
    __table_args__ = (UniqueConstraint("meeting_id", "member_id"),)

    id: int | None = Field(default=None, primary_key=True)
    meeting_id: int = Field(sa_column=fk("meetings", "CASCADE", nullable=False, index=True))
    member_id: int = Field(sa_column=fk("members", "CASCADE", nullable=False, index=True))
    answer: str = Field(sa_type=String(8))
    position: int | None = None  # order on the waiting list
    answered_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    checked_in_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    marked_by_id: int | None = Field(default=None, sa_column=fk("members", "SET NULL"))


class MeetingCard(SQLModel, table=True):
    """An invitation card the bot sent: to a member privately (member_id) or to the group's
    linked chat (member_id None). Edited in place when the counts change."""

    __tablename__ = "meeting_cards_sent"
    __table_args__ = (UniqueConstraint("chat_id", "message_id"),)

    id: int | None = Field(default=None, primary_key=True)
    meeting_id: int = Field(sa_column=fk("meetings", "CASCADE", nullable=False, index=True))
    chat_id: int = Field(sa_column=Column(BigInteger, nullable=False))
    message_id: int = Field(sa_column=Column(BigInteger, nullable=False))
    member_id: int | None = Field(default=None, sa_column=fk("members", "CASCADE"))


class AnonymousAttendance(SQLModel, table=True):
    """What remains of an erased person's answer to a meeting that took place: the answer and
    whether they were there, for the programme's attendance figures. Nothing in it points at
    a person (no member id, no name, no Telegram id)."""

    __tablename__ = "meeting_anonymous_attendance"

    id: int | None = Field(default=None, primary_key=True)
    meeting_id: int = Field(sa_column=fk("meetings", "CASCADE", nullable=False, index=True))
    answer: str = Field(sa_type=String(8))
    checked_in_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class ReminderSent(SQLModel, table=True):
    """A reminder claimed for one recipient: inserted before sending, so it goes at most once."""

    __tablename__ = "meeting_reminders_sent"
    __table_args__ = (UniqueConstraint("meeting_id", "revision", "chat_id", "offset_seconds"),)

    id: int | None = Field(default=None, primary_key=True)
    meeting_id: int = Field(sa_column=fk("meetings", "CASCADE", nullable=False, index=True))
    revision: int
    # The member's private chat or the group's linked chat.
    chat_id: int = Field(sa_column=Column(BigInteger, nullable=False))
    member_id: int | None = Field(default=None, sa_column=fk("members", "CASCADE"))
    offset_seconds: int
    claimed_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class ActionItem(SQLModel, table=True):
    __tablename__ = "meeting_action_items"

    id: int | None = Field(default=None, primary_key=True)
    meeting_id: int = Field(sa_column=fk("meetings", "CASCADE", nullable=False, index=True))
    text: str = Field(sa_type=String(300))
    owner_id: int | None = Field(default=None, sa_column=fk("members", "SET NULL", index=True))
    due_on: date = Field(sa_column=Column(Date, nullable=False))
    done_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    # Claimed before the reminder is sent, like ReminderSent.
    reminded_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class DatePoll(SQLModel, table=True):
    """Candidate times for a meeting; the lead's pick becomes the Meeting."""

    __tablename__ = "meeting_date_polls"

    id: int | None = Field(default=None, primary_key=True)
    group_id: int = Field(sa_column=fk("groups", "CASCADE", nullable=False, index=True))
    topic: str = Field(sa_type=String(200))
    area_id: int | None = Field(default=None, sa_column=fk("problem_areas", "SET NULL"))
    place: str = Field(sa_type=String(200))
    capacity: int | None = None
    is_open: bool = False
    agenda: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    duration_minutes: int = 90
    status: str = Field(default=PollStatus.OPEN, sa_type=String(12))
    created_by_id: int | None = Field(default=None, sa_column=fk("members", "SET NULL"))
    meeting_id: int | None = Field(default=None, sa_column=fk("meetings", "SET NULL"))
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class DatePollOption(SQLModel, table=True):
    __tablename__ = "meeting_date_poll_options"

    id: int | None = Field(default=None, primary_key=True)
    poll_id: int = Field(sa_column=fk("meeting_date_polls", "CASCADE", nullable=False, index=True))
    starts_at: datetime = Field(sa_type=UTCDateTime)


class DatePollVote(SQLModel, table=True):
    __tablename__ = "meeting_date_poll_votes"
    __table_args__ = (UniqueConstraint("option_id", "member_id"),)

    id: int | None = Field(default=None, primary_key=True)
    option_id: int = Field(
        sa_column=fk("meeting_date_poll_options", "CASCADE", nullable=False, index=True)
    )
    member_id: int = Field(sa_column=fk("members", "CASCADE", nullable=False, index=True))
