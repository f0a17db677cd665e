"""Changing a meeting's details after it was scheduled: the topic, the place, how many people
can come and the agenda, by its lead or a coordinator. The new value is typed, shown back
for a confirmation, then saved; everyone who answered yes or maybe or waits for a place is
told what changed (one message, in their language), and people a larger limit lets in from
the waiting list are told they are on the list."""

from __future__ import annotations

from typing import Any

from telegram import Update
from telegram.ext import BaseHandler

from bot import notify
from bot.i18n import gettext as _
from bot.services import meetings as service
from bot.services import members as members_service
from bot.services.errors import DomainError, InvalidInput
from handlers import keyboards as kb
from handlers.common import END, Context, answer, domain_message, esc, reply, requires, stale_text
from handlers.meetings import cards
from handlers.meetings import routes as r
from handlers.meetings.listing import show_meeting
from handlers.meetings.shared import (
    EDIT,
    EDIT_VALUE,
    args_of,
    ask,
    id_of,
    managed_meeting,
    now,
    told_text,
    typed,
    typed_text,
)
from models import Answer, Meeting, Member, Role

TOLD = (Answer.YES, Answer.MAYBE, Answer.WAITING)
FIELDS = ("topic", "place", "capacity", "agenda")


def field_name(field: str) -> str:
    names = {
        "topic": _("Topic"),
        "place": _("Place"),
        "capacity": _("How many can come"),
        "agenda": _("Agenda"),
    }
    return names[field]


def value_text(field: str, value: object) -> str:
    if value is None:
        return _("no limit") if field == "capacity" else _("none")
    return esc(value)


def changed_text(meeting: Meeting, field: str, old: object) -> str:
    """What attendees are told: the meeting, the detail, was and now."""
    return "\n".join(
        [
            "✏️ "
            + _("The meeting \u201c{topic}\u201d ({when}) has changed.").format(
                topic=esc(meeting.topic), when=cards.when_text(meeting)
            ),
            "<b>" + field_name(field) + "</b>",
            _("Was: {value}").format(value=value_text(field, old)),
            _("Now: {value}").format(value=value_text(field, getattr(meeting, field))),
        ]
    )


@requires(Role.RESIDENT)
async def edit_menu(update: Update, context: Context) -> None:
    meeting_id = id_of(update, r.EDIT)
    async with context.db.session() as session:
        await managed_meeting(session, context.me, meeting_id)
    await answer(update)
    buttons = [r.EDIT_FIELD.button(field_name(f), meeting_id, f) for f in FIELDS]
    rows = [*kb.grid(buttons, 2), cards.back_to_meeting(meeting_id)]
    await reply(update, _("What do you want to change?"), kb.with_menu(rows))


@requires(Role.RESIDENT)
async def field_asked(update: Update, context: Context) -> int:
    meeting_id, field = args_of(update, r.EDIT_FIELD)
    async with context.db.session() as session:
        meeting = await managed_meeting(session, context.me, meeting_id)
    await answer(update)
    assert context.user_data is not None
    context.user_data[EDIT] = {"meeting": meeting_id, "field": field}
    questions = {
        "topic": _("Type the new topic."),
        "place": _("Type the new place."),
        "capacity": _("How many people can come? Type a number."),
        "agenda": _("Type the new agenda."),
    }
    current = value_text(field, getattr(meeting, field))
    text = questions[field] + "\n" + _("Now: {value}").format(value=current)
    clear = {"capacity": _("No limit"), "agenda": _("No agenda")}
    buttons = [r.EDIT_CLEAR.button(clear[field], meeting_id)] if field in clear else []
    await ask(update, text, buttons)
    return EDIT_VALUE


def _pending(context: Context) -> dict[str, Any]:
    assert context.user_data is not None
    return context.user_data.get(EDIT) or {}


async def value_typed(update: Update, context: Context) -> int:
    pending = _pending(context)
    field = str(pending.get("field") or "")
    try:
        value = service.edited_value(field, typed_text(update))
        if field == "capacity" and value is not None:
            async with context.db.session() as session:
                await service.check_capacity(session, int(pending.get("meeting") or 0), value)
    except InvalidInput as error:  # asked again
        await reply(update, domain_message(error), edit=False)
        return EDIT_VALUE
    return await _confirm(update, context, value)


async def value_cleared(update: Update, context: Context) -> int:
    await answer(update)
    return await _confirm(update, context, None)


async def _confirm(update: Update, context: Context, value: str | int | None) -> int:
    pending = _pending(context)
    meeting_id, field = int(pending.get("meeting") or 0), str(pending.get("field") or "")
    assert context.user_data is not None
    context.user_data[EDIT] = {**pending, "value": value}
    text = "\n".join(
        [
            _("Change this?"),
            "<b>" + field_name(field) + "</b>",
            _("Now: {value}").format(value=value_text(field, value)),
            _("Everyone who answered will be told."),
        ]
    )
    keyboard = kb.confirmation(r.EDIT_CONFIRM, meeting_id, yes=_("Yes, change it"), no=_("No"))
    await reply(update, text, keyboard, edit=update.callback_query is not None)
    return END


@requires(Role.RESIDENT)
async def confirmed(update: Update, context: Context) -> None:
    meeting_id, choice = args_of(update, r.EDIT_CONFIRM)
    async with context.db.session() as session:
        await managed_meeting(session, context.me, meeting_id, scheduled=False)
    await answer(update)
    assert context.user_data is not None
    pending = context.user_data.pop(EDIT, None) or {}
    if choice != "y":
        await show_meeting(update, context, meeting_id)
        return
    if pending.get("meeting") != meeting_id or "value" not in pending:
        await reply(update, stale_text(), kb.with_menu([]))
        return
    field = str(pending["field"])
    try:
        async with context.db.session() as session:
            actor = await members_service.get(session, context.me.id)  # type: ignore[arg-type]
            result = await service.edit_meeting(
                session, actor, meeting_id, field, pending["value"], now=now(context)
            )
            people = await service.attendees(session, meeting_id, TOLD)
    except DomainError as error:  # said in place of the question
        await reply(
            update, domain_message(error), kb.with_menu([cards.back_to_meeting(meeting_id)])
        )
        return
    meeting = result.meeting
    promoted = {p.id for p in result.promoted}

    def render() -> tuple[str, Any]:
        return changed_text(meeting, field, result.old), cards.invitation_keyboard(meeting)

    others = [p for p in people if p.id != actor.id and p.id not in promoted]
    told = await notify.notify_members(context.bot, context.db, others, render)
    for person in result.promoted:
        await _tell_promoted(context, person, meeting)
    await reply(
        update,
        _("Saved.") + " " + told_text(told + len(promoted)),
        kb.with_menu([[r.VIEW.button(_("Open the meeting"), meeting_id)]]),
    )


async def _tell_promoted(context: Context, person: Member, meeting: Meeting) -> None:
    def render() -> tuple[str, Any]:
        return cards.promoted_text(meeting), cards.invitation_keyboard(meeting)

    await notify.notify_member(context.bot, context.db, person, render)


# Changing a detail shares the follow-up's ConversationHandler (see __init__).
def entry_points() -> list[BaseHandler[Any, Any, Any]]:
    return [kb.callback_handler(field_asked, r.EDIT_FIELD)]


def states() -> dict[object, list[BaseHandler[Any, Any, Any]]]:
    return {EDIT_VALUE: [kb.callback_handler(value_cleared, r.EDIT_CLEAR), *typed(value_typed)]}


# What each button of this flow does (registered in __init__).
BUTTONS: kb.Buttons = {
    r.EDIT: edit_menu,
    r.EDIT_CONFIRM: confirmed,
}
