"""setMyCommands: per language for everyone, per chat for members with a higher role."""

from __future__ import annotations

import asyncio
import logging

from telegram import (
    BotCommand,
    BotCommandScopeAllGroupChats,
    BotCommandScopeAllPrivateChats,
    BotCommandScopeChat,
)
from telegram.error import BadRequest, Forbidden, TelegramError
from telegram.ext import Application

from bot.config import SUPPORTED_LANGUAGES
from bot.i18n import gettext as _
from bot.i18n import resolve_language, use_language
from bot.runtime import runtime
from models import Member, Role

log = logging.getLogger(__name__)


def commands_for(role: Role | None, scope: str = "private") -> list[BotCommand]:
    """The command list for a role (None: not registered yet), in the current language."""
    from handlers import all_commands

    result = []
    for spec in all_commands():
        if spec.scope != scope:
            continue
        if spec.min_role is not None and (role is None or not role.at_least(spec.min_role)):
            continue
        result.append(BotCommand(spec.name, _(spec.description)[:256]))
    return result


async def publish_default_commands(application: Application) -> None:  # type: ignore[type-arg]
    """Residents' and group chats' commands, once per language plus the default."""
    bot = application.bot
    default = runtime(application).settings.bot_default_language
    for language in (None, *SUPPORTED_LANGUAGES):
        with use_language(language or default):
            private = commands_for(Role.RESIDENT)
            group = commands_for(Role.RESIDENT, "group")
        await bot.set_my_commands(private, BotCommandScopeAllPrivateChats(), language_code=language)
        if group:
            await bot.set_my_commands(group, BotCommandScopeAllGroupChats(), language_code=language)


async def refresh_member_commands(application: Application, member: Member) -> None:  # type: ignore[type-arg]
    """A member's own command list in their chosen language (their role, their chat)."""
    role = Role(member.role) if member.is_registered else None
    with use_language(resolve_language(member.language, None)):
        commands = commands_for(role)
    try:
        await application.bot.set_my_commands(commands, BotCommandScopeChat(member.telegram_id))
    except (Forbidden, BadRequest) as exc:
        log.info("could not set commands for member %s: %s", member.id, exc)
    except TelegramError:
        log.warning("setMyCommands failed for member %s", member.id, exc_info=True)


async def publish_all(application: Application) -> None:  # type: ignore[type-arg]
    """At start: defaults, then each privileged member's list (in the background)."""
    from bot.services import members as members_service

    try:
        await publish_default_commands(application)
        async with runtime(application).db.session() as session:
            privileged = await members_service.privileged_members(session)
        for member in privileged:
            await refresh_member_commands(application, member)
            await asyncio.sleep(0.05)
    except TelegramError:
        log.warning("publishing commands failed; they stay as they were", exc_info=True)
