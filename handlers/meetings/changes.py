"""Moving a meeting (type the new time) and cancelling it (after a confirmation): everyone
who answered yes, maybe or waits for a place is told, and the cards sent follow (refresh.py)."""

from __future__ import annotations

from typing import Any

from telegram import Update
from telegram.ext import BaseHandler

from bot.dateparse import parse_when
from bot.i18n import N_
from bot.i18n import gettext as _
from bot.services import meetings as service
from bot.services import members as members_service
from bot.services.errors import DomainError, InvalidInput
from handlers import keyboards as kb
from handlers.common import END, Context, answer, domain_message, in_session, reply, requires
from handlers.meetings import cards
from handlers.meetings import routes as r
from handlers.meetings.listing import show_meeting
from handlers.meetings.shared import (
    MOVE,
    MOVE_TIME,
    Question,
    args_of,
    ask,
    asking_first,
    examples,
    id_of,
    managed_meeting,
    now,
    tell,
    told_text,
    typed,
    typed_text,
)
from models import Answer, Role

TOLD = (Answer.YES, Answer.MAYBE, Answer.WAITING)  # who hears of a move or a cancellation
CANCELLING = Question(
    N_("Cancel this meeting? Everyone who answered will be told."),
    N_("Yes, cancel it"),
    N_("No, keep it"),
)


@requires(Role.RESIDENT)
async def move_start(update: Update, context: Context) -> int:
    await answer(update)
    meeting_id = id_of(update, r.MOVE)
    async with context.db.session() as session:
        meeting = await managed_meeting(session, context.me, meeting_id)
    assert context.user_data is not None
    context.user_data[MOVE] = meeting_id
    text = _("Now: {when}. Type the new date and time, for example: {examples}").format(
        when=cards.when_text(meeting), examples=examples()
    )
    await ask(update, text)
    return MOVE_TIME


async def move_typed(update: Update, context: Context) -> int:
    assert context.user_data is not None
    meeting_id = int(context.user_data.get(MOVE) or 0)
    current = now(context)
    try:
        starts = parse_when(
            typed_text(update), context.language, now=current, tz=context.runtime.settings.timezone
        )
        async with context.db.session() as session:
            actor = await members_service.get(session, context.me.id)  # type: ignore[arg-type]
            meeting, old = await service.move_meeting(
                session, actor, meeting_id, starts, now=current
            )
            group = await service.group_of(session, meeting)
            people = await service.attendees(session, meeting_id, TOLD)
    except InvalidInput as error:  # a time we cannot read: ask again
        await reply(update, domain_message(error), edit=False)
        return MOVE_TIME
    except DomainError as error:  # gone or not theirs any more: the conversation ends
        await reply(update, domain_message(error), kb.with_menu([]))
        return END
    context.user_data.pop(MOVE, None)

    def render() -> tuple[str, Any]:
        return cards.moved_text(meeting, old), cards.invitation_keyboard(meeting)

    told = await tell(context, [p for p in people if p.id != actor.id], group, render)
    await reply(
        update,
        _("The meeting is moved to {when}.").format(when=cards.when_text(meeting))
        + " "
        + told_text(told),
        kb.with_menu([[r.VIEW.button(_("Open the meeting"), meeting.id)]]),
    )
    return END


async def _managed(context: Context, meeting_id: int, *, scheduled: bool = True) -> None:
    await in_session(context, managed_meeting, context.me, meeting_id, scheduled=scheduled)


cancel_asked = asking_first(r.CANCEL, r.CANCEL_CONFIRM, _managed, CANCELLING)


@requires(Role.RESIDENT)
async def cancel_confirmed(update: Update, context: Context) -> None:
    meeting_id, choice = args_of(update, r.CANCEL_CONFIRM)
    if choice != "y":
        await _managed(context, meeting_id, scheduled=False)
        await answer(update)
        await show_meeting(update, context, meeting_id)
        return
    await answer(update)
    try:
        async with context.db.session() as session:
            actor = await members_service.get(session, context.me.id)  # type: ignore[arg-type]
            meeting = await service.cancel_meeting(session, actor, meeting_id, now=now(context))
            group = await service.group_of(session, meeting)
            people = await service.attendees(session, meeting_id, TOLD)
    except DomainError as error:  # said in place of the question
        await reply(update, domain_message(error), kb.with_menu([]))
        return

    def render() -> tuple[str, Any]:
        return cards.cancelled_text(meeting), None

    told = await tell(context, [p for p in people if p.id != actor.id], group, render)
    await reply(update, _("The meeting is cancelled.") + " " + told_text(told), kb.with_menu([]))


# The move conversation shares its ConversationHandler with the follow-up (see __init__).
def entry_points() -> list[BaseHandler[Any, Any, Any]]:
    return [kb.callback_handler(move_start, r.MOVE)]


def states() -> dict[object, list[BaseHandler[Any, Any, Any]]]:
    return {MOVE_TIME: typed(move_typed)}


# What each button of this flow does (registered in __init__).
BUTTONS: kb.Buttons = {
    r.CANCEL: cancel_asked,
    r.CANCEL_CONFIRM: cancel_confirmed,
}
