"""The overview: the numbers of /stats as charts drawn in the browser (for those who may
see statistics), or the viewer's own numbers."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlmodel.ext.asyncio.session import AsyncSession

from bot.panel import queries
from bot.panel.views.common import PageRequest
from bot.services import stats as stats_service
from bot.services.permissions import Action, can


@dataclass
class Chart:
    title: str
    kind: str  # "barh" or "bar"
    rows: list[tuple[str, int, float]]  # label, value, share of the largest (0-100)


def _chart(result: stats_service.SeriesResult) -> Chart:
    top = max((value for _label, value in result.points), default=0) or 1
    rows = [(label, value, round(100 * value / top, 1)) for label, value in result.points]
    return Chart(result.title, result.chart, rows)


async def page(session: AsyncSession, ask: PageRequest) -> dict[str, Any]:
    member = ask.viewer.member
    if can(member, Action.SEE_STATS):
        return {"charts": [_chart(r) for r in await ask.caches.stats.get(session)], "own": None}
    contributions, groups = await queries.own_summary(session, member)
    return {"charts": None, "own": {"contributions": contributions, "groups": groups}}
