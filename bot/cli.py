"""leaders-bot run | db upgrade|downgrade | invite | export | check | health."""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import sys
import time
from pathlib import Path

from bot.config import Settings, SettingsError, load_settings

EXIT_CONFIG = 2


def _fail(message: str, code: int = EXIT_CONFIG) -> int:
    print(f"leaders-bot: {message}", file=sys.stderr)
    return code


def _settings(require_token: bool = True) -> Settings:
    if not require_token and not os.environ.get("TELEGRAM_BOT_TOKEN"):
        # Commands that never talk to Telegram still read the other settings.
        return load_settings(telegram_bot_token="unused-offline-command")
    return load_settings()


def cmd_run(args: argparse.Namespace) -> int:
    from telegram import Update

    from bot.app import HEARTBEAT, build_application
    from bot.db import migrate
    from bot.logs import setup_logging

    settings = _settings()
    setup_logging(settings.token, logging.DEBUG if args.verbose else logging.INFO)
    migrate(settings.database_url)
    heartbeat = Path(args.heartbeat) if args.heartbeat else HEARTBEAT
    heartbeat.parent.mkdir(parents=True, exist_ok=True)
    application = build_application(settings, heartbeat=None if args.webhook else heartbeat)
    if args.webhook:
        secret = args.secret_token or os.environ.get("WEBHOOK_SECRET_TOKEN")
        if not secret:
            return _fail("--webhook needs --secret-token or WEBHOOK_SECRET_TOKEN")
        application.run_webhook(
            listen=args.listen,
            port=args.port,
            url_path=args.path,
            webhook_url=args.webhook,
            secret_token=secret,
            allowed_updates=Update.ALL_TYPES,
        )
    else:
        application.run_polling(allowed_updates=Update.ALL_TYPES, timeout=args.poll_timeout)
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
    return 0


async def _bot_username(settings: Settings) -> str:
    from telegram import Bot

    if settings.token == "unused-offline-command":
        raise SettingsError(
            "the bot's username is not known yet: run the bot once, or set TELEGRAM_BOT_TOKEN"
        )
    api = settings.telegram_api_url
    async with Bot(settings.token, base_url=f"{api}/bot") as bot:
        return bot.username


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
    """For Docker's HEALTHCHECK: did the bot poll Telegram recently?"""
    path = Path(args.heartbeat)
    try:
        age = time.time() - float(path.read_text())
    except (OSError, ValueError):
        return _fail(f"no heartbeat at {path}: the bot has not polled yet", 1)
    if age > args.max_age:
        return _fail(f"last successful poll {age:.0f}s ago", 1)
    print(f"last successful poll {age:.0f}s ago")
    return 0


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="leaders-bot", description=__doc__)
    sub = p.add_subparsers(dest="command", required=True)

    run = sub.add_parser("run", help="run the bot (long polling, or --webhook URL)")
    run.add_argument("--webhook", metavar="URL", help="public HTTPS URL Telegram posts to")
    run.add_argument("--listen", default="0.0.0.0")
    run.add_argument("--port", type=int, default=8443)
    run.add_argument("--path", default="telegram", help="URL path of the webhook")
    run.add_argument("--secret-token", help="or WEBHOOK_SECRET_TOKEN")
    run.add_argument("--poll-timeout", type=int, default=10, help=argparse.SUPPRESS)
    run.add_argument("--heartbeat", help=argparse.SUPPRESS)
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
    invite.set_defaults(func=cmd_invite)

    export = sub.add_parser("export", help="write the report (XLSX workbook or zip of CSV)")
    export.add_argument("--format", choices=["xlsx", "csv"], default="xlsx")
    export.add_argument("--out", required=True, metavar="PATH")
    export.add_argument("--language", choices=["pl", "en", "uk"], help="of the headers")
    export.set_defaults(func=cmd_export)

    check = sub.add_parser("check", help="validate settings, database and catalogs")
    check.set_defaults(func=cmd_check)

    health = sub.add_parser("health", help="exit 0 if the bot polled Telegram recently")
    health.add_argument("--heartbeat", default="data/heartbeat")
    health.add_argument("--max-age", type=float, default=120.0)
    health.set_defaults(func=cmd_health)
    return p


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    try:
        return int(args.func(args))
    except SettingsError as error:
        return _fail(str(error))
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    raise SystemExit(main())
