"""Shared set-up for the meetings tests: registered people, a small group with its lead."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from bot.db import Database
from bot.services import meetings as service
from models import Group, Member, Membership, Role

WARSAW = ZoneInfo("Europe/Warsaw")
# A fixed "now" for the tests: a Thursday afternoon in Warsaw.
NOW = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)


async def person(
    db: Database, telegram_id: int, name: str, role: Role = Role.LEADER, language: str = "en"
) -> Member:
    async with db.session() as session:
        member = Member(
            telegram_id=telegram_id,
            display_name=name,
            institution="MOPS",
            language=language,
            role=role,
            consent_at=NOW - timedelta(days=30),
        )
        session.add(member)
        await session.flush()
        return member


@dataclass
class Team:
    group: Group
    lead: Member
    members: list[Member]
    outsider: Member  # a leader who leads nothing here
    coordinator: Member


async def team(db: Database, size: int = 3, *, chat_id: int | None = None) -> Team:
    lead = await person(db, 7000, "Lena Lead", Role.LEAD)
    members = [await person(db, 7001 + i, f"Member {i + 1}") for i in range(size)]
    outsider = await person(db, 7100, "Otto Outsider", Role.LEAD)
    coordinator = await person(db, 7200, "Cora Coordinator", Role.COORDINATOR)
    async with db.session() as session:
        group = Group(slug="playground", name="Playground group", lead_id=lead.id, chat_id=chat_id)
        session.add(group)
        await session.flush()
        for member in [lead, *members]:
            session.add(Membership(member_id=member.id, group_id=group.id))
    return Team(group, lead, members, outsider, coordinator)


async def meeting(
    db: Database,
    t: Team,
    *,
    starts_in: timedelta = timedelta(days=3),
    capacity: int | None = None,
    now: datetime = NOW,
    is_open: bool = False,
) -> service.Meeting:  # type: ignore[name-defined]
    async with db.session() as session:
        draft = service.MeetingDraft(
            group_id=t.group.id,  # type: ignore[arg-type]
            topic="Playground repairs",
            place="City Hall, room 12",
            starts_at=now + starts_in,
            capacity=capacity,
            is_open=is_open,
        )
        return await service.create_meeting(session, t.lead, draft, now=now)
