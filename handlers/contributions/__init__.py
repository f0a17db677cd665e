"""Contributions: /idea /resource /barrier /experience /cause, /browse, /mine, supports, statuses.

routes (every button), cards (how one looks, the pickers), draft and review (the conversation
that writes one), browse (the lists), actions (what a card's buttons do).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from telegram import Update
from telegram.ext import BaseHandler, CommandHandler, MessageHandler, filters

from bot.i18n import N_
from bot.services.contributions import Filters
from handlers import keyboards as kb
from handlers.common import (
    NOT_TYPED,
    SENT,
    TYPED,
    App,
    UnknownCommand,
    persistent_conversation,
    private_only,
)
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


# What each button outside the conversations does.
BUTTONS: kb.Buttons = {
    r.CHOOSE_KIND: draft.choose_kind,
    r.BROWSE: browse.browse_page,
    r.BROWSE_PAGE: browse.browse_page,
    r.BROWSE_AFTER: browse.browse_from,
    r.BROWSE_BEFORE: browse.browse_from,
    r.FILTER: browse.filter_choice,
    r.FILTER_WITH_PAGE: browse.filter_choice,
    r.BACK_TO_LIST: browse.back_to_list,
    r.MINE: browse.mine,
    r.MINE_PAGE: browse.mine,
    r.OPEN: actions.open_card,
    r.SUPPORT: actions.support,
    r.UNSUPPORT: actions.unsupport,
    r.MEDIA: actions.show_media,
    r.STATUS: actions.change_status,
    r.DELETE: actions.delete,
    r.DELETE_CONFIRM: actions.delete_confirmed,
}


def register(application: App) -> None:
    unknown = UnknownCommand(application)
    on = kb.callback_handler

    def shown_again(
        step: draft.Step, hint: Callable[[], str] = draft.press_hint, rest: Any = SENT
    ) -> list[MessageHandler[Any, Any]]:
        """A step's answer to an unknown command, and to the `rest` it cannot take: the step
        again, with a hint in front."""
        return [
            MessageHandler(unknown, draft.again(step, draft.unknown_command_hint)),
            MessageHandler(rest, draft.again(step, hint)),
        ]

    # Registered first: a lead typing a reason while a draft of their own is open.
    rejecting = persistent_conversation(
        "contribution_reject",
        entry_points=[on(actions.reject_start, r.REJECT)],
        states={
            actions.REASON: [
                MessageHandler(TYPED, actions.reason_typed),
                MessageHandler(unknown, actions.reason_unknown_command),
                MessageHandler(NOT_TYPED, actions.reason_not_text),
            ],
        },
        fallbacks=draft.cancel_handlers(),
    )
    entry_points: list[BaseHandler[Update, Any, Any]] = [
        CommandHandler(kind.value, draft.kind_command(kind.value)) for kind in ContributionKind
    ]
    entry_points += [on(draft.kind_button, r.KIND), on(review.edit_existing, r.EDIT_EXISTING)]
    reviewing = {
        r.EDIT_MENU: review.edit_menu,
        r.EDIT_FIELD: review.edit_field,
        r.BACK_TO_REVIEW: review.back_to_review,
        r.SEND: review.send,
    }
    drafting = persistent_conversation(
        "contribution_draft",
        entry_points=entry_points,
        states={
            draft.ASK: [
                MessageHandler(TYPED, draft.field_typed),
                on(draft.field_skipped, r.SKIP_FIELD),
                *shown_again(draft.ask_again, draft.not_text_hint, NOT_TYPED),
            ],
            draft.AREA: [on(draft.chosen, r.AREA), *shown_again(draft.show_areas)],
            draft.GROUP: [on(draft.chosen, r.GROUP), *shown_again(draft.show_groups)],
            draft.ATTACH: [
                MessageHandler(filters.PHOTO, draft.photo_sent),
                MessageHandler(filters.LOCATION, draft.location_sent),
                MessageHandler(TYPED, draft.attachment_typed),
                on(draft.attachment_skipped, r.SKIP_ATTACHMENT),
                *shown_again(draft.ask_attachment, draft.attachment_hint),
            ],
            draft.REVIEW: [*kb.callback_handlers(reviewing), *shown_again(draft.show_review)],
        },
        fallbacks=draft.cancel_handlers(),
    )
    application.add_handler(rejecting)
    application.add_handler(drafting)
    application.add_handler(CommandHandler("browse", private_only(browse.browse_command)))
    application.add_handler(CommandHandler("mine", private_only(browse.mine)))
    application.add_handlers(kb.callback_handlers(BUTTONS))
