"""A meeting goes out to its group (privately and to the linked chat); people answer it
(I'll come / maybe / I can't, with a waiting list) and take it into their calendar."""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from telegram import InputFile, Update

from bot import notify
from bot.i18n import N_, ngettext
from bot.i18n import gettext as _
from bot.offload import run_blocking
from bot.services import meetings as service
from bot.services.errors import NotAllowed
from handlers import keyboards as kb
from handlers.common import Context, answer, reply, requires
from handlers.meetings import cards, files
from handlers.meetings import routes as r
from handlers.meetings.listing import answered_card, show_meeting
from handlers.meetings.shared import args_of, card_parts, id_of, is_private, now
from models import Answer, Meeting, Member, Role

log = logging.getLogger(__name__)
ANSWER_OF = {"y": Answer.YES, "m": Answer.MAYBE, "n": Answer.NO}


async def send_invitations(context: Context, meeting: Meeting, *, skip: int | None) -> int:
    """The card to every member of the group but `skip`, and to the group's chat; each card
    sent is remembered, to be kept current (handlers/meetings/refresh.py)."""
    runtime = context.runtime
    async with context.db.session() as session:
        group, area, counts = await card_parts(session, meeting)
        people = [m for m in await service.group_members(session, group.id) if m.id != skip]  # type: ignore[arg-type]

    def render() -> tuple[str, Any]:
        return cards.meeting_text(meeting, group, area, counts), cards.invitation_keyboard(meeting)

    sent: list[tuple[int, int, int | None]] = []
    for person in people:
        message = await notify.notify_member(context.bot, context.db, person, render)
        if message is not None:
            sent.append((message.chat_id, message.message_id, person.id))
    posted = await notify.post_to_group_chat(
        context.bot, group, render, runtime.settings.bot_default_language, db=context.db
    )
    async with context.db.session() as session:
        if posted is not None:
            await service.remember_chat_card(session, meeting.id, posted.message_id)  # type: ignore[arg-type]
            meeting.chat_message_id = posted.message_id
            sent.append((posted.chat_id, posted.message_id, None))
        await service.remember_cards(session, meeting.id, sent)  # type: ignore[arg-type]
    return len([card for card in sent if card[2] is not None])


async def announce(
    update: Update, context: Context, meeting: Meeting, *, actor_id: int, current: datetime
) -> None:
    """A meeting just scheduled (from a draft or a poll): reminders, invitations, its card."""
    delivered = await send_invitations(context, meeting, skip=actor_id)
    await reply(
        update,
        _("The meeting is scheduled.")
        + " "
        + ngettext(
            "The invitation went to {n} person.", "The invitation went to {n} people.", delivered
        ).format(n=delivered),
    )
    await show_meeting(update, context, meeting.id, edit=False)  # type: ignore[arg-type]


@requires(Role.RESIDENT)
async def answer_pressed(update: Update, context: Context) -> None:
    """I'll come / maybe / I can't, from a private card or the group chat's card."""
    meeting_id, code = args_of(update, r.ANSWER)
    me, moment = context.me, now(context)
    message = update.effective_message
    async with context.db.session() as session:
        result = await service.answer(session, me, meeting_id, ANSWER_OF[code], now=moment)
        meeting = result.meeting or await service.get(session, meeting_id)
        place = (
            await service.waiting_position(session, result.rsvp)
            if result.rsvp.answer == Answer.WAITING
            else None
        )
        # A card the bot sent (privately or to the group's chat) follows within seconds, with
        # everyone's answers (refresh.py); the card of /meetings is the presser's own view,
        # shown again here, read in this same transaction.
        screen = None
        if is_private(update) and not (
            message is not None
            and await service.is_card(session, message.chat_id, message.message_id)
        ):
            screen = await answered_card(session, me, meeting, result.rsvp, place, moment)
    if place is not None:
        toast = _("The meeting is full: you are number {n} on the waiting list.").format(n=place)
    else:
        toast = _("Your answer: {answer}").format(answer=cards.answer_label(result.rsvp.answer))
    await answer(update, toast)
    if screen is not None:
        await reply(update, *screen)
    for person in result.promoted:

        def render(person: Member = person) -> tuple[str, Any]:
            return cards.promoted_text(meeting), cards.invitation_keyboard(meeting)

        await notify.notify_member(context.bot, context.db, person, render)


@requires(Role.RESIDENT)
async def ics_pressed(update: Update, context: Context) -> None:
    runtime = context.runtime
    async with context.db.session() as session:
        meeting = await service.get(session, id_of(update, r.ICS))
        group = await service.group_of(session, meeting)
        if not await service.may_answer(session, context.me, meeting):
            raise NotAllowed(N_("This meeting is only for members of its group."))
    await answer(update)
    payload = await run_blocking(
        files.ics_file, meeting, group, runtime.settings.timezone, runtime.bot_username
    )
    # Always privately: pressed in a group chat, the file is for the presser only.
    await context.bot.send_document(
        context.me.telegram_id,
        InputFile(payload, filename=f"meeting-{meeting.id}.ics"),
        caption=_("Open the file to add the meeting to your calendar."),
    )


# What each button of this flow does (registered in __init__).
BUTTONS: kb.Buttons = {
    r.ANSWER: answer_pressed,
    r.ICS: ics_pressed,
}
