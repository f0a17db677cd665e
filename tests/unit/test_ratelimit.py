"""The overall request limiter (bot/ratelimit.py): a refused request gives its place back."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import pytest
from telegram.error import BadRequest, Forbidden

from bot.ratelimit import TelegramRateLimiter, TokenBucket


def limiter(rate: float) -> TelegramRateLimiter:
    return TelegramRateLimiter(overall_max_rate=rate, max_retries=0)


async def send(rl: TelegramRateLimiter, error: Exception | None = None, chat: bool = True) -> Any:
    async def call() -> dict[str, Any]:
        if error is not None:
            raise error
        return {"ok": True}

    data = {"chat_id": 42, "text": "hi"} if chat else {"timeout": 10}
    return await rl.process_request(call, (), {}, "sendMessage", data, None)


async def timed(rl: TelegramRateLimiter, sends: list[Exception | None]) -> float:
    await rl.initialize()
    started = time.perf_counter()
    for error in sends:
        try:
            await send(rl, error)
        except (Forbidden, BadRequest):
            pass
    await rl.shutdown()
    return time.perf_counter() - started


async def test_people_who_blocked_the_bot_do_not_use_the_ceiling() -> None:
    # 20 a second: 20 blocked + 20 delivered would need a second more if the 403s counted.
    blocked: list[Exception | None] = [Forbidden("Forbidden: bot was blocked by the user")] * 20
    assert await timed(limiter(20), blocked + [None] * 20) < 0.5


async def test_every_other_refusal_and_every_delivery_count() -> None:
    refused: list[Exception | None] = [BadRequest("Bad Request: chat not found")] * 10
    assert await timed(limiter(20), refused + [None] * 20) >= 0.45  # 30 requests at 20/s


async def test_requests_to_no_chat_are_not_counted() -> None:
    rl = limiter(5)
    await rl.initialize()
    started = time.perf_counter()
    for _ in range(20):  # getUpdates, getMe...: not messages
        await send(rl, chat=False)
    assert time.perf_counter() - started < 0.5
    await rl.shutdown()


async def test_bucket_serves_waiters_in_order_and_refills() -> None:
    now = [0.0]
    bucket = TokenBucket(rate=10, capacity=3, clock=lambda: now[0])
    for _ in range(3):
        await bucket.take()
    order: list[int] = []

    async def take(n: int) -> None:
        await bucket.take()
        order.append(n)

    tasks = [asyncio.create_task(take(n)) for n in range(3)]
    await asyncio.sleep(0)
    assert order == []  # empty: everyone waits
    bucket.give_back()  # a refused request's place
    now[0] += 0.2  # and 0.2 s at 10/s: two more
    await asyncio.wait_for(asyncio.gather(*tasks), 2)
    assert order == [0, 1, 2]


@pytest.mark.parametrize("rate", [30.0])
def test_the_bot_uses_it(rate: float) -> None:
    from bot.app import build_application
    from bot.config import Settings

    settings = Settings(telegram_bot_token="123:abc", database_url="sqlite+aiosqlite://")  # type: ignore[arg-type]
    application = build_application(settings)
    assert isinstance(application.bot.rate_limiter, TelegramRateLimiter)
    assert application.bot.rate_limiter.overall.rate == rate
