"""The weekly digest job (Monday 08:00 BOT_TIMEZONE) and /settings to turn it off or on."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime, time

from telegram import InlineKeyboardMarkup, Update
from telegram.ext import Application, CommandHandler, ContextTypes

from bot.db import Database
from bot.i18n import LANGUAGE_NAMES, N_
from bot.i18n import gettext as _
from bot.notify import notify_member
from bot.runtime import runtime
from bot.services import digest as digest_service
from bot.services import members as members_service
from handlers import keyboards as kb
from handlers.common import App, Context, answer, private_only, reply, requires
from handlers.registry import CommandSpec, MenuEntry
from models import Role, utcnow

log = logging.getLogger(__name__)
F = "dg"
JOB_NAME = "weekly-digest"
CATCH_UP_JOB = "weekly-digest-catch-up"
PTB_MONDAY = 1  # PTB 20+ numbers days from Sunday = 0
COMMANDS = [CommandSpec("settings", N_("Your settings: language, weekly digest"), Role.RESIDENT)]
SETTINGS = kb.route(F)
DIGEST = kb.route(F, None, ("on", "off"))
DIGEST_UNDER_DIGEST = kb.route(F, None, ("on", "off"), ("d",))  # pressed under a digest
MENU = [MenuEntry(N_("Settings"), F, Role.RESIDENT, order=905)]


def digest_keyboard() -> InlineKeyboardMarkup:
    return kb.markup([[DIGEST_UNDER_DIGEST.button(_("Stop the weekly digest"), "off", "d")]])


def _render(text: str) -> Callable[[], tuple[str, InlineKeyboardMarkup]]:
    """The composed digest with its button, labelled in the recipient's language."""
    return lambda: (text, digest_keyboard())


async def send_weekly_digest(application: Application, now: datetime | None = None) -> int:  # type: ignore[type-arg]
    """Send this week's digest to everyone due who has not had it. Returns how many went.

    Does nothing outside Monday 08:00–24:00 (BOT_TIMEZONE): a digest missed during a
    downtime goes out late on the same Monday, never later. Each send is claimed in
    digest_sends first, so a restart or a second run cannot send it twice.
    """
    now = now or utcnow()
    if not digest_service.is_due(now):
        return 0
    db: Database = runtime(application).db
    period = digest_service.period_for(now)
    async with db.session() as session:
        sent = await digest_service.already_sent(session, period.week)
        members = [m for m in await digest_service.recipients(session) if m.id not in sent]
    delivered = 0
    for member in members:
        async with db.session() as session:
            text = await digest_service.compose(session, member, period)
        if text is None or not await digest_service.claim(db, member.id, period.week):  # type: ignore[arg-type]
            continue
        message = await notify_member(application.bot, db, member, _render(text))
        delivered += message is not None
    log.info("weekly digest %s: %d sent", period.week, delivered)
    return delivered


async def _digest_job(context: ContextTypes.DEFAULT_TYPE) -> None:
    await send_weekly_digest(context.application)


def schedule_digest(application: Application, now: datetime | None = None) -> None:  # type: ignore[type-arg]
    """Every Monday at 08:00 BOT_TIMEZONE; plus, if we start on a Monday after 08:00,
    a catch-up run now (the claims keep it from repeating what went out already)."""
    job_queue = application.job_queue
    if job_queue is None:
        log.warning("no job queue: the weekly digest is off")
        return
    tz = runtime(application).settings.timezone
    for job in job_queue.get_jobs_by_name(JOB_NAME) + job_queue.get_jobs_by_name(CATCH_UP_JOB):
        job.schedule_removal()
    job_queue.run_daily(
        _digest_job,
        time=time(digest_service.SEND_AT.hour, digest_service.SEND_AT.minute, tzinfo=tz),
        days=(PTB_MONDAY,),
        name=JOB_NAME,
    )
    if digest_service.is_due(now or utcnow()):
        job_queue.run_once(_digest_job, when=5, name=CATCH_UP_JOB)


# --- /settings ---------------------------------------------------------------------------


def settings_screen(
    opted_out: bool, role: Role, language: str | None = None
) -> tuple[str, InlineKeyboardMarkup]:
    lines = ["<b>" + _("Settings") + "</b>"]
    rows = []
    if language in LANGUAGE_NAMES:
        lines.append(_("Language: {language}.").format(language=LANGUAGE_NAMES[language]))
    if role.at_least(Role.LEADER):
        if opted_out:
            lines.append(_("Weekly digest on Mondays: off."))
            rows.append([DIGEST.button(_("Digest: turn on"), "on")])
        else:
            lines.append(_("Weekly digest on Mondays: on."))
            rows.append([DIGEST.button(_("Digest: turn off"), "off")])
    else:
        # Not a dead end: say why there is no digest switch here.
        lines.append(
            _(
                "The weekly digest (new ideas and meetings of your groups) goes to members "
                "of the leaders' team. Ask a coordinator if you would like to join the team."
            )
        )
    rows.append([kb.button(_("Language"), "lg")])
    return "\n".join(lines), kb.with_menu(rows)


@requires(Role.RESIDENT)
async def settings_command(update: Update, context: Context) -> None:
    await answer(update)
    member = context.member
    assert member is not None
    text, keyboard = settings_screen(member.digest_opt_out, Role(member.role), context.language)
    await reply(update, text, keyboard)


@requires(Role.RESIDENT)
async def toggle_digest(update: Update, context: Context) -> None:
    data = kb.parse(update.callback_query.data if update.callback_query else None)
    member = context.member
    assert member is not None
    opt_out = data.action == "off"
    async with context.runtime.db.session() as session:
        fresh = await members_service.get(session, member.id)  # type: ignore[arg-type]
        await digest_service.set_opt_out(session, fresh, opt_out)
    await answer(
        update,
        _("You will not get the weekly digest any more.")
        if opt_out
        else _("You will get the weekly digest on Mondays."),
    )
    if data.arg(0) == "d":
        # Pressed under a digest: keep the digest, offer the way back.
        await reply(
            update,
            _("The weekly digest is off. You can turn it back on in /settings."),
            kb.with_menu([]),
            edit=False,
        )
        if update.callback_query is not None and update.callback_query.message is not None:
            await update.callback_query.edit_message_reply_markup(None)
        return
    text, keyboard = settings_screen(opt_out, Role(fresh.role), context.language)
    await reply(update, text, keyboard)


def register(application: App) -> None:
    application.add_handler(CommandHandler("settings", private_only(settings_command)))
    application.add_handler(kb.callback_handler(settings_command, SETTINGS))
    application.add_handler(kb.callback_handler(toggle_digest, DIGEST, DIGEST_UNDER_DIGEST))
