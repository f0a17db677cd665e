"""What both flows use: the sign-up draft in user_data, a profile as text, the review
screen and /cancel."""

from __future__ import annotations

from typing import Any

from telegram import ReplyKeyboardRemove, Update

from bot.i18n import current_language
from bot.i18n import gettext as _
from bot.services import groups as groups_service
from bot.services import volunteers as service
from handlers import keyboards as kb
from handlers.common import END, Context, esc, reply
from handlers.volunteers import routes as r

CHECK = "✅ "


def availability_name(code: str) -> str:
    names = {
        "weekday": _("weekdays"),
        "evening": _("evenings"),
        "weekend": _("weekends"),
    }
    return names.get(code, code)


def draft_of(context: Context) -> service.Draft:
    assert context.user_data is not None
    return service.Draft.from_dict(context.user_data.get(r.DRAFT_KEY))


def keep(context: Context, draft: service.Draft) -> None:
    assert context.user_data is not None
    context.user_data[r.DRAFT_KEY] = draft.as_dict()


async def area_names(context: Context) -> dict[str, str]:
    async with context.runtime.db.session() as session:
        areas = await groups_service.areas(session)
    return {a.slug: a.names.get(current_language()) or a.slug for a in areas}


def card(draft: service.Draft, names: dict[str, str]) -> str:
    none = "—"
    lines = [
        _("Name: {value}").format(value=esc(draft.name)),
        _("Phone: {value}").format(value=esc(draft.phone) if draft.phone else none),
        _("Street: {value}").format(value=esc(draft.street) if draft.street else _("other")),
        _("Skills: {value}").format(value=esc(draft.skills) if draft.skills else none),
        _("Areas of interest: {value}").format(
            value=", ".join(esc(names.get(a, a)) for a in draft.areas) or none
        ),
        _("Available: {value}").format(
            value=", ".join(availability_name(a) for a in draft.availability) or none
        ),
    ]
    return "\n".join(lines)


async def show(update: Update, screen: tuple[str, Any], step: int) -> int:
    """A step's screen in place of the pressed message; the conversation is at `step`."""
    text, keyboard = screen
    await reply(update, text, keyboard)
    return step


async def show_review(update: Update, context: Context) -> int:
    draft = draft_of(context)
    text = "<b>" + _("Please check:") + "</b>\n\n" + card(draft, await area_names(context))
    change = r.CHANGE.button
    rows = [
        [r.SAVE.button(_("Send"))],
        [change(_("Change name"), r.NAME), change(_("Change phone"), r.PHONE)],
        [change(_("Change street"), r.STREET), change(_("Change skills"), r.SKILLS)],
        [change(_("Change areas"), r.AREAS), change(_("Change availability"), r.AVAIL)],
        [r.QUIT.button(_("Cancel"))],
    ]
    if update.callback_query is not None:
        await reply(update, text, kb.markup(rows))
    else:
        assert update.effective_chat is not None
        await update.effective_chat.send_message(text, reply_markup=kb.markup(rows))
    return r.REVIEW


async def cancel(update: Update, context: Context) -> int:
    assert update.effective_chat is not None and context.user_data is not None
    context.user_data.pop(r.DRAFT_KEY, None)
    context.user_data.pop(r.EDITING_KEY, None)
    context.user_data.pop(r.FILTER_KEY + "_asking", None)
    await update.effective_chat.send_message(
        _("Stopped. Nothing more was saved."), reply_markup=ReplyKeyboardRemove()
    )
    return END
