"""How many contributions there are per status, or per problem area and kind, read from
`contribution_counts` (kept by triggers, migration 0011): a few hundred rows at most,
exact after every change, however many contributions there are."""

from __future__ import annotations

from collections import Counter

from sqlmodel import col, func, select
from sqlmodel.ext.asyncio.session import AsyncSession

from models import ContributionCount, ContributionStatus

NO_AREA = 0  # the area_key of contributions with no problem area


async def per_status(session: AsyncSession) -> Counter[str]:
    """Contributions per status (statuses with none left out)."""
    rows = await session.exec(
        select(ContributionCount.status, func.sum(ContributionCount.n)).group_by(
            col(ContributionCount.status)
        )
    )
    return Counter({status: int(n) for status, n in rows.all() if n})


async def per_area_and_kind(session: AsyncSession) -> dict[tuple[int | None, str], int]:
    """Contributions that are not rejected per problem area (None: none) and kind."""
    rows = await session.exec(
        select(ContributionCount.area_key, ContributionCount.kind, func.sum(ContributionCount.n))
        .where(col(ContributionCount.status) != ContributionStatus.REJECTED.value)
        .group_by(col(ContributionCount.area_key), col(ContributionCount.kind))
    )
    return {(None if area == NO_AREA else area, kind): int(n) for area, kind, n in rows.all() if n}
