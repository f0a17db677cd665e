"""Who may see, answer and manage a meeting (the rules themselves: bot/services/permissions.py)."""

from __future__ import annotations

from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.i18n import N_
from bot.services import groups as groups_service
from bot.services.errors import NotAllowed
from bot.services.meetings.lookups import get, get_scheduled, group_of, is_group_member, my_answer
from bot.services.permissions import Action, can, has_role
from models import Group, Meeting, Member, Role
from models.invitations import MeetingInvitation

__all__ = ["get_visible", "may_answer", "may_manage", "may_see", "schedulable_groups"]


async def schedulable_groups(session: AsyncSession, member: Member) -> list[Group]:
    """Groups this member may schedule for: all for a coordinator, else the ones they lead."""
    groups = await groups_service.active_groups(session)
    return [g for g in groups if can(member, Action.SCHEDULE_MEETING, g)]


async def may_manage(session: AsyncSession, member: Member, meeting: Meeting) -> bool:
    return can(member, Action.MANAGE_MEETING, await group_of(session, meeting))


async def managed_scheduled(session: AsyncSession, actor: Member, meeting_id: int) -> Meeting:
    """The scheduled meeting, if `actor` may manage it."""
    meeting = await get_scheduled(session, meeting_id)
    await require_manage(session, actor, meeting)
    return meeting


async def require_manage(session: AsyncSession, member: Member, meeting: Meeting) -> Group:
    group = await group_of(session, meeting)
    if not can(member, Action.MANAGE_MEETING, group):
        raise NotAllowed(N_("Only a coordinator or the lead of this group can do this."))
    return group


async def may_take_part(
    session: AsyncSession, member: Member, group_id: int, *, is_open: bool
) -> bool:
    """Open to all registered members, or to the group's members, its lead and coordinators."""
    if not member.is_registered:
        return False
    if is_open or has_role(member, Role.COORDINATOR):
        return True
    group = await session.get(Group, group_id)
    if group is not None and group.lead_id == member.id:
        return True
    return await is_group_member(session, member, group_id)


async def may_answer(session: AsyncSession, member: Member, meeting: Meeting) -> bool:
    if await may_take_part(session, member, meeting.group_id, is_open=meeting.is_open):
        return True
    # Anyone invited beyond the group may answer (bot/services/invitations.py).
    invited = select(MeetingInvitation.id).where(
        MeetingInvitation.meeting_id == meeting.id, MeetingInvitation.member_id == member.id
    )
    return member.is_registered and (await session.exec(invited)).first() is not None


async def may_see(session: AsyncSession, member: Member, meeting: Meeting) -> bool:
    """Who may see a meeting at all: whoever may answer it (its group's members, its lead,
    coordinators; everyone registered when it is open), and whoever already answered it."""
    if await may_answer(session, member, meeting):
        return True
    return member.is_registered and await my_answer(session, meeting.id, member.id) is not None  # type: ignore[arg-type]


async def get_visible(session: AsyncSession, member: Member, meeting_id: int | None) -> Meeting:
    """The meeting, if `member` may see it (else NotAllowed, the same as answering)."""
    meeting = await get(session, meeting_id)
    if not await may_see(session, member, meeting):
        raise NotAllowed(N_("This meeting is only for members of its group."))
    return meeting
