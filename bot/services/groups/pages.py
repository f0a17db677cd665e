"""What the group screens show: the lists of groups with their member counts and one
group's page, each in a fixed number of queries."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import ColumnElement, and_, bindparam, case, func
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession
from sqlmodel.sql.expression import Select

from bot.services.groups.lookups import LIST_ORDER, get_active
from bot.services.groups.profile_cache import area_by_id
from bot.services.permissions import Action, can
from models import Group, GroupKind, Member, Membership, MembershipStatus, ProblemArea

MEMBERS_PER_PAGE = 15


def _counted(groups_filter: ColumnElement[bool] | None = None) -> Select[Group, int]:
    """Groups with their member count in one query (pending requests not counted)."""
    counted = func.count(col(Membership.id))
    query = (
        select(Group, counted)
        .outerjoin(
            Membership,
            and_(
                col(Membership.group_id) == col(Group.id),
                col(Membership.status) == MembershipStatus.MEMBER,
            ),
        )
        .where(col(Group.archived_at).is_(None))
        .group_by(col(Group.id))
        .order_by(*LIST_ORDER)
    )
    if groups_filter is not None:
        query = query.where(groups_filter)
    return query


@dataclass(frozen=True)
class GroupSummary:
    group: Group
    member_count: int
    status: str | None = None  # the viewer's membership status, in "my groups"


async def list_groups(session: AsyncSession) -> list[GroupSummary]:
    rows = await session.exec(_counted())
    return [GroupSummary(group, count) for group, count in rows.all()]


async def my_groups(session: AsyncSession, member: Member) -> list[GroupSummary]:
    """The viewer's groups (and pending requests), with member counts: two queries."""
    statuses = dict(
        (
            await session.exec(
                select(Membership.group_id, Membership.status).where(
                    Membership.member_id == member.id
                )
            )
        ).all()
    )
    if not statuses:
        return []
    rows = await session.exec(_counted(col(Group.id).in_(list(statuses))))
    return [GroupSummary(group, count, statuses.get(group.id or 0)) for group, count in rows.all()]


@dataclass
class GroupPage:
    group: Group
    area: ProblemArea | None
    parent: Group | None
    lead: Member | None
    member_count: int
    viewer_status: str | None
    may_see_members: bool
    may_edit: bool
    may_decide: bool
    may_archive: bool
    pending_count: int
    page: int = 0
    pages: int = 1
    members: list[Member] = field(default_factory=list)


# A group's members and requests counted, and the viewer's own status, in one query.
_COUNTS = (
    select(
        Membership.status,
        func.count(col(Membership.id)),
        func.count(case((col(Membership.member_id) == bindparam("viewer_id"), 1))),
    )
    .where(Membership.group_id == bindparam("group_id"))
    .group_by(col(Membership.status))
)


async def group_page(
    session: AsyncSession, group_id: int | None, viewer: Member, page: int = 0
) -> GroupPage:
    """Everything the group page shows, in a fixed number of queries whatever the size."""
    group = await get_active(session, group_id)
    assert group.id is not None and viewer.id is not None
    area = await area_by_id(session, group.area_id)
    parent = await session.get(Group, group.parent_id) if group.parent_id else None
    if parent is not None and parent.archived_at is not None:
        parent = None
    lead = await session.get(Member, group.lead_id) if group.lead_id else None
    # Members and requests counted, and the viewer's own status, in one query.
    counts: dict[str, int] = {}
    viewer_status = None
    params = {"group_id": group.id, "viewer_id": viewer.id}
    for status, count, own in (await session.exec(_COUNTS, params=params)).all():
        counts[status] = count
        if own:
            viewer_status = status
    may_see = can(viewer, Action.SEE_MEMBERS, group, is_member=viewer_status == "member")
    result = GroupPage(
        group=group,
        area=area,
        parent=parent,
        lead=lead,
        member_count=counts.get(MembershipStatus.MEMBER, 0),
        viewer_status=viewer_status,
        may_see_members=may_see,
        may_edit=can(viewer, Action.EDIT_GROUP, group),
        may_decide=can(viewer, Action.DECIDE_JOIN_REQUEST, group),
        may_archive=can(viewer, Action.ARCHIVE_GROUP, group) and group.kind == GroupKind.SMALL,
        pending_count=counts.get(MembershipStatus.PENDING, 0),
    )
    if may_see and result.member_count:
        result.pages = -(-result.member_count // MEMBERS_PER_PAGE)
        result.page = max(0, min(page, result.pages - 1))
        result.members = await group_members(session, group, result.page)
    return result


async def group_members(session: AsyncSession, group: Group, page: int = 0) -> list[Member]:
    rows = await session.exec(
        select(Member)
        .join(Membership, col(Membership.member_id) == col(Member.id))
        .where(Membership.group_id == group.id, Membership.status == MembershipStatus.MEMBER)
        .order_by(func.lower(col(Member.display_name)), col(Member.id))
        .offset(page * MEMBERS_PER_PAGE)
        .limit(MEMBERS_PER_PAGE)
    )
    return list(rows.all())
