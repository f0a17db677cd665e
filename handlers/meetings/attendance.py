"""Attendance: "I'm here" from the card, the lead's roster (press a name to mark them present
or absent) and the attendance list as an XLSX file."""

from __future__ import annotations

from telegram import InputFile, Update

from bot.i18n import gettext as _
from bot.i18n import ngettext
from bot.services import attendance_files
from bot.services import meetings as service
from handlers import keyboards as kb
from handlers.common import Context, answer, clip_label, esc, reply, requires
from handlers.meetings import cards
from handlers.meetings import routes as r
from handlers.meetings.listing import show_meeting
from handlers.meetings.shared import LABEL_MAX, args_of, id_of, is_private, managed_meeting, now
from models import Role

ROSTER_LIMIT = 60


@requires(Role.RESIDENT)
async def check_in_pressed(update: Update, context: Context) -> None:
    meeting_id = id_of(update, r.CHECK_IN)
    async with context.db.session() as session:
        await service.check_in(session, context.me, meeting_id, now=now(context))
    await answer(update, _("Welcome! You are checked in."))
    if is_private(update):
        await show_meeting(update, context, meeting_id)


async def _roster(update: Update, context: Context, meeting_id: int) -> None:
    async with context.db.session() as session:
        meeting = await managed_meeting(session, context.me, meeting_id)
        roster = await service.attendance_roster(session, meeting)
    present = sum(1 for _person, rsvp in roster if rsvp and rsvp.checked_in_at)
    text = "\n".join(
        [
            "<b>" + _("Attendance: {topic}").format(topic=esc(meeting.topic)) + "</b>",
            ngettext("{n} person present.", "{n} people present.", present).format(n=present),
            _("Press a name to mark them present or absent."),
        ]
    )
    buttons = []
    for person, rsvp in roster[:ROSTER_LIMIT]:
        mark = "✅" if rsvp and rsvp.checked_in_at else "▫️"
        label = clip_label(f"{mark} {person.display_name or '?'}", LABEL_MAX)
        buttons.append(r.MARK.button(label, meeting.id, person.id))
    rows = [
        *kb.grid(buttons, 2),
        [r.ATTENDANCE_FILE.button("📊 " + _("List (XLSX)"), meeting.id)],
        cards.back_to_meeting(meeting_id),
    ]
    await reply(update, text, kb.with_menu(rows))


@requires(Role.RESIDENT)
async def roster(update: Update, context: Context) -> None:
    await answer(update)
    await _roster(update, context, id_of(update, r.ATTENDANCE))


@requires(Role.RESIDENT)
async def mark(update: Update, context: Context) -> None:
    """Present ↔ absent, for a coordinator or the group's lead (the service checks)."""
    meeting_id, member_id = args_of(update, r.MARK)
    async with context.db.session() as session:
        current = await service.my_answer(session, meeting_id, member_id)
        is_present = current is not None and current.checked_in_at is not None
        await service.mark_attendance(
            session, context.me, meeting_id, member_id, not is_present, now=now(context)
        )
    await answer(update)
    await _roster(update, context, meeting_id)


@requires(Role.RESIDENT)
async def attendance_file(update: Update, context: Context) -> None:
    async with context.db.session() as session:
        prepared = await attendance_files.attendance_xlsx(
            session, context.me, id_of(update, r.ATTENDANCE_FILE), context.runtime.settings.timezone
        )
    await answer(update)
    payload = await prepared.build()
    assert update.effective_chat is not None
    await update.effective_chat.send_document(
        InputFile(payload, filename=prepared.file_name),
        caption=_("Attendance list: {topic}").format(topic=esc(prepared.topic)),
    )


# What each button of this flow does (registered in __init__).
BUTTONS: kb.Buttons = {
    r.CHECK_IN: check_in_pressed,
    r.ATTENDANCE: roster,
    r.MARK: mark,
    r.ATTENDANCE_FILE: attendance_file,
}
