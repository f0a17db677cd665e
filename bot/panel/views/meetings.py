"""Meetings: a month's calendar with each meeting's answers and attendance, and one
meeting's page (the names for those who manage it, as the chat's attendance list, and the
list as a file: bot/panel/downloads.py)."""

from __future__ import annotations

import calendar
from collections.abc import Mapping
from datetime import date, datetime, timedelta
from typing import Any

from sqlmodel.ext.asyncio.session import AsyncSession

from bot.i18n import format_date, format_time, local, timezone, weekday_name
from bot.i18n import gettext as _
from bot.panel import queries
from bot.panel.views.common import Forbidden, PageRequest, answer_names, group_name
from bot.services import meetings as meetings_service
from bot.services.errors import DomainError
from bot.services.permissions import Action, can
from models import Answer, Meeting, utcnow


def _month(params: Mapping[str, str]) -> date:
    value = params.get("month", "")
    try:
        year, month = (int(part) for part in value.split("-"))
        return date(year, month, 1)
    except ValueError:
        today = local(utcnow()).date()
        return today.replace(day=1)


def _when(meeting: Meeting | queries.MeetingRow) -> str:
    return (
        f"{format_date(meeting.starts_at, 'EEE d MMM')}, "
        f"{format_time(meeting.starts_at)}–{format_time(meeting.ends_at)}"
    )


async def calendar_page(session: AsyncSession, ask: PageRequest) -> dict[str, Any]:
    first = _month(ask.params)
    after = (first + timedelta(days=32)).replace(day=1)
    before = (first - timedelta(days=1)).replace(day=1)
    zone = timezone()
    start = datetime(first.year, first.month, 1, tzinfo=zone)
    end = datetime(after.year, after.month, 1, tzinfo=zone)
    found = await queries.month_meetings(session, ask.viewer.member, start, end)
    by_day: dict[int, list[tuple[str, str, bool]]] = {}
    for item in found:
        day = local(item.meeting.starts_at).day
        by_day.setdefault(day, []).append(
            (format_time(item.meeting.starts_at), item.meeting.topic, item.meeting.is_cancelled)
        )
    names = answer_names()
    today = local(utcnow()).date()
    return {
        "title": format_date(first, "LLLL yyyy"),
        "previous": before.strftime("%Y-%m"),
        "next": after.strftime("%Y-%m"),
        "weekdays": [weekday_name(date(2024, 1, 1) + timedelta(days=i), "short") for i in range(7)],
        "weeks": calendar.Calendar(firstweekday=0).monthdayscalendar(first.year, first.month),
        "today": today.day if (today.year, today.month) == (first.year, first.month) else None,
        "by_day": by_day,
        "items": [
            {
                "id": item.meeting.id,
                "when": _when(item.meeting),
                "topic": item.meeting.topic,
                "group": group_name(item.group),
                "place": item.meeting.place,
                "cancelled": item.meeting.is_cancelled,
                "counts": [(label, item.counts.get(answer, 0)) for answer, label in names.items()],
                "present": item.present,
                "mine": names.get(Answer(item.mine)) if item.mine else None,
            }
            for item in found
        ],
    }


async def page(session: AsyncSession, ask: PageRequest) -> dict[str, Any]:
    """One meeting: its answers and attendance; the names for those who manage it (the
    group's lead, coordinators), as the chat's attendance list."""
    member = ask.viewer.member
    try:
        found = await meetings_service.get_visible(session, member, ask.number("id"))
    except DomainError as error:
        raise Forbidden(_(error.message).format(**error.params)) from None
    assert found.id is not None and member.id is not None
    group = await meetings_service.group_of(session, found)
    answers = await queries.meeting_answers(session, found.id)
    names = answer_names()
    manages = can(member, Action.MANAGE_MEETING, group)
    counts = {a: sum(1 for _n, answer, _t in answers if answer == a) for a in names}
    mine = await meetings_service.my_answer(session, found.id, member.id)
    # The files of the chat's roster (XLSX) and meeting card (PDF): for the same people,
    # and like the card's buttons not for a cancelled meeting.
    files = manages and not found.is_cancelled
    return {
        "meeting": {
            "id": found.id,
            "when": _when(found),
            "topic": found.topic,
            "group": group_name(group),
            "place": found.place,
            "agenda": found.agenda,
            "cancelled": found.is_cancelled,
            "month": local(found.starts_at).strftime("%Y-%m"),
        },
        "counts": [(names[a], counts[a]) for a in names],
        "present": sum(1 for _n, _a, there in answers if there),
        "answers": [(name, names.get(answer, answer), there) for name, answer, there in answers]
        if manages
        else [],
        "mine": names.get(mine.answer) if mine else None,
        "downloads": [
            ("attendance", _("Attendance list (XLSX)")),
            ("attendance-pdf", _("Attendance list (PDF)")),
        ]
        if files
        else [],
    }
