"""Finding groups and one person's membership of one group (read from the database)."""

from __future__ import annotations

from sqlalchemy import bindparam
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.i18n import N_
from bot.services.errors import NotFound
from models import Group, GroupKind, Member, Membership, MembershipStatus

# The order every list of groups shows them in: the teams first.
LIST_ORDER = (col(Group.kind).desc(), col(Group.position), col(Group.name))
ACTIVE_GROUPS_QUERY = select(Group).where(col(Group.archived_at).is_(None)).order_by(*LIST_ORDER)


async def active_groups(session: AsyncSession) -> list[Group]:
    rows = await session.exec(ACTIVE_GROUPS_QUERY)
    return list(rows.all())


async def teams(session: AsyncSession) -> list[Group]:
    return [g for g in await active_groups(session) if g.kind == GroupKind.TEAM]


async def get_active(session: AsyncSession, group_id: int | None) -> Group:
    group = await session.get(Group, group_id) if group_id else None
    if group is None or group.archived_at is not None:
        raise NotFound(N_("This group no longer exists."))
    return group


# Statements run on every press of a group's buttons: built once, values bound when run.
_MEMBERSHIP = select(Membership).where(
    Membership.group_id == bindparam("group_id"), Membership.member_id == bindparam("member_id")
)


async def membership(session: AsyncSession, group_id: int, member_id: int) -> Membership | None:
    params = {"group_id": group_id, "member_id": member_id}
    return (await session.exec(_MEMBERSHIP, params=params)).first()


async def is_member(session: AsyncSession, group: Group, member: Member | None) -> bool:
    if member is None or member.id is None or group.id is None:
        return False
    found = await membership(session, group.id, member.id)
    return found is not None and found.status == MembershipStatus.MEMBER
