"""Reminding those signed up before an opportunity starts (a repeating job)."""

from __future__ import annotations

from datetime import datetime

from telegram import InlineKeyboardMarkup
from telegram.ext import Application

from bot.i18n import gettext as _
from bot.notify import notify_members
from bot.runtime import runtime
from bot.services import opportunities as service
from handlers import keyboards as kb
from handlers.common import App, Context
from handlers.opportunities import routes as r
from handlers.opportunities.shared import summary
from models import Opportunity

REMINDER_INTERVAL = 60  # seconds between checks for due reminders


async def send_due_reminders(application: Application, now: datetime | None = None) -> int:  # type: ignore[type-arg]
    """Remind those signed up; callable on its own (tests) and run by the JobQueue."""
    settings = runtime(application).settings
    async with runtime(application).db.session() as session:
        due = await service.claim_due_reminders(session, settings.reminder_offsets, now)
    sent = 0
    for opportunity, people in due:

        def render(
            opportunity: Opportunity = opportunity, count: int = len(people)
        ) -> tuple[str, InlineKeyboardMarkup]:
            text = "⏰ " + _("Reminder: thank you for helping!") + "\n\n"
            text += summary(opportunity, count)
            keyboard = kb.markup([[r.SIGN_OUT.button(_("I can't come after all"), opportunity.id)]])
            return text, keyboard

        sent += await notify_members(application.bot, runtime(application).db, people, render)
    return sent


async def _reminder_job(context: Context) -> None:
    await send_due_reminders(context.application)


def start(application: App) -> None:
    if application.job_queue is not None:
        application.job_queue.run_repeating(
            _reminder_job,
            interval=REMINDER_INTERVAL,
            first=REMINDER_INTERVAL,
            name="opportunity-reminders",
        )
