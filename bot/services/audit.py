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
