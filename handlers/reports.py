"""/export and /stats for coordinators (and leads), /mydata and /forget for everyone."""

from __future__ import annotations

import asyncio
import logging

from sqlmodel.ext.asyncio.session import AsyncSession
from telegram import Message, Update
from telegram.error import BadRequest
from telegram.ext import Application, CallbackQueryHandler, CommandHandler, ConversationHandler

from bot.i18n import LANGUAGE_NAMES, N_, current_language, format_date, format_datetime, ngettext
from bot.i18n import gettext as _
from bot.offload import run_blocking
from bot.services import audit as audit_service
from bot.services import export as export_service
from bot.services import members as members_service
from bot.services import privacy
from bot.services import stats as stats_service
from bot.services.permissions import Action, can
from bot.services.report_extensions import mydata_labels
from handlers import keyboards as kb
from handlers.common import (
    Context,
    answer,
    esc,
    private_only,
    refuse,
    reply,
    requires,
    role_refusal,
)
from handlers.meetings import cards as meeting_cards
from handlers.registry import CommandSpec, MenuEntry
from handlers.start import role_name
from models import AuditEntry, Member, Role, utcnow

log = logging.getLogger(__name__)
F = "rp"
COMMANDS = [
    CommandSpec("export", N_("Download all data as a spreadsheet"), Role.COORDINATOR),
    CommandSpec("stats", N_("Statistics with a chart"), Role.LEAD),
    CommandSpec("mydata", N_("See everything I keep about you"), Role.RESIDENT),
    CommandSpec("forget", N_("Erase your data"), Role.RESIDENT),
    CommandSpec("audit", N_("Who changed what: the audit log"), Role.COORDINATOR),
]
MENU = [
    MenuEntry(N_("Export"), f"{F}:ex", Role.COORDINATOR, order=85),
    MenuEntry(N_("Statistics"), f"{F}:st", Role.LEAD, order=86),
    MenuEntry(N_("Audit log"), f"{F}:au", Role.COORDINATOR, order=87),
    MenuEntry(N_("My data"), f"{F}:md", Role.RESIDENT, order=880),
]
# What the audit log's action codes mean; a feature adds its own codes here.
AUDIT_ACTIONS = {
    "contribution.link": N_("contributions linked"),
    "contribution.unlink": N_("link between contributions removed"),
    "programme.action": N_("programme action created"),
    "programme.progress": N_("programme action progress noted"),
    "programme.document": N_("programme document written"),
    "role.change": N_("role changed"),
    "invite.create": N_("invite created"),
    "invite.revoke": N_("invite withdrawn"),
    "invite.redeem": N_("invite used"),
    "export": N_("data exported"),
    "member.forget": N_("a person erased their data"),
    "group.create": N_("group created"),
    "group.edit": N_("group edited"),
    "group.archive": N_("group archived"),
    "group.lead": N_("group lead changed"),
    "group.link": N_("group chat linked"),
    "group.unlink": N_("group chat unlinked"),
    "group.chat_migrated": N_("group chat moved to its supergroup"),
    "group.request.approve": N_("join request approved"),
    "group.request.decline": N_("join request declined"),
    "group.request": N_("asked to join a group"),
    "group.leave": N_("left a group"),
    "group.member.remove": N_("member removed from a group"),
    "group.parent": N_("group moved to another team"),
    "contribution.status": N_("contribution status changed"),
    "contribution.withdraw": N_("contribution withdrawn"),
    "opportunity.post": N_("volunteering opportunity posted"),
    "opportunity.cancel": N_("volunteering opportunity cancelled"),
    "broadcast.start": N_("broadcast started"),
    "broadcast.stop": N_("broadcast stopped"),
    **meeting_cards.AUDIT_LABELS,
}
# /mydata names for tables that have no export sheet (their own name otherwise), by table
# or by "table.column" (a table whose column other than member_id points at the person).
# Also a friendlier name than the sheet's where the sheet's would read oddly about oneself.
# Report extensions add theirs (report_extensions.mydata_labels).
MYDATA_LABELS = {
    "digest_sends": N_("Weekly digests sent"),
    "volunteers": N_("Your volunteer profile"),
    "opportunity_signups": N_("Your sign-ups for volunteering"),
    "opportunities": N_("Volunteering opportunities you posted"),
    "broadcasts": N_("Broadcasts you wrote"),
    "broadcast_recipients": N_("Broadcast messages sent to you"),
}


# --- /export --------------------------------------------------------------------------


@requires(Role.COORDINATOR)
async def export_menu(update: Update, context: Context) -> None:
    await answer(update)
    rows = [
        [kb.button(_("Excel workbook (XLSX)"), F, "ex", "xlsx")],
        [kb.button(_("CSV files in a zip"), F, "ex", "csv")],
    ]
    await reply(update, _("Which format should the export have?"), kb.with_menu(rows))


# Exports being built, by member id: one at a time per coordinator.
_exports: dict[int, asyncio.Task[None]] = {}


async def wait_for_exports() -> None:
    """Until every running export is sent (tests; shutdown waits via PTB's create_task)."""
    while _exports:
        await asyncio.gather(*_exports.values(), return_exceptions=True)


async def export_chosen(update: Update, context: Context) -> None:
    member = context.member
    if not can(member, Action.EXPORT):
        await refuse(update, role_refusal(Role.COORDINATOR))
        return
    assert member is not None and member.id is not None and update.effective_chat is not None
    fmt = kb.parse(update.callback_query.data if update.callback_query else None).arg(0)
    if fmt not in (f.value for f in export_service.ExportFormat):
        await answer(update, _("This button is no longer available."))
        return
    running = _exports.get(member.id)
    if running is not None and not running.done():
        await answer(update, _("Your export is still being prepared."), alert=True)
        return
    await answer(update)
    status = await reply(update, _("Preparing the export…"))
    # Built in the background: a big workbook takes seconds, and PTB handles updates one
    # at a time, so waiting here would keep everybody else waiting too.
    task = context.application.create_task(
        _build_and_send(context, member, update.effective_chat.id, fmt, status),
        update=update,
        name=f"export-{member.id}",
    )
    key = member.id
    _exports[key] = task
    task.add_done_callback(lambda _task: _exports.pop(key, None))


async def _build_and_send(
    context: Context, member: Member, chat_id: int, fmt: str, status: Message | None
) -> None:
    async def progress(index: int, total: int, title: str) -> None:
        if status is None:
            return
        text = _("Preparing the export: sheet {n} of {total} ({title})…").format(
            n=index + 1, total=total, title=esc(title)
        )
        try:
            await status.edit_text(text)
        except BadRequest:
            log.debug("progress message could not be edited")

    runtime = context.runtime
    # In the exports' private folder (never the system temp folder), removed once sent;
    # written off the event loop (write_export runs it in a worker).
    with export_service.scratch() as folder:
        name = "{base}-{day}.{ext}".format(
            base=_("report"),
            day=utcnow().astimezone(runtime.settings.timezone).date().isoformat(),
            ext="xlsx" if fmt == "xlsx" else "zip",
        )
        path = folder / name
        result = await export_service.write_recorded_export(
            runtime.db, member.id, path, fmt, language=current_language(), progress=progress
        )
        caption = ngettext(
            "Export of {sheets} sheet, {rows} rows.",
            "Export of {sheets} sheets, {rows} rows.",
            len(result.rows),
        ).format(sheets=len(result.rows), rows=result.total_rows)
        with path.open("rb") as document:
            await context.bot.send_document(chat_id, document, filename=name, caption=caption)
    if status is not None:
        try:
            await status.edit_text(_("The export is ready."), reply_markup=kb.with_menu([]))
        except BadRequest:
            log.debug("progress message could not be edited")


# --- /stats -----------------------------------------------------------------------------

STATS = kb.route(F, "st")
STATS_DETAILS = kb.route(F, "sd")
STATS_CHART = kb.route(F, "sc")


async def _summary_text(session: AsyncSession) -> str:
    return stats_service.render_summary(await stats_service.summary(session))


async def _details_text(session: AsyncSession) -> str:
    return stats_service.render_text(await stats_service.collect(session))


# /stats screens: their text, the button to the other one, whether it replaces the pressed one.
_STATS_SCREENS = {
    "summary": (_summary_text, STATS_DETAILS, N_("Details"), True),
    "details": (_details_text, STATS, N_("Summary"), False),
}


async def _stats_screen(update: Update, context: Context, screen: str) -> None:
    text_of, other, label, edit = _STATS_SCREENS[screen]
    await answer(update)
    async with context.db.session() as session:
        text = await text_of(session)
    keyboard = kb.with_menu([[other.button(_(label)), STATS_CHART.button(_("Chart"))]])
    await reply(update, text, keyboard, edit=edit)


@requires(Role.LEAD)
async def stats(update: Update, context: Context) -> None:
    """The summary first (a few numbers); details and the chart on request."""
    await _stats_screen(update, context, "summary")


@requires(Role.LEAD)
async def stats_details(update: Update, context: Context) -> None:
    await _stats_screen(update, context, "details")


@requires(Role.LEAD)
async def stats_chart(update: Update, context: Context) -> None:
    await answer(update)
    assert update.effective_chat is not None
    async with context.db.session() as session:
        results = await stats_service.collect(session)
    # Drawing takes a moment (matplotlib): off the loop, so the bot answers others meanwhile.
    chart = await run_blocking(stats_service.render_chart, results)
    await update.effective_chat.send_photo(chart, caption=_("Statistics"))


# --- /audit ------------------------------------------------------------------------------

AUDIT_PAGE = 10  # entries on one page of the log


def audit_line(entry: AuditEntry, actor: str | None) -> str:
    action = _(AUDIT_ACTIONS[entry.action]) if entry.action in AUDIT_ACTIONS else entry.action
    details = ", ".join(
        f"{key}: {value}" for key, value in (entry.details or {}).items() if value is not None
    )
    line = f"{format_datetime(entry.created_at, 'short')} · {esc(actor or '—')} · {esc(action)}"
    if entry.target:
        line += f" · {esc(entry.target)}"
    if details:
        line += f"\n   <i>{esc(details[:200])}</i>"
    return line


@requires(Role.COORDINATOR)
async def audit_log(update: Update, context: Context) -> None:
    await answer(update)
    data = kb.parse(update.callback_query.data if update.callback_query else None)
    page = max(data.int_arg(0) or 0, 0)
    async with context.runtime.db.session() as session:
        entries, pages = await audit_service.recent(session, page, AUDIT_PAGE)
    if not entries:
        await reply(update, _("The audit log is empty."), kb.with_menu([]))
        return
    lines = ["<b>" + _("Audit log") + "</b>", ""]
    lines += [audit_line(entry, actor) for entry, actor in entries]
    await reply(update, "\n".join(lines), kb.with_menu([kb.pager(F, "au", page, pages)]))


# --- /mydata ----------------------------------------------------------------------------


def mydata_summary(member: Member, data: privacy.PersonalData) -> str:
    digest_state = {True: _("off"), False: _("on")}
    lines = [
        "<b>" + _("What I keep about you") + "</b>",
        _("Your name: {name}").format(name=esc(member.display_name or "—")),
        _("Institution: {institution}").format(institution=esc(member.institution or "—")),
        _("Role: {role}").format(role=role_name(member.role)),
        _("Language: {language}").format(
            language=esc(LANGUAGE_NAMES.get(member.language or "", "—"))
        ),
        _("Your Telegram account number (not a phone number): {id}").format(id=member.telegram_id),
    ]
    if member.consent_at:
        lines.append(_("Consent given: {when}").format(when=format_datetime(member.consent_at)))
    if Role(member.role).at_least(Role.LEADER):
        lines.append(_("Weekly digest: {state}").format(state=digest_state[member.digest_opt_out]))
    if data.tables:
        labels = {**MYDATA_LABELS, **mydata_labels()}
        lines += ["", "<b>" + _("Records linked to you") + "</b>"]
        for key, rows in data.tables.items():
            table = key.split(".")[0]
            msgid = labels.get(key) or labels.get(table)
            label = _(msgid) if msgid else export_service.sheet_label(table)
            lines.append(f"• {esc(label)}: {len(rows)}")
    drafts = privacy.unfinished_drafts(data)
    if drafts:
        lines.append(
            ngettext(
                "Unfinished conversations and drafts: {n}",
                "Unfinished conversations and drafts: {n}",
                drafts,
            ).format(n=drafts)
        )
    lines += [
        "",
        _("The attached file holds all of it. To erase your data, send /forget."),
    ]
    return "\n".join(lines)


async def nothing_kept(update: Update) -> None:
    await reply(
        update,
        _("I keep nothing about you: you have not started the bot yet. To begin, send /start."),
    )


async def mydata(update: Update, context: Context) -> None:
    """Anyone with any stored row may see it, whether or not they finished onboarding."""
    await answer(update)
    member = context.member
    if member is None:
        await nothing_kept(update)
        return
    assert update.effective_chat is not None
    async with context.runtime.db.session() as session:
        fresh = await members_service.get(session, member.id)  # type: ignore[arg-type]
        data = await privacy.personal_data(session, fresh)
    await reply(
        update,
        mydata_summary(fresh, data),
        kb.with_menu([[kb.button(_("Erase my data"), F, "fgq")]]),
    )
    await update.effective_chat.send_document(
        data.as_json(),
        filename="my-data-{day}.json".format(day=format_date(utcnow(), "yyyy-MM-dd")),
        caption=_("Everything I keep about you, as a JSON file."),
    )


# --- /forget ----------------------------------------------------------------------------


async def forget_ask(update: Update, context: Context) -> None:
    await answer(update)
    if context.member is None:
        await nothing_kept(update)
        return
    text = "\n\n".join(
        [
            "<b>" + _("Erase your data?") + "</b>",
            _(
                "I will delete your name, institution, phone, street, skills, your group "
                "memberships, answers to invitations and pending reminders, and forget this "
                "chat. Ideas and other contributions you sent stay, without your name."
            ),
            _(
                "Your attendance at meetings that took place is kept anonymously for the "
                "programme's figures: how many people came, not who."
            ),
            _("This cannot be undone."),
        ]
    )
    await reply(
        update,
        text,
        kb.yes_no(F, "fg", yes=_("Yes, erase everything"), no=_("No, keep my data")),
    )


def _forget_conversations(application: Application, telegram_id: int) -> None:  # type: ignore[type-arg]
    """Drop in-memory conversation states of the user. PTB has no public API for it; popping
    from the tracked dict also deletes the rows at the next persistence update."""
    for handlers in application.handlers.values():
        for handler in handlers:
            if isinstance(handler, ConversationHandler):
                conversations = handler._conversations
                for key in [k for k in conversations if telegram_id in k]:
                    conversations.pop(key, None)


async def forget_confirmed(update: Update, context: Context) -> None:
    member = context.member
    user = update.effective_user
    if member is None or user is None:
        await answer(update, _("This button is no longer available."))
        return
    choice = kb.parse(update.callback_query.data if update.callback_query else None).arg(0)
    await answer(update)
    if choice != "y":
        await reply(update, _("Nothing was erased."), kb.with_menu([]))
        return
    runtime = context.runtime
    async with runtime.db.session() as session:
        fresh = await members_service.get_by_telegram_id(session, user.id)
        if fresh is not None:
            await privacy.forget(session, fresh)
    application = context.application
    _forget_conversations(application, user.id)
    application.drop_user_data(user.id)
    persistence = application.persistence
    if persistence is not None and hasattr(persistence, "drop_conversations_of"):
        await persistence.drop_conversations_of(user.id)
    context.member = None
    await reply(
        update,
        _(
            "Done: your data is erased. Thank you for your part in the team. "
            "If you want to come back one day, send /start."
        ),
    )


def register(application: Application) -> None:  # type: ignore[type-arg]
    application.add_handler(CommandHandler("export", private_only(export_menu)))
    application.add_handler(CommandHandler("stats", private_only(stats)))
    application.add_handler(CommandHandler("mydata", private_only(mydata)))
    application.add_handler(CommandHandler("forget", private_only(forget_ask)))
    application.add_handler(CommandHandler("audit", private_only(audit_log)))
    application.add_handler(CallbackQueryHandler(audit_log, pattern=rf"^{F}:au(:\d+)?$"))
    application.add_handler(CallbackQueryHandler(export_menu, pattern=rf"^{F}:ex$"))
    application.add_handler(CallbackQueryHandler(export_chosen, pattern=rf"^{F}:ex:"))
    application.add_handler(kb.callback_handler(stats, STATS))
    application.add_handler(kb.callback_handler(stats_details, STATS_DETAILS))
    application.add_handler(kb.callback_handler(stats_chart, STATS_CHART))
    application.add_handler(CallbackQueryHandler(mydata, pattern=rf"^{F}:md$"))
    application.add_handler(CallbackQueryHandler(forget_ask, pattern=rf"^{F}:fgq$"))
    application.add_handler(CallbackQueryHandler(forget_confirmed, pattern=rf"^{F}:fg:"))
