"""/panel: the coordinators' panel (a Telegram Mini App, bot/panel/) for group leads and
coordinators. Exists only when BOT_WEBAPP_URL is set: otherwise no command, no handler."""

from __future__ import annotations

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update, WebAppInfo
from telegram.ext import CommandHandler

from bot.i18n import N_
from bot.i18n import gettext as _
from bot.runtime import runtime
from handlers.common import App, Context, private_only, requires
from handlers.registry import CommandSpec
from models import Role

PANEL_COMMAND = CommandSpec("panel", N_("The panel: board, calendar, statistics"), Role.LEAD)
# Filled by register() when the panel is enabled (one application per process).
COMMANDS: list[CommandSpec] = []


def panel_keyboard(url: str) -> InlineKeyboardMarkup:
    """The Web App button: Telegram opens the panel with the member's signed initData."""
    return InlineKeyboardMarkup(
        [[InlineKeyboardButton(_("Open the panel"), web_app=WebAppInfo(url))]]
    )


@requires(Role.LEAD)
async def panel(update: Update, context: Context) -> None:
    url = context.runtime.settings.bot_webapp_url
    chat = update.effective_chat
    if url is None or chat is None:
        return
    await chat.send_message(
        _(
            "The panel shows the board of contributions, the groups, the meeting calendar "
            "and the statistics. It opens inside Telegram."
        ),
        reply_markup=panel_keyboard(url),
    )


def register(application: App) -> None:
    enabled = runtime(application).settings.bot_webapp_url is not None
    COMMANDS[:] = [PANEL_COMMAND] if enabled else []
    if enabled:
        application.add_handler(CommandHandler("panel", private_only(panel)))
