"""Helpers shared by handlers: the current member, role checks, replies."""

from __future__ import annotations

import html
import logging
from collections.abc import Awaitable, Callable
from functools import wraps
from typing import Any, Concatenate, ParamSpec, TypeVar

from sqlmodel.ext.asyncio.session import AsyncSession
from telegram import InlineKeyboardMarkup, Message, Update
from telegram.error import BadRequest
from telegram.ext import BaseHandler, ConversationHandler, filters

from bot.context import BotApplication, BotContext
from bot.i18n import gettext as _
from bot.services.errors import DomainError
from bot.services.permissions import has_role
from handlers import keyboards as kb
from models import Role

log = logging.getLogger(__name__)
Context = BotContext
App = BotApplication
Handler = Callable[[Update, BotContext], Awaitable[Any]]
H = TypeVar("H", bound=Handler)
P = ParamSpec("P")
T = TypeVar("T")

END = ConversationHandler.END
# What the steps of a conversation listen to: typed text that is no command; anything else a
# person sends (a photo, a sticker...), service messages apart.
TYPED = filters.TEXT & ~filters.COMMAND
NOT_TYPED = ~filters.TEXT & ~filters.COMMAND & ~filters.StatusUpdate.ALL
# Any message a person sent (text, photo, sticker...), but not a command or a service message.
SENT = ~filters.COMMAND & ~filters.StatusUpdate.ALL


def esc(text: object) -> str:
    """User-typed text inside our HTML messages."""
    return html.escape(str(text), quote=False)


def tg_len(text: str) -> int:
    """The length Telegram limits: UTF-16 code units."""
    return len(text.encode("utf-16-le")) // 2


def clip(text: str, limit: int) -> str:
    """At most `limit` characters as Telegram counts them (UTF-16 code units: an emoji is
    two), never cutting a character in half."""
    if tg_len(text) <= limit:
        return text
    return text.encode("utf-16-le")[: 2 * limit].decode("utf-16-le", errors="ignore")


def clip_label(text: str, limit: int) -> str:
    """A label of at most `limit` characters: cut at a word boundary and marked with "…"."""
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    cut = text[: limit - 1]
    if " " in cut[limit // 2 :]:
        cut = cut[: cut.rindex(" ")]
    return cut.rstrip(" ,.;:-") + "…"


def split_message(text: str, limit: int = 4096) -> list[str]:
    """`text` as messages of at most `limit` UTF-16 units (Telegram's limit), cut at line
    boundaries; a longer line is cut between words, else anywhere but inside an HTML entity
    ("&amp;"). Keep tags within one line: a part never closes another part's tag."""
    parts: list[str] = []
    current = ""
    for line in text.split("\n"):
        while tg_len(line) > limit:
            head = clip(line, limit)
            space = head.rfind(" ")
            if space > limit // 2:
                head = head[:space]
            elif (amp := head.rfind("&")) > head.rfind(";") and amp > 0:
                head = head[:amp]
            if current:
                parts.append(current)
                current = ""
            parts.append(head)
            line = line[len(head) :].lstrip(" ")
        joined = f"{current}\n{line}" if current else line
        if tg_len(joined) <= limit:
            current = joined
        else:
            parts.append(current)
            current = line
    if current or not parts:
        parts.append(current)
    return [part for part in parts if part.strip()] or [text[:0]]


def domain_message(error: DomainError) -> str:
    return _(error.message).format(**error.params)


async def reply(
    update: Update,
    text: str,
    keyboard: InlineKeyboardMarkup | None = None,
    *,
    edit: bool = True,
) -> Message | None:
    """Answer where the user is: edit the pressed message, or send a new one."""
    query = update.callback_query
    if query is not None and edit and query.message is not None:
        try:
            result = await query.edit_message_text(text, reply_markup=keyboard)
            return result if isinstance(result, Message) else None
        except BadRequest as exc:
            if "not modified" in str(exc).lower():
                return None
            if "message to edit not found" not in str(exc).lower() and (
                "can't be edited" not in str(exc).lower()
            ):
                raise
    chat = update.effective_chat
    if chat is None:
        return None
    return await chat.send_message(text, reply_markup=keyboard)


async def answer(update: Update, text: str | None = None, alert: bool = False) -> None:
    """Answer a callback query (Telegram shows a spinner until we do)."""
    if update.callback_query is not None:
        try:
            await update.callback_query.answer(text[:200] if text else None, show_alert=alert)
        except BadRequest:
            log.debug("callback query too old to answer")


async def pressed(update: Update) -> kb.Callback:
    """The pressed button's data; the press is answered (Telegram stops its spinner)."""
    await answer(update)
    return kb.parse(update.callback_query.data if update.callback_query else None)


async def pressed_args(
    update: Update, route: kb.Route, default: tuple[Any, ...] = ()
) -> tuple[Any, ...]:
    """The typed arguments of the pressed button when it is `route`, else `default` (for a
    handler registered on more routes, some without arguments); the press is answered."""
    await answer(update)
    data = update.callback_query.data if update.callback_query else None
    return route.parse(data) if route.matches(data) else default


async def in_session(
    context: BotContext,
    query: Callable[Concatenate[AsyncSession, P], Awaitable[T]],
    *args: P.args,
    **kwargs: P.kwargs,
) -> T:
    """What one service call returns, run in a session (one transaction) of its own."""
    async with context.db.session() as session:
        return await query(session, *args, **kwargs)


async def ask_to_confirm(
    update: Update, question: str, route: kb.Route, *ids: object, yes: str, no: str
) -> None:
    """A confirmation step: `question` in place of the pressed message, with yes/no buttons
    of `route` (whose last argument is `kb.YES_NO`)."""
    await answer(update)
    await reply(update, question, kb.confirmation(route, *ids, yes=yes, no=no))


async def refuse(update: Update, text: str) -> None:
    if update.callback_query is not None:
        await answer(update, text, alert=True)
    elif update.effective_chat is not None:
        await update.effective_chat.send_message(text)


def not_registered_text() -> str:
    return _(
        "First let me get to know you: send /start, accept the privacy terms and tell me "
        "your name. It takes a minute."
    )


def role_refusal(role: Role) -> str:
    if role == Role.COORDINATOR:
        return _("Sorry, only coordinators can do this.")
    if role == Role.LEAD:
        return _("Sorry, only coordinators and group leads can do this.")
    return _("Sorry, this is for members of the leaders' team. Ask a coordinator for an invite.")


def requires(role: Role = Role.RESIDENT) -> Callable[[H], H]:
    """Let the handler run only for a registered member with at least `role`; a
    `DomainError` it raises becomes the refusal reply (and the conversation stays put)."""

    def decorator(handler: H) -> H:
        guarded = refusing(handler)

        @wraps(handler)
        async def wrapper(update: Update, context: BotContext) -> Any:
            member = context.member
            if member is None or not member.is_registered:
                await refuse(update, not_registered_text())
                return END
            if not has_role(member, role):
                await refuse(update, role_refusal(role))
                return END
            return await guarded(update, context)

        return wrapper  # type: ignore[return-value]

    return decorator


def refusing(handler: H) -> H:
    """For handlers open to anyone: a `DomainError` becomes the refusal reply."""

    @wraps(handler)
    async def wrapper(update: Update, context: BotContext) -> Any:
        try:
            return await handler(update, context)
        except DomainError as error:
            await refuse(update, domain_message(error))
            return None

    return wrapper  # type: ignore[return-value]


Handlers = list[BaseHandler[Any, Any, Any]]


def persistent_conversation(
    name: str, entry_points: Handlers, states: dict[object, Handlers], fallbacks: Handlers
) -> ConversationHandler[Any]:
    """A conversation of the bot: persistent (a user keeps their step across restarts, stored
    under `name`, which never changes) and started afresh by an entry point at any step."""
    return ConversationHandler(
        entry_points=entry_points,
        states=states,
        fallbacks=fallbacks,
        name=name,
        persistent=True,
        allow_reentry=True,
    )


def stale_text() -> str:
    return _("This button is out of date; nothing was changed.")


def private_only(handler: H) -> H:
    @wraps(handler)
    async def wrapper(update: Update, context: BotContext) -> Any:
        chat = update.effective_chat
        if chat is not None and chat.type != chat.PRIVATE:
            return END
        return await handler(update, context)

    return wrapper  # type: ignore[return-value]


# Typed words that mean "skip this step", wherever the step has a skip button (folded: lower
# case, no trailing punctuation). One list for every flow and language.
SKIP_WORDS = frozenset(
    {
        # Polish
        "nie",
        "pomiń",
        "pomin",
        "bez",
        "dalej",
        "brak",
        # English
        "no",
        "skip",
        "none",
        "next",
        # Ukrainian
        "ні",
        "пропустити",
        "далі",
        "без",
    }
)


def is_skip_word(text: str | None) -> bool:
    """Whether a typed answer means "skip" ("nie", "pomiń", "skip", "ні", ...)."""
    if not text:
        return False
    return text.strip().strip(".!,;:…").strip().casefold() in SKIP_WORDS


class UnknownCommand(filters.MessageFilter):
    """A command that no handler of the application takes: for a conversation state to answer
    it with the step's buttons, while known commands (/browse, /help...) pass through. The
    list is looked up on first use, when every feature has registered its handlers."""

    def __init__(self, application: BotApplication) -> None:
        super().__init__(name="UnknownCommand")
        self._application = application
        self._known: frozenset[str] | None = None

    def _commands(self) -> frozenset[str]:
        if self._known is None:
            found: set[str] = set()
            pending: list[Any] = [h for hs in self._application.handlers.values() for h in hs]
            while pending:
                handler = pending.pop()
                found.update(getattr(handler, "commands", ()))
                if isinstance(handler, ConversationHandler):
                    pending += [*handler.entry_points, *handler.fallbacks]
                    pending += [h for hs in handler.states.values() for h in hs]
            self._known = frozenset(c.lower() for c in found)
        return self._known

    def filter(self, message: Message) -> bool:
        text = message.text or ""
        if not text.startswith("/") or len(text) < 2:
            return False
        name = text[1:].split(maxsplit=1)[0].split("@", 1)[0].lower()
        return name not in self._commands()
