"""From contributions to the programme: 🔗 links between contributions (from a card), /map
(the problem map with a picture per area), programme actions (an accepted idea with a goal,
partners, indicators, schedule, progress and a timeline), /programme (the DOCX document for
coordinators) and a meeting's printable attendance list (PDF).

One module per flow: `links`, `map`, `actions`, `documents`; every button is declared once
in `routes`.
"""

from __future__ import annotations

from telegram.ext import CommandHandler, ConversationHandler, MessageHandler

from bot.i18n import N_
from handlers import keyboards as kb
from handlers.common import NOT_TYPED, TYPED, App, private_only
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


def _conversation() -> ConversationHandler:  # type: ignore[type-arg]
    """The typed steps: a search, a new action's answers, an indicator, a value, a note."""
    on = kb.callback_handler
    return ConversationHandler(
        entry_points=[
            on(links.search_start, r.LINK_SEARCH),
            on(actions.new_start, r.NEW_ACTION),
            on(actions.ask_about_action, r.ADD_INDICATOR, r.ADD_NOTE),
            on(actions.achieved_start, r.ACHIEVED),
        ],
        states={
            r.SEARCH: [MessageHandler(TYPED, links.search_received)],
            r.GOAL: [MessageHandler(TYPED, actions.goal_received)],
            r.TARGET: [
                MessageHandler(TYPED, actions.target_received),
                on(actions.target_skipped, r.SKIP),
            ],
            r.RESPONSIBLE_STATE: [on(actions.responsible_chosen, r.RESPONSIBLE, r.SKIP)],
            r.PARTNERS_STATE: [
                on(actions.partner_toggled, r.PARTNER),
                on(actions.partners_done, r.PARTNERS_DONE),
            ],
            r.START: [
                MessageHandler(TYPED, actions.start_received),
                on(actions.start_received, r.SKIP),
            ],
            r.END: [
                MessageHandler(TYPED, actions.end_received),
                on(actions.end_received, r.SKIP),
            ],
            r.INDICATOR: [MessageHandler(TYPED, actions.indicator_received)],
            r.VALUE: [MessageHandler(TYPED, actions.achieved_received)],
            r.NOTE: [MessageHandler(TYPED, actions.note_received)],
        },
        fallbacks=[
            CommandHandler("cancel", actions.stop),
            on(actions.stop, r.STOP),
            MessageHandler(NOT_TYPED, actions.not_text),
        ],
        name="programme",
        persistent=True,
        allow_reentry=True,
    )


def register(application: App) -> None:
    application.add_handler(_conversation())
    for command, handler in (
        ("map", problem_map.show_map),
        ("programme", documents.programme_document),
        ("actions", actions.list_actions),
    ):
        application.add_handler(CommandHandler(command, private_only(handler)))
    on = kb.callback_handler
    for handler in (
        on(problem_map.show_map, r.MAP),
        on(problem_map.area_picture, r.MAP_AREA),
        on(links.show, r.LINKS),
        on(links.by_kind, r.LINK_KIND),
        on(links.add, r.LINK_ADD),
        on(links.remove, r.LINK_DEL),
        on(documents.attendance_list, r.ATTENDANCE_PDF),
        on(documents.programme_document, r.DOCUMENT),
        on(actions.list_actions, r.ACTIONS),
        on(actions.view, r.ACTION),
        on(actions.progress_menu, r.PROGRESS),
        on(actions.set_status, r.SET_STATUS),
        on(actions.set_percent, r.SET_PERCENT),
    ):
        application.add_handler(handler)
