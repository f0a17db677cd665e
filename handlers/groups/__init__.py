"""/groups: browse, join and leave groups; leads and coordinators decide requests and manage
members; coordinators create, edit, archive, hand out roles; /link and /unlink connect a
Telegram group chat to a working group.

One module per flow: `pages` (lists and a group's page), `membership`, `editing`,
`creation`, `roles`, `search`, `chats`; every button is declared once in `routes`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from telegram.ext import ChatMemberHandler, CommandHandler, ConversationHandler, MessageHandler

from bot.i18n import N_
from handlers import keyboards as kb
from handlers.common import NOT_TYPED, TYPED, App, Handlers, persistent_conversation, private_only
from handlers.groups import chats, creation, editing, membership, pages, roles, search
from handlers.groups import routes as r
from handlers.groups.pages import (
    area_name,
    back_rows,
    member_count,
    page_screen,
    render_list,
    render_page,
)
from handlers.groups.routes import F
from handlers.registry import CommandSpec, MenuEntry
from models import Role

__all__ = [
    "COMMANDS",
    "MENU",
    "F",
    "area_name",
    "back_rows",
    "member_count",
    "page_screen",
    "register",
    "render_list",
    "render_page",
]

COMMANDS = [
    CommandSpec("groups", N_("Working groups: browse, join, my groups")),
    # Anyone sees them in group chats; the handlers check the role and chat admin rights.
    CommandSpec("link", N_("Link this chat to a working group"), scope="group"),
    CommandSpec("unlink", N_("Unlink this chat from its working group"), scope="group"),
]
MENU = [
    MenuEntry(N_("Groups"), r.LIST.data(), order=10),
    MenuEntry(N_("My groups"), r.MINE.data(), order=11),
    MenuEntry(N_("People and roles"), r.PEOPLE.data(0), Role.COORDINATOR, order=85),
]


# What each button outside the conversations does.
BUTTONS: kb.Buttons = {
    r.LIST: pages.list_groups,
    r.ALL: pages.list_groups,
    r.ALL_PAGE: pages.list_groups,
    r.MINE: pages.list_groups,
    r.MINE_PAGE: pages.list_groups,
    r.PAGE: pages.group_page,
    r.JOIN: membership.join,
    r.LEAVE: membership.leave,
    r.REQUESTS: membership.requests,
    r.APPROVE: membership.decide,
    r.DECLINE: membership.decide,
    r.MEMBERS: membership.members,
    r.MEMBERS_FOUND: membership.members,
    r.REMOVE: membership.remove,
    r.REMOVE_CONFIRM: membership.remove_confirm,
    r.EDIT: editing.edit_menu,
    r.EDIT_AREA: editing.area_picker,
    r.EDIT_OPEN: editing.edit_choice,
    r.EDIT_AREA_SET: editing.edit_choice,
    r.EDIT_PARENT: editing.parent_picker,
    r.EDIT_PARENT_SET: editing.parent_set,
    r.LEAD_PICK: editing.lead_picker,
    r.LEAD_CHOSEN: editing.lead_chosen,
    r.LEAD_CONFIRM: editing.lead_confirm,
    r.ARCHIVE: editing.archive,
    r.ARCHIVE_CONFIRM: editing.archive_confirm,
    r.PEOPLE: roles.people,
    r.PEOPLE_FOUND: roles.people,
    r.PERSON: roles.person,
    r.GRANT: roles.role_question,
    r.REVOKE: roles.role_question,
    r.GRANT_CONFIRM: roles.role_change,
    r.REVOKE_CONFIRM: roles.role_change,
    r.LINK: chats.link_chosen,
}


def _typed(callback: Callable[..., Any]) -> Handlers:
    """A step that takes typed text; anything else is asked for as text again."""
    return [MessageHandler(TYPED, callback), MessageHandler(NOT_TYPED, creation.not_text)]


def _conversation() -> ConversationHandler:  # type: ignore[type-arg]
    """Creating a small group, typing a new name or purpose, typing letters to search."""
    on = kb.callback_handler
    return persistent_conversation(
        "groups",
        entry_points=[
            on(creation.create_start, r.NEW),
            on(editing.edit_text_start, r.RENAME, r.PURPOSE),
            on(search.search_people_start, r.PEOPLE_SEARCH),
            on(search.search_members_start, r.MEMBERS_SEARCH),
        ],
        states={
            r.NAME: _typed(creation.create_name),
            r.AREA: [on(creation.create_area, r.CREATE_AREA)],
            r.PARENT: [on(creation.create_parent, r.CREATE_PARENT)],
            r.OPEN: [on(creation.create_open, r.CREATE_OPEN)],
            r.LEAD: [
                on(creation.create_lead, r.CREATE_LEAD),
                on(creation.create_lead_page, r.CREATE_LEAD_PAGE),
            ],
            r.CONFIRM: [on(creation.create_confirm, r.CREATE_CONFIRM)],
            r.EDIT_TEXT: _typed(editing.edit_text_received),
            r.SEARCH: _typed(search.search_received),
        },
        fallbacks=[
            CommandHandler("cancel", creation.create_cancel),
            on(creation.create_cancel, r.CANCEL),
            MessageHandler(TYPED | NOT_TYPED, creation.press_a_button),
        ],
    )


def register(application: App) -> None:
    application.add_handler(_conversation())
    application.add_handler(CommandHandler("groups", private_only(pages.list_groups)))
    application.add_handler(CommandHandler("link", chats.link_command))
    application.add_handler(CommandHandler("unlink", chats.unlink_command))
    application.add_handler(
        ChatMemberHandler(chats.bot_left_chat, ChatMemberHandler.MY_CHAT_MEMBER)
    )
    application.add_handlers(kb.callback_handlers(BUTTONS))
