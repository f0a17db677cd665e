"""Coordinators post an opportunity: its title, when, where, how many helpers, and the
problem area whose volunteers are told."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from telegram import InlineKeyboardMarkup, Update

from bot.dateparse import parse_when
from bot.i18n import N_, current_language, format_datetime, ngettext
from bot.i18n import gettext as _
from bot.notify import notify_members
from bot.services import groups as groups_service
from bot.services import members as members_service
from bot.services import opportunities as service
from bot.services.errors import DomainError, InvalidInput
from handlers import keyboards as kb
from handlers.common import END, Context, answer, domain_message, esc, pressed, reply, requires
from handlers.opportunities import routes as r
from handlers.opportunities.shared import in_background, summary
from models import Role

PLACE_CHOICES = (1, 2, 3, 5, 10, 20)


def _draft(context: Context) -> dict[str, Any]:
    assert context.user_data is not None
    return context.user_data.setdefault(r.DRAFT_KEY, {})


@requires(Role.COORDINATOR)
async def new(update: Update, context: Context) -> int:
    await answer(update)
    assert context.user_data is not None
    context.user_data[r.DRAFT_KEY] = {}
    await reply(
        update,
        _("What is the help needed? Send a short title, e.g. “Painting the playground fence”.")
        + "\n"
        + _("Send /cancel to stop."),
    )
    return r.TITLE


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
        return r.TITLE
    return await _ask_when(update, context)


async def _ask_when(update: Update, context: Context) -> int:
    message = update.effective_message
    assert message is not None
    choices = _quick_times(context.runtime.settings.timezone)
    buttons = [
        r.QUICK_TIME.button(format_datetime(when, "short_day"), index)
        for index, when in enumerate(choices)
    ]
    await message.reply_text(
        _("When? Pick one or type it, for example: 15.05 10:00, or tomorrow 17:00."),
        reply_markup=kb.markup(kb.grid(buttons, 2)),
    )
    return r.WHEN


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
        return r.WHEN
    return await _when_chosen(update, context, choices[index])


async def _when_chosen(update: Update, context: Context, starts_at: datetime) -> int:
    _draft(context)["starts_at"] = starts_at.isoformat()
    place = context.runtime.profile.default_place
    keyboard = kb.markup([[r.DEFAULT_PLACE.button(place[:60])]]) if place else None
    assert update.effective_chat is not None
    await update.effective_chat.send_message(
        _("{when}. Where? Send the place.").format(when=format_datetime(starts_at, "short_day")),
        reply_markup=keyboard,
    )
    return r.WHERE


async def _ask_places(update: Update) -> int:
    buttons = [r.PLACE_COUNT.button(str(n), n) for n in PLACE_CHOICES]
    assert update.effective_chat is not None
    await update.effective_chat.send_message(
        _("How many volunteers are needed? Pick or type a number."),
        reply_markup=kb.markup(kb.grid(buttons, 3)),
    )
    return r.PLACES


async def where_typed(update: Update, context: Context) -> int:
    if not await _keep_typed(update, context, "place", service.PLACE_MAX):
        return r.WHERE
    return await _ask_places(update)


async def default_place(update: Update, context: Context) -> int:
    await answer(update)
    _draft(context)["place"] = context.runtime.profile.default_place
    return await _ask_places(update)


async def _ask_area(update: Update, context: Context) -> int:
    async with context.runtime.db.session() as session:
        areas = await groups_service.areas(session)
    rows = [[r.AREA.button(a.names.get(current_language()) or a.slug, a.id)] for a in areas]
    rows.append([r.AREA.button(_("All volunteers"), 0)])
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
        return r.PLACES
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
    draft = context.user_data.get(r.DRAFT_KEY) or {}
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
    context.user_data.pop(r.DRAFT_KEY, None)

    def render() -> tuple[str, InlineKeyboardMarkup]:
        text = "🙋 " + _("Volunteers needed!") + "\n\n" + summary(opportunity, 0)
        return text, kb.markup([[r.SIGN_UP.button(_("I'll help"), opportunity.id)]])

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
        kb.with_menu([[r.HELPERS.button(_("Helpers"), opportunity.id)]]),
    )


async def cancel(update: Update, context: Context) -> int:
    assert update.effective_chat is not None and context.user_data is not None
    context.user_data.pop(r.DRAFT_KEY, None)
    await update.effective_chat.send_message(_("Stopped. Nothing more was saved."))
    return END


async def not_text(update: Update, context: Context) -> None:
    assert update.effective_chat is not None
    await update.effective_chat.send_message(
        _("I can only read text here. Please type your answer, or send /cancel to stop.")
    )


# The buttons this module answers (registered by the package's register()).
BUTTONS: kb.Buttons = {
    r.AREA: area_chosen,
}
