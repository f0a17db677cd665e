"""Every button of the groups feature, declared once (callback prefix ``gr``).

The data strings are those the bot has always sent: old buttons in users' chats keep working.
Data only names things; every press loads the group or person again and checks the presser.
"""

from __future__ import annotations

from typing import Any

from telegram import InlineKeyboardButton, Update

from handlers import keyboards as kb

F = "gr"
OPEN_CLOSED = ("0", "1")
# The states of the feature's one (persistent) conversation: the numbers are stored.
NAME, AREA, PARENT, OPEN, LEAD, CONFIRM, EDIT_TEXT, SEARCH = range(8)
DRAFT = "group_draft"  # user_data: the small group being created
EDITING = "group_edit"  # user_data: the group and field whose text is awaited
SEARCHING = "group_search"  # user_data: the list being searched, then the letters typed

# Lists and the group page.
LIST = kb.route(F)
ALL = kb.route(F, "ls")
ALL_PAGE = kb.route(F, "ls", int)
MINE = kb.route(F, "my")
MINE_PAGE = kb.route(F, "my", int)
PAGE = kb.route(F, "p", int, int)  # group, page of its members

# Membership and join requests.
JOIN = kb.route(F, "j", int)
LEAVE = kb.route(F, "l", int)
REQUESTS = kb.route(F, "rq", int)
APPROVE = kb.route(F, "ok", int, int)  # group, requester
DECLINE = kb.route(F, "no", int, int)
MEMBERS = kb.route(F, "mb", int, int)  # group, page: the member list with remove buttons
MEMBERS_FOUND = kb.route(F, "mbf", int, int)  # group, page of a search's results
MEMBERS_SEARCH = kb.route(F, "mbs", int)
REMOVE = kb.route(F, "rm", int, int)  # group, member
REMOVE_CONFIRM = kb.route(F, "rmc", int, int, kb.YES_NO)

# Editing, lead, archive.
EDIT = kb.route(F, "ed", int)
EDIT_AREA = kb.route(F, "ea", int)
EDIT_AREA_SET = kb.route(F, "eas", int, int)
EDIT_OPEN = kb.route(F, "eo", int)
EDIT_PARENT = kb.route(F, "ept", int)
EDIT_PARENT_SET = kb.route(F, "epts", int, int)  # group, team (0: none)
RENAME = kb.route(F, "ren", int)
PURPOSE = kb.route(F, "pur", int)
LEAD_PICK = kb.route(F, "ld", int, int)  # group, page
LEAD_CHOSEN = kb.route(F, "lds", int, int)  # group, person
LEAD_CONFIRM = kb.route(F, "ldc", int, int, kb.YES_NO)
ARCHIVE = kb.route(F, "ar", int)
ARCHIVE_CONFIRM = kb.route(F, "arc", int, kb.YES_NO)

# Creating a small group (a conversation).
NEW = kb.route(F, "new")
CREATE_AREA = kb.route(F, "ca", int)
CREATE_PARENT = kb.route(F, "cp", int)
CREATE_OPEN = kb.route(F, "co", OPEN_CLOSED)
CREATE_LEAD = kb.route(F, "cl", int)  # 0: no lead for now
CREATE_LEAD_PAGE = kb.route(F, "clp", int)
CREATE_CONFIRM = kb.route(F, "cc", ("y",))
CANCEL = kb.route(F, "cx")

# People and roles.
PEOPLE = kb.route(F, "ppl", int)
PEOPLE_FOUND = kb.route(F, "pplf", int)
PEOPLE_SEARCH = kb.route(F, "pps")
PERSON = kb.route(F, "pp", int)
GRANT = kb.route(F, "rg", int, str)
REVOKE = kb.route(F, "rr", int, str)
GRANT_CONFIRM = kb.route(F, "rgc", int, str, kb.YES_NO)
REVOKE_CONFIRM = kb.route(F, "rrc", int, str, kb.YES_NO)

# Linked group chats.
LINK = kb.route(F, "lk", int)


def data_of(update: Update) -> str | None:
    return update.callback_query.data if update.callback_query else None


def pressed(update: Update, *routes: kb.Route) -> tuple[kb.Route, tuple[Any, ...]]:
    """Which of `routes` was pressed, with its typed arguments."""
    data = data_of(update)
    for declared in routes:
        if declared.matches(data):
            return declared, declared.parse(data)
    raise ValueError(f"{data!r} is none of {routes}")


def args(update: Update, *routes: kb.Route) -> tuple[Any, ...]:
    return pressed(update, *routes)[1]


def pager(page_route: kb.Route, page: int, pages: int, *ids: object) -> list[InlineKeyboardButton]:
    """« previous · page/pages · next » for a route whose last argument is the page."""
    if pages <= 1:
        return []
    row = []
    if page > 0:
        row.append(page_route.button("«", *ids, page - 1))
    row.append(kb.button(f"{page + 1}/{pages}", kb.NOOP))
    if page < pages - 1:
        row.append(page_route.button("»", *ids, page + 1))
    return row
