"""After the meeting: the lead writes a summary, adds action items (task, owner, due day) and
sends the summary to the group; owners mark their tasks as done."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from sqlmodel.ext.asyncio.session import AsyncSession
from telegram import Update
from telegram.ext import BaseHandler

from bot import notify
from bot.dateparse import parse_when
from bot.i18n import gettext as _
from bot.i18n import ngettext
from bot.services import meetings as service
from bot.services import members as members_service
from bot.services.errors import DomainError, InvalidInput
from bot.services.members import clean_text
from handlers import keyboards as kb
from handlers.common import (
    END,
    Context,
    answer,
    clip_label,
    domain_message,
    esc,
    refusing,
    reply,
    requires,
)
from handlers.meetings import cards
from handlers.meetings import routes as r
from handlers.meetings.shared import (
    FOLLOW,
    ITEM_DUE,
    ITEM_OWNER,
    ITEM_TEXT,
    LABEL_MAX,
    SUMMARY,
    ask,
    id_of,
    managed_meeting,
    now,
    pressed,
    reply_long,
    tell_long,
    today,
    typed,
    typed_text,
)
from models import ActionItem, Meeting, Member, Role

DUE_DAYS = (3, 7, 14, 30)
OWNER_LIMIT = 40


async def _summary_parts(
    session: AsyncSession, member: Member, meeting_id: int
) -> tuple[Meeting, list[ActionItem], list[Member]]:
    """The meeting `member` manages, its action items and the group's members (owners)."""
    meeting = await managed_meeting(session, member, meeting_id)
    items = await service.action_items(session, meeting_id)
    people = await service.group_members(session, meeting.group_id)
    return meeting, items, people


async def _followup_screen(
    update: Update, context: Context, meeting_id: int, *, edit: bool
) -> None:
    async with context.db.session() as session:
        meeting, items, people = await _summary_parts(session, context.me, meeting_id)
    text = cards.summary_text(meeting, items, {m.id: m for m in people})  # type: ignore[misc]
    if not meeting.summary:
        text += "\n" + _("No summary yet.")
    rows = [
        [r.SUMMARY.button("📝 " + _("Write the summary"), meeting_id)],
        [r.ADD_ITEM.button("➕ " + _("Add an action item"), meeting_id)],
    ]
    if meeting.summary:
        rows.append([r.PUBLISH.button("📨 " + _("Send the summary"), meeting_id)])
    rows.append(cards.back_to_meeting(meeting_id))
    await reply_long(update, text, kb.with_menu(rows), edit=edit)


@requires(Role.RESIDENT)
async def followup(update: Update, context: Context) -> None:
    await answer(update)
    await _followup_screen(update, context, id_of(update, r.FOLLOW_UP), edit=True)


def _state(context: Context) -> dict[str, Any]:
    """What the follow-up conversation has gathered so far."""
    assert context.user_data is not None
    return context.user_data.get(FOLLOW) or {}


def _remember(context: Context, **values: Any) -> None:
    assert context.user_data is not None
    context.user_data[FOLLOW] = {**_state(context), **values}


async def _start(
    update: Update, context: Context, route: kb.Route, kind: str, question: str
) -> None:
    """The pressed meeting's follow-up starts: checked, remembered, `question` asked."""
    await answer(update)
    meeting_id = id_of(update, route)
    async with context.db.session() as session:
        await managed_meeting(session, context.me, meeting_id)
    assert context.user_data is not None
    context.user_data[FOLLOW] = {"meeting": meeting_id, "kind": kind}
    await ask(update, question)


def _finish(context: Context) -> int:
    assert context.user_data is not None
    meeting_id = int(_state(context).get("meeting") or 0)
    context.user_data.pop(FOLLOW, None)
    return meeting_id


@requires(Role.RESIDENT)
async def summary_start(update: Update, context: Context) -> int:
    await _start(update, context, r.SUMMARY, "summary", _("Type a short summary of the meeting."))
    return SUMMARY


@refusing
async def summary_typed(update: Update, context: Context) -> int:
    meeting_id = int(_state(context).get("meeting") or 0)
    try:
        async with context.db.session() as session:
            actor = await members_service.get(session, context.me.id)  # type: ignore[arg-type]
            await service.set_summary(session, actor, meeting_id, typed_text(update))
    except InvalidInput as error:  # too long or empty: type it again
        await reply(update, domain_message(error), edit=False)
        return SUMMARY
    except DomainError as error:  # gone or not theirs any more: the conversation ends
        await reply(update, domain_message(error), kb.with_menu([]))
        return END
    _finish(context)
    await reply(update, _("The summary is saved."), edit=False)
    await _followup_screen(update, context, meeting_id, edit=False)
    return END


@requires(Role.RESIDENT)
async def item_start(update: Update, context: Context) -> int:
    await _start(update, context, r.ADD_ITEM, "item", _("What needs to be done? Type the task."))
    return ITEM_TEXT


async def item_text_typed(update: Update, context: Context) -> int:
    try:
        text = clean_text(typed_text(update), service.ITEM_MAX, field="item")
    except InvalidInput as error:
        await reply(update, domain_message(error), edit=False)
        return ITEM_TEXT
    _remember(context, text=text)
    async with context.db.session() as session:
        meeting = await service.get(session, int(_state(context).get("meeting") or 0))
        people = await service.group_members(session, meeting.group_id)
    owners = [
        r.ITEM_OWNER.button(clip_label(p.display_name or "?", LABEL_MAX), p.id)
        for p in people[:OWNER_LIMIT]
    ]
    await ask(update, _("Who will do it?"), owners, width=2)
    return ITEM_OWNER


async def item_owner_chosen(update: Update, context: Context) -> int:
    await answer(update)
    _remember(context, owner=id_of(update, r.ITEM_OWNER))
    days = [
        r.ITEM_DUE.button(ngettext("in {n} day", "in {n} days", d).format(n=d), d) for d in DUE_DAYS
    ]
    await ask(update, _("By when? Pick one or type a date, like 15.05."), days, width=2)
    return ITEM_DUE


@refusing
async def item_due_chosen(update: Update, context: Context) -> int:
    await answer(update)
    days = id_of(update, r.ITEM_DUE) or 7
    return await _save_item(update, context, today(context) + timedelta(days=days))


@refusing
async def item_due_typed(update: Update, context: Context) -> int:
    tz = context.runtime.settings.timezone
    try:
        # A day without an hour: read it as noon, which no clock change can touch.
        moment = parse_when(
            f"{typed_text(update)} 12:00", context.language, now=now(context), tz=tz
        )
    except InvalidInput as error:
        await reply(update, domain_message(error), edit=False)
        return ITEM_DUE
    return await _save_item(update, context, moment.astimezone(tz).date())


async def _save_item(update: Update, context: Context, due: date) -> int:
    state = _state(context)
    meeting_id = int(state.get("meeting") or 0)
    try:
        async with context.db.session() as session:
            actor = await members_service.get(session, context.me.id)  # type: ignore[arg-type]
            item = await service.add_action_item(
                session,
                actor,
                meeting_id,
                text=str(state.get("text") or ""),
                owner_id=int(state.get("owner") or 0),
                due_on=due,
                today=today(context),
            )
            meeting = await service.get(session, meeting_id)
            owner = await members_service.get(session, item.owner_id)  # type: ignore[arg-type]
    except DomainError as error:  # said below the question, which stays
        await reply(update, domain_message(error), edit=False)
        return ITEM_DUE
    _finish(context)
    if owner.id != actor.id:

        def render() -> tuple[str, Any]:
            return cards.new_item_text(item, meeting), cards.item_keyboard(item)

        await notify.notify_member(context.bot, context.db, owner, render)
    await reply(update, _("The action item is added."), edit=False)
    await _followup_screen(update, context, meeting_id, edit=False)
    return END


@requires(Role.RESIDENT)
async def publish_summary(update: Update, context: Context) -> None:
    meeting_id = id_of(update, r.PUBLISH)
    async with context.db.session() as session:
        meeting, items, people = await _summary_parts(session, context.me, meeting_id)
        group = await service.group_of(session, meeting)
    await answer(update)
    owners = {m.id: m for m in people}

    def render() -> tuple[str, Any]:
        return cards.summary_text(meeting, items, owners), None  # type: ignore[arg-type]

    told = await tell_long(context, [p for p in people if p.id != context.me.id], group, render)
    await reply(
        update,
        ngettext("The summary went to {n} person.", "The summary went to {n} people.", told).format(
            n=told
        ),
        kb.with_menu([cards.back_to_meeting(meeting_id)]),
    )


@requires(Role.RESIDENT)
async def item_done(update: Update, context: Context) -> None:
    async with context.db.session() as session:
        item = await service.mark_done(
            session, context.me, id_of(update, r.ITEM_DONE), now=now(context)
        )
    await answer(update, _("Well done! The task is marked as done."))
    await reply(update, "✅ " + _("Done: {task}").format(task=esc(item.text)), kb.with_menu([]))


# The follow-up conversation shares its ConversationHandler with moving (see __init__).
def entry_points() -> list[BaseHandler[Any, Any, Any]]:
    return [
        kb.callback_handler(summary_start, r.SUMMARY),
        kb.callback_handler(item_start, r.ADD_ITEM),
    ]


def states() -> dict[object, list[BaseHandler[Any, Any, Any]]]:
    return {
        SUMMARY: typed(summary_typed),
        ITEM_TEXT: typed(item_text_typed),
        ITEM_OWNER: pressed(kb.callback_handler(item_owner_chosen, r.ITEM_OWNER)),
        ITEM_DUE: [kb.callback_handler(item_due_chosen, r.ITEM_DUE), *typed(item_due_typed)],
    }


# What each button of this flow does (registered in __init__).
BUTTONS: kb.Buttons = {
    r.FOLLOW_UP: followup,
    r.PUBLISH: publish_summary,
    r.ITEM_DONE: item_done,
}
