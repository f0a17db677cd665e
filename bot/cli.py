"""leaders-bot run | db upgrade|downgrade | invite | export | programme | attendance | check |
health."""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import sys
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

from bot.config import Settings, SettingsError, load_settings
from bot.telegram_link import EXIT_NETWORK, TelegramUnreachable

if TYPE_CHECKING:
    from sqlmodel.ext.asyncio.session import AsyncSession

T = TypeVar("T")

EXIT_CONFIG = 2

EPILOG = """exit codes: 0 done; 1 the command failed (e.g. `check` found problems);
2 a setting is missing or wrong, or Telegram rejected TELEGRAM_BOT_TOKEN;
3 Telegram could not be reached (`run` waits and retries instead)."""


def _fail(message: str, code: int = EXIT_CONFIG) -> int:
    print(f"leaders-bot: {message}", file=sys.stderr)
    return code


def _settings(require_token: bool = True) -> Settings:
    if not require_token and not os.environ.get("TELEGRAM_BOT_TOKEN"):
        # Commands that never talk to Telegram still read the other settings.
        return load_settings(telegram_bot_token="unused-offline-command")
    return load_settings()


def _backoff(text: str) -> tuple[float, float]:
    first, _, cap = text.partition(",")
    return float(first), float(cap or first)


def cmd_run(args: argparse.Namespace) -> int:
    from telegram import Update
    from telegram.error import InvalidToken

    from bot.app import HEARTBEAT, build_application
    from bot.db import migrate
    from bot.logs import setup_logging
    from bot.telegram_link import backoff_delays, token_rejected, wait_for_telegram

    settings = _settings()
    setup_logging(settings.token, logging.DEBUG if args.verbose else logging.INFO)
    if args.webhook and not (args.secret_token or os.environ.get("WEBHOOK_SECRET_TOKEN")):
        return _fail("--webhook needs --secret-token or WEBHOOK_SECRET_TOKEN")
    if (settings.bot_webapp_url is None) != (args.web_port is None):
        return _fail("the panel needs both BOT_WEBAPP_URL and --web-port PORT (or neither)")
    # Before anything else: a rejected token stops here (exit 2); an unreachable Telegram
    # (no network yet, DNS down) is waited for, 1, 2, 4 ... 60 s apart, one log line each.
    asyncio.run(wait_for_telegram(settings, backoff_delays(*args.backoff)))
    migrate(settings.database_url)
    heartbeat = Path(args.heartbeat) if args.heartbeat else HEARTBEAT
    heartbeat.parent.mkdir(parents=True, exist_ok=True)
    # Healthy = polled or handled an update lately; with a webhook a job beats as well.
    application = build_application(
        settings, heartbeat=heartbeat, heartbeat_every=30.0 if args.webhook else None
    )
    if args.web_port is not None:  # the panel, served by this process (bot/panel/server.py)
        from bot.panel.server import serve_panel

        try:
            serve_panel(application, port=args.web_port, host=args.listen)
        except OSError as error:
            return _fail(f"--web-port {args.web_port}: {error.strerror or error}", 1)
    try:
        if args.webhook:
            application.run_webhook(
                listen=args.listen,
                port=args.port,
                url_path=args.path,
                webhook_url=args.webhook,
                secret_token=args.secret_token or os.environ.get("WEBHOOK_SECRET_TOKEN"),
                allowed_updates=Update.ALL_TYPES,
                bootstrap_retries=-1,  # a network blip between the check above and here
            )
        else:
            application.run_polling(
                allowed_updates=Update.ALL_TYPES, timeout=args.poll_timeout, bootstrap_retries=-1
            )
    except InvalidToken:  # revoked while starting: PTB's message quotes the token
        raise token_rejected(settings) from None
    return 0


def cmd_db(args: argparse.Namespace) -> int:
    from bot.db import downgrade, migrate

    settings = _settings(require_token=False)
    if args.action == "upgrade":
        migrate(settings.database_url, args.revision or "head")
        print("database is up to date")
    else:
        if not args.revision:
            return _fail("db downgrade needs a revision, e.g. `leaders-bot db downgrade base`")
        downgrade(settings.database_url, args.revision)
        print(f"database downgraded to {args.revision}")
    return 0


def cmd_invite(args: argparse.Namespace) -> int:
    from bot.db import Database, migrate
    from bot.profile import apply_profile, load_profile
    from bot.services import invites as invites_service
    from bot.services import state as state_service
    from bot.services.errors import DomainError
    from models import Role

    settings = _settings(require_token=False)
    migrate(settings.database_url)

    async def create() -> str:
        database = Database(settings.database_url)
        try:
            async with database.session() as session:
                await apply_profile(session, load_profile(settings.bot_profile))
                group = (
                    await invites_service.group_by_slug(session, args.group) if args.group else None
                )
                invite = await invites_service.create_invite(
                    session, role=Role(args.role), group=group, max_uses=args.uses, days=args.days
                )
                username = await state_service.recall(session, "bot", "username")
            if not username:
                username = await _bot_username(settings)
            return invites_service.link_for(invite, username)
        finally:
            await database.dispose()

    try:
        link = asyncio.run(create())
    except DomainError as error:
        return _fail(error.message.format(**error.params), 1)
    print(link)
    if args.qr:
        from bot.services.invites import qr_png

        Path(args.qr).write_bytes(qr_png(link))
        print(f"QR code written to {args.qr}", file=sys.stderr)
    if args.poster:
        from bot import i18n
        from bot.posters import poster_pdf

        i18n.setup(settings.bot_default_language, settings.timezone)
        programme = load_profile(settings.bot_profile).name
        Path(args.poster).write_bytes(poster_pdf(link, programme, language=args.language))
        print(f"poster written to {args.poster}", file=sys.stderr)
    return 0


async def _bot_username(settings: Settings) -> str:
    from bot.telegram_link import fetch_me

    if settings.token == "unused-offline-command":
        raise SettingsError(
            "the bot's username is not known yet: run the bot once, or set TELEGRAM_BOT_TOKEN"
        )
    me = await fetch_me(settings)  # TokenRejected (exit 2) or TelegramUnreachable (exit 3)
    return me.username or ""


def cmd_export(args: argparse.Namespace) -> int:
    from bot import i18n
    from bot.db import Database, migrate
    from bot.services import export as export_service
    from bot.services.audit import record

    settings = _settings(require_token=False)
    i18n.setup(settings.bot_default_language, settings.timezone)
    migrate(settings.database_url)
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)

    async def run() -> export_service.ExportResult:
        database = Database(settings.database_url)
        try:
            result = await export_service.write_export(
                database, out, args.format, language=args.language or settings.bot_default_language
            )
            async with database.session() as session:
                await record(
                    session,
                    None,
                    "export",
                    None,
                    format=args.format,
                    rows=result.total_rows,
                    source="cli",
                )
            return result
        finally:
            await database.dispose()

    result = asyncio.run(run())
    print(f"{out}: {len(result.rows)} sheets, {result.total_rows} rows")
    return 0


def _offline(args: argparse.Namespace) -> tuple[Settings, str]:
    """Settings, i18n and an up-to-date database for the document commands."""
    from bot import i18n
    from bot.db import migrate

    settings = _settings(require_token=False)
    language = getattr(args, "language", None) or settings.bot_default_language
    i18n.setup(settings.bot_default_language, settings.timezone)
    migrate(settings.database_url)
    return settings, language


def _with_session(settings: Settings, work: Callable[[AsyncSession], Awaitable[T]]) -> T:
    """`work` on one session of the configured database, which is closed afterwards."""
    from bot.db import Database

    async def run() -> T:
        database = Database(settings.database_url)
        try:
            async with database.session() as session:
                return await work(session)
        finally:
            await database.dispose()

    return asyncio.run(run())


def _write(path: str, payload: bytes) -> Path:
    out = Path(path)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_bytes(payload)
    return out


def cmd_programme(args: argparse.Namespace) -> int:
    """The programme document (DOCX) from everything contributed so far."""
    from bot.documents.programme_docx import programme_docx
    from bot.i18n import use_language
    from bot.profile import load_profile
    from bot.services import programme as programme_service
    from models import utcnow

    settings, language = _offline(args)
    profile = load_profile(settings.bot_profile)

    def gather(session: AsyncSession) -> Awaitable[programme_service.ProgrammeData]:
        return programme_service.programme_data(session, profile, language=language, now=utcnow())

    with use_language(language):
        payload = programme_docx(_with_session(settings, gather))
    out = _write(args.out, payload)
    print(f"{out}: programme document written")
    return 0


def cmd_attendance(args: argparse.Namespace) -> int:
    """A meeting's printable attendance list (PDF)."""
    from bot.documents.attendance_pdf import AttendanceSheet, attendance_pdf
    from bot.i18n import use_language
    from bot.profile import load_profile
    from bot.services import programme as programme_service
    from bot.services.errors import DomainError
    from models import utcnow

    settings, language = _offline(args)
    profile = load_profile(settings.bot_profile)

    def gather(session: AsyncSession) -> Awaitable[AttendanceSheet]:
        return programme_service.attendance_sheet(
            session, None, args.meeting, profile=profile, now=utcnow(), language=language
        )

    with use_language(language):
        try:
            sheet = _with_session(settings, gather)
        except DomainError as error:
            return _fail(error.message.format(**error.params), 1)
        payload = attendance_pdf(sheet)
    out = _write(args.out, payload)
    print(f"{out}: attendance list of meeting {args.meeting}, {len(sheet.rows)} people")
    return 0


def cmd_check(args: argparse.Namespace) -> int:
    from bot import i18n
    from bot.db import Database, current_revision, head_revision
    from bot.i18n_tools import gaps
    from bot.profile import ProfileError, load_profile

    settings = _settings()
    problems: list[str] = []
    try:
        load_profile(settings.bot_profile)
    except ProfileError as exc:
        problems.append(f"profile: {exc}")
    try:
        i18n.setup(settings.bot_default_language, settings.timezone)
    except Exception as exc:  # a broken catalog of any kind
        problems.append(f"catalogs: {exc}")
    problems += [f"catalogs: {gap}" for gap in gaps()]

    async def database_state() -> str | None:
        database = Database(settings.database_url)
        try:
            return await current_revision(database)
        finally:
            await database.dispose()

    try:
        revision = asyncio.run(database_state())
        if revision != head_revision():
            problems.append(
                f"database: at revision {revision}, code expects {head_revision()}: "
                "run `leaders-bot db upgrade`"
            )
    except Exception as exc:
        problems.append(f"database: cannot connect ({type(exc).__name__}: {exc})")
    if problems:
        for problem in problems:
            print(f"problem: {problem}", file=sys.stderr)
        return 1
    print("settings, profile, catalogs and database are fine")
    return 0


def cmd_health(args: argparse.Namespace) -> int:
    """For Docker's HEALTHCHECK: did the bot poll Telegram or handle an update recently?
    (With --webhook a job also beats every 30 s while the bot runs.)"""
    path = Path(args.heartbeat)
    try:
        age = time.time() - float(path.read_text())
    except (OSError, ValueError):
        return _fail(f"no heartbeat at {path}: the bot has not started yet", 1)
    if age > args.max_age:
        return _fail(f"last sign of life {age:.0f}s ago", 1)
    print(f"last sign of life {age:.0f}s ago")
    return 0


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="leaders-bot",
        description=__doc__,
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    sub = p.add_subparsers(dest="command", required=True)

    run = sub.add_parser("run", help="run the bot (long polling, or --webhook URL)")
    run.add_argument("--webhook", metavar="URL", help="public HTTPS URL Telegram posts to")
    run.add_argument("--listen", default="0.0.0.0")
    run.add_argument("--port", type=int, default=8443)
    run.add_argument("--path", default="telegram", help="URL path of the webhook")
    run.add_argument("--secret-token", help="or WEBHOOK_SECRET_TOKEN")
    run.add_argument(
        "--web-port", type=int, metavar="PORT", help="serve the panel here (needs BOT_WEBAPP_URL)"
    )
    run.add_argument("--poll-timeout", type=int, default=10, help=argparse.SUPPRESS)
    run.add_argument("--heartbeat", help=argparse.SUPPRESS)
    # FIRST,MAX seconds between attempts to reach Telegram at start (tests shorten them).
    run.add_argument("--backoff", type=_backoff, default=(1.0, 60.0), help=argparse.SUPPRESS)
    run.add_argument("-v", "--verbose", action="store_true")
    run.set_defaults(func=cmd_run)

    db = sub.add_parser("db", help="database migrations")
    db.add_argument("action", choices=["upgrade", "downgrade"])
    db.add_argument("revision", nargs="?")
    db.set_defaults(func=cmd_db)

    invite = sub.add_parser("invite", help="print an invite link")
    invite.add_argument("--role", required=True, choices=["coordinator", "lead", "leader"])
    invite.add_argument("--group", help="group slug, e.g. treasurers")
    invite.add_argument("--uses", type=int, default=None)
    invite.add_argument("--days", type=int, default=14)
    invite.add_argument("--qr", metavar="PNG", help="also write the QR code to this file")
    invite.add_argument(
        "--poster", metavar="PDF", help="also write a printable A4 poster with the QR code"
    )
    invite.add_argument(
        "--language", choices=["pl", "en", "uk"], default="pl", help="of the poster"
    )
    invite.set_defaults(func=cmd_invite)

    export = sub.add_parser("export", help="write the report (XLSX workbook or zip of CSV)")
    export.add_argument("--format", choices=["xlsx", "csv"], default="xlsx")
    export.add_argument("--out", required=True, metavar="PATH")
    export.add_argument("--language", choices=["pl", "en", "uk"], help="of the headers")
    export.set_defaults(func=cmd_export)

    programme = sub.add_parser("programme", help="write the programme document (DOCX)")
    programme.add_argument("--out", required=True, metavar="FILE.docx")
    programme.add_argument("--language", choices=["pl", "en", "uk"], default="pl")
    programme.set_defaults(func=cmd_programme)

    attendance = sub.add_parser(
        "attendance", help="write a meeting's printable attendance list (PDF)"
    )
    attendance.add_argument("--meeting", required=True, type=int, metavar="ID")
    attendance.add_argument("--out", required=True, metavar="FILE.pdf")
    attendance.add_argument("--language", choices=["pl", "en", "uk"], default="pl")
    attendance.set_defaults(func=cmd_attendance)

    check = sub.add_parser("check", help="validate settings, database and catalogs")
    check.set_defaults(func=cmd_check)

    health = sub.add_parser(
        "health", help="exit 0 if the bot polled Telegram or handled an update recently"
    )
    health.add_argument("--heartbeat", default="data/heartbeat")
    health.add_argument("--max-age", type=float, default=120.0)
    health.set_defaults(func=cmd_health)
    return p


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    try:
        return int(args.func(args))
    except SettingsError as error:  # TokenRejected included
        return _fail(str(error))
    except TelegramUnreachable as error:
        return _fail(f"cannot reach Telegram: {error}", EXIT_NETWORK)
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    raise SystemExit(main())
