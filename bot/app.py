"""build_application(): handlers, persistence, rate limiter, job queue, start-up work."""

from __future__ import annotations

import asyncio
import logging
import time
import warnings
from pathlib import Path
from typing import Any

from telegram import Update
from telegram.constants import ParseMode
from telegram.ext import AIORateLimiter, ApplicationBuilder, Defaults
from telegram.request import BaseRequest, HTTPXRequest

from bot import i18n
from bot.config import Settings
from bot.context import CONTEXT_TYPES, BotApplication
from bot.db import Database
from bot.profile import Profile, apply_profile, load_profile
from bot.runtime import KEY, Runtime, runtime
from bot.services import members as members_service
from bot.services import state as state_service

log = logging.getLogger(__name__)
# Our conversations key on (chat, user) on purpose: buttons of a draft belong to its user.
warnings.filterwarnings("ignore", message="If 'per_message=False'", category=UserWarning)
HEARTBEAT = Path("data") / "heartbeat"


class HeartbeatRequest(HTTPXRequest):
    """getUpdates transport that records each successful poll, for the health check, and
    confirms updates to Telegram only once they are handled.

    PTB asks for the next updates (which confirms the previous ones: Telegram drops them)
    as soon as it has queued a batch, before handling it; a crash then loses the whole batch.
    Waiting for the queue to drain first makes delivery at-least-once: what was not handled
    and flushed is delivered again after a restart.
    """

    def __init__(self, heartbeat: Path | None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.heartbeat = heartbeat
        self.application: BotApplication | None = None

    async def do_request(self, *args: Any, **kwargs: Any) -> tuple[int, bytes]:
        if self.application is not None:
            await self.application.update_queue.join()
        code, payload = await super().do_request(*args, **kwargs)
        if self.heartbeat is not None and code == 200:
            try:
                self.heartbeat.write_text(str(time.time()))
            except OSError:
                pass
        return code, payload


def build_application(
    settings: Settings,
    *,
    database: Database | None = None,
    profile: Profile | None = None,
    request: BaseRequest | None = None,
    get_updates_request: BaseRequest | None = None,
    rate_limit: bool = True,
    heartbeat: Path | None = None,
) -> BotApplication:
    from bot.persistence import DatabasePersistence
    from handlers import register_all

    i18n.setup(settings.bot_default_language, settings.timezone)
    database = database or Database(settings.database_url)
    profile = profile or load_profile(settings.bot_profile)
    api = settings.telegram_api_url
    builder: ApplicationBuilder = (  # type: ignore[type-arg]
        ApplicationBuilder()
        .token(settings.token)
        .base_url(f"{api}/bot")
        .base_file_url(f"{api}/file/bot")
        .defaults(Defaults(parse_mode=ParseMode.HTML, tzinfo=settings.timezone))
        .context_types(CONTEXT_TYPES)
        .persistence(DatabasePersistence(database))
        .post_init(startup)
        .post_stop(_stop)
        .post_shutdown(_shutdown)
    )
    if rate_limit:
        # Retries on 429 after Telegram's retry_after; overall and per-chat ceilings.
        builder = builder.rate_limiter(AIORateLimiter(max_retries=3))
    if request is not None:
        builder = builder.request(request)
    if get_updates_request is not None:
        builder = builder.get_updates_request(get_updates_request)
    polling: HeartbeatRequest | None = None
    if get_updates_request is None and heartbeat is not None:
        polling = HeartbeatRequest(heartbeat, read_timeout=30.0, connection_pool_size=1)
        builder = builder.get_updates_request(polling)
    application: BotApplication = builder.build()
    if polling is not None:
        polling.application = application
    application.bot_data[KEY] = Runtime(settings=settings, db=database, profile=profile)
    register_all(application)
    return application


async def startup(application: BotApplication) -> None:
    """Everything that must happen before the first update; tests call it directly."""
    from bot.reminders import rebuild_jobs
    from handlers.commands import publish_all
    from handlers.digest import schedule_digest

    rt = runtime(application)
    async with rt.db.session() as session:
        await apply_profile(session, rt.profile)
        for telegram_id in rt.settings.bot_coordinators:
            member = await members_service.get_by_telegram_id(session, telegram_id)
            if member is not None:
                await members_service.raise_role(session, member, members_service.Role.COORDINATOR)
    me = application.bot.bot  # fetched by initialize()
    rt.bot_username = me.username or rt.bot_username
    async with rt.db.session() as session:
        await state_service.remember(session, "bot", "username", rt.bot_username)
    # Meeting reminders live in the database; the job queue only wakes us up.
    await rebuild_jobs(application)
    from bot.broadcasting import resume_broadcasts

    await resume_broadcasts(application)
    schedule_digest(application)
    # Commands are not needed for the first update: publish them without delaying polling.
    application.bot_data["commands_task"] = asyncio.create_task(publish_all(application))
    log.info("bot @%s ready", rt.bot_username)


async def _stop(application: BotApplication) -> None:
    """Before the HTTP client closes: let broadcast sends in flight finish."""
    from bot.broadcasting import close_broadcasts

    await close_broadcasts(application)


async def _shutdown(application: BotApplication) -> None:
    task = application.bot_data.get("commands_task")
    if task is not None and not task.done():
        task.cancel()
    await runtime(application).db.dispose()


ALLOWED_UPDATES = Update.ALL_TYPES
