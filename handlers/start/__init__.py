"""/start onboarding (consent, name, institution, language), the main menu, /help,
/language and /cancel.

One module per flow: `onboarding` (the /start conversation and its steps' buttons), `menu`
(the menu, /help, /language, /cancel); `screens` is what they look like; every button is
declared once in `routes`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from telegram.ext import CommandHandler, ConversationHandler, MessageHandler

from bot.i18n import N_
from handlers import keyboards as kb
from handlers.common import (
    NOT_TYPED,
    SENT,
    TYPED,
    App,
    Handlers,
    persistent_conversation,
    private_only,
)
from handlers.registry import CommandSpec
from handlers.start import menu, onboarding
from handlers.start import routes as r
from handlers.start.menu import idle_cancel
from handlers.start.screens import help_text, main_menu, role_name

__all__ = ["COMMANDS", "help_text", "idle_cancel", "main_menu", "register", "role_name"]

COMMANDS = [
    CommandSpec("start", N_("Start, or show the main menu"), min_role=None),
    CommandSpec("help", N_("What I can do for you"), min_role=None),
    CommandSpec("language", N_("Change the language"), min_role=None),
    CommandSpec("cancel", N_("Stop what you are doing"), min_role=None),
    CommandSpec("menu", N_("Main menu"), min_role=None),
]


def _typed(callback: Callable[..., Any]) -> Handlers:
    """A step that takes typed text; anything else is asked for as text again."""
    return [MessageHandler(TYPED, callback), MessageHandler(NOT_TYPED, onboarding.not_text)]


def _onboarding() -> ConversationHandler[Any]:
    on = kb.callback_handler
    return persistent_conversation(
        "onboarding",
        # The step buttons are entry points (with allow_reentry, checked before the states):
        # `resume` routes them by the member's progress in the database, so they keep working
        # when the stored conversation state lags behind after a crash.
        entry_points=[
            CommandHandler("start", private_only(onboarding.start)),
            on(onboarding.start_button, r.START),
            on(onboarding.resume, r.AGREE, r.TELEGRAM_NAME, r.PICK_INSTITUTION),
        ],
        states={
            r.CONSENT: [
                on(onboarding.choose_language_in_onboarding, r.ONBOARDING_LANGUAGE),
                MessageHandler(SENT, onboarding.text_at_consent),
            ],
            r.NAME: _typed(onboarding.typed_name),
            r.INSTITUTION: _typed(onboarding.institution_typed),
        },
        fallbacks=[
            CommandHandler("cancel", menu.cancel),
            CommandHandler("start", private_only(onboarding.start)),
        ],
    )


def register(application: App) -> None:
    application.add_handler(_onboarding())
    application.add_handler(CommandHandler("help", menu.help_command))
    application.add_handler(CommandHandler("language", private_only(menu.language_command)))
    application.add_handlers(kb.callback_handlers(menu.BUTTONS))
