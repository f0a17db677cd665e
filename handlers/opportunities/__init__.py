"""Volunteering opportunities: coordinators post, matching volunteers sign up, reminders.

One module per flow: `listing` (the list, who signed up, cancelling), `signup`, `posting`
(the coordinators' conversation), `reminders` (a repeating job); `shared` is an
opportunity in a few lines and sending in the background; every button is in `routes`.
"""

from __future__ import annotations

from typing import Any

from telegram.ext import CommandHandler, ConversationHandler, MessageHandler

from bot.i18n import N_
from handlers import keyboards as kb
from handlers.common import NOT_TYPED, TYPED, App, persistent_conversation
from handlers.opportunities import listing, posting, reminders, signup
from handlers.opportunities import routes as r
from handlers.opportunities.reminders import send_due_reminders
from handlers.opportunities.shared import wait_for_notifications
from handlers.registry import MenuEntry
from models import Role

__all__ = ["MENU", "register", "send_due_reminders", "wait_for_notifications"]

MENU = [MenuEntry(N_("Opportunities"), r.LIST.data(), Role.RESIDENT, order=56)]


def _posting() -> ConversationHandler[Any]:
    on = kb.callback_handler
    return persistent_conversation(
        "opportunity",
        entry_points=[on(posting.new, r.NEW)],
        states={
            r.TITLE: [MessageHandler(TYPED, posting.title_typed)],
            r.WHEN: [
                MessageHandler(TYPED, posting.when_typed),
                on(posting.when_picked, r.QUICK_TIME),
            ],
            r.WHERE: [
                MessageHandler(TYPED, posting.where_typed),
                on(posting.default_place, r.DEFAULT_PLACE),
            ],
            r.PLACES: [
                MessageHandler(TYPED, posting.places_typed),
                on(posting.places_chosen, r.PLACE_COUNT),
            ],
        },
        fallbacks=[
            CommandHandler("cancel", posting.cancel),
            MessageHandler(NOT_TYPED, posting.not_text),
        ],
    )


def register(application: App) -> None:
    application.add_handler(_posting())
    application.add_handlers(kb.callback_handlers(listing.BUTTONS, posting.BUTTONS, signup.BUTTONS))
    reminders.start(application)
