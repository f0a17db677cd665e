"""What the meetings flows share: the conversations' states and keys, the clock, a question
with a Cancel button (every step and picker has that shape), the meeting a manager acts on,
and telling a meeting's people."""

from __future__ import annotations

from collections import Counter
from collections.abc import Awaitable, Callable, Iterable, Sequence
from datetime import date, datetime
from typing import Any, NamedTuple

from sqlmodel.ext.asyncio.session import AsyncSession
from telegram import Update
from telegram.ext import BaseHandler, CommandHandler, MessageHandler

from bot import notify
from bot import reminders as jobs
from bot.i18n import N_, ngettext, resolve_language, use_language
from bot.i18n import gettext as _
from bot.services import groups as groups_service
from bot.services import meetings as service
from bot.services.errors import NotAllowed
from handlers import keyboards as kb
from handlers.common import (
    END,
    NOT_TYPED,
    SENT,
    TYPED,
    Context,
    Handler,
    answer,
    ask_to_confirm,
    reply,
    requires,
    split_message,
)
from handlers.meetings import routes as r
from models import Group, Meeting, Member, ProblemArea, Role

# The conversations' states. Both conversations are persistent: a user in the middle of one
# keeps their state number across restarts, so these numbers never change.
(GROUP, TOPIC, AREA, DAY, HOUR, POLL, DURATION, PLACE, CAPACITY, OPENNESS, AGENDA, REVIEW) = range(
    12
)
MOVE_TIME, SUMMARY, ITEM_TEXT, ITEM_OWNER, ITEM_DUE = range(20, 25)
EDIT_VALUE = 25  # changing a meeting's detail: its new value is typed
# Their user_data keys.
DRAFT = "meeting_draft"
MOVE = "meeting_move"
FOLLOW = "meeting_followup"
EDIT = "meeting_edit"

LABEL_MAX = 23  # characters of a button label: more is cut on a phone
NOT_MANAGER = N_("Only a coordinator or the lead of this group can do this.")
# May the presser act on this id? Raises (NotAllowed, NotFound...) when not.
Check = Callable[[Context, int], Awaitable[object]]


class Question(NamedTuple):
    """A yes/no question before a far-reaching change (its texts marked with N_)."""

    text: str
    yes: str
    no: str


def draft_data(context: Context) -> dict[str, Any]:
    """The /meeting draft gathered so far (kept in user_data, which is persisted)."""
    assert context.user_data is not None
    return context.user_data.setdefault(DRAFT, {})  # type: ignore[no-any-return]


def now(context: Context) -> datetime:
    return jobs.clock(context.application)


def today(context: Context) -> date:
    return now(context).astimezone(context.runtime.settings.timezone).date()


def typed_text(update: Update) -> str:
    message = update.effective_message
    return (message.text or "") if message is not None else ""


def args_of(update: Update, route: kb.Route) -> tuple[Any, ...]:
    """The typed arguments of the pressed button (the handler is registered on `route`)."""
    assert update.callback_query is not None
    return route.parse(update.callback_query.data)


def id_of(update: Update, route: kb.Route) -> int:
    """The first argument (an id) of the pressed button."""
    return int(args_of(update, route)[0])


def is_private(update: Update) -> bool:
    chat = update.effective_chat
    return chat is not None and chat.type == chat.PRIVATE


def examples() -> str:
    return _("tomorrow 17:00, 15.05 18:30, Tuesday 17, next Tuesday 5pm")


def cancel_row() -> list[kb.InlineKeyboardButton]:
    return [r.STOP.button("✖ " + _("Cancel"))]


async def ask(
    update: Update,
    text: str,
    buttons: Sequence[kb.InlineKeyboardButton] = (),
    *,
    width: int = 1,
    rows: Iterable[Sequence[kb.InlineKeyboardButton]] = (),
    edit: bool = True,
) -> None:
    """A step of a conversation: the question, its choices in a grid, more rows, Cancel."""
    await reply(
        update, text, kb.markup([*kb.grid(list(buttons), width), *rows, cancel_row()]), edit=edit
    )


async def stop(update: Update, context: Context) -> int:
    """Cancel (the button or /cancel) in any step of either conversation."""
    await answer(update)
    if context.user_data is not None:
        for key in (DRAFT, MOVE, FOLLOW, EDIT):
            context.user_data.pop(key, None)
    await reply(update, _("Stopped. Nothing was sent."), kb.with_menu([]))
    return END


async def not_text(update: Update, context: Context) -> None:
    assert update.effective_chat is not None
    await update.effective_chat.send_message(
        _("Please type it as a message, or send /cancel to stop.")
    )


async def press_a_button(update: Update, context: Context) -> None:
    assert update.effective_chat is not None
    await update.effective_chat.send_message(
        _("Please use the buttons above, or send /cancel to stop.")
    )


def typed(callback: Any) -> list[BaseHandler[Any, Any, Any]]:
    """A step that expects text: anything else is asked for again."""
    return [
        MessageHandler(TYPED, callback),
        MessageHandler(NOT_TYPED, not_text),
    ]


def pressed(*handlers: BaseHandler[Any, Any, Any]) -> list[BaseHandler[Any, Any, Any]]:
    """A step that expects a button: a message gets a reminder to press one."""
    return [*handlers, MessageHandler(SENT, press_a_button)]


def stop_handlers() -> list[BaseHandler[Any, Any, Any]]:
    return [CommandHandler("cancel", stop), kb.callback_handler(stop, r.STOP)]


async def managed_meeting(
    session: AsyncSession, member: Member, meeting_id: int, *, scheduled: bool = True
) -> Meeting:
    """The meeting `member` may manage (a coordinator or its group's lead), else NotAllowed;
    `scheduled`: not a cancelled one."""
    get = service.get_scheduled if scheduled else service.get
    meeting = await get(session, meeting_id)
    if not await service.may_manage(session, member, meeting):
        raise NotAllowed(NOT_MANAGER)
    return meeting


def asking_first(asked: kb.Route, confirm: kb.Route, check: Check, question: Question) -> Handler:
    """A button that asks before it acts: `check` that the presser may act on the pressed id
    (it raises when not), then `question` with yes/no buttons of `confirm`."""

    @requires(Role.RESIDENT)
    async def ask_first(update: Update, context: Context) -> None:
        object_id = id_of(update, asked)
        await check(context, object_id)
        text, yes, no = (_(part) for part in question)
        await ask_to_confirm(update, text, confirm, object_id, yes=yes, no=no)

    return ask_first


async def card_parts(
    session: AsyncSession, meeting: Meeting
) -> tuple[Group, ProblemArea | None, Counter[str]]:
    group = await service.group_of(session, meeting)
    areas = {a.id: a for a in await groups_service.areas(session)}
    counts = await service.counts(session, meeting.id)  # type: ignore[arg-type]
    return group, areas.get(meeting.area_id or 0), counts


async def tell(context: Context, people: list[Member], group: Group, render: notify.Render) -> int:
    """Send to `people` privately and post to the group's linked chat; how many got it."""
    delivered = await notify.notify_members(context.bot, context.db, people, render)
    await notify.post_to_group_chat(
        context.bot, group, render, context.runtime.settings.bot_default_language, db=context.db
    )
    return delivered


async def reply_long(
    update: Update, text: str, keyboard: kb.InlineKeyboardMarkup | None, *, edit: bool
) -> None:
    """`reply` for a text that may be longer than one message: in parts (the first edits the
    pressed message when `edit`), the keyboard under the last."""
    parts = split_message(text)
    for index, part in enumerate(parts):
        last = index == len(parts) - 1
        await reply(update, part, keyboard if last else None, edit=edit and index == 0)


async def tell_long(
    context: Context, people: list[Member], group: Group, render: notify.Render
) -> int:
    """`tell` for a text that may be longer than one message: each person (and the group's
    chat) gets it in parts, the keyboard under the last; how many got all of it."""

    def parts_in(language: str) -> list[tuple[str, Any]]:
        with use_language(language):
            text, keyboard = render()
        parts = split_message(text)
        return [(part, keyboard if i == len(parts) - 1 else None) for i, part in enumerate(parts)]

    def fixed(part: tuple[str, Any]) -> notify.Render:
        return lambda: part

    delivered = 0
    for person in people:
        sent = [
            await notify.notify_member(context.bot, context.db, person, fixed(part))
            for part in parts_in(resolve_language(person.language, None))
        ]
        delivered += all(message is not None for message in sent)
    language = context.runtime.settings.bot_default_language
    for part in parts_in(language):
        await notify.post_to_group_chat(context.bot, group, fixed(part), language, db=context.db)
    return delivered


def told_text(told: int) -> str:
    return ngettext("{n} person was told.", "{n} people were told.", told).format(n=told)
