"""The meetings feature keeps the callback data of its first release: buttons in people's
old messages must still reach their handler after any refactoring. And the feature loads no
heavy library (openpyxl) before the first update."""

from __future__ import annotations

import subprocess
import sys
from typing import Any

from telegram.ext import CallbackQueryHandler, ConversationHandler

from handlers import keyboards as kb
from tests.harness import Harness

# One of each kind of button the meetings feature has ever shown.
LEGACY = [
    # /meetings and a meeting's card
    "mt:ls",
    "mt:new",
    "mt:v:12",
    "mt:a:12:y",
    "mt:a:12:m",
    "mt:a:12:n",
    "mt:ics:12",
    "mt:here:12",
    # attendance, changes, follow-up
    "mt:att:12",
    "mt:mk:12:34",
    "mt:xl:12",
    "mt:mv:12",
    "mt:cx:12",
    "mt:cxc:12:y",
    "mt:cxc:12:n",
    "mt:fu:12",
    "mt:sum:12",
    "mt:ai:12",
    "mt:pub:12",
    "mt:done:12",
    "mf:o:34",
    "mf:d:14",
    # date polls
    "mp:v:5",
    "mp:t:5",
    "mp:pick:5",
    "mp:win:5",
    "mp:winc:5:y",
    "mp:winc:5:n",
    # the /meeting draft
    "mc:g:3",
    "mc:a:0",
    "mc:a:2",
    "mc:d:2026-11-27",
    "mc:poll",
    "mc:h:0900",
    "mc:h:1700",
    "mc:back",
    "mc:pd",
    "mc:du:90",
    "mc:pl",
    "mc:c:0",
    "mc:c:20",
    "mc:o:1",
    "mc:o:0",
    "mc:ag",
    "mc:send",
    "mc:x",
    # later: /meetings pages, changing a meeting, the review's change buttons
    "mt:ls:1",
    "mt:ed:12",
    "mt:ef:12:topic",
    "mt:ef:12:place",
    "mt:ef:12:agenda",
    "mt:ef:12:capacity",
    "mt:ex:12",
    "mt:ec:12:y",
    "mt:ec:12:n",
    "mc:e:place",
    "mc:e:cap",
    "mc:e:agenda",
    "mc:e:dur",
    "mc:e:area",
]
PREFIXES = {"mt", "mp", "mc", "mf"}


def _meeting_routes() -> list[kb.Route]:
    import handlers.meetings  # noqa: F401  (declares the routes)

    return [route for route in kb.ROUTES if route.feature in PREFIXES]


def test_every_old_button_has_exactly_one_route() -> None:
    routes = _meeting_routes()
    for data in LEGACY:
        assert sum(route.matches(data) for route in routes) == 1, data


def test_every_route_is_one_of_the_old_buttons() -> None:
    """A renamed or new meetings button fails here: old messages would not reach it."""
    for route in _meeting_routes():
        assert any(route.matches(data) for data in LEGACY), route.pattern


def _callback_handlers(handlers: list[Any]) -> list[CallbackQueryHandler[Any, Any]]:
    found = []
    for handler in handlers:
        if isinstance(handler, ConversationHandler):
            inner = [*handler.entry_points, *handler.fallbacks]
            inner += [h for state in handler.states.values() for h in state]
            found += _callback_handlers(inner)
        elif isinstance(handler, CallbackQueryHandler):
            found.append(handler)
    return found


async def test_every_old_button_reaches_a_handler(harness: Harness) -> None:
    registered = _callback_handlers([h for g in harness.app.handlers.values() for h in g])
    patterns = [
        h.pattern
        for h in registered
        if h.callback.__module__.startswith("handlers.meetings") and hasattr(h.pattern, "match")
    ]
    for data in LEGACY:
        assert any(p.match(data) for p in patterns), data  # type: ignore[union-attr]


def test_openpyxl_is_not_loaded_with_the_feature() -> None:
    code = "import sys, handlers.meetings; print('openpyxl' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
