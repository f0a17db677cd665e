"""Volunteering opportunities: coordinators post, matching volunteers sign up, reminders."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Coroutine
from datetime import UTC, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from telegram import InlineKeyboardMarkup, Update
from telegram.ext import (
    Application,
    CallbackQueryHandler,
    CommandHandler,
    ConversationHandler,
    MessageHandler,
)

from bot.dateparse import parse_when
from bot.i18n import N_, current_language, format_datetime, ngettext
from bot.i18n import gettext as _
from bot.notify import Render, notify_member, notify_members
from bot.runtime import runtime
from bot.services import groups as groups_service
from bot.services import members as members_service
from bot.services import opportunities as service
from bot.services import state as state_service
from bot.services.errors import DomainError, InvalidInput
from handlers import keyboards as kb
from handlers.common import (
    END,
    NOT_TYPED,
    TYPED,
    App,
    Context,
    answer,
    domain_message,
    esc,
    pressed,
    reply,
    requires,
)
from handlers.registry import MenuEntry
from models import Member, Opportunity, Role

log = logging.getLogger(__name__)
F = "op"
TITLE, WHEN, WHERE, PLACES = range(4)
DRAFT_KEY = "opportunity_draft"
PLACE_CHOICES = (1, 2, 3, 5, 10, 20)
TASKS_KEY = "opportunity_notifications"
LIST_MAX = 15
HELPERS_LISTED = 50  # names per message: stays under Telegram's 4096 characters
REMINDER_INTERVAL = 60  # seconds between checks for due reminders
MENU = [MenuEntry(N_("Opportunities"), F, Role.RESIDENT, order=56)]


def _draft(context: Context) -> dict[str, Any]:
    assert context.user_data is not None
    return context.user_data.setdefault(DRAFT_KEY, {})


def summary(opportunity: Opportunity, taken: int) -> str:
    return "\n".join(
        [
            "<b>" + esc(opportunity.title) + "</b>",
            _("When: {when}").format(when=format_datetime(opportunity.starts_at, "short_day")),
            _("Where: {place}").format(place=esc(opportunity.place)),
            _("Places taken: {taken} of {places}").format(taken=taken, places=opportunity.places),
        ]
    )


def _notify(application: Application, member: Member, render: Render) -> Awaitable[Any]:  # type: ignore[type-arg]
    return notify_member(application.bot, runtime(application).db, member, render)


# --- the list -------------------------------------------------------------------------------


@requires(Role.RESIDENT)
async def overview(update: Update, context: Context) -> int:
    await answer(update)
    member = context.member
    assert member is not None
    coordinator = member.role == Role.COORDINATOR
    rows = []
    lines = ["<b>" + _("Volunteering opportunities") + "</b>"]
    async with context.runtime.db.session() as session:
        found = await service.upcoming(session)
        mine = await service.signed_up_ids(session, member.id)  # type: ignore[arg-type]
        for opportunity in found[:LIST_MAX]:
            taken = await service.taken(session, opportunity.id)  # type: ignore[arg-type]
            signed = opportunity.id in mine
            # One short line each: a full card per opportunity could pass 4096 characters.
            lines.append(
                ("✅ " if signed else "• ")
                + _("{title} — {when}, {place} ({taken}/{places})").format(
                    title=esc(opportunity.title),
                    when=format_datetime(opportunity.starts_at, "short_day"),
                    place=esc(opportunity.place[:60]),
                    taken=taken,
                    places=opportunity.places,
                )
            )
            label = opportunity.title[:30]
            if coordinator:
                rows.append(
                    [kb.button(_("Helpers: {title}").format(title=label), F, "v", opportunity.id)]
                )
            elif signed:
                rows.append(
                    [
                        kb.button(
                            _("I can't come: {title}").format(title=label), F, "out", opportunity.id
                        )
                    ]
                )
            else:
                rows.append(
                    [
                        kb.button(
                            _("I'll help: {title}").format(title=label), F, "in", opportunity.id
                        )
                    ]
                )
    if not found:
        lines.append(_("There are no opportunities at the moment."))
    if coordinator:
        rows.insert(0, [kb.button(_("New opportunity"), F, "new")])
    await reply(update, "\n".join(lines), kb.with_menu(rows))
    return END


@requires(Role.COORDINATOR)
async def helpers_view(update: Update, context: Context) -> None:
    data = await pressed(update)
    try:
        async with context.runtime.db.session() as session:
            opportunity = await service.get(session, data.int_arg(0))
            people = await service.helpers(session, opportunity.id)  # type: ignore[arg-type]
    except DomainError as error:
        await reply(update, esc(domain_message(error)), kb.with_menu([]))
        return
    lines = [summary(opportunity, len(people)), ""]
    if not people:
        lines.append(_("Nobody has signed up yet."))
    for member, phone in people[:HELPERS_LISTED]:
        line = (
            f'• <a href="tg://user?id={member.telegram_id}">{esc(member.display_name or "?")}</a>'
        )
        if phone:
            line += f" — {esc(phone)}"
        lines.append(line)
    if len(people) > HELPERS_LISTED:
        lines.append(_("…and {n} more.").format(n=len(people) - HELPERS_LISTED))
    rows = [
        [kb.button(_("Cancel this opportunity"), F, "cx", opportunity.id)],
        [kb.button(_("Opportunities"), F)],
    ]
    await reply(update, "\n".join(lines), kb.with_menu(rows))


@requires(Role.COORDINATOR)
async def cancel_opportunity(update: Update, context: Context) -> None:
    """cx: ask; cxc:<id>:y: cancel it and tell those who signed up."""
    data = await pressed(update)
    opportunity_id = data.int_arg(0) or 0
    if data.action == "cx":
        await reply(
            update,
            _("Cancel this opportunity? Those who signed up will be told."),
            kb.yes_no(F, "cxc", opportunity_id, yes=_("Yes, cancel it"), no=_("No, keep it")),
        )
        return
    if data.arg(1) != "y":
        await reply(
            update, _("Nothing was changed."), kb.with_menu([[kb.button(_("Opportunities"), F)]])
        )
        return
    member = context.member
    assert member is not None
    try:
        async with context.runtime.db.session() as session:
            actor = await members_service.get(session, member.id)  # type: ignore[arg-type]
            opportunity, people = await service.cancel(session, opportunity_id, actor)
    except DomainError as error:
        await reply(update, esc(domain_message(error)), kb.with_menu([]))
        return

    def render() -> tuple[str, InlineKeyboardMarkup | None]:
        text = _("Cancelled: “{title}” ({when}) will not take place. Thank you anyway!").format(
            title=esc(opportunity.title),
            when=format_datetime(opportunity.starts_at, "short_day"),
        )
        return text, None

    in_background(
        context.application,
        notify_members(context.application.bot, context.runtime.db, people, render),
    )
    await reply(
        update,
        ngettext(
            "Cancelled. {n} helper is being told.",
            "Cancelled. {n} helpers are being told.",
            len(people),
        ).format(n=len(people)),
        kb.with_menu([[kb.button(_("Opportunities"), F)]]),
    )


# --- signing up -----------------------------------------------------------------------------


@requires(Role.RESIDENT)
async def sign_up(update: Update, context: Context) -> None:
    data = kb.parse(update.callback_query.data if update.callback_query else None)
    member = context.me
    async with context.db.session() as session:  # a DomainError: @requires refuses
        fresh = await members_service.get(session, member.id)  # type: ignore[arg-type]
        result = await service.sign_up(session, data.int_arg(0) or 0, fresh)
        poster = (
            await session.get(Member, result.opportunity.posted_by_id)
            if result.opportunity.posted_by_id
            else None
        )
        # Sign up, withdraw, sign up again…: the poster hears of it once an hour at most.
        tell_poster = not result.already and await state_service.claim_notice(
            session, f"opp-signup:{result.opportunity.id}:{fresh.id}"
        )
    await answer(update)
    opportunity = result.opportunity
    await reply(
        update,
        _("You are signed up. Thank you!")
        + "\n\n"
        + summary(opportunity, result.taken)
        + "\n\n"
        + _("I will remind you before it starts."),
        kb.with_menu([[kb.button(_("I can't come after all"), F, "out", opportunity.id)]]),
    )
    if not tell_poster or poster is None or not poster.reachable:
        return

    def render() -> tuple[str, InlineKeyboardMarkup]:
        text = _("{name} signed up for “{title}”: {taken} of {places} places taken.").format(
            name=esc(member.display_name or "?"),
            title=esc(opportunity.title),
            taken=result.taken,
            places=opportunity.places,
        )
        if result.taken >= opportunity.places:
            text += "\n" + _("All places are taken.")
        return text, kb.markup([[kb.button(_("Helpers"), F, "v", opportunity.id)]])

    await _notify(context.application, poster, render)


@requires(Role.RESIDENT)
async def sign_out(update: Update, context: Context) -> None:
    data = await pressed(update)
    member = context.member
    assert member is not None
    async with context.runtime.db.session() as session:
        removed = await service.withdraw(session, data.int_arg(0) or 0, member)
    text = _("You are no longer signed up.") if removed else _("You were not signed up.")
    await reply(update, text, kb.with_menu([[kb.button(_("Opportunities"), F)]]))


# --- posting (coordinators) ----------------------------------------------------------------


@requires(Role.COORDINATOR)
async def new(update: Update, context: Context) -> int:
    await answer(update)
    assert context.user_data is not None
    context.user_data[DRAFT_KEY] = {}
    await reply(
        update,
        _("What is the help needed? Send a short title, e.g. “Painting the playground fence”.")
        + "\n"
        + _("Send /cancel to stop."),
    )
    return TITLE


async def _keep_typed(update: Update, context: Context, field: str, limit: int) -> bool:
    """The typed text, cleaned, into the draft's `field`; False (and why, said) if it won't do."""
    message = update.effective_message
    assert message is not None
    try:
        _draft(context)[field] = members_service.clean_text(message.text, limit, field=field)
    except DomainError as error:
        await message.reply_text(esc(domain_message(error)))
        return False
    return True


async def title_typed(update: Update, context: Context) -> int:
    if not await _keep_typed(update, context, "title", service.TITLE_MAX):
        return TITLE
    return await _ask_when(update, context)


async def _ask_when(update: Update, context: Context) -> int:
    message = update.effective_message
    assert message is not None
    choices = _quick_times(context.runtime.settings.timezone)
    buttons = [
        kb.button(format_datetime(when, "short_day"), F, "qd", index)
        for index, when in enumerate(choices)
    ]
    await message.reply_text(
        _("When? Pick one or type it, for example: 15.05 10:00, or tomorrow 17:00."),
        reply_markup=kb.markup(kb.grid(buttons, 2)),
    )
    return WHEN


def _quick_times(zone: ZoneInfo, now: datetime | None = None) -> list[datetime]:
    """Tomorrow 10:00 and 17:00, and the coming Saturday and Sunday at 10:00 (UTC)."""
    today = (now or datetime.now(zone)).astimezone(zone).date()
    tomorrow = today + timedelta(days=1)
    saturday = today + timedelta(days=(5 - today.weekday()) % 7 or 7)
    days = [(tomorrow, 10), (tomorrow, 17), (saturday, 10), (saturday + timedelta(days=1), 10)]
    return [datetime.combine(d, time(h), tzinfo=zone).astimezone(UTC) for d, h in days]


async def when_typed(update: Update, context: Context) -> int:
    message = update.effective_message
    assert message is not None
    try:
        starts_at = parse_when(
            message.text or "", current_language(), tz=context.runtime.settings.timezone
        )
        if starts_at <= datetime.now(starts_at.tzinfo):
            raise InvalidInput(
                N_("That time has already passed. Please give a time in the future.")
            )
    except DomainError as error:
        await message.reply_text(esc(domain_message(error)))
        return await _ask_when(update, context)  # the quick times again
    return await _when_chosen(update, context, starts_at)


async def when_picked(update: Update, context: Context) -> int:
    data = await pressed(update)
    choices = _quick_times(context.runtime.settings.timezone)
    index = data.int_arg(0)
    if index is None or not 0 <= index < len(choices):
        return WHEN
    return await _when_chosen(update, context, choices[index])


async def _when_chosen(update: Update, context: Context, starts_at: datetime) -> int:
    _draft(context)["starts_at"] = starts_at.isoformat()
    place = context.runtime.profile.default_place
    keyboard = kb.markup([[kb.button(place[:60], F, "dp")]]) if place else None
    assert update.effective_chat is not None
    await update.effective_chat.send_message(
        _("{when}. Where? Send the place.").format(when=format_datetime(starts_at, "short_day")),
        reply_markup=keyboard,
    )
    return WHERE


async def _ask_places(update: Update) -> int:
    buttons = [kb.button(str(n), F, "pl", n) for n in PLACE_CHOICES]
    assert update.effective_chat is not None
    await update.effective_chat.send_message(
        _("How many volunteers are needed? Pick or type a number."),
        reply_markup=kb.markup(kb.grid(buttons, 3)),
    )
    return PLACES


async def where_typed(update: Update, context: Context) -> int:
    if not await _keep_typed(update, context, "place", service.PLACE_MAX):
        return WHERE
    return await _ask_places(update)


async def default_place(update: Update, context: Context) -> int:
    await answer(update)
    _draft(context)["place"] = context.runtime.profile.default_place
    return await _ask_places(update)


async def _ask_area(update: Update, context: Context) -> int:
    async with context.runtime.db.session() as session:
        areas = await groups_service.areas(session)
    rows = [[kb.button(a.names.get(current_language()) or a.slug, F, "ar", a.id)] for a in areas]
    rows.append([kb.button(_("All volunteers"), F, "ar", 0)])
    assert update.effective_chat is not None
    await update.effective_chat.send_message(
        _("Which problem area? Volunteers interested in it will be told."),
        reply_markup=kb.markup(rows),
    )
    return END


async def places_typed(update: Update, context: Context) -> int:
    message = update.effective_message
    assert message is not None
    try:
        _draft(context)["places"] = service.clean_places(message.text)
    except DomainError as error:
        await message.reply_text(esc(domain_message(error)))
        return PLACES
    return await _ask_area(update, context)


async def places_chosen(update: Update, context: Context) -> int:
    data = await pressed(update)
    _draft(context)["places"] = service.clean_places(data.int_arg(0))
    return await _ask_area(update, context)


@requires(Role.COORDINATOR)
async def area_chosen(update: Update, context: Context) -> None:
    """The last answer: post it and tell the matching volunteers."""
    data = await pressed(update)
    assert context.user_data is not None
    draft = context.user_data.get(DRAFT_KEY) or {}
    member = context.member
    assert member is not None
    if not {"title", "starts_at", "place", "places"} <= draft.keys():
        await reply(update, _("Please start again: this draft is incomplete."), kb.with_menu([]))
        return
    try:
        async with context.runtime.db.session() as session:
            poster = await members_service.get(session, member.id)  # type: ignore[arg-type]
            opportunity = await service.create(
                session,
                poster,
                title=draft["title"],
                starts_at=datetime.fromisoformat(draft["starts_at"]),
                place=draft["place"],
                places=draft["places"],
                area_id=data.int_arg(0) or None,
            )
            people = await service.matching_members(session, opportunity)
    except DomainError as error:
        await reply(update, esc(domain_message(error)), kb.with_menu([]))
        return
    context.user_data.pop(DRAFT_KEY, None)

    def render() -> tuple[str, InlineKeyboardMarkup]:
        text = "🙋 " + _("Volunteers needed!") + "\n\n" + summary(opportunity, 0)
        return text, kb.markup([[kb.button(_("I'll help"), F, "in", opportunity.id)]])

    others = [p for p in people if p.id != poster.id]
    in_background(
        context.application,
        notify_members(context.application.bot, context.runtime.db, others, render),
    )
    await reply(
        update,
        _("Posted.")
        + "\n\n"
        + summary(opportunity, 0)
        + "\n\n"
        + ngettext(
            "Telling {n} matching volunteer now.",
            "Telling {n} matching volunteers now.",
            len(others),
        ).format(n=len(others)),
        kb.with_menu([[kb.button(_("Helpers"), F, "v", opportunity.id)]]),
    )


def in_background(application: Application, coroutine: Coroutine[Any, Any, Any]) -> None:  # type: ignore[type-arg]
    """Sending to many people must not hold up everyone else's updates (PTB handles them
    one at a time); the tasks are kept so that they are not garbage-collected mid-way."""
    tasks: set[asyncio.Task[Any]] = application.bot_data.setdefault(TASKS_KEY, set())
    task = asyncio.create_task(coroutine)
    tasks.add(task)
    task.add_done_callback(tasks.discard)


async def wait_for_notifications(application: Application) -> None:  # type: ignore[type-arg]
    """Until background notifications have gone out (tests)."""
    await asyncio.gather(*list(application.bot_data.get(TASKS_KEY, ())))


async def cancel(update: Update, context: Context) -> int:
    assert update.effective_chat is not None and context.user_data is not None
    context.user_data.pop(DRAFT_KEY, None)
    await update.effective_chat.send_message(_("Stopped. Nothing more was saved."))
    return END


async def not_text(update: Update, context: Context) -> None:
    assert update.effective_chat is not None
    await update.effective_chat.send_message(
        _("I can only read text here. Please type your answer, or send /cancel to stop.")
    )


# --- reminders -----------------------------------------------------------------------------


async def send_due_reminders(application: Application, now: datetime | None = None) -> int:  # type: ignore[type-arg]
    """Remind those signed up; callable on its own (tests) and run by the JobQueue."""
    settings = runtime(application).settings
    async with runtime(application).db.session() as session:
        due = await service.claim_due_reminders(session, settings.reminder_offsets, now)
    sent = 0
    for opportunity, people in due:

        def render(
            opportunity: Opportunity = opportunity, count: int = len(people)
        ) -> tuple[str, InlineKeyboardMarkup]:
            text = "⏰ " + _("Reminder: thank you for helping!") + "\n\n"
            text += summary(opportunity, count)
            keyboard = kb.markup(
                [[kb.button(_("I can't come after all"), F, "out", opportunity.id)]]
            )
            return text, keyboard

        sent += await notify_members(application.bot, runtime(application).db, people, render)
    return sent


async def _reminder_job(context: Context) -> None:
    await send_due_reminders(context.application)


def register(application: App) -> None:
    posting = ConversationHandler(
        entry_points=[CallbackQueryHandler(new, pattern=rf"^{F}:new$")],
        states={
            TITLE: [MessageHandler(TYPED, title_typed)],
            WHEN: [
                MessageHandler(TYPED, when_typed),
                CallbackQueryHandler(when_picked, pattern=rf"^{F}:qd:\d$"),
            ],
            WHERE: [
                MessageHandler(TYPED, where_typed),
                CallbackQueryHandler(default_place, pattern=rf"^{F}:dp$"),
            ],
            PLACES: [
                MessageHandler(TYPED, places_typed),
                CallbackQueryHandler(places_chosen, pattern=rf"^{F}:pl:\d+$"),
            ],
        },
        fallbacks=[CommandHandler("cancel", cancel), MessageHandler(NOT_TYPED, not_text)],
        name="opportunity",
        persistent=True,
        allow_reentry=True,
    )
    application.add_handler(posting)
    application.add_handler(CallbackQueryHandler(overview, pattern=rf"^{F}$"))
    application.add_handler(CallbackQueryHandler(area_chosen, pattern=rf"^{F}:ar:\d+$"))
    application.add_handler(CallbackQueryHandler(helpers_view, pattern=rf"^{F}:v:\d+$"))
    application.add_handler(CallbackQueryHandler(sign_up, pattern=rf"^{F}:in:\d+$"))
    application.add_handler(CallbackQueryHandler(sign_out, pattern=rf"^{F}:out:\d+$"))
    application.add_handler(CallbackQueryHandler(cancel_opportunity, pattern=rf"^{F}:(cx|cxc):\d+"))
    if application.job_queue is not None:
        application.job_queue.run_repeating(
            _reminder_job,
            interval=REMINDER_INTERVAL,
            first=REMINDER_INTERVAL,
            name="opportunity-reminders",
        )
