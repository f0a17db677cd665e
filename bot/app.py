"""build_application(): handlers, persistence, rate limiter, job queue, start-up work."""

from __future__ import annotations

import asyncio
import gc
import logging
import time
import warnings
from pathlib import Path
from typing import Any

from telegram import Update
from telegram.constants import ParseMode
from telegram.ext import ApplicationBuilder, Defaults, TypeHandler
from telegram.request import BaseRequest, HTTPXRequest

from bot import i18n
from bot.config import Settings
from bot.context import CONTEXT_TYPES, BotApplication, UnitApplication
from bot.db import Database
from bot.profile import Profile, apply_profile, load_profile
from bot.runtime import KEY, Runtime, runtime
from bot.services import members as members_service
from bot.services import state as state_service
from bot.telegram_link import PollingErrors, telegram_request, tls_context

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
            write_heartbeat(self.heartbeat)
        return code, payload


def write_heartbeat(path: Path) -> None:
    """For `leaders-bot health` (Docker's HEALTHCHECK): the bot is alive now."""
    try:
        path.write_text(str(time.time()))
    except OSError:
        pass


HEARTBEAT_GROUP = 2000  # after every feature and the persistence flush (1000)


def _heartbeats(application: BotApplication, heartbeat: Path, every: float | None) -> None:
    """Healthy = polled Telegram or handled an update recently. In webhook mode nothing
    polls, so a job also beats every `every` seconds while the event loop is alive."""

    async def handled(update: object, context: object) -> None:
        write_heartbeat(heartbeat)

    async def tick(context: object) -> None:
        write_heartbeat(heartbeat)

    application.add_handler(TypeHandler(Update, handled), group=HEARTBEAT_GROUP)
    if every is not None and application.job_queue is not None:
        application.job_queue.run_repeating(tick, interval=every, first=0, name="heartbeat")


def build_application(
    settings: Settings,
    *,
    database: Database | None = None,
    profile: Profile | None = None,
    request: BaseRequest | None = None,
    get_updates_request: BaseRequest | None = None,
    rate_limit: bool = True,
    heartbeat: Path | None = None,
    heartbeat_every: float | None = None,
) -> BotApplication:
    from bot.persistence import DatabasePersistence
    from bot.ratelimit import TelegramRateLimiter
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
        .application_class(UnitApplication)
        .context_types(CONTEXT_TYPES)
        .persistence(DatabasePersistence(database))
        .post_init(startup)
        .post_stop(_stop)
        .post_shutdown(_shutdown)
    )
    if rate_limit:
        # Retries on 429 after Telegram's retry_after; overall and per-group-chat ceilings.
        builder = builder.rate_limiter(TelegramRateLimiter())
    # PTB's defaults (a pool of 256; 1 for getUpdates), on one shared TLS context.
    builder = builder.request(request or telegram_request(connection_pool_size=256))
    polling: HeartbeatRequest | None = None
    if get_updates_request is None and heartbeat is not None:
        get_updates_request = polling = HeartbeatRequest(
            heartbeat,
            read_timeout=30.0,
            connection_pool_size=1,
            httpx_kwargs={"verify": tls_context()},
        )
    builder = builder.get_updates_request(
        get_updates_request or telegram_request(connection_pool_size=1)
    )
    application: BotApplication = builder.build()
    if polling is not None:
        polling.application = application
    application.bot_data[KEY] = Runtime(settings=settings, db=database, profile=profile)
    application.add_error_handler(PollingErrors())  # before register_all's general handler
    register_all(application)
    if heartbeat is not None:
        _heartbeats(application, heartbeat, heartbeat_every)
    return application


async def startup(application: BotApplication) -> None:
    """Everything that must happen before the first update; tests call it directly."""
    from bot.reminders import start_jobs
    from bot.services.export import wipe_stale_exports
    from handlers.commands import publish_all
    from handlers.digest import schedule_digest

    wipe_stale_exports()  # personal data a killed export left in data/exports
    rt = runtime(application)
    async with rt.db.session() as session:
        await apply_profile(session, rt.profile)
        # BOT_COORDINATORS is the source of the role for the people it lists (not re-checked
        # per update: a revocation in the bot holds until the next start).
        synced = await members_service.sync_settings_coordinators(
            session, rt.settings.bot_coordinators
        )
    if synced.granted or synced.demoted:
        log.info(
            "BOT_COORDINATORS: coordinator role granted to %s, taken from %s",
            synced.granted or "nobody",
            synced.demoted or "nobody",
        )
    me = application.bot.bot  # fetched by initialize()
    rt.bot_username = me.username or rt.bot_username
    async with rt.db.session() as session:
        await state_service.remember(session, "bot", "username", rt.bot_username)
    # Meeting reminders live in the database; periodic sweeps send what is due.
    await start_jobs(application)
    from bot.broadcasting import resume_broadcasts

    await resume_broadcasts(application)
    schedule_digest(application)
    # Commands are not needed for the first update: publish them without delaying polling.
    application.bot_data["commands_task"] = asyncio.create_task(publish_all(application))
    # The full collection takes 50-90 ms: not before the first getUpdates, but while it waits.
    asyncio.get_running_loop().call_later(FREEZE_AFTER, freeze_startup_objects)
    log.info("bot @%s ready", rt.bot_username)


_frozen = False
FREEZE_AFTER = 1.0  # seconds after start-up


def freeze_startup_objects() -> None:
    """Keep what start-up built (modules, mappers, handlers, catalogs) out of the garbage
    collector's full passes: they made 85-100 ms pauses in the middle of updates. Once per
    process (tests start many applications), FREEZE_AFTER seconds after start-up."""
    global _frozen
    if not _frozen:
        _frozen = True
        gc.collect()
        gc.freeze()


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
