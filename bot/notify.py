"""Messages the bot sends on its own: to members (in their language) and to group chats.

A message is given as a `render` function, called inside the recipient's language, that
returns the text or (text, keyboard). A 403 marks a member unreachable; a group chat
that threw the bot out is unlinked. AIORateLimiter (bot/app.py) keeps the per-chat and
per-group ceilings (20 messages a minute in a group).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from typing import Any

from telegram import InlineKeyboardMarkup
from telegram.error import BadRequest, Forbidden, TelegramError

from bot.i18n import resolve_language, use_language
from bot.runtime import runtime
from models import Group, Member

log = logging.getLogger(__name__)

Rendered = str | tuple[str, InlineKeyboardMarkup | None]
Render = Callable[[], Rendered]


def _render(render: Render, language: str) -> tuple[str, InlineKeyboardMarkup | None]:
    with use_language(language):
        result = render()
    return result if isinstance(result, tuple) else (result, None)


async def notify_member(application: Any, member: Member, render: Render) -> bool:
    """Send to one member in their language; False if they cannot be reached."""
    rt = runtime(application)
    if not member.reachable:
        return False
    text, keyboard = _render(render, resolve_language(member.language, None))
    try:
        await application.bot.send_message(member.telegram_id, text, reply_markup=keyboard)
        return True
    except Forbidden:
        from bot.services import members as members_service

        async with rt.db.session() as session:
            await members_service.set_reachable(session, member.telegram_id, False)
        log.info("member %s blocked the bot", member.id)
    except TelegramError:
        log.warning("could not notify member %s", member.id, exc_info=True)
    return False


async def notify_members(application: Any, members: Iterable[Member], render: Render) -> int:
    """Send to each member once; returns how many got it."""
    sent = 0
    seen: set[int] = set()
    for member in members:
        if member.telegram_id in seen:
            continue
        seen.add(member.telegram_id)
        sent += await notify_member(application, member, render)
    return sent


async def post_to_group_chat(application: Any, group: Group, render: Render) -> bool:
    """Post into the group's linked chat (in the programme's language), if it has one."""
    if group.chat_id is None:
        return False
    rt = runtime(application)
    text, keyboard = _render(render, rt.settings.bot_default_language)
    try:
        await application.bot.send_message(group.chat_id, text, reply_markup=keyboard)
        return True
    except (Forbidden, BadRequest) as exc:
        # Thrown out of the chat, or the chat is gone: stop trying.
        from bot.services import groups as groups_service

        log.info("group %s chat %s unreachable: %s; unlinking", group.id, group.chat_id, exc)
        async with rt.db.session() as session:
            await groups_service.unlink_chat(session, group.chat_id)
        group.chat_id = None
    except TelegramError:
        log.warning("could not post to the chat of group %s", group.id, exc_info=True)
    return False
