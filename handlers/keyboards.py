"""The one place that builds keyboards and callback data.

Callback data is a short typed scheme: ``feature:action[:id[:argument]]`` (for example
``g:join:12``). It only names things; every handler loads the object again and checks
the presser's rights. Data is checked against Telegram's 64-byte limit when built.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

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


def next_prev(
    feature: str, action: str, page: int, has_next: bool, *ids: object
) -> list[InlineKeyboardButton]:
    """« previous · page · next » when the total is not counted (large lists)."""
    if page == 0 and not has_next:
        return []
    row = []
    if page > 0:
        row.append(button("«", feature, action, *ids, page - 1))
    row.append(button(str(page + 1), NOOP))
    if has_next:
        row.append(button("»", feature, action, *ids, page + 1))
    return row
