"""The typed context every handler and job receives (python-telegram-bot's
``contexttypesbot.py`` pattern): ``context.runtime``, ``context.db``, ``context.member``,
``context.language`` instead of module-level helpers and context variables.

PTB builds one context per update and hands the same object to every handler group, so the
member loaded once in group -100 (``handlers/system.py``) is what every later handler sees.
Jobs get a fresh context with no member.

``UnitApplication`` handles each update inside ``Database.unit()``: loading the member, the
handler and the persistence flush share one database connection instead of checking one out
for each ``db.session()`` block.
"""

from __future__ import annotations

from typing import Any, TypeAlias

from telegram.ext import Application, CallbackContext, ContextTypes, ExtBot, JobQueue

from bot.db import Database
from bot.i18n import current_language
from bot.runtime import KEY, Runtime
from models import Member

UserData: TypeAlias = dict[Any, Any]
ChatData: TypeAlias = dict[Any, Any]
BotData: TypeAlias = dict[Any, Any]


class BotContext(CallbackContext[ExtBot[None], UserData, ChatData, BotData]):
    def __init__(
        self,
        application: BotApplication,
        chat_id: int | None = None,
        user_id: int | None = None,
    ) -> None:
        super().__init__(application=application, chat_id=chat_id, user_id=user_id)
        self._member: Member | None = None

    @property
    def runtime(self) -> Runtime:
        runtime: Runtime = self.application.bot_data[KEY]
        return runtime

    @property
    def db(self) -> Database:
        return self.runtime.db

    @property
    def member(self) -> Member | None:
        """The person behind this update (None: a stranger, or a job)."""
        return self._member

    @member.setter
    def member(self, member: Member | None) -> None:
        self._member = member

    @property
    def me(self) -> Member:
        """The member, for handlers that only run for registered members (``@requires``)."""
        if self._member is None:
            raise LookupError("this handler needs a registered member")
        return self._member

    @property
    def language(self) -> str:
        """The language this update is answered in (set with the member)."""
        return current_language()


BotApplication: TypeAlias = Application[
    ExtBot[None], BotContext, UserData, ChatData, BotData, JobQueue[BotContext]
]


class UnitApplication(BotApplication):
    """The application: one database connection per update (see bot/db.py ``unit``)."""

    async def process_update(self, update: object) -> None:
        runtime: Runtime | None = self.bot_data.get(KEY)
        if runtime is None:
            await super().process_update(update)
            return
        async with runtime.db.unit():
            await super().process_update(update)


CONTEXT_TYPES = ContextTypes(context=BotContext, bot_data=dict, chat_data=dict, user_data=dict)
