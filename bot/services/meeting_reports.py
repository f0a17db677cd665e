"""Meetings in the reports: export sheets, statistics, a digest section, /mydata labels.

Loaded through ``bot/services/report_extensions.py``; it only registers, it changes nothing.
"Held" means not cancelled and already over; "invited" means the group's registered members
who had joined before the start, its lead, and anyone else who answered or checked in.
"""

from __future__ import annotations

from collections import Counter
from datetime import datetime, timedelta
from html import escape
from typing import Any

from sqlalchemy import and_, case, func, union
from sqlalchemy import select as core_select
from sqlalchemy.engine import Row
from sqlalchemy.sql import ColumnElement, Select
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.i18n import N_, current_language, format_date, format_datetime, local, ngettext
from bot.i18n import gettext as _
from bot.services import core_sheets as core
from bot.services import meetings as meetings_service
from bot.services.digest import DigestPeriod, register_section
from bot.services.sheet_spec import EXCLUDED_TABLES, ExportColumn, Join, join, sheet, table
from bot.services.stats import Points, register_series
from models import Answer, Group, Meeting, MeetingStatus, Member, MembershipStatus, Rsvp, utcnow

_meetings, _answers = table("meetings"), table("meeting_answers")
_erased = table("meeting_anonymous_attendance")  # answers of people who erased their data
_items, _memberships = table("meeting_action_items"), table("memberships")
_polls, _options, _votes = map(
    table, ("meeting_date_polls", "meeting_date_poll_options", "meeting_date_poll_votes")
)
_invitations = table("meeting_invitations")  # invited beyond the group (services/invitations)

# Who got which reminder: bookkeeping with Telegram chat ids, nothing a funder reads.
EXCLUDED_TABLES.add("meeting_reminders_sent")
EXCLUDED_TABLES.add("meeting_cards_sent")  # the invitation cards sent, to edit them: the same

ANSWER_NAMES: dict[str, str] = {
    Answer.YES: N_("coming"),
    Answer.MAYBE: N_("maybe"),
    Answer.NO: N_("not coming"),
    Answer.WAITING: N_("on the waiting list"),
}
POLL_STATUS_NAMES: dict[str, str] = {
    "open": N_("open"),
    "decided": N_("time chosen"),
    "cancelled": N_("closed without a date"),
}
# /mydata: the person's own rows, named for them. Keys are a table, or table.column where
# the column is not member_id (see privacy.personal_data).
MYDATA_LABELS = {
    "meeting_answers": N_("Your answers to meeting invitations"),
    "meeting_answers.marked_by_id": N_("Attendance you marked at meetings"),
    "meeting_reminders_sent": N_("Meeting reminders sent to you"),
    "meeting_cards_sent": N_("Meeting invitations sent to you"),
    "meeting_action_items.owner_id": N_("Tasks from meetings given to you"),
    "meeting_date_poll_votes": N_("Your votes in date polls"),
    "meeting_invitations": N_("Meeting invitations sent to you beyond your groups"),
    "meetings.created_by_id": N_("Meetings you scheduled"),
    "meeting_date_polls.created_by_id": N_("Date polls you started"),
}


def _invited_through(row: Row[Any]) -> str | None:
    from bot.services.invitations import audience_text, spec_of

    return audience_text(spec_of(row.invited_through)) if row.invited_through else None


def _status(row: Row[Any]) -> str:
    if row.status == MeetingStatus.CANCELLED:
        return _("cancelled")
    return _("held") if row.ends_at <= utcnow() else _("planned")


def _count(rows: Any, *where: ColumnElement[bool]) -> Select[Any]:
    return core_select(func.count()).select_from(rows).where(*where)


def _checked_in(rows: Any) -> Select[Any]:
    return _count(rows, rows.c.meeting_id == _meetings.c.id, rows.c.checked_in_at.is_not(None))


def _waiting_place() -> ColumnElement[Any]:
    """The place in the queue, as the person was told it (waiting_position in the service)."""
    ahead = _answers.alias("ahead")
    place = _count(
        ahead,
        ahead.c.meeting_id == _answers.c.meeting_id,
        ahead.c.answer == Answer.WAITING,
        ahead.c.position <= _answers.c.position,
    ).scalar_subquery()
    return case((_answers.c.answer == Answer.WAITING, place), else_=None).label("waiting_place")


def _meeting(key: ColumnElement[Any]) -> Join:
    return join(_meetings, key, _meetings.c.topic, _meetings.c.starts_at, inner=True)


C = ExportColumn
TOPIC = C(N_("Topic"), "topic", 40)
MEETING = C(N_("Meeting"), "topic", 40)
ANSWER = C(N_("Answer"), "answer", 16, ANSWER_NAMES)
CHECKED_IN_AT = C(N_("Checked in at"), "checked_in_at", 18)
POLL_NO = C(N_("Poll no."), "poll_id", 8)
TIME = C(N_("Time"), "starts_at", 18)
_erased_in = _checked_in(_erased).scalar_subquery()
sheet(
    N_("Meetings"),
    _meetings,
    core.NUMBER,
    core.GROUP,
    TOPIC,
    core.AREA,
    core.STARTS,
    C(N_("Ends"), "ends_at", 18),
    core.PLACE,
    C(N_("Places"), "capacity", 8),
    core.OPEN,
    C(N_("Status"), _status, 12),
    C(N_("Checked in"), "checked_in", 10),
    C(N_("Of them erased their data"), "erased_checked_in", 10),
    core.CREATED_BY,
    C(N_("Summary"), "summary", 60),
    fields=(
        _meetings,
        (_checked_in(_answers).scalar_subquery() + _erased_in).label("checked_in"),
        _erased_in.label("erased_checked_in"),
    ),
    joins=(
        core.group(_meetings.c.group_id, inner=True),
        core.area(_meetings.c.area_id),
        core.person(_meetings.c.created_by_id, "creator_name"),
    ),
    order_by=(_meetings.c.starts_at, _meetings.c.id),
)
sheet(
    N_("Answers and attendance"),
    _answers,
    core.MEETING_NO,
    MEETING,
    core.STARTS,
    core.FULL_NAME,
    core.INSTITUTION,
    ANSWER,
    C(N_("Place on the waiting list"), "waiting_place", 10),
    C(N_("Answered"), "answered_at", 18),
    CHECKED_IN_AT,
    C(N_("Invitation sent to"), _invited_through, 30),
    fields=(_answers, _waiting_place()),
    joins=(
        _meeting(_answers.c.meeting_id),
        core.person(_answers.c.member_id, "member_name", core.MEMBERS.c.institution, inner=True),
        Join(
            _invitations,
            (_invitations.c.meeting_id == _answers.c.meeting_id)
            & (_invitations.c.member_id == _answers.c.member_id),
            (_invitations.c.audience.label("invited_through"),),
        ),
    ),
    order_by=(_meetings.c.starts_at, _answers.c.meeting_id, core.MEMBERS.c.display_name),
)
sheet(
    N_("Attendance of erased people"),
    _erased,
    core.MEETING_NO,
    MEETING,
    core.STARTS,
    ANSWER,
    CHECKED_IN_AT,
    joins=(_meeting(_erased.c.meeting_id),),
    order_by=(_meetings.c.starts_at, _erased.c.meeting_id, _erased.c.id),
)
sheet(
    N_("Action items"),
    _items,
    core.MEETING_NO,
    MEETING,
    C(N_("Task"), "text", 50),
    C(N_("Owner"), "owner_name", 24),
    C(N_("Due"), "due_on", 12),
    C(N_("Done on"), "done_at", 18),
    joins=(_meeting(_items.c.meeting_id), core.person(_items.c.owner_id, "owner_name")),
    order_by=(_meetings.c.starts_at, _items.c.id),
)
sheet(
    N_("Date polls"),
    _polls,
    core.NUMBER,
    core.GROUP,
    TOPIC,
    core.PLACE,
    C(N_("Status"), "status", 14, POLL_STATUS_NAMES),
    core.MEETING_NO,
    core.CREATED_BY,
    core.CREATED,
    joins=(
        core.group(_polls.c.group_id, inner=True),
        core.person(_polls.c.created_by_id, "creator_name"),
    ),
)
sheet(
    N_("Date poll options"),
    _options,
    POLL_NO,
    TOPIC,
    TIME,
    C(N_("Votes"), "votes", 8),
    fields=(_options, _count(_votes, _votes.c.option_id == _options.c.id).label("votes")),
    joins=(join(_polls, _options.c.poll_id, _polls.c.topic, inner=True),),
    order_by=(_options.c.poll_id, _options.c.starts_at),
)
sheet(
    N_("Date poll votes"),
    _votes,
    POLL_NO,
    TIME,
    core.FULL_NAME,
    joins=(
        join(_options, _votes.c.option_id, _options.c.poll_id, _options.c.starts_at, inner=True),
        core.person(_votes.c.member_id, "member_name", inner=True),
    ),
    order_by=(_options.c.poll_id, _options.c.starts_at, core.MEMBERS.c.display_name),
)


# --- statistics -----------------------------------------------------------------------


def _held(now: datetime) -> ColumnElement[bool]:
    return and_(_meetings.c.status != MeetingStatus.CANCELLED, _meetings.c.ends_at <= now)


async def held_per_group(session: AsyncSession, now: datetime) -> dict[int, int]:
    rows = await session.exec(  # type: ignore[call-overload]
        core_select(_meetings.c.group_id, func.count())
        .where(_held(now))
        .group_by(_meetings.c.group_id)
    )
    return dict(rows.all())


async def attendance_per_group(session: AsyncSession, now: datetime) -> dict[int, tuple[int, int]]:
    """group id -> (attended, invited), summed over the group's held meetings."""
    members_before = (
        core_select(_meetings.c.id.label("meeting_id"), _memberships.c.member_id)
        .join(_memberships, _memberships.c.group_id == _meetings.c.group_id)
        .join(core.MEMBERS, core.MEMBERS.c.id == _memberships.c.member_id)
        .where(
            _held(now),
            _memberships.c.status == MembershipStatus.MEMBER,
            _memberships.c.joined_at <= _meetings.c.starts_at,
            core.MEMBERS.c.consent_at.is_not(None),
        )
    )
    leads = (
        core_select(_meetings.c.id.label("meeting_id"), core.GROUPS.c.lead_id.label("member_id"))
        .join(core.GROUPS, core.GROUPS.c.id == _meetings.c.group_id)
        .where(_held(now), core.GROUPS.c.lead_id.is_not(None))
    )
    answered = (
        core_select(_answers.c.meeting_id, _answers.c.member_id)
        .join(_meetings, _meetings.c.id == _answers.c.meeting_id)
        .where(_held(now))
    )
    # Each erased person's answer stands for one more person (a negative id never clashes).
    erased = (
        core_select(_erased.c.meeting_id, (-_erased.c.id).label("member_id"))
        .join(_meetings, _meetings.c.id == _erased.c.meeting_id)
        .where(_held(now))
    )
    invited = union(members_before, leads, answered, erased).subquery()  # drops duplicates
    attended = Counter[int]()
    for checked in (_answers, _erased):
        where = (_held(now), checked.c.checked_in_at.is_not(None))
        attended.update(await _per_group(session, checked, *where))
    invitees = await _per_group(session, invited)
    return {group: (attended[group], count) for group, count in invitees.items()}


async def _per_group(session: AsyncSession, rows: Any, *where: Any) -> dict[int, int]:
    """group id -> how many of `rows` (that have a meeting_id) are about its meetings."""
    found = await session.exec(  # type: ignore[call-overload]
        core_select(_meetings.c.group_id, func.count())
        .select_from(rows)
        .join(_meetings, _meetings.c.id == rows.c.meeting_id)
        .where(*where)
        .group_by(_meetings.c.group_id)
    )
    return dict(found.all())


async def _group_names(session: AsyncSession, ids: set[int]) -> list[tuple[int, str]]:
    """The groups' names in the current language, in the order /stats lists groups."""
    rows = await session.exec(
        select(Group)
        .where(col(Group.id).in_(ids))
        .order_by(col(Group.kind).desc(), col(Group.position), col(Group.name))
    )
    language = current_language()
    return [(group.id, group.display_name(language)) for group in rows.all()]  # type: ignore[misc]


@register_series(N_("Meetings held per group"), order=60)
async def meetings_held(session: AsyncSession) -> Points:
    counts = await held_per_group(session, utcnow())
    return [(name, counts[gid]) for gid, name in await _group_names(session, set(counts))]


def _percent(attended: int, invited: int) -> int:
    return round(100 * attended / invited) if invited else 0


@register_series(N_("Invited who attended, %"), order=61)
async def attendance_share(session: AsyncSession) -> Points:
    """Overall first, then per group; the label carries the counts behind the percentage."""
    shares = await attendance_per_group(session, utcnow())
    if not shares:
        return []
    attended = sum(a for a, _i in shares.values())
    invited = sum(i for _a, i in shares.values())
    points = [(f"{_('All groups')} ({attended}/{invited})", _percent(attended, invited))]
    for gid, name in await _group_names(session, set(shares)):
        came, asked = shares[gid]
        points.append((f"{name} ({came}/{asked})", _percent(came, asked)))
    return points


# --- digest ---------------------------------------------------------------------------

DIGEST_LIMIT = 10
AHEAD = timedelta(days=7)


def _more(lines: list[str], total: int) -> None:
    if total > DIGEST_LIMIT:
        more = total - DIGEST_LIMIT
        lines.append(ngettext("…and {n} more", "…and {n} more", more).format(n=more))


@register_section(order=30)
async def meetings_ahead(session: AsyncSession, member: Member, period: DigestPeriod) -> str | None:
    """The member's meetings in the coming week and the tasks they still owe."""
    group_ids = await meetings_service.my_group_ids(session, member)
    answered = select(Rsvp.meeting_id).where(
        Rsvp.member_id == member.id, col(Rsvp.answer) != Answer.NO
    )
    meetings = (
        await session.exec(
            select(Meeting, Group)
            .join(Group, col(Group.id) == Meeting.group_id)
            .where(
                Meeting.status == MeetingStatus.SCHEDULED,
                col(Meeting.starts_at) >= period.end,
                col(Meeting.starts_at) < period.end + AHEAD,
                col(Meeting.group_id).in_(group_ids) | col(Meeting.id).in_(answered),
            )
            .order_by(col(Meeting.starts_at))
        )
    ).all()
    items = await meetings_service.my_open_items(session, member)
    if not meetings and not items:
        return None
    language = current_language()
    blocks = []
    if meetings:
        lines = ["<b>" + escape(_("Your meetings in the coming week")) + "</b>"]
        for meeting, group in meetings[:DIGEST_LIMIT]:
            lines.append(
                f"• {format_datetime(meeting.starts_at, 'short_day')} — {escape(meeting.topic)}"
                f" ({escape(group.display_name(language))}), {escape(meeting.place)}"
            )
        _more(lines, len(meetings))
        blocks.append("\n".join(lines))
    if items:
        today = local(period.end).date()
        lines = ["<b>" + escape(_("Your open tasks from meetings")) + "</b>"]
        for item in items[:DIGEST_LIMIT]:
            due = _("due {day}").format(day=format_date(item.due_on))
            late = " ⚠️" if item.due_on < today else ""
            lines.append(f"• {escape(item.text)} — {escape(due)}{late}")
        _more(lines, len(items))
        blocks.append("\n".join(lines))
    blocks[-1] += "\n" + escape(_("See them all with /meetings."))
    return "\n\n".join(blocks)
