"""Shared by the volunteers/broadcasts tests: registered people without the onboarding chat."""

from __future__ import annotations

from sqlmodel import select

from bot.db import Database
from models import Member, Role, utcnow
from tests.harness import Harness, User


async def register(harness: Harness, user: User, name: str) -> None:
    """The real onboarding, in the user's language: consent, name, skip institution."""
    calls = await harness.send(user, "/start")
    await harness.press(
        user, calls[-1].button("agree" if user.language_code == "en" else "Zgadzam")
    )
    await harness.send(user, name)
    await harness.press(
        user, harness.last(user.id).button("Skip" if user.language_code == "en" else "Pomiń")
    )


async def add_members(
    db: Database, telegram_ids: range | list[int], role: Role = Role.RESIDENT
) -> list[Member]:
    """Many registered members at once (as if each had done /start)."""
    async with db.session() as session:
        members = [
            Member(
                telegram_id=tid,
                display_name=f"Person {tid}",
                language="en",
                role=role,
                consent_at=utcnow(),
            )
            for tid in telegram_ids
        ]
        session.add_all(members)
        await session.flush()
    return members


async def member_by_tid(db: Database, telegram_id: int) -> Member:
    async with db.session() as session:
        found = (
            await session.exec(select(Member).where(Member.telegram_id == telegram_id))
        ).first()
        assert found is not None
        return found
