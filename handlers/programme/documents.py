"""Files: a meeting's printable attendance list (PDF, for its lead and coordinators) and the
programme document (DOCX, /programme, for coordinators). Both are rendered off the event loop."""

from __future__ import annotations

from telegram import InputFile, Update

from bot import reminders as jobs
from bot.documents.programme_docx import programme_docx
from bot.i18n import current_language, format_date
from bot.i18n import gettext as _
from bot.offload import run_blocking
from bot.services import attendance_files
from bot.services import programme as service
from bot.services.audit import record
from handlers.common import Context, answer, esc, requires
from handlers.programme import routes as r
from models import Role


def _now(context: Context):  # type: ignore[no-untyped-def]
    return jobs.clock(context.application)  # type: ignore[arg-type]


@requires(Role.RESIDENT)
async def attendance_list(update: Update, context: Context) -> None:
    """The list in the programme's own language (the one its funder reads)."""
    assert update.callback_query is not None and update.effective_chat is not None
    (meeting_id,) = r.ATTENDANCE_PDF.parse(update.callback_query.data)
    runtime = context.runtime
    async with context.db.session() as session:
        prepared = await attendance_files.attendance_pdf(
            session,
            context.me,
            meeting_id,
            profile=runtime.profile,
            now=_now(context),
            language=runtime.settings.bot_default_language,
        )
    await answer(update, _("Preparing the attendance list…"))
    payload = await prepared.build()
    await update.effective_chat.send_document(
        InputFile(payload, filename=prepared.file_name),
        caption=_("Attendance list: {topic}").format(topic=esc(prepared.topic)),
    )


@requires(Role.COORDINATOR)
async def programme_document(update: Update, context: Context) -> None:
    assert update.effective_chat is not None
    await answer(update, _("Preparing the programme document…"))
    language = current_language()
    now = _now(context)
    async with context.db.session() as session:
        data = await service.programme_data(
            session, context.runtime.profile, language=language, now=now
        )
        await record(session, context.me, "programme.document", None, language=language)
    payload = await run_blocking(programme_docx, data)
    await update.effective_chat.send_document(
        InputFile(payload, filename=f"programme-{now.date().isoformat()}.docx"),
        caption=_(
            "The programme as of {date}. Open it in Word or LibreOffice; update the "
            "table of contents there."
        ).format(date=format_date(now)),
    )
