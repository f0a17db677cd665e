"""/broadcast: audience, text (or photo), preview with the count, send; progress and stop.

One module per flow: `overview` (what is being sent, stopping, who blocked the bot),
`audience` (a new broadcast: who gets it), `composing` (the text, the preview, sending);
`labels` puts an audience and a broadcast's progress in words; every button is in `routes`.
"""

from __future__ import annotations

from typing import Any

from telegram.ext import CommandHandler, ConversationHandler, MessageHandler, filters

from bot.i18n import N_
from handlers import keyboards as kb
from handlers.broadcasts import audience, composing, overview
from handlers.broadcasts import routes as r
from handlers.broadcasts.audience import MEETINGS_LISTED, MEETINGS_LOOKBACK, audience_of_choice
from handlers.broadcasts.labels import audience_label
from handlers.broadcasts.routes import OVERVIEW
from handlers.common import SENT, TYPED, App, persistent_conversation, private_only
from handlers.registry import CommandSpec, MenuEntry
from models import Role

__all__ = [
    "COMMANDS",
    "MEETINGS_LISTED",
    "MEETINGS_LOOKBACK",
    "MENU",
    "OVERVIEW",
    "audience_label",
    "audience_of_choice",
    "register",
]

COMMANDS = [CommandSpec("broadcast", N_("Send a message to many people"), Role.LEAD)]
MENU = [MenuEntry(N_("Broadcasts"), r.OVERVIEW.data(), Role.LEAD, order=70)]


def _composing() -> ConversationHandler[Any]:
    on = kb.callback_handler
    return persistent_conversation(
        "broadcast",
        entry_points=[
            on(composing.audience_chosen, *r.AUDIENCES),
            on(composing.draft_action, r.REDO),
        ],
        states={
            r.TEXT: [
                MessageHandler(TYPED | filters.PHOTO, composing.text_received),
                on(composing.formatting_help, r.FORMATTING),
                MessageHandler(SENT, composing.not_a_message),
            ],
            r.PREVIEW: [
                on(composing.draft_action, r.SEND, r.DROP),
                MessageHandler(SENT, composing.text_at_preview),
            ],
        },
        fallbacks=[
            CommandHandler("cancel", composing.cancel),
            CommandHandler("broadcast", private_only(overview.overview)),
            on(composing.audience_chosen, *r.AUDIENCES),
        ],
    )


def register(application: App) -> None:
    application.add_handler(_composing())
    application.add_handler(CommandHandler("broadcast", private_only(overview.overview)))
    buttons = kb.callback_handlers(overview.BUTTONS, audience.BUTTONS, composing.BUTTONS)
    application.add_handlers(buttons)
