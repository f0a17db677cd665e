"""Sending to people other than the one who pressed: their language, their blocks.

The rate limiter (bot/ratelimit.py, set in app.py) keeps us under Telegram's overall and
per-group ceilings and retries 429s; here we handle what is permanent: a user who blocked the bot,
and a linked group chat that Telegram upgraded to a supergroup (a new chat id).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from telegram import Bot, InlineKeyboardMarkup, Message
from telegram.error import BadRequest, ChatMigrated, Forbidden, TelegramError

from bot.db import Database
from bot.i18n import current_language, resolve_language, use_language
from bot.services import groups as groups_service
from bot.services import members as members_service
from models import Group, Member

log = logging.getLogger(__name__)

Render = Callable[[], tuple[str, InlineKeyboardMarkup | None]]


async def notify_member(bot: Bot, db: Database, member: Member, render: Render) -> Message | None:
    """Render in the member's language and send; a block marks them unreachable."""
    if not member.reachable or not member.has_consented:
        return None
    with use_language(resolve_language(member.language, None)):
        text, keyboard = render()
    try:
        return await bot.send_message(member.telegram_id, text, reply_markup=keyboard)
    except Forbidden:
        async with db.session() as session:
            await members_service.set_reachable(session, member.telegram_id, False)
        log.info("member %s blocked the bot; marked unreachable", member.id)
    except BadRequest as exc:
        log.warning("could not notify member %s: %s", member.id, exc)
    except TelegramError:
        log.warning("could not notify member %s", member.id, exc_info=True)
    return None


def once_per_language(render: Render) -> Render:
    """`render`, called at most once per language: every recipient who speaks it gets the
    same text and keyboard (a message to 20 coordinators is built 1 to 3 times, not 20)."""
    rendered: dict[str, tuple[str, InlineKeyboardMarkup | None]] = {}

    def cached() -> tuple[str, InlineKeyboardMarkup | None]:
        language = current_language()
        found = rendered.get(language)
        if found is None:
            found = rendered[language] = render()
        return found

    return cached


async def notify_members(bot: Bot, db: Database, members: list[Member], render: Render) -> int:
    """Returns how many were delivered (rendered once per language, see once_per_language)."""
    delivered = 0
    render = once_per_language(render)
    for member in members:
        if await notify_member(bot, db, member, render) is not None:
            delivered += 1
    return delivered


async def send_to_chat(
    bot: Bot,
    db: Database | None,
    chat_id: int,
    text: str,
    *,
    photo: str | None = None,
    **kwargs: Any,
) -> Message:
    """Send to a group chat (a photo with `text` as its caption when `photo` is given).

    The one place that follows a chat Telegram upgraded to a supergroup: the old id answers
    400 with the new one (ChatMigrated); the group's link moves there (when `db` is given)
    and the message is sent once more, to the new id. Other errors reach the caller.
    """
    try:
        return await _send(bot, chat_id, text, photo, **kwargs)
    except ChatMigrated as exc:
        new_chat_id = int(exc.new_chat_id)
        log.info("chat %s became supergroup %s; following it", chat_id, new_chat_id)
        if db is not None:
            async with db.session() as session:
                await groups_service.move_linked_chat(session, chat_id, new_chat_id)
        return await _send(bot, new_chat_id, text, photo, **kwargs)


async def _send(bot: Bot, chat_id: int, text: str, photo: str | None, **kwargs: Any) -> Message:
    if photo is not None:
        return await bot.send_photo(chat_id, photo, caption=text, **kwargs)
    return await bot.send_message(chat_id, text, **kwargs)


async def post_to_group_chat(
    bot: Bot,
    group: Group,
    render: Render,
    language: str,
    *,
    db: Database | None = None,
    **kwargs: Any,
) -> Message | None:
    """Post into the working group's linked Telegram chat, if it has one.

    Pass `db` so that a chat upgraded to a supergroup keeps its link (see send_to_chat);
    without it the message still reaches the new chat, but the link is not stored.
    """
    if group.chat_id is None:
        return None
    with use_language(language):
        text, keyboard = render()
    try:
        return await send_to_chat(bot, db, group.chat_id, text, reply_markup=keyboard, **kwargs)
    except (Forbidden, BadRequest) as exc:
        log.warning("could not post to the chat of group %s: %s", group.id, exc)
        return None
    except TelegramError:
        log.warning("could not post to the chat of group %s", group.id, exc_info=True)
    return None
