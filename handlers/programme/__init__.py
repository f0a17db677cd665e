"""From contributions to the programme: 🔗 links between contributions (from a card), /map
(the problem map with a picture per area), programme actions (an accepted idea with a goal,
partners, indicators, schedule, progress and a timeline), /programme (the DOCX document for
coordinators) and a meeting's printable attendance list (PDF).

One module per flow: `links`, `map`, `actions`, `documents`; every button is declared once
in `routes`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from telegram.ext import CommandHandler, ConversationHandler, MessageHandler

from bot.i18n import N_
from handlers import keyboards as kb
from handlers.common import NOT_TYPED, TYPED, App, Handlers, persistent_conversation, private_only
from handlers.programme import actions, documents, links
from handlers.programme import map as problem_map
from handlers.programme import routes as r
from handlers.registry import CommandSpec, MenuEntry
from models import Role

__all__ = ["COMMANDS", "MENU", "register"]

COMMANDS = [
    CommandSpec("map", N_("Problem map: causes, barriers, ideas, resources")),
    CommandSpec("programme", N_("The programme document (DOCX)"), Role.COORDINATOR),
    CommandSpec("actions", N_("Programme actions"), Role.LEAD),
]
MENU = [
    MenuEntry(N_("Problem map"), r.MAP.data(), order=35),
    MenuEntry(N_("Programme actions"), r.ACTIONS.data(), Role.LEAD, order=36),
    MenuEntry(N_("Programme (DOCX)"), r.DOCUMENT.data(), Role.COORDINATOR, order=86),
]


# What each button outside the conversations does.
BUTTONS: kb.Buttons = {
    r.MAP: problem_map.show_map,
    r.MAP_AREA: problem_map.area_picture,
    r.LINKS: links.show,
    r.LINK_KIND: links.by_kind,
    r.LINK_ADD: links.add,
    r.LINK_DEL: links.remove,
    r.ATTENDANCE_PDF: documents.attendance_list,
    r.DOCUMENT: documents.programme_document,
    r.ACTIONS: actions.list_actions,
    r.ACTION: actions.view,
    r.PROGRESS: actions.progress_menu,
    r.SET_STATUS: actions.set_status,
    r.SET_PERCENT: actions.set_percent,
}


def _typed(callback: Callable[..., Any], *, skip: Callable[..., Any] | None = None) -> Handlers:
    """A step answered by typing (or, where it may be skipped, with the Skip button)."""
    skipping = [kb.callback_handler(skip, r.SKIP)] if skip is not None else []
    return [MessageHandler(TYPED, callback), *skipping]


def _conversation() -> ConversationHandler[Any]:
    """The typed steps: a search, a new action's answers, an indicator, a value, a note."""
    on = kb.callback_handler
    return persistent_conversation(
        "programme",
        entry_points=[
            on(links.search_start, r.LINK_SEARCH),
            on(actions.new_start, r.NEW_ACTION),
            on(actions.ask_about_action, r.ADD_INDICATOR, r.ADD_NOTE),
            on(actions.achieved_start, r.ACHIEVED),
        ],
        states={
            r.SEARCH: _typed(links.search_received),
            r.GOAL: _typed(actions.goal_received),
            r.TARGET: _typed(actions.target_received, skip=actions.target_skipped),
            r.RESPONSIBLE_STATE: [on(actions.responsible_chosen, r.RESPONSIBLE, r.SKIP)],
            r.PARTNERS_STATE: [
                on(actions.partner_toggled, r.PARTNER),
                on(actions.partners_done, r.PARTNERS_DONE),
            ],
            r.START: _typed(actions.start_received, skip=actions.start_received),
            r.END: _typed(actions.end_received, skip=actions.end_received),
            r.INDICATOR: _typed(actions.indicator_received),
            r.VALUE: _typed(actions.achieved_received),
            r.NOTE: _typed(actions.note_received),
        },
        fallbacks=[
            CommandHandler("cancel", actions.stop),
            on(actions.stop, r.STOP),
            MessageHandler(NOT_TYPED, actions.not_text),
        ],
    )


def register(application: App) -> None:
    application.add_handler(_conversation())
    for command, handler in (
        ("map", problem_map.show_map),
        ("programme", documents.programme_document),
        ("actions", actions.list_actions),
    ):
        application.add_handler(CommandHandler(command, private_only(handler)))
    application.add_handlers(kb.callback_handlers(BUTTONS))
