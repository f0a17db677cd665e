"""The audit log: who changed what, and when."""

from __future__ import annotations

from typing import Any

from sqlmodel.ext.asyncio.session import AsyncSession

from models import AuditEntry, Member


async def record(
    session: AsyncSession,
    actor: Member | None,
    action: str,
    target: str | None = None,
    **details: Any,
) -> AuditEntry:
    entry = AuditEntry(
        actor_id=actor.id if actor else None, action=action, target=target, details=details
    )
    session.add(entry)
    return entry


async def recent(
    session: AsyncSession, page: int = 0, per_page: int = 10
) -> tuple[list[tuple[AuditEntry, str | None]], int]:
    """A page of the log, newest first, with each actor's name; and the number of pages."""
    from sqlmodel import col, func, select

    total = (await session.exec(select(func.count()).select_from(AuditEntry))).one()
    rows = await session.exec(
        select(AuditEntry, Member.display_name)
        .outerjoin(Member, col(Member.id) == AuditEntry.actor_id)
        .order_by(col(AuditEntry.id).desc())
        .offset(page * per_page)
        .limit(per_page)
    )
    return [(entry, name) for entry, name in rows.all()], max(1, -(-total // per_page))
