"""/meetings (your meetings, open ones, date polls, your tasks) and one meeting's card."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlmodel.ext.asyncio.session import AsyncSession
from telegram import Update

from bot.i18n import format_datetime
from bot.i18n import gettext as _
from bot.services import meetings as service
from bot.services.errors import NotFound
from handlers import keyboards as kb
from handlers.common import Context, answer, clip_label, domain_message, esc, reply, requires
from handlers.meetings import cards, inviting
from handlers.meetings import routes as r
from handlers.meetings.shared import LABEL_MAX, card_parts, id_of, now
from models import ActionItem, Answer, DatePoll, Meeting, Member, Role, Rsvp


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
            # Re-checked on every view: a forged or old button shows nothing of a closed
            # group's meeting to someone outside it (NotAllowed: the refusal).
            meeting = await service.get_visible(session, member, meeting_id)
            group, area, counts = await card_parts(session, meeting)
            mine = await service.my_answer(session, meeting_id, member.id)  # type: ignore[arg-type]
            place = (
                await service.waiting_position(session, mine)
                if mine is not None and mine.answer == Answer.WAITING
                else None
            )
            manage = await service.may_manage(session, member, meeting)
            invited = await inviting.invited_line(session, meeting_id) if manage else None
    except NotFound as error:  # gone: say so in place of the card
        await reply(update, domain_message(error), kb.with_menu([]))
        return
    text = cards.meeting_text(
        meeting, group, area, counts, mine=mine, waiting_place=place, invited=invited
    )
    check_in = check_in_open(meeting, now(context))
    await reply(
        update, text, cards.meeting_keyboard(meeting, manage=manage, check_in=check_in), edit=edit
    )


async def answered_card(
    session: AsyncSession,
    member: Member,
    meeting: Meeting,
    mine: Rsvp,
    place: int | None,
    moment: datetime,
) -> tuple[str, Any]:
    """`show_meeting`'s card right after `member` answered, in the answer's transaction:
    the meeting and the answer are loaded already (and answering proved it visible)."""
    group, area, counts = await card_parts(session, meeting)
    manage = await service.may_manage(session, member, meeting)
    invited = await inviting.invited_line(session, meeting.id) if manage else None  # type: ignore[arg-type]
    text = cards.meeting_text(
        meeting, group, area, counts, mine=mine, waiting_place=place, invited=invited
    )
    check_in = check_in_open(meeting, moment)
    return text, cards.meeting_keyboard(meeting, manage=manage, check_in=check_in)


@requires(Role.RESIDENT)
async def view(update: Update, context: Context) -> None:
    await answer(update)
    await show_meeting(update, context, id_of(update, r.VIEW))


PAGE_SIZE = 8  # entries on one page of /meetings: a page stays far below 4,096 characters
LINE_TOPIC = 80  # characters of a topic or task in a line of the list


def _line(index: int, meeting: Meeting, state: str | None = None) -> str:
    topic = esc(clip_label(meeting.topic, LINE_TOPIC))
    line = f"{index}. {format_datetime(meeting.starts_at, 'short_day')} — {topic}"
    return f"{line} ({state})" if state is not None else line


# One entry of /meetings: its section's title, its line, and its button (a task's is a row).
Entry = tuple[str, str, kb.InlineKeyboardButton | None, bool]


def _entries(
    mine: list[tuple[Meeting, Rsvp | None]],
    others: list[Meeting],
    polls: list[DatePoll],
    items: list[ActionItem],
) -> list[Entry]:
    entries: list[Entry] = []
    section = _("Your upcoming meetings")
    if not mine:
        entries.append((section, _("None for now."), None, False))
    for index, (meeting, rsvp) in enumerate(mine, start=1):
        state = cards.answer_label(rsvp.answer) if rsvp else _("no answer yet")
        label = clip_label(f"{index}. {meeting.topic}", LABEL_MAX)
        entries.append(
            (section, _line(index, meeting, state), r.VIEW.button(label, meeting.id), False)
        )
    section = _("Open meetings you may join")
    first_other = len(mine) + 1
    for index, meeting in enumerate(others, start=first_other):
        label = clip_label(f"{index}. {meeting.topic}", LABEL_MAX)
        entries.append((section, _line(index, meeting), r.VIEW.button(label, meeting.id), False))
    section = _("Date polls: vote for a time")
    for poll in polls:
        line = f"🗳 {esc(clip_label(poll.topic, LINE_TOPIC))}"
        button = r.POLL_VIEW.button(clip_label(f"🗳 {poll.topic}", LABEL_MAX), poll.id)
        entries.append((section, line, button, False))
    section = _("Your tasks")
    for item in items:
        entries.append(
            (section, cards.item_line(item, with_owner=False), cards.done_button(item), True)
        )
    return entries


@requires(Role.RESIDENT)
async def list_meetings(update: Update, context: Context) -> None:
    await answer(update)
    member = context.me
    current = now(context)
    query = update.callback_query
    page = r.LIST_PAGE.parse(query.data)[0] if query and r.LIST_PAGE.matches(query.data) else 0
    async with context.db.session() as session:
        mine = await service.upcoming_for(session, member, now=current)
        others = await service.open_meetings(session, member, now=current)
        items = await service.my_open_items(session, member)
        polls = await service.open_polls_for(session, member)
    entries = _entries(mine, others, polls, items)
    pages = max(1, -(-len(entries) // PAGE_SIZE))
    page = min(page, pages - 1)
    lines: list[str] = []
    buttons: list[kb.InlineKeyboardButton] = []
    item_rows = []
    section = None
    for title, line, button, own_row in entries[page * PAGE_SIZE : (page + 1) * PAGE_SIZE]:
        if title != section:
            lines += ([""] if lines else []) + ["<b>" + title + "</b>"]
            section = title
        lines.append(line)
        if button is not None and own_row:
            item_rows.append([button])
        elif button is not None:
            buttons.append(button)
    nav = kb.pager(r.F, "ls", page, pages)
    rows = [*kb.grid(buttons, 2), *item_rows, *([nav] if nav else [])]
    await reply(update, "\n".join(lines), kb.with_menu(rows))


# What each button of this flow does (registered in __init__).
BUTTONS: kb.Buttons = {
    r.LIST: list_meetings,
    r.LIST_PAGE: list_meetings,
    r.VIEW: view,
}
