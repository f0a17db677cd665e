"""The weekly digest for leaders: who gets it, what it says, and that it goes once a week.

Content comes from sections: a feature adds one with ``@register_section(order=...)`` on an
``async def section(session, member, period) -> str | None`` that returns an HTML block in
the current language (already set to the recipient's), or None when it has nothing to say.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from html import escape

from sqlalchemy.exc import IntegrityError
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.db import Database
from bot.i18n import format_date, local, ngettext, resolve_language, timezone, use_language
from bot.i18n import gettext as _
from bot.services.rows import save
from models import DigestSend, Group, Member, Membership, MembershipStatus, Role

SEND_AT = time(8, 0)  # Monday, in BOT_TIMEZONE
MONDAY = 0  # datetime.weekday()


@dataclass(frozen=True)
class DigestPeriod:
    start: datetime  # the week the digest looks back on (UTC-aware)
    end: datetime
    week: str  # ISO week of `end` in BOT_TIMEZONE, e.g. "2026-W48": the once-only key


Section = Callable[[AsyncSession, Member, DigestPeriod], Awaitable[str | None]]
SECTIONS: list[tuple[int, Section]] = []


def register_section(order: int = 100) -> Callable[[Section], Section]:
    def decorator(section: Section) -> Section:
        SECTIONS[:] = [(o, s) for o, s in SECTIONS if s.__qualname__ != section.__qualname__]
        SECTIONS.append((order, section))
        SECTIONS.sort(key=lambda item: item[0])
        return section

    return decorator


def week_key(moment: datetime) -> str:
    year, week, _day = local(moment).isocalendar()
    return f"{year}-W{week:02d}"


def period_for(now: datetime) -> DigestPeriod:
    return DigestPeriod(start=now - timedelta(days=7), end=now, week=week_key(now))


def is_due(now: datetime) -> bool:
    """Monday from 08:00 until midnight in BOT_TIMEZONE: late digests go out only then."""
    moment = local(now)
    return moment.weekday() == MONDAY and moment.time() >= SEND_AT


def next_send(now: datetime) -> datetime:
    """The next Monday 08:00 in BOT_TIMEZONE after `now`."""
    moment = local(now)
    days = (MONDAY - moment.weekday()) % 7
    candidate = datetime.combine(moment.date() + timedelta(days=days), SEND_AT, timezone())
    return candidate if candidate > moment else candidate + timedelta(days=7)


async def recipients(session: AsyncSession) -> list[Member]:
    """Leaders (and leads, coordinators) who are registered, reachable and did not opt out."""
    rows = await session.exec(
        select(Member)
        .where(
            col(Member.role).in_([Role.LEADER, Role.LEAD, Role.COORDINATOR]),
            col(Member.consent_at).is_not(None),
            col(Member.display_name).is_not(None),
            col(Member.reachable).is_(True),
            col(Member.digest_opt_out).is_(False),
        )
        .order_by(col(Member.id))
    )
    return list(rows.all())


async def already_sent(session: AsyncSession, week: str) -> set[int]:
    rows = await session.exec(select(DigestSend.member_id).where(DigestSend.week == week))
    return set(rows.all())


async def compose(session: AsyncSession, member: Member, period: DigestPeriod) -> str | None:
    """The digest in the member's language; None when no section has anything to say."""
    from bot.services.report_extensions import load_extensions

    load_extensions()
    with use_language(resolve_language(member.language, None)):
        blocks = []
        for _order, section in SECTIONS:
            block = await section(session, member, period)
            if block:
                blocks.append(block)
        if not blocks:
            return None
        title = _("Your weekly digest, {date}").format(date=format_date(period.end, "long"))
        return "\n\n".join(["<b>" + escape(title) + "</b>", *blocks])


async def claim(db: Database, member_id: int, week: str) -> bool:
    """Record the send before sending: False if this member's digest for the week went."""
    try:
        async with db.session() as session:
            session.add(DigestSend(member_id=member_id, week=week))
    except IntegrityError:
        return False
    return True


async def set_opt_out(session: AsyncSession, member: Member, opt_out: bool) -> Member:
    member.digest_opt_out = opt_out
    return await save(session, member)


# --- the core section ----------------------------------------------------------------------


@register_section(order=10)
async def your_groups(session: AsyncSession, member: Member, period: DigestPeriod) -> str | None:
    """The member's groups with their size and who joined this week."""
    from bot.i18n import current_language

    language = current_language()
    groups = (
        await session.exec(
            select(Group)
            .join(Membership, col(Membership.group_id) == Group.id)
            .where(
                Membership.member_id == member.id,
                Membership.status == MembershipStatus.MEMBER,
                col(Group.archived_at).is_(None),
            )
            .order_by(col(Group.kind).desc(), col(Group.position), col(Group.name))
        )
    ).all()
    if not groups:
        return None
    lines = ["<b>" + escape(_("Your groups")) + "</b>"]
    for group in groups:
        rows = (
            await session.exec(
                select(Member.id, Member.display_name, Membership.joined_at)
                .join(Membership, col(Membership.member_id) == Member.id)
                .where(
                    Membership.group_id == group.id,
                    Membership.status == MembershipStatus.MEMBER,
                )
            )
        ).all()
        newcomers = [
            name
            for member_id, name, joined in rows
            if name and period.start <= joined < period.end and member_id != member.id
        ]
        line = "• " + escape(group.display_name(language)) + " — "
        line += ngettext("{n} member", "{n} members", len(rows)).format(n=len(rows))
        if newcomers:
            line += "\n  " + escape(_("New: {names}").format(names=", ".join(sorted(newcomers))))
        lines.append(line)
    return "\n".join(lines)
