"""The one place that builds keyboards and callback data.

Callback data is a short typed scheme: ``feature:action[:id[:argument]]`` (for example
``gr:j:12``). Each button kind is declared once as a `Route`: the same declaration builds
the button's data, gives the `CallbackQueryHandler` its pattern and parses the press, and
`ROUTES` lets tests enumerate every button the bot can show. Data only names things; every
handler loads the object again and checks the presser's rights. Data is checked against
Telegram's 64-byte limit when built.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot.config import SUPPORTED_LANGUAGES
from bot.i18n import LANGUAGE_NAMES
from bot.i18n import gettext as _

MAX_CALLBACK_BYTES = 64
SEP = ":"
MENU = "mn"  # back to the main menu
NOOP = "nop"  # a label-only button (page counter)


class CallbackDataTooLong(ValueError):
    pass


def cb(*parts: object) -> str:
    data = SEP.join(str(p) for p in parts)
    if len(data.encode("utf-8")) > MAX_CALLBACK_BYTES:
        raise CallbackDataTooLong(data)
    return data


@dataclass(frozen=True)
class Callback:
    """Parsed callback data; `ids` are ints where the part was numeric."""

    feature: str
    action: str
    args: tuple[str, ...]

    def int_arg(self, index: int = 0) -> int | None:
        try:
            return int(self.args[index])
        except (IndexError, ValueError):
            return None

    def arg(self, index: int = 0, default: str = "") -> str:
        return self.args[index] if index < len(self.args) else default


def parse(data: str | None) -> Callback:
    parts = (data or "").split(SEP)
    return Callback(parts[0], parts[1] if len(parts) > 1 else "", tuple(parts[2:]))


# An argument of a route: int (an id or page), str (a short token), or a tuple of choices.
ArgSpec = type[int] | type[str] | tuple[str, ...]
_ARG_PATTERN = {int: r"\d+", str: r"[A-Za-z0-9_-]+"}
ROUTES: list[Route] = []


def _arg_pattern(spec: ArgSpec) -> str:
    if isinstance(spec, tuple):
        return "(?:" + "|".join(re.escape(choice) for choice in spec) + ")"
    return _ARG_PATTERN[spec]


@dataclass(frozen=True)
class Route:
    """One kind of button: ``feature[:action]`` followed by typed arguments."""

    feature: str
    action: str | None = None
    args: tuple[ArgSpec, ...] = ()
    _regex: re.Pattern[str] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        head = re.escape(self.feature)
        if self.action is not None:
            head += SEP + re.escape(self.action)
        tail = "".join(SEP + _arg_pattern(spec) for spec in self.args)
        object.__setattr__(self, "_regex", re.compile(f"^{head}{tail}$"))

    @property
    def pattern(self) -> str:
        return self._regex.pattern

    def matches(self, data: str | None) -> bool:
        return data is not None and self._regex.match(data) is not None

    def data(self, *args: object) -> str:
        if len(args) != len(self.args):
            raise TypeError(f"{self} takes {len(self.args)} arguments, got {len(args)}")
        head = (self.feature,) if self.action is None else (self.feature, self.action)
        built = cb(*head, *args)
        if not self.matches(built):
            raise ValueError(f"{built!r} does not fit {self.pattern}")
        return built

    def button(self, text: str, *args: object) -> InlineKeyboardButton:
        return InlineKeyboardButton(text, callback_data=self.data(*args))

    def parse(self, data: str | None) -> tuple[Any, ...]:
        """The typed arguments of a press (ValueError when it is not this route)."""
        if not self.matches(data):
            raise ValueError(f"{data!r} is not {self.pattern}")
        assert data is not None
        skip = 1 if self.action is None else 2
        raw = data.split(SEP)[skip:]
        return tuple(
            int(value) if spec is int else value for spec, value in zip(self.args, raw, strict=True)
        )


def route(feature: str, action: str | None = None, *args: ArgSpec) -> Route:
    """Declare a route (once, at module level) and register it for enumeration."""
    declared = Route(feature, action, tuple(args))
    if declared not in ROUTES:
        ROUTES.append(declared)
    return declared


def on(*routes: Route) -> str:
    """The pattern that matches any of `routes`, for one `CallbackQueryHandler`."""
    if len(routes) == 1:
        return routes[0].pattern
    return "|".join(f"(?:{r.pattern})" for r in routes)


def callback_handler(callback: Callable[..., Any], *routes: Route, **kwargs: Any) -> Any:
    """A CallbackQueryHandler for `callback` on `routes`."""
    from telegram.ext import CallbackQueryHandler

    return CallbackQueryHandler(callback, pattern=on(*routes), **kwargs)


# What each button does: route -> callback (a feature's table of its buttons).
Buttons = Mapping[Route, Callable[..., Any]]


def callback_handlers(*tables: Buttons) -> list[Any]:
    """The CallbackQueryHandlers of `tables`: one handler per callback, on every route the
    tables give it, in the tables' order."""
    routes_of: dict[Callable[..., Any], list[Route]] = {}
    for table in tables:
        for declared, callback in table.items():
            routes_of.setdefault(callback, []).append(declared)
    return [callback_handler(callback, *routes) for callback, routes in routes_of.items()]


def button(text: str, *parts: object) -> InlineKeyboardButton:
    return InlineKeyboardButton(text, callback_data=cb(*parts))


def url_button(text: str, url: str) -> InlineKeyboardButton:
    return InlineKeyboardButton(text, url=url)


def grid(
    buttons: Sequence[InlineKeyboardButton], width: int = 2
) -> list[list[InlineKeyboardButton]]:
    return [list(buttons[i : i + width]) for i in range(0, len(buttons), width)]


def markup(rows: Iterable[Sequence[InlineKeyboardButton]]) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup([list(r) for r in rows if r])


def back_to_menu_row() -> list[InlineKeyboardButton]:
    return [button("« " + _("Menu"), MENU)]


def with_menu(rows: Iterable[Sequence[InlineKeyboardButton]]) -> InlineKeyboardMarkup:
    return markup([*rows, back_to_menu_row()])


def language_buttons(feature: str, action: str = "set") -> list[InlineKeyboardButton]:
    return [button(LANGUAGE_NAMES[code], feature, action, code) for code in SUPPORTED_LANGUAGES]


def yes_no(feature: str, action: str, *ids: object, yes: str, no: str) -> InlineKeyboardMarkup:
    """A confirmation for a destructive or far-reaching action."""
    return markup(
        [[button(yes, feature, action, *ids, "y"), button(no, feature, action, *ids, "n")]]
    )


YES_NO: tuple[str, str] = ("y", "n")


def confirmation(confirm_route: Route, *ids: object, yes: str, no: str) -> InlineKeyboardMarkup:
    """The yes/no keyboard of a confirmation step; the route's last argument is `YES_NO`."""
    return markup([[confirm_route.button(yes, *ids, "y"), confirm_route.button(no, *ids, "n")]])


def pager(
    feature: str, action: str, page: int, pages: int, *ids: object
) -> list[InlineKeyboardButton]:
    """« previous · page/pages · next »; empty for a single page."""
    if pages <= 1:
        return []
    row = []
    if page > 0:
        row.append(button("«", feature, action, *ids, page - 1))
    row.append(button(f"{page + 1}/{pages}", NOOP))
    if page < pages - 1:
        row.append(button("»", feature, action, *ids, page + 1))
    return row


def route_next_prev(
    page_route: Route, page: int, has_next: bool, *ids: object
) -> list[InlineKeyboardButton]:
    """« previous · page · next » for a declared route whose last argument is the page,
    when the total is not counted (large lists)."""
    if page == 0 and not has_next:
        return []
    row = []
    if page > 0:
        row.append(page_route.button("«", *ids, page - 1))
    row.append(button(str(page + 1), NOOP))
    if has_next:
        row.append(page_route.button("»", *ids, page + 1))
    return row
