"""Working groups: lookups shared by features (the groups feature builds on these)."""

from __future__ import annotations

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.i18n import N_
from bot.services.errors import NotFound
from models import Group, ProblemArea


async def active_groups(session: AsyncSession) -> list[Group]:
    rows = await session.exec(
        select(Group)
        .where(col(Group.archived_at).is_(None))
        .order_by(col(Group.kind).desc(), col(Group.position), col(Group.name))
    )
    return list(rows.all())


async def get_active(session: AsyncSession, group_id: int | None) -> Group:
    group = await session.get(Group, group_id) if group_id else None
    if group is None or group.archived_at is not None:
        raise NotFound(N_("This group no longer exists."))
    return group


async def areas(session: AsyncSession) -> list[ProblemArea]:
    return list((await session.exec(select(ProblemArea).order_by(col(ProblemArea.position)))).all())
