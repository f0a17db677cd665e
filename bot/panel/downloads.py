"""Files from the panel: a meeting's attendance list (XLSX and PDF, as the chat's roster and
meeting card offer them) and the volunteers (the Volunteers sheet of /export).

A browser download cannot send the `Authorization` header, and inside Telegram a blob does not
download on phones. So it takes two requests:

    POST /api/downloads/{kind}[/{id}]   initData checked, the member reloaded, the permission
                                        and the object checked; answers JSON with a link
                                        `download/{token}` valid for five minutes
    GET  /download/{token}              the signature and expiry checked (401, 410), then the
                                        member reloaded and everything checked again (a member
                                        demoted since gets 403), and the file built by the
                                        same code as the chat's

The page's script hands the link to `Telegram.WebApp.downloadFile` (Bot API 8.0+: the
Telegram app fetches it itself) or opens it. The token is `payload.signature` in base64url:
the payload names the member, the kind, the object and the expiry; the signature is
HMAC-SHA256 under a key derived from the bot token (never the token itself). Anyone holding
the link within its five minutes gets the file, as with a file sent in the chat; it is not
single-use, because a Telegram client may fetch it more than once.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
import time
import unicodedata
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING
from urllib.parse import quote

from sqlmodel.ext.asyncio.session import AsyncSession
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response

from bot import reminders
from bot.i18n import N_, resolve_language, use_language
from bot.i18n import gettext as _
from bot.runtime import Runtime, runtime
from bot.services import attendance_files
from bot.services.attendance_files import XLSX, Prepared
from bot.services.errors import DomainError, NotAllowed, NotFound
from bot.services.permissions import Action, can
from models import Member

if TYPE_CHECKING:
    from bot.panel.app import Panel

TTL = 300  # seconds a download link lives
MAX_TOKEN = 512  # characters: real tokens are about 120


# --- the signed link -----------------------------------------------------------------------


class BadToken(Exception):
    """Not a token this panel signed (401)."""


class Expired(Exception):
    """A genuine token past its expiry (410)."""

    def __init__(self, ticket: Ticket) -> None:
        super().__init__(ticket.kind)
        self.ticket = ticket


@dataclass(frozen=True)
class Ticket:
    member_id: int
    kind: str
    object_id: int | None
    expires: int  # Unix time


def signing_key(bot_token: str) -> bytes:
    """The links' own key: derived from the bot token, so a link reveals nothing about it."""
    return hmac.new(bot_token.encode(), b"panel-download", hashlib.sha256).digest()


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _signature(body: str, bot_token: str) -> str:
    return _b64(hmac.new(signing_key(bot_token), body.encode("ascii"), hashlib.sha256).digest())


def sign(
    bot_token: str, member_id: int, kind: str, object_id: int | None, *, now: float | None = None
) -> str:
    """A token for `member_id` to get `kind` (of `object_id`), valid TTL seconds from `now`."""
    moment = time.time() if now is None else now
    payload = {"m": member_id, "k": kind, "o": object_id, "e": int(moment) + TTL}
    body = _b64(json.dumps(payload, separators=(",", ":")).encode())
    return f"{body}.{_signature(body, bot_token)}"


def verify(token: str, bot_token: str, *, now: float | None = None) -> Ticket:
    """The ticket a genuine, unexpired token carries; BadToken or Expired otherwise."""
    body, dot, given = token.partition(".")
    if not dot or len(token) > MAX_TOKEN or not body.isascii():
        raise BadToken
    if not hmac.compare_digest(_signature(body, bot_token).encode(), given.encode()):
        raise BadToken
    # Only signed data from here on.
    try:
        data = json.loads(_unb64(body))
        object_id = data["o"]
        ticket = Ticket(
            member_id=int(data["m"]),
            kind=str(data["k"]),
            object_id=None if object_id is None else int(object_id),
            expires=int(data["e"]),
        )
    except (ValueError, KeyError, TypeError):
        raise BadToken from None
    if (time.time() if now is None else now) >= ticket.expires:
        raise Expired(ticket)
    return ticket


def content_disposition(file_name: str, fallback: str) -> str:
    """`attachment` with an ASCII name for old clients and the real one as RFC 6266
    `filename*`; `fallback` stands in for a name with no Latin letters (Ukrainian)."""
    plain = file_name.replace("ł", "l").replace("Ł", "L")
    plain = unicodedata.normalize("NFKD", plain).encode("ascii", "ignore").decode()
    plain = re.sub(r"[^A-Za-z0-9._-]+", "_", plain).strip("._-")
    stem = plain.rsplit(".", 1)[0]
    if not re.search("[A-Za-z]", stem):
        plain = fallback + ("-" if plain and not plain.startswith("-") else "") + plain
    return f"attachment; filename=\"{plain}\"; filename*=UTF-8''{quote(file_name, safe='')}"


# --- what can be downloaded ----------------------------------------------------------------


@dataclass(frozen=True)
class Env:
    """What a file is built with besides the session: the bot's runtime and the time."""

    runtime: Runtime
    now: datetime


Prepare = Callable[[AsyncSession, Member, int | None, Env], Awaitable[Prepared]]


async def attendance_xlsx(
    session: AsyncSession, member: Member, meeting_id: int | None, env: Env
) -> Prepared:
    """The chat's roster file (handlers/meetings/attendance.py), in the member's language."""
    return await attendance_files.attendance_xlsx(
        session, member, _meeting(meeting_id), env.runtime.settings.timezone
    )


async def attendance_pdf(
    session: AsyncSession, member: Member, meeting_id: int | None, env: Env
) -> Prepared:
    """The chat's printable list (the meeting card's button), in the programme's language."""
    return await attendance_files.attendance_pdf(
        session,
        member,
        _meeting(meeting_id),
        profile=env.runtime.profile,
        now=env.now,
        language=env.runtime.settings.bot_default_language,
    )


def _meeting(meeting_id: int | None) -> int:
    if meeting_id is None:
        raise NotFound(N_("This meeting no longer exists."))
    return meeting_id


async def volunteers(
    session: AsyncSession, member: Member, _object: int | None, env: Env
) -> Prepared:
    """The Volunteers sheet of /export, for coordinators as /export is; the whole sheet, as
    the chat has no filtered export. Written like /export (off the loop, in the exports'
    private folder) and recorded in the audit log like it."""
    from bot.services import export as export_service

    if not can(member, Action.EXPORT):
        raise NotAllowed(N_("Sorry, only coordinators can do this."))
    spec = next(s for s in export_service.sheets() if s.table.name == "volunteers")
    day = env.now.astimezone(env.runtime.settings.timezone).date().isoformat()
    db, language, member_id = env.runtime.db, resolve_language(member.language, None), member.id

    async def build() -> bytes:
        with export_service.scratch() as folder:
            path = folder / "volunteers.xlsx"
            await export_service.write_recorded_export(
                db,
                member_id,
                path,
                export_service.ExportFormat.XLSX,
                language=language,
                specs=[spec],
                sheet="volunteers",
                source="panel",
            )
            return path.read_bytes()

    return Prepared(f"{spec.title()}-{day}.xlsx", XLSX, spec.title(), build)


# name -> (how to prepare it, whether it is about one object, the ASCII stand-in name)
KINDS: dict[str, tuple[Prepare, bool, str]] = {
    "attendance": (attendance_xlsx, True, "attendance"),
    "attendance-pdf": (attendance_pdf, True, "attendance"),
    "volunteers": (volunteers, False, "volunteers"),
}
STATUS = {NotAllowed: 403, NotFound: 404}


def _status(error: DomainError) -> int:
    return next((code for kind, code in STATUS.items() if isinstance(error, kind)), 409)


# --- the two requests ----------------------------------------------------------------------


class Downloads:
    def __init__(self, panel: Panel) -> None:
        self.panel = panel

    def env(self) -> Env:
        application = self.panel.application
        return Env(runtime(application), reminders.clock(application))

    async def link(self, request: Request) -> Response:
        """POST: a short-lived link to the file, for a member who may have it now."""
        user = self.panel.authenticate(request)  # and the member's request limit
        if isinstance(user, Response):
            return user
        # Only a script of this origin can send JSON with the initData header (CSRF).
        if request.headers.get("content-type", "").split(";")[0].strip() != "application/json":
            return Response(status_code=415)
        name = request.path_params["kind"]
        object_id: int | None = request.path_params.get("object_id")
        if name not in KINDS or KINDS[name][1] != (object_id is not None):
            return Response(status_code=404)
        env = self.env()
        async with env.runtime.db.session() as session:
            viewer = await self.panel.viewer(session, user)
            if isinstance(viewer, Response):
                return viewer
            with use_language(viewer.language):
                try:
                    prepared = await KINDS[name][0](session, viewer.member, object_id, env)
                except DomainError as error:
                    message = _(error.message).format(**error.params)
                    return JSONResponse({"ok": False, "message": message}, _status(error))
        assert viewer.member.id is not None
        token = sign(self.panel.token, viewer.member.id, name, object_id)
        return JSONResponse(
            {"ok": True, "url": f"download/{token}", "file_name": prepared.file_name}
        )

    async def file(self, request: Request) -> Response:
        """GET: the file, if the link is genuine and fresh and the member may still have it."""
        expired = False
        try:
            ticket = verify(request.path_params["token"], self.panel.token)
        except BadToken:
            return Response(status_code=401)
        except Expired as error:
            ticket, expired = error.ticket, True
        if ticket.kind not in KINDS:
            return Response(status_code=404)
        env = self.env()
        async with env.runtime.db.session() as session:
            member = await session.get(Member, ticket.member_id)
            language = resolve_language(member.language if member else None, None)
            with use_language(language):
                if expired:
                    text = _("This download link has expired. Press the button in the panel again.")
                    return PlainTextResponse(text, status_code=410)
                if member is None or not member.is_registered:
                    text = _("Open this panel from the bot in Telegram: send /panel.")
                    return PlainTextResponse(text, status_code=403)
                if not self.panel.limit.allow(member.telegram_id):
                    return Response(status_code=429, headers={"retry-after": "1"})
                prepare, _one, fallback = KINDS[ticket.kind]
                try:
                    prepared = await prepare(session, member, ticket.object_id, env)
                except DomainError as error:
                    text = _(error.message).format(**error.params)
                    return PlainTextResponse(text, status_code=_status(error))
        headers = {"content-disposition": content_disposition(prepared.file_name, fallback)}
        if request.method == "HEAD":  # a client looking before it downloads: nothing built
            return Response(media_type=prepared.media_type, headers=headers)
        with use_language(language):
            content = await prepared.build()
        return Response(content, media_type=prepared.media_type, headers=headers)
