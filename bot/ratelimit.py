"""Telegram's ceilings for every request the bot makes (set in bot/app.py).

PTB's AIORateLimiter counts every request against the overall ~30 messages/s, also those
Telegram refuses with 403 because the person blocked the bot. Those deliver nothing and do
not use Telegram's ceiling, but they used ours: a broadcast to 3,000 people of whom 5 % had
blocked the bot ran at 95 % of the ceiling at best. This limiter keeps AIORateLimiter for
what it does well (20 messages a minute per group chat, waiting out 429 RetryAfter and
trying again) and counts the overall rate itself, in a bucket that gives a refused
request's place back.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Coroutine
from typing import Any, TypeAlias

from telegram.error import Forbidden
from telegram.ext import AIORateLimiter, BaseRateLimiter

JSONDict: TypeAlias = dict[str, Any]  # what a Bot API method answers (PTB's own alias is private)


class TokenBucket:
    """`rate` requests a second on average, up to `capacity` at once after a quiet spell.

    Waiters are served in the order they came (the lock is fair), so a long broadcast does
    not starve a reply that asked after it.
    """

    def __init__(self, rate: float, capacity: float, clock: Callable[[], float] = time.monotonic):
        self.rate = rate
        self.capacity = capacity
        self._clock = clock
        self._tokens = capacity
        self._updated = clock()
        self._lock = asyncio.Lock()

    def _refill(self) -> None:
        now = self._clock()
        self._tokens = min(self.capacity, self._tokens + (now - self._updated) * self.rate)
        self._updated = now

    async def take(self) -> None:
        async with self._lock:
            self._refill()
            while self._tokens < 1:
                await asyncio.sleep((1 - self._tokens) / self.rate)
                self._refill()
            self._tokens -= 1

    def give_back(self) -> None:
        self._refill()
        self._tokens = min(self.capacity, self._tokens + 1)


class TelegramRateLimiter(BaseRateLimiter[int]):
    """AIORateLimiter's group-chat limits and 429 retries, with an overall bucket that
    does not count requests refused with 403."""

    def __init__(self, overall_max_rate: float = 30.0, max_retries: int = 3) -> None:
        self.overall = TokenBucket(overall_max_rate, overall_max_rate)
        self.inner = AIORateLimiter(overall_max_rate=0, max_retries=max_retries)

    async def initialize(self) -> None:
        await self.inner.initialize()

    async def shutdown(self) -> None:
        await self.inner.shutdown()

    async def process_request(
        self,
        callback: Callable[..., Coroutine[Any, Any, bool | JSONDict | list[JSONDict]]],
        args: Any,
        kwargs: dict[str, Any],
        endpoint: str,
        data: dict[str, Any],
        rate_limit_args: int | None,
    ) -> bool | JSONDict | list[JSONDict]:
        # As AIORateLimiter: only requests to a chat count; paid broadcasts have their own.
        counted = data.get("chat_id") is not None and not data.get("allow_paid_broadcast")
        if counted:
            await self.overall.take()
        try:
            return await self.inner.process_request(
                callback, args, kwargs, endpoint, data, rate_limit_args
            )
        except Forbidden:
            if counted:
                self.overall.give_back()
            raise
