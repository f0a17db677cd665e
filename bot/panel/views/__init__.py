"""The panel's pages: what each shows to whom, in the viewer's language.

Each page function takes the session and the `PageRequest` (viewer, parameters, what the
panel keeps), reads through the services (and the panel's own queries), checks the viewer's
rights with the chat's own rules (`permissions.can`) and returns its template's values. All
words come from the gettext catalogs (the templates hold no text of their own). One module
per page, or per pair of a list and its item.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from sqlmodel.ext.asyncio.session import AsyncSession

from bot.panel.views import board, groups, meetings, overview, programme, volunteers
from bot.panel.views.common import Forbidden, PageRequest, Viewer, labels, nav, status_name

PageView = Callable[[AsyncSession, PageRequest], Awaitable[dict[str, Any]]]
VIEWS: dict[str, PageView] = {
    "overview": overview.page,
    "board": board.page,
    "groups": groups.listing,
    "group": groups.page,
    "meetings": meetings.calendar_page,
    "meeting": meetings.page,
    "map": programme.problem_map,
    "actions": programme.actions,
    "action": programme.action,
    "volunteers": volunteers.page,
}
PAGES = tuple(VIEWS)
TABS = {"group": "groups", "meeting": "meetings", "action": "actions"}  # an item's list

__all__ = [
    "PAGES",
    "TABS",
    "VIEWS",
    "Forbidden",
    "PageRequest",
    "PageView",
    "Viewer",
    "labels",
    "nav",
    "status_name",
]
