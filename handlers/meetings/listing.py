"""/meetings (your meetings, open ones, date polls, your tasks) and one meeting's card."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from telegram import Update
from telegram.ext import BaseHandler

from bot.i18n import format_datetime
from bot.i18n import gettext as _
from bot.services import meetings as service
from bot.services.errors import DomainError
from handlers import keyboards as kb
from handlers.common import Context, answer, domain_message, esc, reply, requires
from handlers.meetings import cards
from handlers.meetings import routes as r
from handlers.meetings.shared import card_parts, id_of, now
from models import Answer, Meeting, Role

LIST_LIMIT = 10


def check_in_open(meeting: Meeting, moment: datetime) -> bool:
    """From half an hour before the start to the end: the card offers "I'm here"."""
    return meeting.starts_at - service.CHECK_IN_BEFORE <= moment <= meeting.ends_at


async def show_meeting(
    update: Update, context: Context, meeting_id: int, *, edit: bool = True
) -> None:
    """The card as the presser sees it: their answer, check-in, and the lead's tools."""
    member = context.me
    try:
        async with context.db.session() as session:
            meeting = await service.get(session, meeting_id)
            group, area, counts = await card_parts(session, meeting)
            mine = await service.my_answer(session, meeting_id, member.id)  # type: ignore[arg-type]
            place = (
                await service.waiting_position(session, mine)
                if mine is not None and mine.answer == Answer.WAITING
                else None
            )
            manage = await service.may_manage(session, member, meeting)
    except DomainError as error:  # gone: say so in place of the card
        await reply(update, domain_message(error), kb.with_menu([]))
        return
    text = cards.meeting_text(meeting, group, area, counts, mine=mine, waiting_place=place)
    check_in = check_in_open(meeting, now(context))
    await reply(
        update, text, cards.meeting_keyboard(meeting, manage=manage, check_in=check_in), edit=edit
    )


@requires(Role.RESIDENT)
async def view(update: Update, context: Context) -> None:
    await answer(update)
    await show_meeting(update, context, id_of(update, r.VIEW))


def _line(index: int, meeting: Meeting, state: str | None = None) -> str:
    line = f"{index}. {format_datetime(meeting.starts_at, 'short_day')} — {esc(meeting.topic)}"
    return f"{line} ({state})" if state is not None else line


@requires(Role.RESIDENT)
async def list_meetings(update: Update, context: Context) -> None:
    await answer(update)
    member = context.me
    current = now(context)
    async with context.db.session() as session:
        mine = await service.upcoming_for(session, member, now=current)
        others = await service.open_meetings(session, member, now=current)
        items = await service.my_open_items(session, member)
        polls = await service.open_polls_for(session, member)
    lines = ["<b>" + _("Your upcoming meetings") + "</b>"]
    buttons = []
    if not mine:
        lines.append(_("None for now."))
    for index, (meeting, rsvp) in enumerate(mine[:LIST_LIMIT], start=1):
        state = cards.answer_label(rsvp.answer) if rsvp else _("no answer yet")
        lines.append(_line(index, meeting, state))
        buttons.append(r.VIEW.button(f"{index}. {meeting.topic[:30]}", meeting.id))
    if others:
        lines += ["", "<b>" + _("Open meetings you may join") + "</b>"]
        for index, meeting in enumerate(others[:LIST_LIMIT], start=len(buttons) + 1):
            lines.append(_line(index, meeting))
            buttons.append(r.VIEW.button(f"{index}. {meeting.topic[:30]}", meeting.id))
    if polls:
        lines += ["", "<b>" + _("Date polls: vote for a time") + "</b>"]
        for poll in polls[:LIST_LIMIT]:
            lines.append(f"🗳 {esc(poll.topic)}")
            buttons.append(r.POLL_VIEW.button(f"🗳 {poll.topic[:30]}", poll.id))
    if items:
        lines += ["", "<b>" + _("Your tasks") + "</b>"]
        lines += [cards.item_line(item, with_owner=False) for item in items[:LIST_LIMIT]]
    item_rows = [[cards.done_button(item)] for item in items[:LIST_LIMIT]]
    await reply(update, "\n".join(lines), kb.with_menu([*kb.grid(buttons, 2), *item_rows]))


def handlers() -> list[BaseHandler[Any, Any, Any]]:
    return [
        kb.callback_handler(list_meetings, r.LIST),
        kb.callback_handler(view, r.VIEW),
    ]
