"""What the flows share: an opportunity in a few lines, and telling people in the
background."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Coroutine
from typing import Any

from telegram.ext import Application

from bot.i18n import format_datetime
from bot.i18n import gettext as _
from bot.notify import Render, notify_member
from bot.runtime import runtime
from handlers.common import esc
from models import Member, Opportunity

TASKS_KEY = "opportunity_notifications"


def summary(opportunity: Opportunity, taken: int) -> str:
    return "\n".join(
        [
            "<b>" + esc(opportunity.title) + "</b>",
            _("When: {when}").format(when=format_datetime(opportunity.starts_at, "short_day")),
            _("Where: {place}").format(place=esc(opportunity.place)),
            _("Places taken: {taken} of {places}").format(taken=taken, places=opportunity.places),
        ]
    )


def notify(application: Application, member: Member, render: Render) -> Awaitable[Any]:  # type: ignore[type-arg]
    return notify_member(application.bot, runtime(application).db, member, render)


def in_background(application: Application, coroutine: Coroutine[Any, Any, Any]) -> None:  # type: ignore[type-arg]
    """Sending to many people must not hold up everyone else's updates (PTB handles them
    one at a time); the tasks are kept so that they are not garbage-collected mid-way."""
    tasks: set[asyncio.Task[Any]] = application.bot_data.setdefault(TASKS_KEY, set())
    task = asyncio.create_task(coroutine)
    tasks.add(task)
    task.add_done_callback(tasks.discard)


async def wait_for_notifications(application: Application) -> None:  # type: ignore[type-arg]
    """Until background notifications have gone out (tests)."""
    await asyncio.gather(*list(application.bot_data.get(TASKS_KEY, ())))
