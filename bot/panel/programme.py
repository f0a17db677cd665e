"""What the programme-action pages read, in a few queries however many contributions there
are. (The problem map page reads bot/services/problem_map.py, as the chat's /map.)"""

from __future__ import annotations

from typing import Any

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.services import programme as programme_service
from bot.services.permissions import Action, can
from bot.services.problem_map import Node
from models import Contribution, ContributionKind, Group, Member, ProgrammeAction


async def ready_ideas(session: AsyncSession, member: Member, limit: int) -> list[Node]:
    """The most supported accepted ideas with no action yet that `member` may turn into one
    (`programme.actionable_ideas`, first `limit`): the permission is decided per group by the
    chat's rule, the rest in one query on the (kind, support) index."""
    groups = (await session.exec(select(Group))).all()
    allowed = [g.id for g in groups if can(member, Action.SET_CONTRIBUTION_STATUS, g)]
    where: Any = col(Contribution.group_id).in_(allowed)
    if can(member, Action.SET_CONTRIBUTION_STATUS, None):
        where = where | col(Contribution.group_id).is_(None)
    taken = select(ProgrammeAction.contribution_id).where(
        col(ProgrammeAction.contribution_id).is_not(None)
    )
    rows = await session.exec(
        select(Contribution.id, Contribution.kind, Contribution.title, Contribution.support_count)
        .where(
            Contribution.kind == ContributionKind.IDEA,
            col(Contribution.status).in_(list(programme_service.ACTIONABLE)),
            col(Contribution.id).not_in(taken),
            where,
        )
        .order_by(col(Contribution.support_count).desc(), col(Contribution.id))
        .limit(limit)
    )
    return [Node(*row) for row in rows.all()]
