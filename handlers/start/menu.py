"""The main menu, /help, /language, and /cancel (in onboarding, or when nothing runs)."""

from __future__ import annotations

from telegram import Update

from bot.i18n import gettext as _
from bot.i18n import set_language, use_language
from bot.services import members as members_service
from handlers import commands as commands_module
from handlers import keyboards as kb
from handlers.common import END, Context, answer, not_registered_text, reply
from handlers.start import routes as r
from handlers.start.screens import help_text, main_menu


async def show_menu(update: Update, context: Context) -> None:
    member = context.member
    await answer(update)
    if member is None or not member.is_registered:
        await reply(update, not_registered_text())
        return
    text, keyboard = main_menu(member)
    await reply(update, text, keyboard)


async def help_command(update: Update, context: Context) -> None:
    member = context.member
    await answer(update)
    keyboard = (
        kb.markup([kb.back_to_menu_row()]) if member is not None and member.is_registered else None
    )
    await reply(update, help_text(member), keyboard)


async def language_command(update: Update, context: Context) -> None:
    await answer(update)
    await reply(
        update,
        _("Choose your language:"),
        kb.markup([kb.language_buttons("lg"), kb.back_to_menu_row()]),
    )


async def language_chosen(update: Update, context: Context) -> None:
    user = update.effective_user
    assert user is not None and context.user_data is not None
    language = kb.parse(update.callback_query.data if update.callback_query else None).arg(0)
    if language not in ("pl", "en", "uk"):
        await answer(update, _("This button is no longer available."))
        return
    runtime = context.runtime
    known = context.member  # loaded for this update: taken into the block, not read again
    async with runtime.db.session() as session:
        member = (
            await members_service.taken_in(session, known)
            if known is not None and known.telegram_id == user.id
            else await members_service.get_by_telegram_id(session, user.id)
        )
        if member is not None and member.has_consented:
            await members_service.set_language(session, member, language)
        else:
            # Before consent nothing goes to the members table; keep it with the conversation.
            context.user_data[r.LANGUAGE_KEY] = language
    with use_language(language):
        await answer(update)
        if member is not None and member.is_registered:
            context.member = member
            text, keyboard = main_menu(member)
            await reply(update, _("Language changed to English.") + "\n\n" + text, keyboard)
        else:
            await reply(update, _("Language changed to English."))
    set_language(language)
    if member is not None and member.has_consented:
        await commands_module.refresh_member_commands(context.application, member)


async def _say_stopped(update: Update, context: Context, *, running: bool) -> None:
    """What /cancel stopped (`running`: a step of onboarding, else nothing) and what next:
    the main menu for a registered member when nothing ran, else a hint at /start."""
    assert update.effective_chat is not None
    member = context.member
    text = _("Stopped. Nothing more was saved.") if running else _("There was nothing to stop.")
    keyboard = None
    if member is not None and member.is_registered:
        if running:
            text += " " + _("Send /start for the main menu.")
        else:
            text += " " + _("What would you like to do?")
            _menu_text, keyboard = main_menu(member)
    elif not running:
        text += " " + _("Send /start to begin.")
    await update.effective_chat.send_message(text, reply_markup=keyboard)


async def cancel(update: Update, context: Context) -> int:
    """/cancel inside onboarding."""
    await _say_stopped(update, context, running=True)
    return END


async def idle_cancel(update: Update, context: Context) -> None:
    """/cancel when nothing is running: say so, and offer the menu."""
    await _say_stopped(update, context, running=False)


# The buttons this module answers (registered by the package's register()).
BUTTONS: kb.Buttons = {
    r.MENU: show_menu,
    r.HELP: help_command,
    r.LANGUAGE: language_command,
    r.LANGUAGE_SET: language_chosen,
}
