"""/broadcast: the broadcasts being sent and those sent lately, stopping one, and who
blocked the bot (coordinators)."""

from __future__ import annotations

from telegram import Update

from bot.broadcasting import engine
from bot.i18n import gettext as _
from bot.i18n import ngettext
from bot.services import broadcasts as service
from bot.services import members as members_service
from bot.services.errors import DomainError
from handlers import keyboards as kb
from handlers.broadcasts import routes as r
from handlers.broadcasts.labels import audience_label, finished_line, progress_line
from handlers.common import (
    END,
    Context,
    answer,
    ask_to_confirm,
    domain_message,
    esc,
    pressed,
    refuse,
    reply,
    requires,
)
from models import Role

PAGE = 15  # lines of the unreachable list: stays well under 4096 characters


def to_overview() -> kb.InlineKeyboardMarkup:
    """Back to /broadcast (and the menu)."""
    return kb.with_menu([[r.OVERVIEW.button(_("Broadcasts"))]])


@requires(Role.LEAD)
async def overview(update: Update, context: Context) -> int:
    await answer(update)
    member = context.me
    lines = ["<b>" + _("Broadcasts") + "</b>"]
    rows = []
    async with context.runtime.db.session() as session:
        running = await service.visible_running(session, member)
        for broadcast in running:
            counts = await service.progress(session, broadcast.id)  # type: ignore[arg-type]
            label = await audience_label(session, broadcast.audience)
            lines.append(progress_line(broadcast, label, counts))
            rows.append([r.STOP.button(_("Stop #{id}").format(id=broadcast.id), broadcast.id)])
        if not running:
            lines.append(_("No broadcast is being sent now."))
        finished = await service.recent_finished(session, member)
        if finished:
            lines += ["", "<b>" + _("Recently sent") + "</b>"]
        for broadcast in finished:
            label = await audience_label(session, broadcast.audience)
            lines.append(finished_line(broadcast, label))
    if running:
        rows.append([r.OVERVIEW.button(_("Refresh"))])
    rows.insert(0, [r.NEW.button(_("New broadcast"))])
    if member.role == Role.COORDINATOR:
        rows.append([r.UNREACHABLE.button(_("Who blocked the bot"), 0)])
    await reply(update, "\n".join(lines), kb.with_menu(rows))
    return END


@requires(Role.LEAD)
async def ask_stop(update: Update, context: Context) -> None:
    data = kb.parse(update.callback_query.data if update.callback_query else None)
    broadcast_id = data.int_arg(0) or 0
    try:  # a forged or foreign id is refused before asking, not only at the confirmation
        async with context.runtime.db.session() as session:
            await service.may_stop(session, broadcast_id, context.me)
    except DomainError as error:
        await refuse(update, domain_message(error))
        return
    question = _("Stop broadcast #{id}? Those not reached yet will not get it.")
    await ask_to_confirm(
        update,
        question.format(id=broadcast_id),
        r.STOP_CONFIRM,
        broadcast_id,
        yes=_("Yes, stop it"),
        no=_("No, keep sending"),
    )


@requires(Role.LEAD)
async def confirm_stop(update: Update, context: Context) -> None:
    data = await pressed(update)
    broadcast_id = data.int_arg(0) or 0
    if data.arg(1) != "y":
        await overview(update, context)
        return
    try:
        async with context.runtime.db.session() as session:
            actor = await members_service.get(session, context.me.id)  # type: ignore[arg-type]
            await service.stop(session, broadcast_id, actor)
    except DomainError as error:
        await reply(update, esc(domain_message(error)), kb.with_menu([]))
        return
    engine(context.application).stop(broadcast_id)
    await reply(
        update,
        _("Broadcast #{id} is stopping. You will get a report in a moment.").format(
            id=broadcast_id
        ),
        to_overview(),
    )


@requires(Role.COORDINATOR)
async def unreachable(update: Update, context: Context) -> None:
    data = await pressed(update)
    page = max(data.int_arg(0) or 0, 0)
    async with context.runtime.db.session() as session:
        people = await service.unreachable_members(session)
    if not people:
        await reply(update, _("Nobody has blocked the bot."), to_overview())
        return
    pages = (len(people) + PAGE - 1) // PAGE
    page = min(page, pages - 1)
    lines = [
        "<b>"
        + ngettext(
            "{n} person blocked the bot; call them:",
            "{n} people blocked the bot; call them:",
            len(people),
        ).format(n=len(people))
        + "</b>"
    ]
    for member, phone in people[page * PAGE : (page + 1) * PAGE]:
        name = esc(member.display_name or "?")
        line = f'• <a href="tg://user?id={member.telegram_id}">{name}</a>'
        if member.institution:
            line += f" ({esc(member.institution[:40])})"
        line += " — " + (esc(phone) if phone else _("no phone number"))
        lines.append(line)
    rows = [kb.pager(r.F, "unr", page, pages), [r.OVERVIEW.button(_("Broadcasts"))]]
    await reply(update, "\n".join(lines), kb.with_menu(rows))


# The buttons this module answers (registered by the package's register()).
BUTTONS: kb.Buttons = {
    r.OVERVIEW: overview,
    r.STOP: ask_stop,
    r.STOP_CONFIRM: confirm_stop,
    r.UNREACHABLE: unreachable,
}
