"""/volunteer (a resident offers help) and /volunteers (coordinators find helpers).

One module per flow: `signup` (one's own profile, the start and the review of the sign-up),
`steps` (its questions), `browse` (the coordinators' filters, list and profiles); `shared`
holds the draft, the profile as text and /cancel; every button is declared once in `routes`.
"""

from __future__ import annotations

from typing import Any

from telegram.ext import CommandHandler, ConversationHandler, MessageHandler, filters

from bot.i18n import N_
from handlers import keyboards as kb
from handlers.common import SENT, TYPED, App, Handlers, persistent_conversation, private_only
from handlers.registry import CommandSpec, MenuEntry
from handlers.volunteers import browse, signup, steps
from handlers.volunteers import routes as r
from handlers.volunteers.shared import availability_name, cancel, card
from models import Role

__all__ = ["COMMANDS", "MENU", "availability_name", "card", "register"]

COMMANDS = [
    CommandSpec("volunteer", N_("Offer your help as a volunteer")),
    CommandSpec("volunteers", N_("Find volunteers"), Role.COORDINATOR),
]
MENU = [
    MenuEntry(N_("Volunteer"), r.SIGN_UP.data(), Role.RESIDENT, order=50),
    MenuEntry(N_("Volunteers"), r.FILTERS.data(), Role.COORDINATOR, order=55),
]


def _signup() -> ConversationHandler[Any]:
    on = kb.callback_handler
    answers: dict[int, Handlers] = {
        r.NAME: [MessageHandler(TYPED, steps.name_typed), on(steps.name_kept, r.KEEP_NAME)],
        r.PHONE: [
            MessageHandler(filters.CONTACT, steps.contact_shared),
            MessageHandler(TYPED, steps.phone_text),
        ],
        r.STREET: [on(steps.street_chosen, r.STREET_PICK)],
        r.SKILLS: [MessageHandler(TYPED, steps.skills_typed), on(steps.skills_button, r.SKILL)],
        r.AREAS: [on(steps.area_toggled, r.AREA)],
        r.AVAIL: [on(steps.availability_toggled, r.AVAILABILITY)],
        r.REVIEW: [on(signup.review_button, r.SAVE, r.CHANGE, r.QUIT)],
    }
    return persistent_conversation(
        "volunteer",
        entry_points=[
            CommandHandler("volunteer", private_only(signup.entry)),
            on(signup.entry, r.SIGN_UP),
            on(signup.edit, r.EDIT),
        ],
        # Anything else at a step: a hint, then the step's question and buttons again.
        states={
            step: [*handlers, MessageHandler(SENT, steps.reask(step))]
            for step, handlers in answers.items()
        },
        fallbacks=[
            CommandHandler("cancel", cancel),
            CommandHandler("volunteer", private_only(signup.entry)),
            MessageHandler(SENT, steps.not_expected),
        ],
    )


def _skill_word() -> ConversationHandler[Any]:
    return persistent_conversation(
        "volunteer_skill_word",
        entry_points=[kb.callback_handler(browse.ask_skill_word, r.FILTER_SKILL)],
        states={
            r.SKILL_WORD: [
                MessageHandler(TYPED, browse.skill_word_typed),
                kb.callback_handler(browse.skill_word_cleared, r.SKILL_ANY),
            ]
        },
        fallbacks=[CommandHandler("cancel", cancel)],
    )


def register(application: App) -> None:
    application.add_handler(_signup())
    application.add_handler(_skill_word())
    application.add_handler(kb.callback_handler(signup.withdraw, r.WITHDRAW, r.WITHDRAW_CONFIRM))
    application.add_handler(CommandHandler("volunteers", private_only(browse.browse)))
    application.add_handlers(kb.callback_handlers(browse.BUTTONS))
