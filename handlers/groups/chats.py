"""/link and /unlink: connect a Telegram group chat to a working group; the bot's removal
from a chat unlinks it."""

from __future__ import annotations

import logging

from telegram import ChatMember, ChatMemberUpdated, Update
from telegram.error import TelegramError

from bot import notify
from bot.i18n import current_language
from bot.i18n import gettext as _
from bot.services import groups as groups_service
from handlers import keyboards as kb
from handlers.common import Context, answer, esc, refuse, refusing, reply
from handlers.groups import routes as r
from models import Member

log = logging.getLogger(__name__)


async def _chat_admin(context: Context, chat_id: int, user_id: int) -> bool:
    try:
        chat_member = await context.bot.get_chat_member(chat_id, user_id)
    except TelegramError:
        log.info("getChatMember failed for chat %s", chat_id, exc_info=True)
        return False
    return chat_member.status in (ChatMember.ADMINISTRATOR, ChatMember.OWNER)


async def _may_manage_chat(update: Update, context: Context) -> Member | None:
    """A registered lead or coordinator who is also an admin of this chat; else say why."""
    chat, user, member = update.effective_chat, update.effective_user, context.member
    assert chat is not None and user is not None
    if chat.type == chat.PRIVATE:
        await refuse(update, _("Send this command in the group chat you want to link."))
        return None
    if member is None or not member.is_registered:
        await refuse(update, _("First start me in a private chat and sign up, then try again."))
        return None
    if not await _chat_admin(context, chat.id, user.id):
        await refuse(update, _("Only an administrator of this chat can link or unlink it."))
        return None
    return member


async def link_command(update: Update, context: Context) -> None:
    member = await _may_manage_chat(update, context)
    if member is None or update.effective_chat is None:
        return
    async with context.db.session() as session:
        choices = await groups_service.linkable_groups(session, member)
    if not choices:
        await refuse(update, _("Only a coordinator or a group's lead can link a chat."))
        return
    rows = [[r.LINK.button(g.display_name(context.language), g.id)] for g in choices]
    await update.effective_chat.send_message(
        _("Which working group does this chat belong to?"), reply_markup=kb.markup(rows)
    )


@refusing
async def link_chosen(update: Update, context: Context) -> None:
    member = await _may_manage_chat(update, context)
    if member is None or update.effective_chat is None:
        return
    (group_id,) = r.args(update, r.LINK)
    async with context.db.session() as session:
        group = await groups_service.link_chat(session, member, group_id, update.effective_chat.id)
    await answer(update)
    await reply(update, "✅ " + _("Linked."))

    def announcement() -> str:
        return _(
            "This chat is now linked with {group}: its invitations, reminders and new "
            "contributions will also appear here."
        ).format(group=esc(group.display_name(current_language())))

    await notify.post_to_group_chat(
        context.bot,
        group,
        lambda: (announcement(), None),
        context.runtime.settings.bot_default_language,
        db=context.db,
    )


@refusing
async def unlink_command(update: Update, context: Context) -> None:
    member = await _may_manage_chat(update, context)
    if member is None or update.effective_chat is None:
        return
    async with context.db.session() as session:
        group = await groups_service.unlink_chat(session, update.effective_chat.id, member)
    text = (
        _("This chat is no longer linked with {group}.").format(
            group=esc(group.display_name(context.language))
        )
        if group
        else _("This chat is not linked with any group.")
    )
    await update.effective_chat.send_message(text)


async def bot_left_chat(update: Update, context: Context) -> None:
    """The bot was removed from a group chat: that chat serves no group any more."""
    change: ChatMemberUpdated | None = update.my_chat_member
    if change is None or change.chat.type == change.chat.PRIVATE:
        return
    if change.new_chat_member.status not in (ChatMember.LEFT, ChatMember.BANNED):
        return
    async with context.db.session() as session:
        group = await groups_service.unlink_chat(session, change.chat.id)
    if group is not None:
        log.info("removed from chat %s: unlinked group %s", change.chat.id, group.id)
