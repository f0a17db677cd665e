"""What a meeting looks like in a chat: the card, its buttons, reminders, .ics and XLSX files.

Pure rendering, in the current language: handlers and the reminder jobs (which set the
recipient's language with use_language) share it.
"""

from __future__ import annotations

import io
from collections import Counter
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from babel import dates as babel_dates
from icalendar import Calendar, Event
from openpyxl import Workbook
from openpyxl.styles import Font

from bot.i18n import (
    N_,
    current_language,
    format_date,
    format_datetime,
    format_time,
    ngettext,
)
from bot.i18n import gettext as _
from handlers import keyboards as kb
from handlers.common import esc
from models import (
    ActionItem,
    Answer,
    DatePoll,
    DatePollOption,
    Group,
    Meeting,
    Member,
    ProblemArea,
    Rsvp,
)

F = "mt"  # meetings: answers, cards, attendance, follow-up
P = "mp"  # date polls
# Names of the meeting actions in the audit log (/audit in handlers/reports.py).
AUDIT_LABELS = {
    "meeting.create": N_("meeting scheduled"),
    "meeting.move": N_("meeting moved"),
    "meeting.cancel": N_("meeting cancelled"),
    "meeting.summary": N_("meeting summary written"),
    "meeting.poll": N_("date poll started"),
}


def answer_label(answer: str) -> str:
    labels: dict[str, str] = {
        Answer.YES: _("I'll come"),
        Answer.MAYBE: _("Maybe"),
        Answer.NO: _("I can't"),
        Answer.WAITING: _("waiting list"),
    }
    return labels.get(answer, answer)


def when_text(meeting: Meeting) -> str:
    same_day = format_date(meeting.starts_at) == format_date(meeting.ends_at)
    # 24-hour clock like the start ("short_day" is "EEE d MMM, HH:mm") in every language.
    end = (
        format_time(meeting.ends_at, "HH:mm")
        if same_day
        else format_datetime(meeting.ends_at, "short_day")
    )
    return f"{format_datetime(meeting.starts_at, 'short_day')}–{end}"


def meeting_text(
    meeting: Meeting,
    group: Group,
    area: ProblemArea | None,
    counts: Counter[str],
    *,
    mine: Rsvp | None = None,
    waiting_place: int | None = None,
) -> str:
    language = current_language()
    lines = [
        "📅 <b>" + esc(meeting.topic) + "</b>",
        _("Group: {group}").format(group=esc(group.display_name(language))),
    ]
    if area is not None:
        lines.append(_("Area: {area}").format(area=esc(area.names.get(language) or area.slug)))
    lines.append(_("When: {when}").format(when=when_text(meeting)))
    lines.append(_("Where: {place}").format(place=esc(meeting.place)))
    if meeting.capacity:
        lines.append(
            _("Places: {taken} of {capacity} taken").format(
                taken=counts[Answer.YES], capacity=meeting.capacity
            )
        )
    if meeting.is_open:
        lines.append(_("Open to residents: everyone is welcome."))
    if meeting.agenda:
        lines += ["", "<b>" + _("Agenda") + "</b>", esc(meeting.agenda)]
    tally = f"✅ {counts[Answer.YES]} · ❔ {counts[Answer.MAYBE]} · ❌ {counts[Answer.NO]}" + (
        f" · ⏳ {counts[Answer.WAITING]}" if counts[Answer.WAITING] else ""
    )
    lines += ["", tally]
    if meeting.is_cancelled:
        lines += ["", "❌ <b>" + _("This meeting was cancelled.") + "</b>"]
    elif mine is not None:
        if mine.answer == Answer.WAITING and waiting_place:
            lines.append(_("You are number {n} on the waiting list.").format(n=waiting_place))
        else:
            lines.append(_("Your answer: {answer}").format(answer=answer_label(mine.answer)))
        if mine.checked_in_at is not None:
            lines.append(_("Checked in at {time}.").format(time=format_time(mine.checked_in_at)))
    return "\n".join(lines)


def upcoming_lines(meetings: list[Meeting]) -> list[str]:
    """The "upcoming meetings" section of a group's page."""
    lines = ["", "<b>" + _("Upcoming meetings") + "</b>"]
    lines += [f"📅 {format_datetime(m.starts_at, 'short_day')} — {esc(m.topic)}" for m in meetings]
    return lines


def invitation_rows(meeting: Meeting) -> list[list[kb.InlineKeyboardButton]]:
    mid = meeting.id
    return [
        [
            kb.button("✅ " + _("I'll come"), F, "a", mid, "y"),
            kb.button("❔ " + _("Maybe"), F, "a", mid, "m"),
            kb.button("❌ " + _("I can't"), F, "a", mid, "n"),
        ],
        [kb.button("📆 " + _("Add to calendar (.ics)"), F, "ics", mid)],
    ]


def invitation_keyboard(meeting: Meeting) -> kb.InlineKeyboardMarkup:
    return kb.markup(invitation_rows(meeting))


def meeting_keyboard(
    meeting: Meeting, *, manage: bool, check_in: bool, private: bool = True
) -> kb.InlineKeyboardMarkup:
    """The card's buttons: answers, check-in when it is time, the lead's tools."""
    if meeting.is_cancelled:
        return kb.with_menu([]) if private else kb.markup([])
    rows = invitation_rows(meeting)
    if check_in:
        rows.insert(0, [kb.button("🙋 " + _("I'm here"), F, "here", meeting.id)])
    if manage and private:
        rows.append(
            [
                kb.button(_("Attendance"), F, "att", meeting.id),
                kb.button(_("Follow-up"), F, "fu", meeting.id),
            ]
        )
        rows.append(
            [
                kb.button(_("Move"), F, "mv", meeting.id),
                kb.button(_("Cancel meeting"), F, "cx", meeting.id),
            ]
        )
    return kb.with_menu(rows) if private else kb.markup(rows)


def _in(delta: timedelta) -> str:
    """ "in 1 hour" / "za 1 godzinę" / "через 1 годину": Babel picks the right case."""
    return babel_dates.format_timedelta(
        delta, locale=current_language(), threshold=1.0, add_direction=True
    )


def reminder_text(meeting: Meeting, group: Group, offset: timedelta) -> str:
    return "\n".join(
        [
            "⏰ " + _("Reminder: the meeting starts {delta}.").format(delta=_in(offset)),
            "<b>" + esc(meeting.topic) + "</b>",
            _("Group: {group}").format(group=esc(group.display_name(current_language()))),
            _("When: {when}").format(when=when_text(meeting)),
            _("Where: {place}").format(place=esc(meeting.place)),
        ]
    )


def moved_text(meeting: Meeting, old_start: datetime) -> str:
    return "\n".join(
        [
            "🔁 "
            + _("The meeting \u201c{topic}\u201d has moved.").format(topic=esc(meeting.topic)),
            _("Was: {when}").format(when=format_datetime(old_start, "short_day")),
            _("Now: {when}").format(when=when_text(meeting)),
            _("Where: {place}").format(place=esc(meeting.place)),
            _("If you can no longer come, please change your answer."),
        ]
    )


def cancelled_text(meeting: Meeting) -> str:
    return "❌ " + _("The meeting \u201c{topic}\u201d on {when} is cancelled.").format(
        topic=esc(meeting.topic), when=format_datetime(meeting.starts_at, "short_day")
    )


def promoted_text(meeting: Meeting) -> str:
    return "🎉 " + _(
        "A place freed up: you are now on the list for \u201c{topic}\u201d ({when})."
    ).format(topic=esc(meeting.topic), when=format_datetime(meeting.starts_at, "short_day"))


def followup_text(meeting: Meeting) -> str:
    return "\n".join(
        [
            "📝 "
            + _("The meeting \u201c{topic}\u201d has ended. How did it go?").format(
                topic=esc(meeting.topic)
            ),
            _(
                "Please write a short summary and add the action items, each with an owner "
                "and a due date. The summary goes to the group."
            ),
        ]
    )


def followup_keyboard(meeting: Meeting) -> kb.InlineKeyboardMarkup:
    return kb.with_menu(
        [
            [kb.button("📝 " + _("Write the summary"), F, "sum", meeting.id)],
            [kb.button(_("Attendance"), F, "att", meeting.id)],
        ]
    )


def summary_text(meeting: Meeting, items: list[ActionItem], owners: dict[int, Member]) -> str:
    lines = [
        "📝 <b>"
        + _("Summary of \u201c{topic}\u201d").format(topic=esc(meeting.topic))
        + "</b> ("
        + format_date(meeting.starts_at)
        + ")",
        esc(meeting.summary or ""),
    ]
    if items:
        lines += ["", "<b>" + _("Action items") + "</b>"]
        for item in items:
            owner = owners.get(item.owner_id or 0)
            mark = "✅" if item.done_at else "▫️"
            lines.append(
                f"{mark} {esc(item.text)} — {esc(owner.display_name if owner else '?')}, "
                + _("due {day}").format(day=format_date(item.due_on))
            )
    return "\n".join(lines)


def item_reminder_text(item: ActionItem, meeting: Meeting) -> str:
    return "\n".join(
        [
            "⏰ " + _("Your task is due {day}:").format(day=format_date(item.due_on)),
            "<b>" + esc(item.text) + "</b>",
            _("From the meeting \u201c{topic}\u201d.").format(topic=esc(meeting.topic)),
        ]
    )


def new_item_text(item: ActionItem, meeting: Meeting) -> str:
    return "\n".join(
        [
            "📌 " + _("A new task for you, due {day}:").format(day=format_date(item.due_on)),
            "<b>" + esc(item.text) + "</b>",
            _("From the meeting \u201c{topic}\u201d.").format(topic=esc(meeting.topic)),
        ]
    )


def item_keyboard(item: ActionItem) -> kb.InlineKeyboardMarkup:
    return kb.with_menu([[kb.button("✅ " + _("Mark as done"), F, "done", item.id)]])


# --- date polls ------------------------------------------------------------------------------


def poll_text(poll: DatePoll, group: Group, tallies: list[tuple[DatePollOption, list[int]]]) -> str:
    lines = [
        "🗳 <b>" + esc(poll.topic) + "</b>",
        _("Group: {group}").format(group=esc(group.display_name(current_language()))),
        _("Where: {place}").format(place=esc(poll.place)),
        "",
        _("Which times suit you? Tick every one that does; press again to untick."),
        "",
    ]
    for option, voters in tallies:
        count = len(voters)
        lines.append(
            f"• {format_datetime(option.starts_at, 'short_day')} — "
            + ngettext("{n} person", "{n} people", count).format(n=count)
        )
    if poll.status != "open":
        lines += ["", _("The poll is closed.")]
    return "\n".join(lines)


def poll_keyboard(
    tallies: list[tuple[DatePollOption, list[int]]], voter_id: int | None, *, manage: bool
) -> kb.InlineKeyboardMarkup:
    rows = []
    for option, voters in tallies:
        tick = "☑️" if voter_id in voters else "⬜"
        label = f"{tick} {format_datetime(option.starts_at, 'short_day')} ({len(voters)})"
        rows.append([kb.button(label, P, "t", option.id)])
    if manage and tallies:
        rows.append([kb.button("🏁 " + _("Pick the time"), P, "pick", tallies[0][0].poll_id)])
    return kb.markup(rows)


# --- files -----------------------------------------------------------------------------------


def ics_file(meeting: Meeting, group: Group, tz: ZoneInfo, bot_username: str) -> bytes:
    """An iCalendar event in BOT_TIMEZONE (TZID plus a VTIMEZONE), stable UID per meeting."""
    calendar = Calendar()
    calendar.add("prodid", "-//leaders-bot//meetings//EN")
    calendar.add("version", "2.0")
    event = Event()
    event.add("uid", f"meeting-{meeting.id}@{bot_username}")
    event.add("sequence", meeting.revision - 1)
    event.add("dtstamp", meeting.scheduled_at)
    event.add("dtstart", meeting.starts_at.astimezone(tz))
    event.add("dtend", meeting.ends_at.astimezone(tz))
    event.add("summary", meeting.topic)
    event.add("location", meeting.place)
    description = group.display_name(current_language())
    if meeting.agenda:
        description += "\n\n" + meeting.agenda
    event.add("description", description)
    if meeting.is_cancelled:
        event.add("status", "CANCELLED")
    calendar.add_component(event)
    calendar.add_missing_timezones()
    return calendar.to_ical()


def attendance_xlsx(
    meeting: Meeting, group: Group, rows: list[tuple[Member, Rsvp]], tz: ZoneInfo
) -> bytes:
    """The list the programme reports to its funder: who was there and when they came."""
    book = Workbook()
    sheet = book.active
    sheet.title = _("Attendance")[:31]
    sheet.append([_("Meeting"), meeting.topic])
    sheet.append([_("Group"), group.display_name(current_language())])
    sheet.append([_("Date"), meeting.starts_at.astimezone(tz).replace(tzinfo=None)])
    sheet.append([_("Place"), meeting.place])
    sheet.append([])
    header = [_("No."), _("Name"), _("Institution"), _("Check-in time")]
    sheet.append(header)
    for cell in sheet[sheet.max_row]:
        cell.font = Font(bold=True)
    for number, (person, rsvp) in enumerate(rows, start=1):
        checked = (
            rsvp.checked_in_at.astimezone(tz).replace(tzinfo=None) if rsvp.checked_in_at else None
        )
        sheet.append([number, person.display_name or "", person.institution or "", checked])
        if checked is not None:
            sheet.cell(sheet.max_row, 4).number_format = "yyyy-mm-dd hh:mm"
    sheet["B3"].number_format = "yyyy-mm-dd hh:mm"
    for column, width in zip("ABCD", (8, 32, 40, 18), strict=True):
        sheet.column_dimensions[column].width = width
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()
