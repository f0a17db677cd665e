"""A linked group chat that Telegram upgrades to a supergroup gets a new id: the link follows.

Telegram posts a service message in both chats: `migrate_to_chat_id` in the old group,
`migrate_from_chat_id` in the new supergroup. Either one moves the link; the second finds
it moved already. A send to the old id that comes first is followed by bot/notify.py.
"""

from __future__ import annotations

import logging

from telegram import Update
from telegram.ext import Application, MessageHandler, filters

from bot.services import groups as groups_service
from handlers.common import Context

log = logging.getLogger(__name__)


async def chat_migrated(update: Update, context: Context) -> None:
    message = update.effective_message
    if message is None:
        return
    if message.migrate_to_chat_id:
        old_chat_id, new_chat_id = message.chat.id, message.migrate_to_chat_id
    elif message.migrate_from_chat_id:
        old_chat_id, new_chat_id = message.migrate_from_chat_id, message.chat.id
    else:
        return
    async with context.db.session() as session:
        group = await groups_service.move_linked_chat(session, old_chat_id, new_chat_id)
    if group is not None:
        log.info(
            "chat %s became supergroup %s: group %s follows", old_chat_id, new_chat_id, group.id
        )


def register(application: Application) -> None:  # type: ignore[type-arg]
    application.add_handler(MessageHandler(filters.StatusUpdate.MIGRATE, chat_migrated))
