"""Broadcasts as data: audiences, drafts, recipient rows and their state changes.

The delivery loop (bot/broadcasting.py) drives the state machine of each recipient row::

    pending -> sending -> sent | blocked | failed
                      \\-> pending      (429, or a connection refused: Telegram got nothing)
                      \\-> uncertain    (the process died or the answer was lost mid-send)

Every change is its own committed transaction, so the table is the truth after a crash.
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import and_, func, or_, update
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.i18n import N_
from bot.i18n import gettext as _
from bot.services import groups as groups_service
from bot.services import meetings as meetings_service
from bot.services.audit import record
from bot.services.errors import InvalidInput, NotAllowed
from bot.services.permissions import Action, can
from bot.services.rows import get_or_gone, save
from bot.telegram_html import check_html, utf16_len
from models import (
    Answer,
    Broadcast,
    BroadcastRecipient,
    BroadcastStatus,
    Group,
    Member,
    Membership,
    MembershipStatus,
    RecipientState,
    Role,
    Rsvp,
    Volunteer,
    utcnow,
)

# Telegram's limits (4096 / 1024) less the room for the header every recipient sees above
# the text (bot/broadcasting.py `header`).
HEADER_RESERVE = 120
TEXT_MAX = 4096 - HEADER_RESERVE
CAPTION_MAX = 1024 - HEADER_RESERVE
AUDIENCES = ("everyone", "leaders", "group", "volunteers", "meeting")
FINAL_STATES = (
    RecipientState.SENT,
    RecipientState.BLOCKED,
    RecipientState.FAILED,
    RecipientState.UNCERTAIN,
)


def audience_spec(kind: str, **params: Any) -> dict[str, Any]:
    if kind not in AUDIENCES:
        raise InvalidInput(N_("This choice is not available."))
    return {"kind": kind, **{k: v for k, v in params.items() if v is not None}}


def audience_words(
    spec: dict[str, Any],
    named: Mapping[str, str],
    *,
    area: str | None = None,
    escape: Callable[[str], str] = str,
) -> str:
    """The audience in words. `named`: the caller's own words for the kinds it names (a
    group, a meeting...); `area`: the problem area's name where known (its slug otherwise);
    `escape`: for a street typed by a person."""
    kind = spec.get("kind")
    if kind == "everyone":
        return _("everyone")
    if kind == "leaders":
        return _("all leaders")
    if isinstance(kind, str) and kind in named:
        return named[kind]
    street = spec.get("street")
    if spec.get("area"):
        return _("volunteers interested in {area}").format(area=area or spec["area"])
    if street == "-":
        return _("volunteers from other streets")
    if street:
        return _("volunteers from {street}").format(street=escape(street))
    return _("all volunteers")


def check_text(text: str, *, with_photo: bool) -> str:
    """Validate Telegram HTML and the length limit; return the HTML unchanged."""
    if not text.strip():
        raise InvalidInput(N_("That was empty. Please try again."))
    visible = check_html(text)
    limit = CAPTION_MAX if with_photo else TEXT_MAX
    # Counted as Telegram counts: UTF-16 code units of the text after entity parsing.
    length = utf16_len(visible)
    if length > limit:
        raise InvalidInput(
            N_("That is too long: {length} characters, at most {limit}. Please shorten it."),
            length=length,
            limit=limit,
        )
    return text


_LOOKS_LIKE_HTML = re.compile(r"</?[a-zA-Z][a-zA-Z-]*[\s>]|&(?:#\d+|#x[0-9a-fA-F]+|[a-z]+);")


def as_html(text: str, formatted_html: str | None = None) -> str:
    """The HTML to send for what the author typed.

    Formatting done in the Telegram app arrives as entities (`formatted_html`, always valid);
    text with tags or entities typed by hand is taken as HTML, to be checked; anything else
    is plain text and gets escaped.
    """
    if formatted_html is not None and formatted_html != html.escape(text, quote=False):
        return formatted_html
    if _LOOKS_LIKE_HTML.search(text):
        return text
    return html.escape(text, quote=False)


async def _group_for(session: AsyncSession, audience: dict[str, Any]) -> Group | None:
    if audience.get("kind") == "meeting":
        meeting = await meetings_service.get(session, audience.get("meeting_id"))
        return await meetings_service.group_of(session, meeting)
    if audience.get("kind") != "group":
        return None
    return await groups_service.get_active(session, audience.get("group_id"))


async def check_allowed(session: AsyncSession, author: Member, audience: dict[str, Any]) -> None:
    """Coordinators broadcast to anyone; a group's lead only to that group."""
    group = await _group_for(session, audience)
    if not can(author, Action.BROADCAST, group):
        raise NotAllowed(N_("You may send messages only to the groups you lead."))


async def recipients(
    session: AsyncSession, audience: dict[str, Any]
) -> tuple[list[tuple[int | None, int]], int]:
    """(member id or None, chat id) of those who will get it, and how many are unreachable.

    Only registered members (consent and name) get broadcasts; a group's linked Telegram
    chat is one more recipient of a broadcast to the group.
    """
    kind = audience.get("kind")
    registered = (col(Member.consent_at).is_not(None), col(Member.display_name).is_not(None))
    extra: list[tuple[int | None, int]] = []
    members: list[Member] = []
    if kind == "volunteers":
        query = (
            select(Member, Volunteer.areas)
            .join(Volunteer, col(Volunteer.member_id) == col(Member.id))
            .where(*registered)
        )
        street = audience.get("street")
        if street == "-":
            query = query.where(col(Volunteer.street).is_(None))
        elif street:
            query = query.where(Volunteer.street == street)
        area = audience.get("area")
        for member, areas in (await session.exec(query.order_by(col(Member.id)))).all():
            if not area or area in areas:
                members.append(member)
    else:
        plain = select(Member).where(*registered)
        if kind == "leaders":
            plain = plain.where(col(Member.role).in_([Role.LEADER, Role.LEAD, Role.COORDINATOR]))
        elif kind == "group":
            group = await groups_service.get_active(session, audience.get("group_id"))
            member_ids = select(Membership.member_id).where(
                Membership.group_id == group.id, Membership.status == MembershipStatus.MEMBER
            )
            plain = plain.where(col(Member.id).in_(member_ids) | (col(Member.id) == group.lead_id))
            if group.chat_id is not None:
                extra.append((None, group.chat_id))
        elif kind == "meeting":
            # Those who said they'd come (or maybe), and anyone who checked in.
            meeting = await meetings_service.get(session, audience.get("meeting_id"))
            attending = select(Rsvp.member_id).where(
                Rsvp.meeting_id == meeting.id,
                or_(
                    col(Rsvp.answer).in_([Answer.YES, Answer.MAYBE]),
                    col(Rsvp.checked_in_at).is_not(None),
                ),
            )
            plain = plain.where(col(Member.id).in_(attending))
        elif kind != "everyone":
            raise InvalidInput(N_("This choice is not available."))
        members = list((await session.exec(plain.order_by(col(Member.id)))).all())
    reachable = [(m.id, m.telegram_id) for m in members if m.reachable]
    return reachable + extra, len(members) - len(reachable)


async def create_draft(
    session: AsyncSession,
    author: Member,
    audience: dict[str, Any],
    text: str,
    photo_file_id: str | None = None,
) -> Broadcast:
    await check_allowed(session, author, audience)
    broadcast = Broadcast(
        author_id=author.id,
        audience=audience,
        text=check_text(text, with_photo=photo_file_id is not None),
        photo_file_id=photo_file_id,
    )
    return await save(session, broadcast)


async def get(session: AsyncSession, broadcast_id: int | None) -> Broadcast:
    return await get_or_gone(
        session, Broadcast, broadcast_id, N_("This broadcast no longer exists.")
    )


async def start(session: AsyncSession, broadcast_id: int, author: Member) -> Broadcast:
    """Confirmed: write one row per recipient and mark the broadcast running."""
    broadcast = await get(session, broadcast_id)
    if broadcast.author_id != author.id:
        raise NotAllowed(N_("Only the author can send this broadcast."))
    if broadcast.status != BroadcastStatus.DRAFT:
        raise InvalidInput(N_("This broadcast has already been sent."))
    await check_allowed(session, author, broadcast.audience)
    targets, _unreachable = await recipients(session, broadcast.audience)
    if not targets:
        raise InvalidInput(N_("Nobody would get this message: the audience is empty."))
    for member_id, chat_id in targets:
        session.add(
            BroadcastRecipient(broadcast_id=broadcast.id, member_id=member_id, chat_id=chat_id)  # type: ignore[arg-type]
        )
    set_running(session, broadcast, len(targets))
    await record(
        session,
        author,
        "broadcast.start",
        f"broadcast:{broadcast.id}",
        audience=broadcast.audience,
        recipients=len(targets),
    )
    await session.flush()
    return broadcast


def set_running(session: AsyncSession, broadcast: Broadcast, total: int) -> None:
    """Its recipient rows are written: the outbox (bot/broadcasting.py) may send it."""
    broadcast.total = total
    broadcast.status = BroadcastStatus.RUNNING
    broadcast.started_at = utcnow()
    session.add(broadcast)


async def discard(session: AsyncSession, broadcast_id: int, author: Member) -> None:
    broadcast = await get(session, broadcast_id)
    if broadcast.author_id != author.id or broadcast.status != BroadcastStatus.DRAFT:
        raise NotAllowed(N_("This broadcast has already been sent."))
    await session.delete(broadcast)


# --- the recipient state machine (each call is one transaction of its own) ---------------


async def pending_batch(
    session: AsyncSession, broadcast_id: int, limit: int
) -> list[tuple[int, int]]:
    """(recipient id, chat id) of the next recipients not tried yet."""
    rows = await session.exec(
        select(BroadcastRecipient.id, BroadcastRecipient.chat_id)
        .where(
            BroadcastRecipient.broadcast_id == broadcast_id,
            BroadcastRecipient.state == RecipientState.PENDING,
        )
        .order_by(col(BroadcastRecipient.id))
        .limit(limit)
    )
    return [(rid, chat) for rid, chat in rows.all() if rid is not None]


async def recipient_languages(session: AsyncSession, chat_ids: list[int]) -> dict[int, str]:
    """chat id -> the stored language of the member behind it (linked chats: none)."""
    if not chat_ids:
        return {}
    rows = await session.exec(
        select(Member.telegram_id, Member.language).where(
            col(Member.telegram_id).in_(chat_ids), col(Member.language).is_not(None)
        )
    )
    return {telegram_id: language for telegram_id, language in rows.all() if language}


async def audience_group(session: AsyncSession, broadcast: Broadcast) -> Group | None:
    """The group a broadcast goes to (its name heads the message), if any."""
    audience = broadcast.audience or {}
    if audience.get("kind") != "group" or not audience.get("group_id"):
        return None
    return await session.get(Group, int(audience["group_id"]))


async def claim(session: AsyncSession, recipient_id: int) -> bool:
    """pending -> sending; False if someone (or something) else already took the row."""
    result = await session.exec(
        update(BroadcastRecipient)
        .where(
            col(BroadcastRecipient.id) == recipient_id,
            col(BroadcastRecipient.state) == RecipientState.PENDING,
        )
        .values(
            state=RecipientState.SENDING,
            attempts=BroadcastRecipient.attempts + 1,
            claimed_at=utcnow(),
        )
    )
    return bool(result.rowcount)


async def settle(
    session: AsyncSession,
    recipient_id: int,
    state: RecipientState,
    *,
    error: str | None = None,
    message_id: int | None = None,
) -> None:
    """sending -> a final state, or back to pending when Telegram certainly got nothing."""
    values: dict[str, Any] = {"state": state, "error": error[:200] if error else None}
    if message_id is not None:
        values["message_id"] = message_id
    if state != RecipientState.PENDING:
        values["finished_at"] = utcnow()
    await session.exec(
        update(BroadcastRecipient)
        .where(
            col(BroadcastRecipient.id) == recipient_id,
            col(BroadcastRecipient.state) == RecipientState.SENDING,
        )
        .values(**values)
    )


async def recover_in_flight(session: AsyncSession) -> dict[int, int]:
    """At start-up: rows left `sending` by a dead process become `uncertain`, never resent.

    Returns {broadcast id: rows marked}. Only call this when no delivery loop is running.
    """
    rows = await session.exec(
        select(BroadcastRecipient.broadcast_id, func.count())
        .where(BroadcastRecipient.state == RecipientState.SENDING)
        .group_by(col(BroadcastRecipient.broadcast_id))
    )
    found = {bid: n for bid, n in rows.all()}
    if found:
        await session.exec(
            update(BroadcastRecipient)
            .where(col(BroadcastRecipient.state) == RecipientState.SENDING)
            .values(
                state=RecipientState.UNCERTAIN,
                error="in flight when the bot stopped",
                finished_at=utcnow(),
            )
        )
    return found


@dataclass(frozen=True)
class Progress:
    total: int
    pending: int
    sending: int
    sent: int
    blocked: int
    failed: int
    uncertain: int

    @property
    def done(self) -> int:
        return self.sent + self.blocked + self.failed + self.uncertain


async def progress(session: AsyncSession, broadcast_id: int) -> Progress:
    rows = await session.exec(
        select(BroadcastRecipient.state, func.count())
        .where(BroadcastRecipient.broadcast_id == broadcast_id)
        .group_by(col(BroadcastRecipient.state))
    )
    counts = {state: n for state, n in rows.all()}
    return Progress(
        total=sum(counts.values()),
        pending=counts.get(RecipientState.PENDING, 0),
        sending=counts.get(RecipientState.SENDING, 0),
        sent=counts.get(RecipientState.SENT, 0),
        blocked=counts.get(RecipientState.BLOCKED, 0),
        failed=counts.get(RecipientState.FAILED, 0),
        uncertain=counts.get(RecipientState.UNCERTAIN, 0),
    )


async def unfinished_ids(session: AsyncSession) -> list[int]:
    """Broadcasts running, or stopped without a report yet (the process died first)."""
    rows = await session.exec(
        select(Broadcast.id).where(
            or_(
                col(Broadcast.status) == BroadcastStatus.RUNNING,
                and_(
                    col(Broadcast.status) == BroadcastStatus.STOPPED,
                    col(Broadcast.reported_at).is_(None),
                ),
            )
        )
    )
    return [bid for bid in rows.all() if bid is not None]


async def is_running(session: AsyncSession, broadcast_id: int) -> bool:
    status = (
        await session.exec(select(Broadcast.status).where(Broadcast.id == broadcast_id))
    ).first()
    return status == BroadcastStatus.RUNNING


async def visible_running(session: AsyncSession, member: Member) -> list[Broadcast]:
    """Running broadcasts this member may watch: all for coordinators, own for leads."""
    query = select(Broadcast).where(Broadcast.status == BroadcastStatus.RUNNING)
    if member.role != Role.COORDINATOR:
        query = query.where(Broadcast.author_id == member.id)
    return list((await session.exec(query.order_by(col(Broadcast.id)))).all())


async def recent_finished(session: AsyncSession, member: Member, limit: int = 5) -> list[Broadcast]:
    """The latest finished (done or stopped) broadcasts: all for coordinators, own for leads."""
    query = select(Broadcast).where(col(Broadcast.reported_at).is_not(None))
    if member.role != Role.COORDINATOR:
        query = query.where(Broadcast.author_id == member.id)
    return list((await session.exec(query.order_by(col(Broadcast.id).desc()).limit(limit))).all())


async def may_stop(session: AsyncSession, broadcast_id: int, actor: Member) -> Broadcast:
    """The broadcast, if the actor may stop it (its author or a coordinator)."""
    broadcast = await get(session, broadcast_id)
    if actor.role != Role.COORDINATOR and broadcast.author_id != actor.id:
        raise NotAllowed(N_("Only the author or a coordinator can stop this broadcast."))
    return broadcast


async def stop(session: AsyncSession, broadcast_id: int, actor: Member) -> Broadcast:
    """Nobody not yet reached gets it; what is already in flight finishes."""
    broadcast = await may_stop(session, broadcast_id, actor)
    if broadcast.status != BroadcastStatus.RUNNING:
        raise InvalidInput(N_("This broadcast is not running any more."))
    broadcast.status = BroadcastStatus.STOPPED
    session.add(broadcast)
    await record(session, actor, "broadcast.stop", f"broadcast:{broadcast.id}")
    await session.flush()
    return broadcast


async def finish(session: AsyncSession, broadcast_id: int) -> Broadcast | None:
    """Close a broadcast with nothing left to send; returns it once, for the one report.

    A running broadcast becomes done when no row is pending or sending; a stopped one
    when no row is sending. `reported_at` is set here so the report goes out only once.
    """
    broadcast = await session.get(Broadcast, broadcast_id)
    if broadcast is None or broadcast.reported_at is not None:
        return None
    counts = await progress(session, broadcast_id)
    if counts.sending or (broadcast.status == BroadcastStatus.RUNNING and counts.pending):
        return None
    if broadcast.status == BroadcastStatus.RUNNING:
        broadcast.status = BroadcastStatus.DONE
    elif broadcast.status != BroadcastStatus.STOPPED:
        return None
    broadcast.sent, broadcast.blocked = counts.sent, counts.blocked
    broadcast.failed, broadcast.uncertain = counts.failed, counts.uncertain
    broadcast.finished_at = broadcast.reported_at = utcnow()
    return await save(session, broadcast)


async def uncertain_members(session: AsyncSession, broadcast_id: int) -> list[Member]:
    rows = await session.exec(
        select(Member)
        .join(BroadcastRecipient, col(BroadcastRecipient.member_id) == col(Member.id))
        .where(
            BroadcastRecipient.broadcast_id == broadcast_id,
            BroadcastRecipient.state == RecipientState.UNCERTAIN,
        )
        .order_by(col(Member.display_name))
    )
    return list(rows.all())


async def unreachable_members(session: AsyncSession) -> list[tuple[Member, str | None]]:
    """Registered members who blocked the bot, with their volunteer phone if they gave one."""
    rows = await session.exec(
        select(Member, Volunteer.phone)
        .join(Volunteer, col(Volunteer.member_id) == col(Member.id), isouter=True)
        .where(Member.reachable == False, col(Member.consent_at).is_not(None))  # noqa: E712
        .order_by(col(Member.display_name))
    )
    return [(m, phone) for m, phone in rows.all()]
