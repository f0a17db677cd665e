"""Reaching Telegram at start and while polling: a rejected token, an unreachable server,
a second process polling with the same token. One clear line each, never the token, never a
traceback per retry."""

from __future__ import annotations

import asyncio
import functools
import itertools
import logging
import ssl
import time
from collections.abc import Awaitable, Callable, Iterable, Iterator
from typing import TYPE_CHECKING, Any

from bot.config import Settings, SettingsError

if TYPE_CHECKING:  # the CLI imports this module; `leaders-bot health` must stay light
    from telegram import User
    from telegram.request import HTTPXRequest

log = logging.getLogger(__name__)

EXIT_NETWORK = 3
"""Exit code of a CLI command that needs Telegram and cannot reach it (2: bad settings/token)."""


@functools.cache
def tls_context() -> ssl.SSLContext:
    """One TLS context for every connection to Telegram. Building one reads the whole CA
    bundle (25-70 ms here), and each HTTP client built its own: four before the first poll."""
    import httpx

    return httpx.create_ssl_context()


def telegram_request(**kwargs: Any) -> HTTPXRequest:
    """PTB's HTTP transport, on the shared TLS context (keyword arguments: HTTPXRequest's)."""
    from telegram.request import HTTPXRequest

    return HTTPXRequest(httpx_kwargs={"verify": tls_context()}, **kwargs)


class TokenRejected(SettingsError):
    """Telegram answered 401/404 to getMe: the token is revoked, mistyped, or the URL wrong."""


class TelegramUnreachable(Exception):
    """No useful answer from Telegram (DNS, refused or timed-out connection, 5xx, 429)."""


def token_rejected(settings: Settings) -> TokenRejected:
    # Never PTB's message: it quotes the token.
    return TokenRejected(
        "TELEGRAM_BOT_TOKEN was rejected by Telegram (revoked or mistyped): get a new token "
        f"from @BotFather and set TELEGRAM_BOT_TOKEN (API at {settings.telegram_api_url})"
    )


def _reason(error: BaseException, settings: Settings) -> str:
    text = str(error).replace(settings.token, "<token>").strip() or type(error).__name__
    return text.splitlines()[0][:200]


async def fetch_me(settings: Settings) -> User:
    """One getMe: the bot's own user, or TokenRejected / TelegramUnreachable."""
    from telegram import Bot
    from telegram.error import InvalidToken, RetryAfter, TelegramError

    api = settings.telegram_api_url
    bot = Bot(
        settings.token,
        base_url=f"{api}/bot",
        base_file_url=f"{api}/file/bot",
        request=telegram_request(connection_pool_size=1),
        get_updates_request=telegram_request(connection_pool_size=1),
    )
    try:
        async with bot:  # initialize() calls getMe
            return bot.bot
    except InvalidToken:
        raise token_rejected(settings) from None
    except RetryAfter as error:
        raise TelegramUnreachable(f"Telegram asks to wait {error.retry_after}") from None
    except TelegramError as error:  # NetworkError, TimedOut, 5xx, ...
        raise TelegramUnreachable(_reason(error, settings)) from None


def backoff_delays(first: float = 1.0, cap: float = 60.0) -> Iterator[float]:
    """1, 2, 4, ... 60, 60 seconds: the waits between attempts to reach Telegram."""
    delay = first
    while True:
        yield delay
        delay = min(delay * 2, cap)


async def wait_for_telegram(
    settings: Settings,
    delays: Iterable[float] | None = None,
    *,
    sleep: Callable[[float], Awaitable[object]] = asyncio.sleep,
) -> User:
    """getMe until Telegram answers: one log line per failed attempt, no traceback.

    A rejected token is not retried (TokenRejected): waiting would not make it valid.
    """
    for attempt, delay in zip(itertools.count(1), delays or backoff_delays(), strict=False):
        try:
            return await fetch_me(settings)
        except TelegramUnreachable as error:
            log.warning(
                "cannot reach Telegram at %s (%s): attempt %d, next attempt in %ss",
                settings.telegram_api_url,
                error,
                attempt,
                f"{delay:g}",
            )
            await sleep(delay)
    raise TelegramUnreachable(f"{settings.telegram_api_url} did not answer")


class PollingErrors:
    """Error handler for what fails while polling: a clear line, not a traceback per retry.

    409 Conflict (another process polls with the same token) and network failures repeat
    every few seconds while they last (PTB retries getUpdates); each kind is logged once,
    then at most once a minute with the number of repeats. Registered before the general
    error handler, which then never sees them.
    """

    def __init__(self, every: float = 60.0, clock: Callable[[], float] = time.monotonic) -> None:
        self.every = every
        self.clock = clock
        self._last: dict[str, float] = {}
        self._repeats: dict[str, int] = {}

    def _report(self, kind: str, message: str) -> None:
        now = self.clock()
        last = self._last.get(kind)
        if last is not None and now - last < self.every:
            self._repeats[kind] = self._repeats.get(kind, 0) + 1
            return
        repeats = self._repeats.pop(kind, 0)
        suffix = f" ({repeats} more since the last report)" if repeats else ""
        log.error("%s%s", message, suffix)
        self._last[kind] = now

    async def __call__(self, update: object, context: Any) -> None:
        from telegram.error import BadRequest, Conflict, NetworkError
        from telegram.ext import ApplicationHandlerStop

        error = context.error
        if update is not None or getattr(context, "job", None) is not None:
            return  # an update's or a job's error: the general handler's
        if isinstance(error, Conflict):
            self._report(
                "conflict",
                "another process is polling Telegram with this bot's token (409 Conflict), "
                "so updates are split between them: stop the other one (one `leaders-bot run` "
                "per token); still retrying",
            )
        elif isinstance(error, NetworkError) and not isinstance(error, BadRequest):
            self._report("network", f"cannot reach Telegram while polling ({error.message})")
        else:
            return
        raise ApplicationHandlerStop
