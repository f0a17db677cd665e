"""A contribution's way from new to done (or rejected), who moves it, and who reviews it."""

from __future__ import annotations

from sqlalchemy import or_
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.i18n import N_
from bot.services.audit import record
from bot.services.contributions.drafts import get
from bot.services.contributions.questions import TEXT_MAX
from bot.services.errors import InvalidInput, NotAllowed
from bot.services.members import clean_text
from bot.services.permissions import Action, can
from bot.services.rows import save
from models import Contribution, ContributionStatus, Group, Member, Role, utcnow

STATUS_NAMES = {
    ContributionStatus.NEW: N_("new"),
    ContributionStatus.DISCUSSION: N_("under discussion"),
    ContributionStatus.ACCEPTED: N_("accepted"),
    ContributionStatus.IN_PROGRESS: N_("in progress"),
    ContributionStatus.DONE: N_("done"),
    ContributionStatus.REJECTED: N_("rejected"),
}
# The way forward; rejection is possible from any step before done.
NEXT_STATUS = {
    ContributionStatus.NEW: ContributionStatus.DISCUSSION,
    ContributionStatus.DISCUSSION: ContributionStatus.ACCEPTED,
    ContributionStatus.ACCEPTED: ContributionStatus.IN_PROGRESS,
    ContributionStatus.IN_PROGRESS: ContributionStatus.DONE,
}
REJECTABLE = set(NEXT_STATUS)


async def may_set_status(session: AsyncSession, member: Member | None, c: Contribution) -> bool:
    group = await session.get(Group, c.group_id) if c.group_id else None
    return can(member, Action.SET_CONTRIBUTION_STATUS, group)


async def set_status(
    session: AsyncSession,
    actor: Member,
    contribution_id: int,
    status: str,
    reason: str | None = None,
) -> Contribution:
    contribution = await get(session, contribution_id)
    if not await may_set_status(session, actor, contribution):
        raise NotAllowed(N_("Only coordinators and the group's lead can change the status."))
    current = ContributionStatus(contribution.status)
    if status == ContributionStatus.REJECTED:
        if current not in REJECTABLE:
            raise InvalidInput(N_("This contribution can no longer be rejected."))
        reason = clean_text(reason, TEXT_MAX, field="reason")
    elif NEXT_STATUS.get(current) != status:
        raise InvalidInput(N_("The status has changed in the meantime. Please look again."))
    await record(
        session,
        actor,
        "contribution.status",
        f"contribution:{contribution.id}",
        old=current.value,
        new=status,
        reason=reason,
    )
    contribution.status = status
    contribution.rejection_reason = reason if status == ContributionStatus.REJECTED else None
    contribution.updated_at = utcnow()
    return await save(session, contribution)


async def reviewers(session: AsyncSession, contribution: Contribution) -> list[Member]:
    """Who is told of a new contribution: the group's lead and the coordinators."""
    group = await session.get(Group, contribution.group_id) if contribution.group_id else None
    who = col(Member.role) == Role.COORDINATOR
    if group is not None and group.lead_id is not None:
        who = or_(who, col(Member.id) == group.lead_id)
    rows = await session.exec(select(Member).where(col(Member.consent_at).is_not(None), who))
    return [m for m in rows.all() if m.id != contribution.author_id]
