"""Loading a meeting and the rows around it: its group, its members, someone's answer."""

from __future__ import annotations

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.i18n import N_
from bot.services.errors import NotFound
from bot.services.rows import get_or_gone
from models import Group, Meeting, Member, Membership, MembershipStatus, Rsvp

__all__ = ["get", "get_scheduled", "group_members", "group_of", "is_group_member", "my_answer"]


async def get(session: AsyncSession, meeting_id: int | None) -> Meeting:
    return await get_or_gone(session, Meeting, meeting_id, N_("This meeting no longer exists."))


async def get_scheduled(session: AsyncSession, meeting_id: int | None) -> Meeting:
    meeting = await get(session, meeting_id)
    if meeting.is_cancelled:
        raise NotFound(N_("This meeting was cancelled."))
    return meeting


async def locked(session: AsyncSession, meeting_id: int) -> Meeting:
    """The meeting row, locked on PostgreSQL so two answers cannot both take the last place."""
    row = await session.exec(select(Meeting).where(Meeting.id == meeting_id).with_for_update())
    meeting = row.first()
    if meeting is None:
        raise NotFound(N_("This meeting no longer exists."))
    if meeting.is_cancelled:
        raise NotFound(N_("This meeting was cancelled."))
    return meeting


async def group_of(session: AsyncSession, meeting: Meeting) -> Group:
    return await get_or_gone(session, Group, meeting.group_id, N_("This group no longer exists."))


async def my_answer(session: AsyncSession, meeting_id: int, member_id: int) -> Rsvp | None:
    row = await session.exec(
        select(Rsvp).where(Rsvp.meeting_id == meeting_id, Rsvp.member_id == member_id)
    )
    return row.first()


async def is_group_member(session: AsyncSession, member: Member, group_id: int) -> bool:
    row = await session.exec(
        select(Membership.id).where(
            Membership.member_id == member.id,
            Membership.group_id == group_id,
            Membership.status == MembershipStatus.MEMBER,
        )
    )
    return row.first() is not None


async def group_members(session: AsyncSession, group_id: int) -> list[Member]:
    """Registered members of a group, the lead included."""
    rows = await session.exec(
        select(Member)
        .join(Membership, col(Membership.member_id) == col(Member.id))
        .where(
            Membership.group_id == group_id,
            Membership.status == MembershipStatus.MEMBER,
            col(Member.consent_at).is_not(None),
        )
        .order_by(col(Member.display_name))
    )
    members = list(rows.all())
    group = await session.get(Group, group_id)
    if group is not None and group.lead_id and all(m.id != group.lead_id for m in members):
        lead = await session.get(Member, group.lead_id)
        if lead is not None and lead.is_registered:
            members.append(lead)
    return members
