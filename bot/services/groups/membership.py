"""Membership: joining and leaving, join requests and their decision, removing a member."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import bindparam, func
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.i18n import N_
from bot.services import members as members_service
from bot.services import state as state_service
from bot.services.audit import record
from bot.services.errors import NotAllowed, NotFound
from bot.services.groups.lookups import get_active, membership
from bot.services.groups.people import PEOPLE_PER_PAGE
from bot.services.permissions import Action, can
from bot.services.rows import save
from models import AuditEntry, Group, Member, Membership, MembershipStatus, utcnow
from models.base import UTCDateTime

# A join request tells the lead (or the coordinators) once: not again for the same person and
# group within this window, nor while the request is still waiting.
REQUEST_NOTICE_WINDOW = timedelta(hours=1)
# Joining and leaving the same group over and over: after this many departures within the
# window, joining it again waits.
TOGGLE_WINDOW = timedelta(minutes=10)
TOGGLES_ALLOWED = 3


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


async def ensure_member(session: AsyncSession, group: Group, member: Member) -> None:
    """`member` is in `group` from now on: added, or their pending request granted."""
    assert group.id is not None and member.id is not None
    existing = await membership(session, group.id, member.id)
    if existing is None:
        session.add(Membership(member_id=member.id, group_id=group.id))
    elif existing.status != MembershipStatus.MEMBER:
        existing.status = MembershipStatus.MEMBER
        session.add(existing)


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
