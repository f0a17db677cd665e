"""Meeting invitations beyond the group: a broadcast that carries a meeting's card.

A coordinator (any audience /broadcast offers) or the meeting's lead (the groups they lead;
everyone, when the meeting is open) picks one or more audiences; the plan merges them (one
person in several audiences is invited once), leaves out who was already invited, who
answered and who blocked the bot, and — for a meeting only for its group — anyone outside
the group unless a coordinator explicitly allowed them. Starting it writes one
`meeting_invitations` row per person (unique per meeting: nobody is invited twice) and the
ordinary broadcast recipient rows, so delivery is the broadcast outbox (bot/broadcasting.py):
the same pacing, 429/403 handling, progress, stop and crash safety.

The draft is a `Broadcast` in status draft with `meeting_id` set; its `audience` is
``{"kind": "invitation", "meeting_id": .., "audiences": [spec, ...]}``.
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import func
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.i18n import N_
from bot.i18n import gettext as _
from bot.services import broadcasts as broadcasts_service
from bot.services import groups as groups_service
from bot.services import meetings as meetings_service
from bot.services.audit import record
from bot.services.errors import InvalidInput, NotAllowed, NotFound
from bot.services.permissions import has_role
from bot.services.rows import save
from models import (
    Broadcast,
    BroadcastRecipient,
    BroadcastStatus,
    Group,
    Meeting,
    MeetingInvitation,
    Member,
    ProblemArea,
    Role,
    Rsvp,
)
from models.meetings import MeetingCard

KIND = "invitation"
MAX_AUDIENCES = 8  # chosen audiences of one invitation
NOT_YOURS = N_("You may invite people only to the meetings of the groups you lead.")
ONLY_YOUR_GROUPS = N_("You may invite only the groups you lead (and everyone to an open meeting).")
ONLY_COORDINATORS_OPEN = N_("Only a coordinator can invite people from outside the group.")
NOT_YOUR_DRAFT = N_("Only the author can send this invitation.")


def key_of(spec: dict[str, Any]) -> str:
    """The audience as stored in `meeting_invitations.audience`: compact JSON."""
    return json.dumps(spec, sort_keys=True, separators=(",", ":"), ensure_ascii=False)[:200]


def spec_of(key: str) -> dict[str, Any]:
    try:
        value = json.loads(key)
    except ValueError:
        return {"kind": key}
    return value if isinstance(value, dict) else {"kind": str(value)}


def audience_text(spec: dict[str, Any]) -> str:
    """The audience in words, without the database (exports): groups and meetings by number."""
    named = {
        "group": _("the group no. {id}").format(id=spec.get("group_id")),
        "meeting": _("the attendees of meeting no. {id}").format(id=spec.get("meeting_id")),
    }
    return broadcasts_service.audience_words(spec, named)


def audiences_of(broadcast: Broadcast) -> list[dict[str, Any]]:
    return list((broadcast.audience or {}).get("audiences") or [])


# --- who may invite, and whom ----------------------------------------------------------------


def _started(meeting: Meeting, now: datetime) -> None:
    if meeting.starts_at <= now:
        raise InvalidInput(N_("This meeting has already started; answers are closed."))


async def inviting_meeting(
    session: AsyncSession, member: Member, meeting_id: int | None, *, now: datetime
) -> Meeting:
    """The meeting, if `member` may invite people to it: a coordinator or its group's lead,
    and the meeting is scheduled and not started."""
    meeting = await meetings_service.get_scheduled(session, meeting_id)
    if not await meetings_service.may_manage(session, member, meeting):
        raise NotAllowed(NOT_YOURS)
    _started(meeting, now)
    return meeting


async def check_audience(
    session: AsyncSession, member: Member, meeting: Meeting, spec: dict[str, Any]
) -> None:
    """Coordinators: every audience of /broadcast. A lead: the groups they lead (and the
    attendees of their meetings); everyone, only to an open meeting of their group."""
    kind = spec.get("kind")
    if kind not in broadcasts_service.AUDIENCES:
        raise InvalidInput(N_("This choice is not available."))
    if has_role(member, Role.COORDINATOR):
        return
    if kind == "everyone" and meeting.is_open:
        return
    if kind in ("group", "meeting"):
        try:
            await broadcasts_service.check_allowed(session, member, spec)
        except NotAllowed:
            raise NotAllowed(ONLY_YOUR_GROUPS) from None
        return
    raise NotAllowed(ONLY_YOUR_GROUPS)


# --- the draft ----------------------------------------------------------------------------------


async def new_draft(
    session: AsyncSession,
    author: Member,
    meeting_id: int,
    *,
    now: datetime,
    preselect: dict[str, Any] | None = None,
) -> Broadcast:
    """The author's invitation draft for this meeting (an unsent one is reused)."""
    meeting = await inviting_meeting(session, author, meeting_id, now=now)
    if preselect is not None:
        await check_audience(session, author, meeting, preselect)
    found = (
        await session.exec(
            select(Broadcast).where(
                Broadcast.author_id == author.id,
                Broadcast.meeting_id == meeting.id,
                Broadcast.status == BroadcastStatus.DRAFT,
            )
        )
    ).first()
    audiences = [preselect] if preselect is not None else None
    if found is None:
        found = Broadcast(
            author_id=author.id,
            meeting_id=meeting.id,
            audience={"kind": KIND, "meeting_id": meeting.id, "audiences": audiences or []},
            text=meeting.topic,
        )
    elif audiences is not None:
        found.audience = {**found.audience, "audiences": audiences}
        found.outsiders_allowed = False
    return await save(session, found)


async def draft(
    session: AsyncSession, author: Member, broadcast_id: int | None, *, now: datetime
) -> tuple[Broadcast, Meeting]:
    """The author's unsent invitation and its meeting, checked again on every press."""
    broadcast = await _unsent(session, author, broadcast_id)
    meeting = await inviting_meeting(session, author, broadcast.meeting_id, now=now)
    return broadcast, meeting


async def _unsent(session: AsyncSession, author: Member, broadcast_id: int | None) -> Broadcast:
    """The author's invitation, still a draft."""
    broadcast = await session.get(Broadcast, broadcast_id) if broadcast_id else None
    if broadcast is None or broadcast.meeting_id is None:
        raise NotFound(N_("This invitation no longer exists."))
    if broadcast.author_id != author.id:
        raise NotAllowed(NOT_YOUR_DRAFT)
    if broadcast.status != BroadcastStatus.DRAFT:
        raise InvalidInput(N_("This invitation has already been sent."))
    return broadcast


async def toggle_audience(
    session: AsyncSession, author: Member, broadcast_id: int, spec: dict[str, Any], *, now: datetime
) -> Broadcast:
    """Add the audience to the invitation, or take it out if it was chosen already."""
    broadcast, meeting = await draft(session, author, broadcast_id, now=now)
    await check_audience(session, author, meeting, spec)
    chosen = audiences_of(broadcast)
    if spec in chosen:
        chosen.remove(spec)
    elif len(chosen) >= MAX_AUDIENCES:
        raise InvalidInput(N_("That is enough audiences for one invitation."))
    else:
        chosen.append(spec)
    broadcast.audience = {**broadcast.audience, "audiences": chosen}  # a new dict: saved
    return await save(session, broadcast)


async def allow_outsiders(
    session: AsyncSession, author: Member, broadcast_id: int, allowed: bool, *, now: datetime
) -> Broadcast:
    """A coordinator's explicit choice: people outside a closed group may come."""
    if not has_role(author, Role.COORDINATOR):
        raise NotAllowed(ONLY_COORDINATORS_OPEN)
    broadcast, _meeting = await draft(session, author, broadcast_id, now=now)
    broadcast.outsiders_allowed = allowed
    return await save(session, broadcast)


async def discard(session: AsyncSession, author: Member, broadcast_id: int) -> None:
    await session.delete(await _unsent(session, author, broadcast_id))


# --- the plan: who gets it ---------------------------------------------------------------------


@dataclass
class Plan:
    # (member id, chat id, audience key) of each person who will get the invitation
    targets: list[tuple[int, int, str]] = field(default_factory=list)
    already: int = 0  # in the group, invited before, or answered
    blocked: int = 0  # blocked the bot
    outsiders: int = 0  # outside a closed group, not allowed
    per_audience: Counter[str] = field(default_factory=Counter)


async def plan(
    session: AsyncSession, author: Member, broadcast: Broadcast, meeting: Meeting
) -> Plan:
    """Who the invitation would reach now, every chosen audience checked again."""
    result = Plan()
    group_ids = {
        m.id for m in await meetings_service.group_members(session, meeting.group_id) if m.id
    }
    group = await session.get(Group, meeting.group_id)
    # Already invited: whoever got the meeting's card privately (the group's members when it
    # was scheduled), was invited before, or answered; its lead and whoever scheduled it.
    carded: set[int | None] = set(
        (
            await session.exec(
                select(MeetingCard.member_id).where(
                    MeetingCard.meeting_id == meeting.id, col(MeetingCard.member_id).is_not(None)
                )
            )
        ).all()
    )
    already: set[int] = set(
        (
            await session.exec(
                select(MeetingInvitation.member_id).where(
                    MeetingInvitation.meeting_id == meeting.id
                )
            )
        ).all()
    )
    already |= set(
        (await session.exec(select(Rsvp.member_id).where(Rsvp.meeting_id == meeting.id))).all()
    )
    already |= {m for m in carded if m is not None}
    # A meeting from before its cards were recorded (no member of its group has a card):
    # its group's members count as invited.
    already |= group_ids if not carded & group_ids else set()
    already |= {i for i in (group.lead_id if group else None, meeting.created_by_id) if i}
    coordinators = {
        i
        for i in (await session.exec(select(Member.id).where(Member.role == Role.COORDINATOR)))
        if i is not None
    }
    open_to_all = meeting.is_open or broadcast.outsiders_allowed
    insiders = coordinators | group_ids  # may come to a closed meeting anyway
    seen: set[int] = set()
    for spec in audiences_of(broadcast):
        await check_audience(session, author, meeting, spec)
        targets, unreachable = await broadcasts_service.recipients(session, spec)
        result.blocked += unreachable
        key = key_of(spec)
        for member_id, chat_id in targets:
            if member_id is None or member_id in seen:  # a linked chat; or chosen twice
                continue
            seen.add(member_id)
            if member_id == author.id:
                continue
            if member_id in already:
                result.already += 1
            elif not open_to_all and member_id not in insiders:
                result.outsiders += 1
            else:
                result.targets.append((member_id, chat_id, key))
                result.per_audience[key] += 1
    return result


async def start(
    session: AsyncSession, author: Member, broadcast_id: int, *, now: datetime
) -> Broadcast:
    """Confirmed: record who is invited, write the recipient rows, mark it running."""
    broadcast, meeting = await draft(session, author, broadcast_id, now=now)
    if not audiences_of(broadcast):
        raise InvalidInput(N_("Please choose who should get the invitation."))
    found = await plan(session, author, broadcast, meeting)
    if not found.targets:
        raise InvalidInput(N_("Nobody new would get this invitation."))
    for member_id, chat_id, key in found.targets:
        session.add(
            MeetingInvitation(
                meeting_id=meeting.id,  # type: ignore[arg-type]
                member_id=member_id,
                audience=key,
                broadcast_id=broadcast.id,
                invited_at=now,
            )
        )
        session.add(
            BroadcastRecipient(broadcast_id=broadcast.id, member_id=member_id, chat_id=chat_id)  # type: ignore[arg-type]
        )
    broadcasts_service.set_running(session, broadcast, len(found.targets))
    await record(
        session,
        author,
        "meeting.invite",
        f"meeting:{meeting.id}",
        broadcast=broadcast.id,
        audiences=audiences_of(broadcast),
        recipients=len(found.targets),
        outsiders_allowed=broadcast.outsiders_allowed,
    )
    await session.flush()
    return broadcast


# --- what the card and the engine need ----------------------------------------------------------


async def is_invited(session: AsyncSession, meeting_id: int, member_id: int) -> bool:
    row = await session.exec(
        select(MeetingInvitation.id).where(
            MeetingInvitation.meeting_id == meeting_id, MeetingInvitation.member_id == member_id
        )
    )
    return row.first() is not None


@dataclass
class Invited:
    by_audience: list[tuple[dict[str, Any], int]]
    answered: int

    @property
    def total(self) -> int:
        return sum(n for _spec, n in self.by_audience)


async def invited(session: AsyncSession, meeting_id: int) -> Invited:
    """How many people were invited beyond the group, per audience, and how many answered."""
    rows = await session.exec(
        select(MeetingInvitation.audience, func.count())
        .where(MeetingInvitation.meeting_id == meeting_id)
        .group_by(col(MeetingInvitation.audience))
        .order_by(func.count().desc())
    )
    by_audience = [(spec_of(key), int(n)) for key, n in rows.all()]
    answered = await session.exec(
        select(func.count())
        .select_from(MeetingInvitation)
        .join(
            Rsvp,
            (col(Rsvp.member_id) == col(MeetingInvitation.member_id))
            & (col(Rsvp.meeting_id) == col(MeetingInvitation.meeting_id)),
        )
        .where(MeetingInvitation.meeting_id == meeting_id)
    )
    return Invited(by_audience, int(answered.one()))


async def card_data(
    session: AsyncSession, meeting_id: int
) -> tuple[Meeting, Group, ProblemArea | None, Counter[str]] | None:
    """What the invitation card shows (None when the meeting is gone)."""
    meeting = await session.get(Meeting, meeting_id)
    if meeting is None:
        return None
    group = await meetings_service.group_of(session, meeting)
    area = await session.get(ProblemArea, meeting.area_id) if meeting.area_id else None
    counts = await meetings_service.counts(session, meeting_id)
    return meeting, group, area, counts


async def remember_card(
    session: AsyncSession, recipient_id: int, meeting_id: int, chat_id: int, message_id: int
) -> None:
    """The card a recipient got: kept current with the meeting's other cards."""
    recipient = await session.get(BroadcastRecipient, recipient_id)
    member_id = recipient.member_id if recipient is not None else None
    await meetings_service.remember_cards(session, meeting_id, [(chat_id, message_id, member_id)])


async def group_choices(session: AsyncSession, member: Member) -> list[Group]:
    """The groups whose members `member` may invite."""
    if has_role(member, Role.COORDINATOR):
        return await groups_service.active_groups(session)
    rows = await session.exec(
        select(Group).where(Group.lead_id == member.id, col(Group.archived_at).is_(None))
    )
    return list(rows.all())
