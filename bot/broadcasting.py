"""Background delivery of broadcasts: at Telegram's ceiling, and nobody gets one twice.

How a message reaches each recipient at most once
--------------------------------------------------
Every recipient has a row in ``broadcast_recipients``. A worker

1. waits for a slot of the pacer (evenly spaced at ``BROADCAST_RATE`` messages/s; a 429
   pushes every slot back by its ``retry_after``);
2. **claims** the row: ``pending -> sending`` in its own committed transaction, with a
   conditional UPDATE, so two workers (or two processes) can never both own it;
3. makes the one HTTP call;
4. records the outcome in another committed transaction: ``sent`` (with the message id),
   ``blocked`` (403; the member is marked unreachable), ``failed`` (Telegram refused it,
   with the reason), or back to ``pending`` when Telegram certainly got nothing (429, a
   connection that was never opened) — those are retried.

If the process dies between 2 and 4, the row stays ``sending``: the request may or may
not have reached Telegram, and nothing on our side can tell. Resending could deliver it
twice, so we never do: at the next start :func:`resume_broadcasts` turns every
``sending`` row into ``uncertain`` and carries on with the ``pending`` ones. The same
applies to a send that timed out after the request left. The final report lists the
uncertain recipients by name so that the coordinator can check with them (at most one
per worker in flight, ``CONCURRENCY``). A clean shutdown lets in-flight sends finish, so
uncertain rows come only from crashes and lost answers.
"""

from __future__ import annotations

import asyncio
import html
import logging
import warnings
from collections import Counter
from datetime import timedelta
from typing import Any, TypeAlias

import httpx
from sqlalchemy.exc import SQLAlchemyError
from telegram import InlineKeyboardMarkup, Message
from telegram.error import Forbidden, NetworkError, RetryAfter, TelegramError
from telegram.ext import Application, ExtBot
from telegram.warnings import PTBDeprecationWarning

from bot import notify
from bot.db import Database
from bot.i18n import gettext as _
from bot.i18n import ngettext, use_language
from bot.runtime import runtime
from bot.services import broadcasts as service
from bot.services import invitations as invitations_service
from bot.services import members as members_service
from models import Broadcast, BroadcastStatus, Group, Meeting, Member, ProblemArea, RecipientState

log = logging.getLogger(__name__)

KEY = "broadcast_engine"
CONCURRENCY = 8  # sends in flight: enough to hide Telegram's latency at 30/s
BATCH = 500
SETTLE_ATTEMPTS = 4
STATUS_TTL = 0.5  # seconds between checks that the broadcast was not stopped
UNCERTAIN_LISTED = 30  # names in the report; keeps it under Telegram's 4096 characters
# httpx errors raised before any byte of the request left: Telegram got nothing.
_NEVER_SENT = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout)
# What an invitation's card shows (bot.services.invitations.card_data).
CardData: TypeAlias = tuple[Meeting, Group, ProblemArea | None, Counter[str]]
# The bot's application, also as a handler's `context.application` (whose context type PTB
# leaves open); the engine needs only its bot and bot_data.
AnyApplication: TypeAlias = Application[ExtBot[None], Any, Any, Any, Any, Any]


def _retry_after(error: RetryAfter) -> float:
    with warnings.catch_warnings():
        # PTB 22 warns that the int form will become a timedelta; either is fine here.
        warnings.simplefilter("ignore", PTBDeprecationWarning)
        value = error.retry_after
    return value.total_seconds() if isinstance(value, timedelta) else float(value)


class Pacer:
    """Evenly spaced send slots shared by every broadcast of the process."""

    def __init__(self, rate: float) -> None:
        self.interval = 1.0 / rate
        self._next = 0.0
        self._paused_until = 0.0

    async def wait(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            now = loop.time()
            slot = max(now, self._next, self._paused_until)
            self._next = slot + self.interval
            if slot > now:
                await asyncio.sleep(slot - now)
            if loop.time() >= self._paused_until:
                return

    def pause(self, seconds: float) -> None:
        until = asyncio.get_running_loop().time() + seconds
        self._paused_until = max(self._paused_until, until)

    def give_back(self) -> None:
        """A send that delivered nothing (403: the person blocked the bot) used no message of
        Telegram's ceiling: the next free slot comes one interval sooner."""
        now = asyncio.get_running_loop().time()
        self._next = max(self._next - self.interval, now)


class BroadcastEngine:
    def __init__(self, application: AnyApplication, rate: float) -> None:
        self.application = application
        self.pacer = Pacer(rate)
        self.tasks: dict[int, asyncio.Task[None]] = {}
        self.closing = False
        self._stopped: set[int] = set()
        self._status_checked: dict[int, float] = {}
        self._languages: dict[int, str] = {}  # chat id -> recipient's language
        self._groups: dict[int, Group | None] = {}  # broadcast id -> the group it goes to
        # broadcast id -> its meeting's card data (invitations)
        self._cards: dict[int, CardData | None] = {}

    @property
    def db(self) -> Database:
        return runtime(self.application).db

    def start(self, broadcast_id: int) -> asyncio.Task[None]:
        task = self.tasks.get(broadcast_id)
        if task is not None and not task.done():
            return task
        task = asyncio.create_task(self._run(broadcast_id), name=f"broadcast-{broadcast_id}")
        self.tasks[broadcast_id] = task
        return task

    def stop(self, broadcast_id: int) -> asyncio.Task[None]:
        """After the broadcast was marked stopped: let in-flight sends end, then report."""
        self._stopped.add(broadcast_id)
        return self.start(broadcast_id)

    async def wait(self) -> None:
        """Until every broadcast of this process has finished (tests and the benchmark)."""
        while self.tasks:
            await asyncio.gather(*self.tasks.values(), return_exceptions=True)
            self.tasks = {k: t for k, t in self.tasks.items() if not t.done()}

    async def close(self, grace: float = 10.0) -> None:
        """Stop taking rows; in-flight sends finish so they don't end up uncertain."""
        self.closing = True
        tasks = [t for t in self.tasks.values() if not t.done()]
        if tasks:
            _done, pending = await asyncio.wait(tasks, timeout=grace)
            for task in pending:
                task.cancel()

    # --- the loop ----------------------------------------------------------------------

    async def _run(self, broadcast_id: int) -> None:
        try:
            async with self.db.session() as session:
                broadcast = await session.get(Broadcast, broadcast_id)
                group = await service.audience_group(session, broadcast) if broadcast else None
            if broadcast is None:
                return
            self._groups[broadcast_id] = group
            while not self.closing and await self._still_running(broadcast_id, force=True):
                async with self.db.session() as session:
                    batch = await service.pending_batch(session, broadcast_id, BATCH)
                    if broadcast.meeting_id is not None:  # an invitation: the card, counts now
                        self._cards[broadcast_id] = await invitations_service.card_data(
                            session, broadcast.meeting_id
                        )
                    self._languages.update(
                        await service.recipient_languages(session, [c for _r, c in batch])
                    )
                if not batch:
                    break
                queue: asyncio.Queue[tuple[int, int]] = asyncio.Queue()
                for item in batch:
                    queue.put_nowait(item)
                # A TaskGroup: if one worker fails, the others stop too (no orphan senders).
                async with asyncio.TaskGroup() as workers:
                    for _ in range(min(CONCURRENCY, len(batch))):
                        workers.create_task(self._worker(broadcast, queue))
            if not self.closing:
                await self._finish(broadcast_id)
        except Exception:
            # The table keeps the truth: the next start resumes it (in-flight rows uncertain).
            log.exception("broadcast %s: delivery loop failed", broadcast_id)
        finally:
            self._stopped.discard(broadcast_id)

    async def _still_running(self, broadcast_id: int, force: bool = False) -> bool:
        if broadcast_id in self._stopped:
            return False
        now = asyncio.get_running_loop().time()
        if force or now - self._status_checked.get(broadcast_id, 0.0) > STATUS_TTL:
            self._status_checked[broadcast_id] = now
            async with self.db.session() as session:
                if not await service.is_running(session, broadcast_id):
                    self._stopped.add(broadcast_id)
                    return False
        return True

    async def _worker(self, broadcast: Broadcast, queue: asyncio.Queue[tuple[int, int]]) -> None:
        assert broadcast.id is not None
        while not queue.empty() and not self.closing:
            recipient_id, chat_id = queue.get_nowait()
            await self.pacer.wait()
            if self.closing or not await self._still_running(broadcast.id):
                return
            if await self._deliver(broadcast, recipient_id, chat_id):
                queue.put_nowait((recipient_id, chat_id))

    async def _deliver(self, broadcast: Broadcast, recipient_id: int, chat_id: int) -> bool:
        """One recipient; True when it must be tried again later."""
        async with self.db.session() as session:
            if not await service.claim(session, recipient_id):
                return False
        state, error, message_id = RecipientState.SENT, None, None
        try:
            message = await self._send(broadcast, chat_id)
            message_id = message.message_id
        except RetryAfter as exc:
            self.pacer.pause(_retry_after(exc) + 0.1)
            state = RecipientState.PENDING
        except Forbidden as exc:
            state, error = RecipientState.BLOCKED, str(exc)
            self.pacer.give_back()
        except NetworkError as exc:  # includes TimedOut
            if isinstance(exc.__cause__, _NEVER_SENT):
                self.pacer.pause(1.0)
                state = RecipientState.PENDING
            else:
                state, error = RecipientState.UNCERTAIN, str(exc) or type(exc).__name__
        except TelegramError as exc:  # BadRequest and the like: Telegram said no
            state, error = RecipientState.FAILED, str(exc)
        except Exception as exc:  # our own bug mid-send: we cannot know what left
            log.exception("broadcast %s: unexpected error sending", broadcast.id)
            state, error = RecipientState.UNCERTAIN, repr(exc)
        for attempt in range(SETTLE_ATTEMPTS):
            try:
                async with self.db.session() as session:
                    await service.settle(
                        session, recipient_id, state, error=error, message_id=message_id
                    )
                    if state == RecipientState.SENT and broadcast.meeting_id and message_id:
                        await invitations_service.remember_card(
                            session, recipient_id, broadcast.meeting_id, chat_id, message_id
                        )
                    if state == RecipientState.BLOCKED and chat_id > 0:
                        await members_service.set_reachable(session, chat_id, False)
                break
            except SQLAlchemyError:
                # The message went out; losing that fact would make the row uncertain.
                if attempt == SETTLE_ATTEMPTS - 1:
                    raise
                log.warning("broadcast %s: recording a result failed, retrying", broadcast.id)
                await asyncio.sleep(0.5 * 2**attempt)
        return state == RecipientState.PENDING

    async def _send(self, broadcast: Broadcast, chat_id: int) -> Message:
        bot = self.application.bot
        language = (
            self._languages.get(chat_id) or runtime(self.application).settings.bot_default_language
        )
        bid = broadcast.id or 0
        text, keyboard = render(broadcast, language, self._groups.get(bid), self._cards.get(bid))
        if chat_id < 0:  # a group's linked chat: follows it if it became a supergroup
            return await notify.send_to_chat(
                bot, self.db, chat_id, text, photo=broadcast.photo_file_id, reply_markup=keyboard
            )
        if broadcast.photo_file_id:
            return await bot.send_photo(
                chat_id, broadcast.photo_file_id, caption=text, reply_markup=keyboard
            )
        return await bot.send_message(chat_id, text, reply_markup=keyboard)

    async def _finish(self, broadcast_id: int) -> None:
        async with self.db.session() as session:
            broadcast = await service.finish(session, broadcast_id)
            if broadcast is None:
                return
            author = await session.get(Member, broadcast.author_id) if broadcast.author_id else None
            uncertain = await service.uncertain_members(session, broadcast_id)
            pending = (await service.progress(session, broadcast_id)).pending
        log.info(
            "broadcast %s %s: sent %s, blocked %s, failed %s, uncertain %s, not sent %s",
            broadcast_id,
            broadcast.status,
            broadcast.sent,
            broadcast.blocked,
            broadcast.failed,
            broadcast.uncertain,
            pending,
        )
        if author is None or not author.reachable:
            return
        with use_language(author.language):
            text = report_text(broadcast, pending, [m.display_name or "?" for m in uncertain])
        try:
            await self.application.bot.send_message(author.telegram_id, text)
        except Forbidden:
            async with self.db.session() as session:
                await members_service.set_reachable(session, author.telegram_id, False)
        except TelegramError:
            log.warning("broadcast %s: could not send the report", broadcast_id, exc_info=True)


# Room left for the header above the author's text: Telegram's limit is on the whole message.
HEADER_RESERVE = 120


def header(language: str, group: Group | None) -> str:
    """Who is speaking, above every broadcast: the coordinators, or the group."""
    with use_language(language):
        if group is not None:
            title = _("📢 Announcement of the group {group}").format(
                group=html.escape(group.display_name(language)[:60], quote=False)
            )
        else:
            title = _("📢 Announcement of the programme coordinators")
    return f"<b>{title}</b>"


def render(
    broadcast: Broadcast, language: str, group: Group | None, card: CardData | None = None
) -> tuple[str, InlineKeyboardMarkup]:
    """The message one recipient gets: the header, the author's text, a way to the menu.

    An invitation (`card`: its meeting's card data) is the meeting's card with the answer
    buttons, in the recipient's language."""
    from handlers import keyboards as kb  # the one place that builds buttons

    if card is not None:
        from handlers.meetings import cards

        meeting, meeting_group, area, counts = card
        with use_language(language):
            text = cards.meeting_text(meeting, meeting_group, area, counts)
            invited = "✉️ <b>" + _("You are invited to this meeting.") + "</b>"
            return invited + "\n\n" + text, cards.invitation_keyboard(meeting)
    with use_language(language):
        keyboard = kb.markup([kb.back_to_menu_row()])
    return header(language, group) + "\n\n" + broadcast.text, keyboard


def report_text(broadcast: Broadcast, not_sent: int, uncertain_names: list[str]) -> str:
    if broadcast.status == BroadcastStatus.STOPPED:
        title = _("Broadcast #{id} was stopped.").format(id=broadcast.id)
    else:
        title = _("Broadcast #{id} is finished.").format(id=broadcast.id)
    lines = [
        "<b>" + title + "</b>",
        _("Delivered: {n} of {total}").format(n=broadcast.sent, total=broadcast.total),
        _("Blocked the bot: {n}").format(n=broadcast.blocked),
        _("Failed: {n}").format(n=broadcast.failed),
    ]
    if not_sent:
        lines.append(_("Not sent because it was stopped: {n}").format(n=not_sent))
    if broadcast.uncertain:
        lines.append(_("Uncertain: {n}").format(n=broadcast.uncertain))
        lines.append(
            ngettext(
                "Sending to this person was interrupted (the bot stopped, or Telegram's answer "
                "was lost), so it may or may not have reached them. It was not sent again, so "
                "that nobody gets it twice. Please check with them:",
                "Sending to these people was interrupted (the bot stopped, or Telegram's answer "
                "was lost), so it may or may not have reached them. It was not sent again, so "
                "that nobody gets it twice. Please check with them:",
                broadcast.uncertain,
            )
        )
        lines.extend("• " + html.escape(name) for name in uncertain_names[:UNCERTAIN_LISTED])
        if len(uncertain_names) > UNCERTAIN_LISTED:
            lines.append(_("…and {n} more.").format(n=len(uncertain_names) - UNCERTAIN_LISTED))
    if broadcast.blocked:
        lines.append(
            _("You can see who blocked the bot in /broadcast → People who blocked the bot.")
        )
    return "\n".join(lines)


def engine(application: AnyApplication) -> BroadcastEngine:
    found: BroadcastEngine | None = application.bot_data.get(KEY)
    if found is None:
        found = BroadcastEngine(application, runtime(application).settings.broadcast_rate)
        application.bot_data[KEY] = found
    return found


async def resume_broadcasts(application: AnyApplication) -> list[asyncio.Task[None]]:
    """At start-up: mark what a dead process left in flight uncertain, resume the rest.

    Callable on its own (tests, the CLI); bot.app.startup calls it. It must run before
    any delivery of this process starts, or it would mark live sends uncertain.
    """
    delivery = engine(application)
    if any(not t.done() for t in delivery.tasks.values()):
        return list(delivery.tasks.values())
    async with runtime(application).db.session() as session:
        recovered = await service.recover_in_flight(session)
        ids = set(await service.unfinished_ids(session)) | set(recovered)
    for broadcast_id, count in recovered.items():
        log.warning(
            "broadcast %s: %s send(s) were in flight at the last stop; marked uncertain",
            broadcast_id,
            count,
        )
    return [delivery.start(broadcast_id) for broadcast_id in sorted(ids)]


async def close_broadcasts(application: AnyApplication) -> None:
    found: BroadcastEngine | None = application.bot_data.get(KEY)
    if found is not None:
        await found.close()
