"""/groups: browse, join and leave groups; leads and coordinators decide requests and manage
members; coordinators create, edit, archive, hand out roles; /link and /unlink connect a
Telegram group chat to a working group.

One module per flow: `pages` (lists and a group's page), `membership`, `editing`,
`creation`, `roles`, `search`, `chats`; every button is declared once in `routes`.
"""

from __future__ import annotations

from telegram.ext import (
    ChatMemberHandler,
    CommandHandler,
    ConversationHandler,
    MessageHandler,
    filters,
)

from bot.i18n import N_
from handlers import keyboards as kb
from handlers.common import App, private_only
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


def _conversation() -> ConversationHandler:  # type: ignore[type-arg]
    """Creating a small group, typing a new name or purpose, typing letters to search."""
    text = filters.TEXT & ~filters.COMMAND
    other = ~filters.TEXT & ~filters.COMMAND & ~filters.StatusUpdate.ALL
    on = kb.callback_handler
    return ConversationHandler(
        entry_points=[
            on(creation.create_start, r.NEW),
            on(editing.edit_text_start, r.RENAME, r.PURPOSE),
            on(search.search_people_start, r.PEOPLE_SEARCH),
            on(search.search_members_start, r.MEMBERS_SEARCH),
        ],
        states={
            r.NAME: [
                MessageHandler(text, creation.create_name),
                MessageHandler(other, creation.not_text),
            ],
            r.AREA: [on(creation.create_area, r.CREATE_AREA)],
            r.PARENT: [on(creation.create_parent, r.CREATE_PARENT)],
            r.OPEN: [on(creation.create_open, r.CREATE_OPEN)],
            r.LEAD: [
                on(creation.create_lead, r.CREATE_LEAD),
                on(creation.create_lead_page, r.CREATE_LEAD_PAGE),
            ],
            r.CONFIRM: [on(creation.create_confirm, r.CREATE_CONFIRM)],
            r.EDIT_TEXT: [
                MessageHandler(text, editing.edit_text_received),
                MessageHandler(other, creation.not_text),
            ],
            r.SEARCH: [
                MessageHandler(text, search.search_received),
                MessageHandler(other, creation.not_text),
            ],
        },
        fallbacks=[
            CommandHandler("cancel", creation.create_cancel),
            on(creation.create_cancel, r.CANCEL),
            MessageHandler(text | other, creation.press_a_button),
        ],
        name="groups",
        persistent=True,
        allow_reentry=True,
    )


def register(application: App) -> None:
    application.add_handler(_conversation())
    application.add_handler(CommandHandler("groups", private_only(pages.list_groups)))
    application.add_handler(CommandHandler("link", chats.link_command))
    application.add_handler(CommandHandler("unlink", chats.unlink_command))
    application.add_handler(
        ChatMemberHandler(chats.bot_left_chat, ChatMemberHandler.MY_CHAT_MEMBER)
    )
    on = kb.callback_handler
    for handler in (
        on(pages.list_groups, r.LIST, r.ALL, r.ALL_PAGE, r.MINE, r.MINE_PAGE),
        on(pages.group_page, r.PAGE),
        on(membership.join, r.JOIN),
        on(membership.leave, r.LEAVE),
        on(membership.requests, r.REQUESTS),
        on(membership.decide, r.APPROVE, r.DECLINE),
        on(membership.members, r.MEMBERS, r.MEMBERS_FOUND),
        on(membership.remove, r.REMOVE),
        on(membership.remove_confirm, r.REMOVE_CONFIRM),
        on(editing.edit_menu, r.EDIT),
        on(editing.area_picker, r.EDIT_AREA),
        on(editing.edit_choice, r.EDIT_OPEN, r.EDIT_AREA_SET),
        on(editing.parent_picker, r.EDIT_PARENT),
        on(editing.parent_set, r.EDIT_PARENT_SET),
        on(editing.lead_picker, r.LEAD_PICK),
        on(editing.lead_chosen, r.LEAD_CHOSEN),
        on(editing.lead_confirm, r.LEAD_CONFIRM),
        on(editing.archive, r.ARCHIVE),
        on(editing.archive_confirm, r.ARCHIVE_CONFIRM),
        on(roles.people, r.PEOPLE, r.PEOPLE_FOUND),
        on(roles.person, r.PERSON),
        on(roles.role_question, r.GRANT, r.REVOKE),
        on(roles.role_change, r.GRANT_CONFIRM, r.REVOKE_CONFIRM),
        on(chats.link_chosen, r.LINK),
    ):
        application.add_handler(handler)
