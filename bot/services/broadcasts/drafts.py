"""Writing a broadcast: its audience and who is in it, the text, the draft, starting and
stopping it, and the lists the /broadcast screen shows."""

from __future__ import annotations

import html
import re
from collections.abc import Callable, Mapping
from typing import Any

from sqlalchemy import or_
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
    Role,
    Rsvp,
    Volunteer,
    utcnow,
)

__all__ = [
    "AUDIENCES",
    "CAPTION_MAX",
    "HEADER_RESERVE",
    "TEXT_MAX",
    "Audience",
    "as_html",
    "audience_group",
    "audience_spec",
    "audience_words",
    "check_allowed",
    "check_text",
    "create_draft",
    "discard",
    "get",
    "may_stop",
    "recent_finished",
    "recipients",
    "set_running",
    "start",
    "stop",
    "unreachable_members",
    "visible_running",
]

# Telegram's limits (4096 / 1024) less the room for the header every recipient sees above
# the text (bot/broadcasting.py `header`).
HEADER_RESERVE = 120
TEXT_MAX = 4096 - HEADER_RESERVE
CAPTION_MAX = 1024 - HEADER_RESERVE
AUDIENCES = ("everyone", "leaders", "group", "volunteers", "meeting")
# An audience spec: {"kind": one of AUDIENCES, and what narrows it (group_id, street...)}.
Audience = dict[str, Any]


def audience_spec(kind: str, **params: Any) -> Audience:
    if kind not in AUDIENCES:
        raise InvalidInput(N_("This choice is not available."))
    return {"kind": kind, **{k: v for k, v in params.items() if v is not None}}


def audience_words(
    spec: Audience,
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


async def _group_for(session: AsyncSession, audience: Audience) -> Group | None:
    if audience.get("kind") == "meeting":
        meeting = await meetings_service.get(session, audience.get("meeting_id"))
        return await meetings_service.group_of(session, meeting)
    if audience.get("kind") != "group":
        return None
    return await groups_service.get_active(session, audience.get("group_id"))


async def audience_group(session: AsyncSession, broadcast: Broadcast) -> Group | None:
    """The group a broadcast goes to (its name heads the message), if any."""
    audience = broadcast.audience or {}
    if audience.get("kind") != "group" or not audience.get("group_id"):
        return None
    return await session.get(Group, int(audience["group_id"]))


async def check_allowed(session: AsyncSession, author: Member, audience: Audience) -> None:
    """Coordinators broadcast to anyone; a group's lead only to that group."""
    group = await _group_for(session, audience)
    if not can(author, Action.BROADCAST, group):
        raise NotAllowed(N_("You may send messages only to the groups you lead."))


async def recipients(
    session: AsyncSession, audience: Audience
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
    session: AsyncSession, author: Member, audience: Audience, text: str, photo: str | None = None
) -> Broadcast:
    """A draft of `text` (Telegram HTML) for `audience`; `photo`: a Telegram file id."""
    await check_allowed(session, author, audience)
    broadcast = Broadcast(
        author_id=author.id,
        audience=audience,
        text=check_text(text, with_photo=photo is not None),
        photo_file_id=photo,
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


async def unreachable_members(session: AsyncSession) -> list[tuple[Member, str | None]]:
    """Registered members who blocked the bot, with their volunteer phone if they gave one."""
    rows = await session.exec(
        select(Member, Volunteer.phone)
        .join(Volunteer, col(Volunteer.member_id) == col(Member.id), isouter=True)
        .where(Member.reachable == False, col(Member.consent_at).is_not(None))  # noqa: E712
        .order_by(col(Member.display_name))
    )
    return [(m, phone) for m, phone in rows.all()]
