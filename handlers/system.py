"""Cross-cutting handlers: who is talking, persistence flush, errors, blocks, stale buttons."""

from __future__ import annotations

import html
import logging

from telegram import ChatMember, Update
from telegram.error import Forbidden
from telegram.ext import (
    CallbackQueryHandler,
    ChatMemberHandler,
    CommandHandler,
    TypeHandler,
)

from bot.i18n import gettext as _
from bot.i18n import resolve_language, set_language
from bot.persistence import DatabasePersistence
from bot.services import members as members_service
from handlers import fallback, start, throttle
from handlers import keyboards as kb
from handlers.common import App, Context, answer

log = logging.getLogger(__name__)

LOAD_GROUP = -100
FLUSH_GROUP = 1000


async def load_member(update: object, context: Context) -> None:
    """Once per update: the member (or None) and the language to answer in."""
    context.member = None
    runtime = context.runtime
    if not isinstance(update, Update) or update.effective_user is None:
        set_language(runtime.settings.bot_default_language)
        return
    user = update.effective_user
    # BOT_COORDINATORS is applied at start and at registration, not here: re-granting it on
    # every update would undo a coordinator's revocation in the bot.
    # A read on the update's connection; the handler's first block commits its transaction.
    async with runtime.db.reader() as session:
        member = await members_service.get_by_telegram_id(session, user.id)
    context.member = member
    stored = member.language if member is not None else None
    if stored is None and context.user_data is not None:
        stored = context.user_data.get("language")
    set_language(resolve_language(stored, user.language_code))


async def flush_persistence(update: object, context: Context) -> None:
    """Write conversation states and user data now, not at PTB's next interval."""
    application = context.application
    if application.persistence is None:
        return
    if isinstance(update, Update) and update.effective_user is not None:
        application.mark_data_for_update_persistence(user_ids=update.effective_user.id)
    persistence = application.persistence
    if isinstance(persistence, DatabasePersistence):
        # One transaction for whatever changed, on this update's connection; none if nothing.
        async with persistence.batch():
            await application.update_persistence()
    else:
        await application.update_persistence()


async def on_error(update: object, context: Context) -> None:
    error = context.error
    if isinstance(error, Forbidden) and isinstance(update, Update) and update.effective_chat:
        async with context.db.session() as session:
            await members_service.set_reachable(session, update.effective_chat.id, False)
        log.info("chat %s blocked the bot", update.effective_chat.id)
        return
    details = ""
    if isinstance(update, Update):
        user = update.effective_user.id if update.effective_user else None
        kind = "callback" if update.callback_query else "message" if update.message else "other"
        data = update.callback_query.data if update.callback_query else None
        details = f"update={update.update_id} user={user} kind={kind} data={data!r}"
    log.error("error while handling an update: %s", details, exc_info=error)
    if isinstance(update, Update) and update.effective_chat is not None:
        try:
            if update.callback_query is not None:
                await answer(update)
            await update.effective_chat.send_message(
                html.escape(
                    _(
                        "Sorry, something went wrong on my side. What you saved before is safe; "
                        "please try again in a moment."
                    )
                )
            )
        except Exception:  # the apology itself must never raise again
            log.warning("could not send the apology", exc_info=True)


async def private_chat_member(update: Update, context: Context) -> None:
    """The user blocked or unblocked the bot in their private chat."""
    change = update.my_chat_member
    if change is None or change.chat.type != change.chat.PRIVATE:
        return
    reachable = change.new_chat_member.status not in (ChatMember.BANNED, ChatMember.LEFT)
    async with context.db.session() as session:
        await members_service.set_reachable(session, change.chat.id, reachable)


async def stale_button(update: Update, context: Context) -> None:
    """Any button nobody else claimed: an old message or a forged press."""
    query = update.callback_query
    if query is None:
        return
    if query.data == kb.NOOP:
        await answer(update)
        return
    member = context.member
    log.info("stale or unknown callback %r from %s", query.data, member.id if member else None)
    await answer(update, _("This button is no longer available."), alert=False)


def register_first(application: App) -> None:
    throttle.register(application)  # a flood from one person is dropped first
    application.add_handler(TypeHandler(Update, load_member), group=LOAD_GROUP)


def register_last(application: App) -> None:
    application.add_handler(
        ChatMemberHandler(private_chat_member, ChatMemberHandler.MY_CHAT_MEMBER),
        group=LOAD_GROUP + 1,
    )
    # After every feature: their conversations' own /cancel fallbacks must see it first.
    application.add_handler(CommandHandler("cancel", start.idle_cancel))
    fallback.register(application)  # every private message gets an answer
    application.add_handler(CallbackQueryHandler(stale_button))
    application.add_handler(TypeHandler(Update, flush_persistence), group=FLUSH_GROUP)
    application.add_error_handler(on_error)
