"""A per-person limit on incoming updates, so one person's flood does not delay everyone.

Updates are handled one at a time; 300 `/help` from one person used to hold up everybody
else for seconds. Each person has a small bucket (a burst of `BURST` updates, refilled at
`RATE` per second); beyond it their updates are dropped before any database work, and they
get one polite "slow down" message per flood.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field

from telegram import Update
from telegram.ext import ApplicationHandlerStop, TypeHandler

from bot.i18n import gettext as _
from bot.i18n import resolve_language, use_language
from handlers.common import App, Context

BURST = 20.0
RATE = 5.0  # updates per second, sustained: more than anyone types or taps
GROUP = -1000  # before the member is loaded: a dropped update costs no query
FORGET_AFTER = 600.0  # seconds of quiet after which a person's bucket is dropped


@dataclass
class Bucket:
    tokens: float
    updated: float
    warned: bool = False


@dataclass
class Throttle:
    burst: float = BURST
    rate: float = RATE
    clock: Callable[[], float] = time.monotonic
    buckets: dict[int, Bucket] = field(default_factory=dict)

    def allow(self, user_id: int) -> tuple[bool, bool]:
        """(allowed, warn now): warn once when a person first runs out."""
        now = self.clock()
        bucket = self.buckets.get(user_id)
        if bucket is None:
            if len(self.buckets) > 10_000:
                self._sweep(now)
            bucket = self.buckets[user_id] = Bucket(self.burst, now)
        bucket.tokens = min(self.burst, bucket.tokens + (now - bucket.updated) * self.rate)
        bucket.updated = now
        if bucket.tokens >= 1.0:
            bucket.tokens -= 1.0
            if bucket.tokens >= self.burst / 2:
                bucket.warned = False
            return True, False
        warn = not bucket.warned
        bucket.warned = True
        return False, warn

    def _sweep(self, now: float) -> None:
        for user_id in [u for u, b in self.buckets.items() if now - b.updated > FORGET_AFTER]:
            del self.buckets[user_id]


KEY = "throttle"


async def limit(update: object, context: Context) -> None:
    if not isinstance(update, Update) or update.effective_user is None:
        return
    throttle: Throttle = context.bot_data.setdefault(KEY, Throttle())
    allowed, warn = throttle.allow(update.effective_user.id)
    if allowed:
        return
    if warn and update.effective_chat is not None and update.effective_chat.type == "private":
        language = resolve_language(None, update.effective_user.language_code)
        with use_language(language):
            text = _("That is a lot of messages at once. Please wait a moment, then go on.")
        await update.effective_chat.send_message(text)
    raise ApplicationHandlerStop


def register(application: App) -> None:
    application.add_handler(TypeHandler(Update, limit), group=GROUP)
