"""A meeting's attendance list as a file, the same for the chat and the panel: who may have
it (a coordinator or the group's lead), its name and type, and how to make it.

Preparing reads and checks inside the caller's session; `build()` does the CPU work off the
event loop afterwards, so the session is not held while the file is written.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlmodel.ext.asyncio.session import AsyncSession

from bot.i18n import use_language
from bot.offload import run_blocking
from bot.profile import Profile
from bot.services import meetings as meetings_service
from bot.services import programme as programme_service
from bot.services.meetings.access import require_manage
from models import Member

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
PDF = "application/pdf"


@dataclass(frozen=True)
class Prepared:
    """A file the member may have: its name, type and subject, and how to make it."""

    file_name: str
    media_type: str
    topic: str
    build: Callable[[], Awaitable[bytes]]


async def attendance_xlsx(
    session: AsyncSession, member: Member, meeting_id: int, tz: ZoneInfo
) -> Prepared:
    """The roster: who checked in and when, in the current language (cancelled meetings too:
    the list of who came stays true)."""
    from bot.documents.attendance_xlsx import attendance_xlsx as write

    meeting = await meetings_service.get(session, meeting_id)
    group = await require_manage(session, member, meeting)
    rows = await meetings_service.present(session, meeting_id)
    day = meeting.starts_at.astimezone(tz).date().isoformat()

    async def build() -> bytes:
        # Writing cells is CPU work (the language travels with the context).
        return await run_blocking(write, meeting, group, rows, tz)

    return Prepared(f"attendance-{meeting_id}-{day}.xlsx", XLSX, meeting.topic, build)


async def attendance_pdf(
    session: AsyncSession,
    member: Member,
    meeting_id: int,
    *,
    profile: Profile,
    now: datetime,
    language: str,
) -> Prepared:
    """The printable list, in `language`: the programme's own, the one its funder reads."""
    from bot.documents.attendance_pdf import attendance_pdf as render

    with use_language(language):
        sheet = await programme_service.attendance_sheet(
            session, member, meeting_id, profile=profile, now=now, language=language
        )

    def write() -> bytes:
        with use_language(language):
            return render(sheet)

    async def build() -> bytes:
        return await run_blocking(write)

    return Prepared(f"lista-obecnosci-{meeting_id}.pdf", PDF, sheet.topic, build)
