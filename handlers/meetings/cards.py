"""What a meeting looks like in a chat: the card, its buttons, reminders, summaries, polls.

Pure rendering, in the current language: handlers and the reminder jobs (which set the
recipient's language with use_language) share it.
"""

from __future__ import annotations

from collections import Counter
from datetime import datetime, timedelta

from babel import dates as babel_dates

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
from handlers.common import clip_label, esc
from handlers.meetings import routes as r
from handlers.programme import routes as programme_routes
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

# Names of the meeting actions in the audit log (/audit in handlers/reports.py).
AUDIT_LABELS = {
    "meeting.create": N_("meeting scheduled"),
    "meeting.move": N_("meeting moved"),
    "meeting.cancel": N_("meeting cancelled"),
    "meeting.edit": N_("meeting details changed"),
    "meeting.summary": N_("meeting summary written"),
    "meeting.poll": N_("date poll started"),
    "meeting.invite": N_("more people invited to a meeting"),
}
Rows = list[list[kb.InlineKeyboardButton]]
LABEL_MAX = 23  # characters of a button label (as handlers.meetings.shared.LABEL_MAX)


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
    invited: str | None = None,
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
    lines += ["", tally] + ([invited] if invited else [])  # invited beyond the group
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


def invitation_rows(meeting: Meeting) -> Rows:
    mid = meeting.id
    return [
        [
            r.ANSWER.button("✅ " + _("I'll come"), mid, "y"),
            r.ANSWER.button("❔ " + _("Maybe"), mid, "m"),
            r.ANSWER.button("❌ " + _("I can't"), mid, "n"),
        ],
        [r.ICS.button("📆 " + _("Add to calendar"), mid)],
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
        rows.insert(0, [r.CHECK_IN.button("🙋 " + _("I'm here"), meeting.id)])
    if manage and private:
        rows.append(
            [programme_routes.ATTENDANCE_PDF.button("🖨 " + _("Attendance list (PDF)"), meeting.id)]
        )
        rows.append(
            [
                r.ATTENDANCE.button(_("Attendance"), meeting.id),
                r.FOLLOW_UP.button(_("Follow-up"), meeting.id),
            ]
        )
        rows.append(
            [r.MOVE.button(_("Move"), meeting.id), r.EDIT.button("✏️ " + _("Change"), meeting.id)]
        )
        rows.append([r.CANCEL.button(_("Cancel meeting"), meeting.id)])
        rows += _inviting_rows(meeting)
    return kb.with_menu(rows) if private else kb.markup(rows)


def _inviting_rows(meeting: Meeting) -> Rows:
    from handlers.meetings.inviting import card_rows  # its routes live there

    return card_rows(meeting)


def back_to_meeting(meeting_id: int) -> list[kb.InlineKeyboardButton]:
    return [r.VIEW.button("« " + _("Back to the meeting"), meeting_id)]


def _in(delta: timedelta) -> str:
    """ "in 1 hour" / "za 1 godzinę" / "через 1 годину": Babel picks the right case."""
    return babel_dates.format_timedelta(
        delta, locale=current_language(), threshold=1.0, add_direction=True
    )


def reminder_text(meeting: Meeting, group: Group, when: str | timedelta) -> str:
    """`when`: the time left as words ("in 2 hours", "tomorrow at 17:00"), or the offset."""
    delta = _in(when) if isinstance(when, timedelta) else when
    return "\n".join(
        [
            "⏰ " + _("Reminder: the meeting starts {delta}.").format(delta=delta),
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


# --- follow-up -------------------------------------------------------------------------------


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
            [r.SUMMARY.button("📝 " + _("Write the summary"), meeting.id)],
            [r.ATTENDANCE.button(_("Attendance"), meeting.id)],
        ]
    )


def item_line(item: ActionItem, owner: Member | None = None, *, with_owner: bool = True) -> str:
    """One action item in a list: ▫️ open or ✅ done, the task, its owner, the due day."""
    mark = "✅" if item.done_at else "▫️"
    who = f"{esc(owner.display_name if owner else '?')}, " if with_owner else ""
    return f"{mark} {esc(item.text)} — {who}" + _("due {day}").format(day=format_date(item.due_on))


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
        lines += [item_line(item, owners.get(item.owner_id or 0)) for item in items]
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
    return kb.with_menu([[r.ITEM_DONE.button("✅ " + _("Mark as done"), item.id)]])


def done_button(item: ActionItem) -> kb.InlineKeyboardButton:
    """The button of an open task in /meetings."""
    label = "✅ " + _("Done: {task}").format(task=item.text)
    return r.ITEM_DONE.button(clip_label(label, LABEL_MAX), item.id)


# --- date polls ------------------------------------------------------------------------------

Tallies = list[tuple[DatePollOption, list[int]]]


def poll_text(poll: DatePoll, group: Group, tallies: Tallies) -> str:
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


def option_label(option: DatePollOption, voters: list[int]) -> str:
    return f"{format_datetime(option.starts_at, 'short_day')} ({len(voters)})"


def poll_keyboard(
    tallies: Tallies, voter_id: int | None, *, manage: bool
) -> kb.InlineKeyboardMarkup:
    rows = []
    for option, voters in tallies:
        tick = "☑️" if voter_id in voters else "⬜"
        rows.append([r.POLL_TICK.button(f"{tick} {option_label(option, voters)}", option.id)])
    if manage and tallies:
        rows.append([r.POLL_PICK.button("🏁 " + _("Pick the time"), tallies[0][0].poll_id)])
    return kb.markup(rows)
