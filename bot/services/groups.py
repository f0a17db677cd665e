"""Working groups: browsing, membership, join requests, small groups, leads, roles, chats."""

from __future__ import annotations

import re
import secrets
import time
import unicodedata
import weakref
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, and_, bindparam, case, event, func
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, make_transient_to_detached
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession
from sqlmodel.sql.expression import Select, SelectOfScalar

from bot.i18n import N_
from bot.services import members as members_service
from bot.services import state as state_service
from bot.services.audit import record
from bot.services.errors import InvalidInput, NotAllowed, NotFound
from bot.services.permissions import Action, can
from bot.services.rows import save
from models import (
    AuditEntry,
    Group,
    GroupKind,
    Member,
    Membership,
    MembershipStatus,
    ProblemArea,
    Role,
    utcnow,
)
from models.base import UTCDateTime

GROUP_NAME_MAX = 120
PURPOSE_MAX = 600
MEMBERS_PER_PAGE = 15
PEOPLE_PER_PAGE = 10
# Roles a coordinator grants and revokes by hand (leaders come through invites).
GRANTABLE_ROLES = (Role.LEAD, Role.COORDINATOR)
# A join request tells the lead (or the coordinators) once: not again for the same person and
# group within this window, nor while the request is still waiting.
REQUEST_NOTICE_WINDOW = timedelta(hours=1)
# Joining and leaving the same group over and over: after this many departures within the
# window, joining it again waits.
TOGGLE_WINDOW = timedelta(minutes=10)
TOGGLES_ALLOWED = 3
SEARCH_MIN = 2
SEARCH_MAX = 40


# --- lookups --------------------------------------------------------------------------


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


# --- the profile's areas and the active groups, kept in memory ------------------------
#
# Read on almost every screen (group page, contribution drafts and cards, meeting cards) and
# changed rarely: areas when the programme profile is applied, groups by coordinators. Kept
# per engine (tests run many databases in one process). Any flush that adds, changes or
# deletes an area or a group empties the cache, and again at its commit; a change made by
# another process shows after at most PROFILE_TTL seconds. The cached rows are detached
# copies: read them, don't change them (load the row in the session to change it).

PROFILE_TTL = 60.0
_AREAS_QUERY = select(ProblemArea).order_by(col(ProblemArea.position))
_ACTIVE_GROUPS_QUERY = (
    select(Group)
    .where(col(Group.archived_at).is_(None))
    .order_by(col(Group.kind).desc(), col(Group.position), col(Group.name))
)


@dataclass(frozen=True)
class _Snapshot:
    at: float
    areas: list[ProblemArea]
    areas_by_id: dict[int, ProblemArea]
    groups: list[Group]
    groups_by_id: dict[int, Group]


_profile_cache: weakref.WeakKeyDictionary[Engine, _Snapshot] = weakref.WeakKeyDictionary()


def _engine_of(session: AsyncSession) -> Engine:
    bind: Any = session.get_bind()
    engine: Engine = bind.engine  # an Engine's .engine is itself; a Connection's, its engine
    return engine


def _detached_copy(row: Any) -> Any:
    """A copy of a loaded row that belongs to no session (the original stays the caller's)."""
    values = {}
    for column in type(row).__table__.columns:
        value = getattr(row, column.key)
        values[column.key] = dict(value) if isinstance(value, dict) else value
    copy = type(row)(**values)
    make_transient_to_detached(copy)
    return copy


async def _snapshot(session: AsyncSession) -> _Snapshot:
    engine = _engine_of(session)
    cached = _profile_cache.get(engine)
    now = time.monotonic()
    if cached is not None and now - cached.at < PROFILE_TTL:
        return cached
    found_areas = [_detached_copy(a) for a in (await session.exec(_AREAS_QUERY)).all()]
    found_groups = [_detached_copy(g) for g in (await session.exec(_ACTIVE_GROUPS_QUERY)).all()]
    snapshot = _Snapshot(
        now,
        found_areas,
        {a.id: a for a in found_areas if a.id is not None},
        found_groups,
        {g.id: g for g in found_groups if g.id is not None},
    )
    _profile_cache[engine] = snapshot
    return snapshot


def forget_profile() -> None:
    """Empty the cache (done by itself when areas or groups are written through the ORM)."""
    _profile_cache.clear()


def _profile_flushed(session: Session, _context: object) -> None:
    if any(
        isinstance(obj, (ProblemArea, Group))
        for changed in (session.new, session.dirty, session.deleted)
        for obj in changed
    ):
        session.info["profile_changed"] = True
        forget_profile()


def _profile_ended(session: Session, *_args: object) -> None:
    if session.info.pop("profile_changed", False):
        forget_profile()


event.listen(Session, "after_flush", _profile_flushed)
event.listen(Session, "after_commit", _profile_ended)
event.listen(Session, "after_soft_rollback", _profile_ended)


async def areas(session: AsyncSession) -> list[ProblemArea]:
    """Every problem area, in the profile's order (from memory, see PROFILE_TTL)."""
    return list((await _snapshot(session)).areas)


async def area_by_id(session: AsyncSession, area_id: int | None) -> ProblemArea | None:
    if not area_id:
        return None
    return (await _snapshot(session)).areas_by_id.get(area_id)


async def cached_active_groups(session: AsyncSession) -> list[Group]:
    """`active_groups`, from memory (see PROFILE_TTL): for pickers and names, not to change."""
    return list((await _snapshot(session)).groups)


async def group_for_display(session: AsyncSession, group_id: int | None) -> Group | None:
    """A group to show by name (archived ones too): from memory when active."""
    if not group_id:
        return None
    found = (await _snapshot(session)).groups_by_id.get(group_id)
    if found is None:
        found = await session.get(Group, group_id)
    return found


async def teams(session: AsyncSession) -> list[Group]:
    return [g for g in await active_groups(session) if g.kind == GroupKind.TEAM]


async def get_area(session: AsyncSession, area_id: int | None) -> ProblemArea:
    area = await area_by_id(session, area_id)
    if area is None:
        raise NotFound(N_("This problem area no longer exists."))
    return area


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
        .order_by(col(Group.kind).desc(), col(Group.position), col(Group.name))
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


# --- the group page -------------------------------------------------------------------


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


# --- membership -----------------------------------------------------------------------


def _check_user(member: Member) -> None:
    if not can(member, Action.USE_BOT):
        raise NotAllowed(N_("Please finish signing up first: send /start."))


async def join(session: AsyncSession, group_id: int | None, member: Member) -> Membership:
    """Join an open group at once; a closed one gets a pending request."""
    _check_user(member)
    group = await get_active(session, group_id)
    assert group.id is not None and member.id is not None
    existing = await membership(session, group.id, member.id)
    if existing is not None:
        return existing
    return await _add_membership(session, group, member)


async def _add_membership(session: AsyncSession, group: Group, member: Member) -> Membership:
    """`member` (checked, not yet in `group`) joins it, or asks to."""
    assert group.id is not None and member.id is not None
    direct = group.is_open or can(member, Action.DECIDE_JOIN_REQUEST, group)
    status = MembershipStatus.MEMBER if direct else MembershipStatus.PENDING
    joined = Membership(member_id=member.id, group_id=group.id, status=status)
    return await save(session, joined)


async def leave(session: AsyncSession, group_id: int | None, member: Member) -> Group:
    """Leave a group, or withdraw a pending request."""
    group = await get_active(session, group_id)
    assert group.id is not None and member.id is not None
    if group.lead_id == member.id:
        raise NotAllowed(
            N_("You lead this group. Ask a coordinator to hand it to someone else first.")
        )
    existing = await membership(session, group.id, member.id)
    if existing is None:
        raise NotFound(N_("You are not in this group."))
    await session.delete(existing)
    # Recorded so that joining and leaving in a loop can be slowed down (see `ask_to_join`).
    await record(session, member, "group.leave", f"group:{group.id}", status=existing.status)
    await session.flush()
    return group


async def _recent(
    session: AsyncSession, member: Member, action: str, group: Group, since: datetime
) -> int:
    """How often `member` did `action` to `group` (by the audit log) since a moment."""
    params = {"actor_id": member.id, "action": action, "target": f"group:{group.id}"}
    counted = await session.exec(_RECENT, params={**params, "since": since})
    return counted.one()


_RECENT = select(func.count(col(AuditEntry.id))).where(
    AuditEntry.actor_id == bindparam("actor_id"),
    AuditEntry.action == bindparam("action"),
    AuditEntry.target == bindparam("target"),
    col(AuditEntry.created_at) >= bindparam("since", type_=UTCDateTime),
)


@dataclass(frozen=True)
class JoinOutcome:
    membership: Membership
    group: Group
    tell: list[Member]  # who gets a request card now (empty: nobody, or already told)


async def ask_to_join(
    session: AsyncSession, group_id: int | None, member: Member, now: datetime | None = None
) -> JoinOutcome:
    """`join`, with a brake on join/leave loops and one request card per person and group:
    none while a request waits, none again within `REQUEST_NOTICE_WINDOW`."""
    now = now or utcnow()
    group = await get_active(session, group_id)
    assert group.id is not None and member.id is not None
    existing = await membership(session, group.id, member.id)
    if existing is not None:
        return JoinOutcome(existing, group, [])
    if await _recent(session, member, "group.leave", group, now - TOGGLE_WINDOW) >= (
        TOGGLES_ALLOWED
    ):
        raise NotAllowed(
            N_(
                "You have joined and left this group several times in a short while. "
                "Please wait a few minutes and try again."
            )
        )
    _check_user(member)
    joined = await _add_membership(session, group, member)
    if joined.status != MembershipStatus.PENDING:
        return JoinOutcome(joined, group, [])
    await record(session, member, "group.request", f"group:{group.id}")
    # The same one-notice-per-window claim as opportunity sign-ups (bot/services/state.py).
    topic = f"group-request:{group.id}:{member.id}"
    if not await state_service.claim_notice(session, topic, now=now, window=REQUEST_NOTICE_WINDOW):
        await session.flush()
        return JoinOutcome(joined, group, [])
    await session.flush()
    return JoinOutcome(joined, group, await deciders(session, group))


async def remove_member(
    session: AsyncSession, actor: Member, group_id: int | None, member_id: int | None
) -> tuple[Group, Member]:
    """The group's lead or a coordinator takes someone out of the group."""
    group = await get_active(session, group_id)
    if not can(actor, Action.DECIDE_JOIN_REQUEST, group):
        raise NotAllowed(N_("Only the group's lead or a coordinator can remove members."))
    person = await members_service.get(session, member_id or 0)
    assert group.id is not None and person.id is not None
    if person.id == group.lead_id:
        raise NotAllowed(
            N_("{name} leads this group. A coordinator hands it to someone else first."),
            name=person.display_name,
        )
    if person.id == actor.id:
        raise NotAllowed(N_("To leave the group yourself, use the group's Leave button."))
    existing = await membership(session, group.id, person.id)
    if existing is None or existing.status != MembershipStatus.MEMBER:
        raise NotFound(N_("{name} is no longer a member of this group."), name=person.display_name)
    await session.delete(existing)
    await record(session, actor, "group.member.remove", f"group:{group.id}", member=person.id)
    await session.flush()
    return group, person


async def pending_requests(session: AsyncSession, group: Group) -> list[Member]:
    rows = await session.exec(
        select(Member)
        .join(Membership, col(Membership.member_id) == col(Member.id))
        .where(Membership.group_id == group.id, Membership.status == MembershipStatus.PENDING)
        .order_by(col(Membership.joined_at))
        .limit(PEOPLE_PER_PAGE)
    )
    return list(rows.all())


async def deciders(session: AsyncSession, group: Group) -> list[Member]:
    """Who hears of a join request: the group's lead, else the coordinators."""
    if group.lead_id is not None:
        lead = await session.get(Member, group.lead_id)
        if lead is not None and lead.is_registered:
            return [lead]
    return await members_service.coordinators(session)


async def decide_request(
    session: AsyncSession, group_id: int | None, member_id: int | None, actor: Member, approve: bool
) -> tuple[Group, Member]:
    group = await get_active(session, group_id)
    if not can(actor, Action.DECIDE_JOIN_REQUEST, group):
        raise NotAllowed(N_("Only the group's lead or a coordinator can decide this."))
    request = await membership(session, group.id or 0, member_id or 0)
    if request is None or request.status != MembershipStatus.PENDING:
        raise NotFound(N_("This request was already decided or withdrawn."))
    requester = await members_service.get(session, request.member_id)
    if approve:
        request.status = MembershipStatus.MEMBER
        request.joined_at = utcnow()
        session.add(request)
    else:
        await session.delete(request)
    await record(
        session,
        actor,
        "group.request.approve" if approve else "group.request.decline",
        f"group:{group.id}",
        member=requester.id,
    )
    await session.flush()
    return group, requester


# --- coordinators: small groups -------------------------------------------------------


def clean_group_name(text: str | None) -> str:
    return members_service.clean_text(text, GROUP_NAME_MAX, field="name")


def clean_purpose(text: str | None) -> str:
    return members_service.clean_text(text, PURPOSE_MAX, field="purpose")


def _slugify(name: str) -> str:
    ascii_name = unicodedata.normalize("NFKD", name.replace("ł", "l").replace("Ł", "L"))
    ascii_name = ascii_name.encode("ascii", "ignore").decode().lower()
    base = re.sub(r"[^a-z0-9]+", "-", ascii_name).strip("-")[:40] or "group"
    return f"{base}-{secrets.token_hex(3)}"


async def lead_candidates(
    session: AsyncSession, page: int = 0, group: Group | None = None
) -> tuple[list[Member], int]:
    """Who may lead: the group's members, or for a new group every registered leader."""
    query = select(Member).where(col(Member.consent_at).is_not(None))
    if group is not None:
        query = query.join(Membership, col(Membership.member_id) == col(Member.id)).where(
            Membership.group_id == group.id, Membership.status == MembershipStatus.MEMBER
        )
    else:
        query = query.where(col(Member.role).in_([Role.LEADER, Role.LEAD, Role.COORDINATOR]))
    return await _people_page(session, query, page)


async def _people_page(
    session: AsyncSession, query: SelectOfScalar[Member], page: int
) -> tuple[list[Member], int]:
    query = query.where(col(Member.display_name).is_not(None))
    total = (await session.exec(select(func.count()).select_from(query.subquery()))).one()
    pages = max(1, -(-total // PEOPLE_PER_PAGE))
    page = max(0, min(page, pages - 1))
    rows = await session.exec(
        query.order_by(func.lower(col(Member.display_name)), col(Member.id))
        .offset(page * PEOPLE_PER_PAGE)
        .limit(PEOPLE_PER_PAGE)
    )
    return list(rows.all()), pages


async def create_group(
    session: AsyncSession,
    actor: Member,
    *,
    name: str,
    area_id: int | None,
    parent_id: int | None,
    is_open: bool,
    lead_id: int | None,
) -> Group:
    if not can(actor, Action.CREATE_GROUP):
        raise NotAllowed(N_("Only coordinators can do this."))
    name = clean_group_name(name)
    area = await get_area(session, area_id)
    parent = await get_active(session, parent_id) if parent_id else None
    if parent is not None and parent.kind != GroupKind.TEAM:
        raise InvalidInput(N_("A small group can only belong to one of the teams."))
    group = Group(
        slug=_slugify(name),
        kind=GroupKind.SMALL,
        name=name,
        area_id=area.id,
        parent_id=parent.id if parent else None,
        is_open=is_open,
    )
    session.add(group)
    await session.flush()
    await record(session, actor, "group.create", f"group:{group.id}", name=name)
    if lead_id:
        await set_lead(session, actor, group.id, lead_id)
    return group


async def update_group(
    session: AsyncSession,
    actor: Member,
    group_id: int | None,
    *,
    name: str | None = None,
    purpose: str | None = None,
    area_id: int | None = None,
    is_open: bool | None = None,
) -> Group:
    group = await get_active(session, group_id)
    if not can(actor, Action.EDIT_GROUP, group):
        raise NotAllowed(N_("Only the group's lead or a coordinator can change it."))
    changes: dict[str, object] = {}
    if name is not None:
        if group.kind == GroupKind.TEAM:
            raise InvalidInput(N_("The teams' names come from the programme profile."))
        group.name = changes["name"] = clean_group_name(name)
    if purpose is not None:
        group.purpose = changes["purpose"] = clean_purpose(purpose)
        group.purposes = {}  # a typed purpose replaces the profile's translations
    if area_id is not None:
        group.area_id = changes["area"] = (await get_area(session, area_id)).id
    if is_open is not None:
        group.is_open = changes["is_open"] = is_open
    session.add(group)
    await record(session, actor, "group.edit", f"group:{group.id}", **changes)
    await session.flush()
    return group


async def set_lead(
    session: AsyncSession, actor: Member, group_id: int | None, member_id: int | None
) -> tuple[Group, Member]:
    """Hand a group to a new lead: they join it and get at least the lead role."""
    group = await get_active(session, group_id)
    if not can(actor, Action.MANAGE_ROLES):
        raise NotAllowed(N_("Only coordinators can do this."))
    lead = await members_service.get(session, member_id or 0)
    if not lead.is_registered:
        raise NotFound(N_("This person is no longer signed up."))
    assert group.id is not None and lead.id is not None
    existing = await membership(session, group.id, lead.id)
    if existing is None:
        session.add(Membership(member_id=lead.id, group_id=group.id))
    elif existing.status != MembershipStatus.MEMBER:
        existing.status = MembershipStatus.MEMBER
        session.add(existing)
    await record(session, actor, "group.lead", f"group:{group.id}", old=group.lead_id, new=lead.id)
    group.lead_id = lead.id
    session.add(group)
    await members_service.raise_role(session, lead, Role.LEAD, actor=actor)
    await session.flush()
    return group, lead


async def archive_group(session: AsyncSession, actor: Member, group_id: int | None) -> Group:
    group = await get_active(session, group_id)
    if not can(actor, Action.ARCHIVE_GROUP, group):
        raise NotAllowed(N_("Only coordinators can do this."))
    if group.kind == GroupKind.TEAM:
        raise NotAllowed(N_("The programme's teams cannot be archived."))
    group.archived_at = utcnow()
    group.chat_id = None  # the chat may be linked to another group later
    session.add(group)
    await record(session, actor, "group.archive", f"group:{group.id}")
    await session.flush()
    return group


async def set_parent(
    session: AsyncSession, actor: Member, group_id: int | None, parent_id: int | None
) -> Group:
    """Move a small group under another team (or under none): coordinators only."""
    group = await get_active(session, group_id)
    if not can(actor, Action.MANAGE_ROLES):
        raise NotAllowed(N_("Only coordinators can do this."))
    if group.kind != GroupKind.SMALL:
        raise InvalidInput(N_("Only a small group belongs to a team."))
    parent = await get_active(session, parent_id) if parent_id else None
    if parent is not None and parent.kind != GroupKind.TEAM:
        raise InvalidInput(N_("A small group can only belong to one of the teams."))
    new = parent.id if parent else None
    await record(session, actor, "group.parent", f"group:{group.id}", old=group.parent_id, new=new)
    group.parent_id = new
    return await save(session, group)


# --- finding people by a few letters of their name ------------------------------------


_FOLDED = str.maketrans({"ł": "l", "Ł": "l", "ß": "ss", "ø": "o", "Ø": "o", "đ": "d", "Đ": "d"})


def fold(text: str | None) -> str:
    """A name as searched: lower case, no diacritics ("Łęcka" -> "lecka")."""
    decomposed = unicodedata.normalize("NFKD", (text or "").translate(_FOLDED))
    plain = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return " ".join(plain.casefold().split())


def clean_search(text: str | None) -> str:
    """What was typed to search by: a few letters of a name, folded."""
    folded = fold(text)[:SEARCH_MAX]
    if len(folded) < SEARCH_MIN:
        raise InvalidInput(N_("Please type at least {n} letters of the name."), n=SEARCH_MIN)
    return folded


async def _search_page(
    session: AsyncSession, query: SelectOfScalar[Member], search: str, page: int, per_page: int
) -> tuple[list[Member], int]:
    """The people of `query` whose folded name contains `search`, one page at a time.

    Folding happens here, not in SQL (neither SQLite nor a stock PostgreSQL folds "ł"): the
    ids and names of the candidates are read, then only one page of people is loaded."""
    candidates = query.where(col(Member.display_name).is_not(None)).subquery()
    names = await session.exec(select(candidates.c.id, candidates.c.display_name))
    found = sorted(
        ((fold(name), member_id) for member_id, name in names.all() if search in fold(name)),
    )
    pages = max(1, -(-len(found) // per_page))
    page = max(0, min(page, pages - 1))
    ids = [member_id for _name, member_id in found[page * per_page : (page + 1) * per_page]]
    if not ids:
        return [], pages
    loaded = {m.id: m for m in (await session.exec(select(Member).where(col(Member.id).in_(ids))))}
    return [loaded[i] for i in ids if i in loaded], pages


def _registered() -> SelectOfScalar[Member]:
    return select(Member).where(col(Member.consent_at).is_not(None))


def _members_of(group: Group) -> SelectOfScalar[Member]:
    return (
        _registered()
        .join(Membership, col(Membership.member_id) == col(Member.id))
        .where(Membership.group_id == group.id, Membership.status == MembershipStatus.MEMBER)
    )


async def members_page(
    session: AsyncSession, group: Group, page: int = 0, search: str | None = None
) -> tuple[list[Member], int]:
    """A group's members by name (or those whose name contains `search`), a page at a time."""
    if search:
        return await _search_page(session, _members_of(group), search, page, PEOPLE_PER_PAGE)
    return await _people_page(session, _members_of(group), page)


async def search_people(
    session: AsyncSession, search: str, page: int = 0
) -> tuple[list[Member], int]:
    """Registered members whose folded name contains `search` (already folded)."""
    return await _search_page(session, _registered(), search, page, PEOPLE_PER_PAGE)


# --- coordinators: roles --------------------------------------------------------------


async def people(session: AsyncSession, page: int = 0) -> tuple[list[Member], int]:
    """Registered members, by name, one page at a time."""
    return await _people_page(
        session, select(Member).where(col(Member.consent_at).is_not(None)), page
    )


def _role_target(actor: Member, person: Member, role: Role | str) -> Role:
    if not can(actor, Action.MANAGE_ROLES):
        raise NotAllowed(N_("Only coordinators can do this."))
    if role not in GRANTABLE_ROLES:
        raise InvalidInput(N_("This role cannot be changed here."))
    if person.id == actor.id:
        raise NotAllowed(N_("You cannot change your own role."))
    if not person.is_registered:
        raise NotFound(N_("This person is no longer signed up."))
    return Role(role)


async def grant_role(
    session: AsyncSession, actor: Member, member_id: int | None, role: Role | str
) -> Member:
    person = await members_service.get(session, member_id or 0)
    target = _role_target(actor, person, role)
    if Role(person.role).at_least(target):
        raise InvalidInput(N_("{name} already has this role."), name=person.display_name)
    await members_service.set_role(session, person, target, actor=actor)
    return person


async def revoke_role(
    session: AsyncSession, actor: Member, member_id: int | None, role: Role | str
) -> Member:
    """Take a role back: a coordinator becomes a lead (or leader), a lead a leader."""
    person = await members_service.get(session, member_id or 0)
    target = _role_target(actor, person, role)
    if person.role != target:
        raise InvalidInput(N_("{name} does not have this role."), name=person.display_name)
    led = await members_service.led_groups(session, person)
    if target == Role.COORDINATOR and led:
        new_role = Role.LEAD
    else:
        new_role = Role.LEADER
        for group in led:  # a lead no more: their groups wait for a new lead
            group.lead_id = None
            session.add(group)
            await record(session, actor, "group.lead", f"group:{group.id}", old=person.id, new=None)
    await members_service.set_role(session, person, new_role, actor=actor)
    return person


# --- linked group chats ---------------------------------------------------------------


async def linkable_groups(session: AsyncSession, member: Member) -> list[Group]:
    if can(member, Action.LINK_CHAT):
        return await active_groups(session)
    return [
        g
        for g in await members_service.led_groups(session, member)
        if can(member, Action.LINK_CHAT, g)
    ]


async def group_for_chat(session: AsyncSession, chat_id: int) -> Group | None:
    return (
        await session.exec(
            select(Group).where(Group.chat_id == chat_id, col(Group.archived_at).is_(None))
        )
    ).first()


async def link_chat(
    session: AsyncSession, actor: Member, group_id: int | None, chat_id: int
) -> Group:
    group = await get_active(session, group_id)
    if not can(actor, Action.LINK_CHAT, group):
        raise NotAllowed(N_("Only the group's lead or a coordinator can link its chat."))
    # One chat serves one group: a chat linked elsewhere moves here.
    previous = (await session.exec(select(Group).where(Group.chat_id == chat_id))).first()
    if previous is not None and previous.id != group.id:
        previous.chat_id = None
        session.add(previous)
        await session.flush()
    return await _set_chat(session, actor, group, chat_id, "group.link", chat=chat_id)


async def unlink_chat(
    session: AsyncSession, chat_id: int, actor: Member | None = None
) -> Group | None:
    """Unlink whatever group the chat serves; with an actor, only if they may."""
    group = (await session.exec(select(Group).where(Group.chat_id == chat_id))).first()
    if group is None:
        return None
    if actor is not None and not can(actor, Action.LINK_CHAT, group):
        raise NotAllowed(N_("Only the group's lead or a coordinator can link its chat."))
    return await _set_chat(session, actor, group, None, "group.unlink", chat=chat_id)


async def move_linked_chat(
    session: AsyncSession, old_chat_id: int, new_chat_id: int
) -> Group | None:
    """Telegram upgraded a linked group chat to a supergroup, which has a new id: the link
    follows it. If the new chat already serves a group (linked again by hand before the
    upgrade was noticed), that link stays and the old one is dropped. Returns the group that
    now uses `new_chat_id`, if any."""
    if old_chat_id == new_chat_id:
        return await group_for_chat(session, new_chat_id)
    group = (await session.exec(select(Group).where(Group.chat_id == old_chat_id))).first()
    current = (await session.exec(select(Group).where(Group.chat_id == new_chat_id))).first()
    if group is None:
        return current
    if current is not None:
        group.chat_id = None
        session.add(group)
        await session.flush()
        return current
    return await _set_chat(
        session, None, group, new_chat_id, "group.chat_migrated", old=old_chat_id, new=new_chat_id
    )


async def _set_chat(
    session: AsyncSession,
    actor: Member | None,
    group: Group,
    chat_id: int | None,
    action: str,
    **details: object,
) -> Group:
    """The group's linked chat is now `chat_id` (None: none); the audit log says so."""
    group.chat_id = chat_id
    session.add(group)
    await record(session, actor, action, f"group:{group.id}", **details)
    await session.flush()
    return group
