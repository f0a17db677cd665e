"""Invitation cards that show the current answers: every card the bot sent (privately to each
member, and to the group's linked chat) is edited in place when answers change or the
meeting itself does.

Answers do not edit cards themselves: they mark the meeting (``cards_dirty_at``) and a job
edits the cards of marked meetings every few seconds, so a burst of answers makes at most
one edit per card a round, with the final counts. A 429 (which PTB's rate limiter did not
absorb) pauses the job for as long as Telegram asks and leaves the meeting marked; "message
is not modified", a deleted message or a blocked bot only skip that card.
"""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

from telegram.error import BadRequest, Forbidden, RetryAfter, TelegramError
from telegram.ext import Application

from bot import reminders as jobs
from bot.context import BotContext
from bot.i18n import resolve_language, use_language
from bot.runtime import runtime
from bot.services import meetings as service
from handlers.common import App
from handlers.meetings import cards
from handlers.meetings.shared import card_parts

log = logging.getLogger(__name__)

EVERY = 3.0  # seconds between rounds: at most one edit per card in that time
JOB = "meeting_cards"
PAUSED_UNTIL = "meeting_cards_paused_until"  # bot_data: after a 429


async def refresh_dirty(application: Application[Any, Any, Any, Any, Any, Any]) -> int:
    """One round: edit the cards of every marked meeting; returns how many edits were made."""
    current = jobs.clock(application)
    paused = application.bot_data.get(PAUSED_UNTIL)
    if paused is not None and current < paused:
        return 0
    rt = runtime(application)
    async with rt.db.session() as session:
        dirty = await service.dirty_meetings(session)
    edits = 0
    for meeting_id, mark in dirty:
        async with rt.db.session() as session:
            if not await service.claim_dirty(session, meeting_id, mark):
                continue  # another round took it
            meeting = await service.get(session, meeting_id)
            group, area, counts = await card_parts(session, meeting)
            sent = await service.cards_of(session, meeting)
            answers = {
                rsvp.member_id: rsvp for rsvp, _person in await service.answers(session, meeting_id)
            }
        for card, member in sent:
            language = (
                resolve_language(member.language, None)
                if member is not None
                else rt.settings.bot_default_language
            )
            mine = answers.get(member.id) if member is not None and member.id else None
            with use_language(language):
                text = cards.meeting_text(meeting, group, area, counts, mine=mine)
                keyboard = None if meeting.is_cancelled else cards.invitation_keyboard(meeting)
            try:
                await application.bot.edit_message_text(
                    text, chat_id=card.chat_id, message_id=card.message_id, reply_markup=keyboard
                )
                edits += 1
            except RetryAfter as exc:  # slow down: the rest waits for the next rounds
                wait = exc.retry_after
                seconds = wait.total_seconds() if isinstance(wait, timedelta) else float(wait)
                application.bot_data[PAUSED_UNTIL] = current + timedelta(seconds=seconds)
                async with rt.db.session() as session:
                    await service.mark_cards_dirty(session, meeting_id, now=current)
                log.info("cards of meeting %s: 429, paused for %s s", meeting_id, seconds)
                return edits
            except BadRequest as exc:
                if "not modified" not in str(exc).lower():
                    log.info("card %s of meeting %s: %s", card.message_id, meeting_id, exc)
            except (Forbidden, TelegramError) as exc:  # blocked, gone: the card just stays
                log.info("card %s of meeting %s: %s", card.message_id, meeting_id, exc)
    return edits


async def _job(context: BotContext) -> None:
    await refresh_dirty(context.application)


def start(application: App) -> None:
    """Run the rounds every EVERY seconds (from when the application starts)."""
    if application.job_queue is None:
        return
    application.job_queue.run_repeating(
        _job, interval=EVERY, first=EVERY, name=JOB, job_kwargs=jobs.JOB_KWARGS
    )
