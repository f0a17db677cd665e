"""Contributions: /idea /resource /barrier /experience /cause, /browse, /mine, supports, statuses.

routes (every button), cards (how one looks, the pickers), draft and review (the conversation
that writes one), browse (the lists), actions (what a card's buttons do).
"""

from __future__ import annotations

from typing import Any

from telegram import Update
from telegram.ext import BaseHandler, CommandHandler, ConversationHandler, MessageHandler, filters

from bot.i18n import N_
from bot.services.contributions import Filters
from handlers import keyboards as kb
from handlers.common import App, UnknownCommand, private_only
from handlers.contributions import actions, browse, draft, review
from handlers.contributions import routes as r
from handlers.contributions.browse import browse_button, filter_args, render_list
from handlers.contributions.cards import card_keyboard, card_text, kind_name, status_name
from handlers.registry import CommandSpec, MenuEntry
from models import ContributionKind

__all__ = [
    "COMMANDS",
    "MENU",
    "Filters",
    "browse_button",
    "card_keyboard",
    "card_text",
    "filter_args",
    "kb",
    "kind_name",
    "register",
    "render_list",
    "status_name",
]
# The name the tests and the benchmark knew.
_filter_args = filter_args

COMMANDS = [
    CommandSpec("idea", N_("Share an idea")),
    CommandSpec("resource", N_("Point to a local resource")),
    CommandSpec("barrier", N_("Name a barrier")),
    CommandSpec("experience", N_("Share an experience")),
    CommandSpec("cause", N_("Name a cause of poverty")),
    CommandSpec("browse", N_("Browse contributions")),
    CommandSpec("mine", N_("My contributions")),
]
MENU = [
    MenuEntry(N_("Contribute"), r.CHOOSE_KIND.data(), order=30),
    MenuEntry(N_("Browse contributions"), r.BROWSE.data(), order=31),
    MenuEntry(N_("My contributions"), r.MINE.data(), order=32),
]


def register(application: App) -> None:
    text = filters.TEXT & ~filters.COMMAND
    other = ~filters.TEXT & ~filters.COMMAND & ~filters.StatusUpdate.ALL
    anything = ~filters.COMMAND & ~filters.StatusUpdate.ALL
    unknown = UnknownCommand(application)
    on = kb.callback_handler

    def unknown_command(step: draft.Step) -> MessageHandler[Any, Any]:
        return MessageHandler(unknown, draft.again(step, draft.unknown_command_hint))

    # Registered first: a lead typing a reason while a draft of their own is open.
    rejecting = ConversationHandler(
        entry_points=[on(actions.reject_start, r.REJECT)],
        states={
            actions.REASON: [
                MessageHandler(text, actions.reason_typed),
                MessageHandler(unknown, actions.reason_unknown_command),
                MessageHandler(other, actions.reason_not_text),
            ],
        },
        fallbacks=draft.cancel_handlers(),
        name="contribution_reject",
        persistent=True,
        allow_reentry=True,
    )
    entry_points: list[BaseHandler[Update, Any, Any]] = [
        CommandHandler(kind.value, draft.kind_command(kind.value)) for kind in ContributionKind
    ]
    entry_points += [on(draft.kind_button, r.KIND), on(review.edit_existing, r.EDIT_EXISTING)]
    press = draft.press_hint
    drafting = ConversationHandler(
        entry_points=entry_points,
        states={
            draft.ASK: [
                MessageHandler(text, draft.field_typed),
                on(draft.field_skipped, r.SKIP_FIELD),
                unknown_command(draft.ask_again),
                MessageHandler(other, draft.again(draft.ask_again, draft.not_text_hint)),
            ],
            draft.AREA: [
                on(draft.area_chosen, r.AREA),
                unknown_command(draft.show_areas),
                MessageHandler(anything, draft.again(draft.show_areas, press)),
            ],
            draft.GROUP: [
                on(draft.group_chosen, r.GROUP),
                unknown_command(draft.show_groups),
                MessageHandler(anything, draft.again(draft.show_groups, press)),
            ],
            draft.ATTACH: [
                MessageHandler(filters.PHOTO, draft.photo_sent),
                MessageHandler(filters.LOCATION, draft.location_sent),
                MessageHandler(text, draft.attachment_typed),
                on(draft.attachment_skipped, r.SKIP_ATTACHMENT),
                unknown_command(draft.ask_attachment),
                MessageHandler(anything, draft.again(draft.ask_attachment, draft.attachment_hint)),
            ],
            draft.REVIEW: [
                on(review.edit_menu, r.EDIT_MENU),
                on(review.edit_field, r.EDIT_FIELD),
                on(review.back_to_review, r.BACK_TO_REVIEW),
                on(review.send, r.SEND),
                unknown_command(draft.show_review),
                MessageHandler(anything, draft.again(draft.show_review, press)),
            ],
        },
        fallbacks=draft.cancel_handlers(),
        name="contribution_draft",
        persistent=True,
        allow_reentry=True,
    )
    application.add_handler(rejecting)
    application.add_handler(drafting)
    application.add_handlers(
        [
            on(draft.choose_kind, r.CHOOSE_KIND),
            CommandHandler("browse", private_only(browse.browse_command)),
            CommandHandler("mine", private_only(browse.mine)),
            on(browse.browse_page, r.BROWSE, r.BROWSE_PAGE),
            on(browse.browse_from, r.BROWSE_AFTER, r.BROWSE_BEFORE),
            on(browse.filter_choice, r.FILTER, r.FILTER_WITH_PAGE),
            on(browse.back_to_list, r.BACK_TO_LIST),
            on(browse.mine, r.MINE, r.MINE_PAGE),
            on(actions.open_card, r.OPEN),
            on(actions.support, r.SUPPORT),
            on(actions.unsupport, r.UNSUPPORT),
            on(actions.show_media, r.MEDIA),
            on(actions.change_status, r.STATUS),
            on(actions.delete, r.DELETE),
            on(actions.delete_confirmed, r.DELETE_CONFIRM),
        ]
    )
