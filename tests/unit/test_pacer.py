"""The broadcast pacer: evenly spaced slots; a send that delivered nothing gives its slot back."""

from __future__ import annotations

import asyncio

from bot.broadcasting import Pacer


async def test_a_blocked_recipient_gives_its_slot_back() -> None:
    loop = asyncio.get_running_loop()
    pacer = Pacer(rate=20.0)  # one slot every 50 ms
    start = loop.time()
    for _ in range(4):
        await pacer.wait()
    plain = pacer._next - start  # four slots reserved: the next is 4 intervals on
    pacer.give_back()  # the last one went to someone who blocked the bot
    assert abs((pacer._next - start) - (plain - pacer.interval)) < 0.01
    # Never into the past: giving back when idle does not build up a burst.
    await asyncio.sleep(0.3)
    pacer.give_back()
    pacer.give_back()
    assert pacer._next >= loop.time() - 0.001
