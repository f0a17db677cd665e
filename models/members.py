"""People who talk to the bot, their roles, and the audit trail of what they changed."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, BigInteger, Column, String, false
from sqlmodel import Field, SQLModel

from models.base import UTCDateTime, fk, utcnow


class Role(StrEnum):
    RESIDENT = "resident"
    LEADER = "leader"
    LEAD = "lead"
    COORDINATOR = "coordinator"

    @property
    def rank(self) -> int:
        return _RANKS[self]

    def at_least(self, other: Role) -> bool:
        return self.rank >= other.rank


_RANKS = {Role.RESIDENT: 0, Role.LEADER: 1, Role.LEAD: 2, Role.COORDINATOR: 3}


class Member(SQLModel, table=True):
    """Anyone who started the bot. Before consent only `telegram_id` holds anything."""

    __tablename__ = "members"

    id: int | None = Field(default=None, primary_key=True)
    telegram_id: int = Field(sa_column=Column(BigInteger, unique=True, nullable=False, index=True))
    display_name: str | None = Field(default=None, sa_type=String(64))
    institution: str | None = Field(default=None, sa_type=String(120))
    language: str | None = Field(default=None, sa_type=String(5))
    role: str = Field(default=Role.RESIDENT, sa_type=String(16), index=True)
    consent_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    # Set when the last onboarding step (the institution, or skipping it) is answered.
    onboarded_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    # The coordinator role came from BOT_COORDINATORS (and goes when the setting drops them);
    # false when it was granted in the bot, by a coordinator or an invite.
    coordinator_from_settings: bool = Field(
        default=False, sa_column_kwargs={"server_default": false()}
    )
    reachable: bool = Field(default=True)
    # Leaders get a weekly digest unless they turn it off in /settings.
    digest_opt_out: bool = Field(default=False)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)

    @property
    def has_consented(self) -> bool:
        return self.consent_at is not None

    @property
    def is_registered(self) -> bool:
        """Consented and named: may use the bot's features."""
        return self.consent_at is not None and bool(self.display_name)

    @property
    def role_enum(self) -> Role:
        return Role(self.role)


class AuditEntry(SQLModel, table=True):
    """Who changed what and when: role changes, statuses, broadcasts, exports, erasures."""

    __tablename__ = "audit_log"

    id: int | None = Field(default=None, primary_key=True)
    actor_id: int | None = Field(default=None, sa_column=fk("members", "SET NULL"))
    action: str = Field(sa_type=String(48), index=True)
    target: str | None = Field(default=None, sa_type=String(64))
    details: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, index=True)
