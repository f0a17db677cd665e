"""The list of opportunities; for coordinators, who signed up and cancelling one."""

from __future__ import annotations

from telegram import InlineKeyboardMarkup, Update

from bot.i18n import format_datetime, ngettext
from bot.i18n import gettext as _
from bot.notify import notify_members
from bot.services import members as members_service
from bot.services import opportunities as service
from bot.services.errors import DomainError
from handlers import keyboards as kb
from handlers.common import (
    END,
    Context,
    answer,
    ask_to_confirm,
    domain_message,
    esc,
    pressed,
    reply,
    requires,
)
from handlers.opportunities import routes as r
from handlers.opportunities.shared import in_background, summary
from models import Role

LIST_MAX = 15
HELPERS_LISTED = 50  # names per message: stays under Telegram's 4096 characters


def to_list() -> InlineKeyboardMarkup:
    """Back to the list (and the menu)."""
    return kb.with_menu([[r.LIST.button(_("Opportunities"))]])


@requires(Role.RESIDENT)
async def overview(update: Update, context: Context) -> int:
    await answer(update)
    member = context.member
    assert member is not None
    coordinator = member.role == Role.COORDINATOR
    rows = []
    lines = ["<b>" + _("Volunteering opportunities") + "</b>"]
    async with context.runtime.db.session() as session:
        found = await service.upcoming(session)
        mine = await service.signed_up_ids(session, member.id)  # type: ignore[arg-type]
        for opportunity in found[:LIST_MAX]:
            taken = await service.taken(session, opportunity.id)  # type: ignore[arg-type]
            signed = opportunity.id in mine
            # One short line each: a full card per opportunity could pass 4096 characters.
            lines.append(
                ("✅ " if signed else "• ")
                + _("{title} — {when}, {place} ({taken}/{places})").format(
                    title=esc(opportunity.title),
                    when=format_datetime(opportunity.starts_at, "short_day"),
                    place=esc(opportunity.place[:60]),
                    taken=taken,
                    places=opportunity.places,
                )
            )
            if coordinator:
                route, label = r.HELPERS, _("Helpers: {title}")
            elif signed:
                route, label = r.SIGN_OUT, _("I can't come: {title}")
            else:
                route, label = r.SIGN_UP, _("I'll help: {title}")
            rows.append([route.button(label.format(title=opportunity.title[:30]), opportunity.id)])
    if not found:
        lines.append(_("There are no opportunities at the moment."))
    if coordinator:
        rows.insert(0, [r.NEW.button(_("New opportunity"))])
    await reply(update, "\n".join(lines), kb.with_menu(rows))
    return END


@requires(Role.COORDINATOR)
async def helpers_view(update: Update, context: Context) -> None:
    data = await pressed(update)
    try:
        async with context.runtime.db.session() as session:
            opportunity = await service.get(session, data.int_arg(0))
            people = await service.helpers(session, opportunity.id)  # type: ignore[arg-type]
    except DomainError as error:
        await reply(update, esc(domain_message(error)), kb.with_menu([]))
        return
    lines = [summary(opportunity, len(people)), ""]
    if not people:
        lines.append(_("Nobody has signed up yet."))
    for member, phone in people[:HELPERS_LISTED]:
        line = (
            f'• <a href="tg://user?id={member.telegram_id}">{esc(member.display_name or "?")}</a>'
        )
        if phone:
            line += f" — {esc(phone)}"
        lines.append(line)
    if len(people) > HELPERS_LISTED:
        lines.append(_("…and {n} more.").format(n=len(people) - HELPERS_LISTED))
    rows = [
        [r.CANCEL.button(_("Cancel this opportunity"), opportunity.id)],
        [r.LIST.button(_("Opportunities"))],
    ]
    await reply(update, "\n".join(lines), kb.with_menu(rows))


@requires(Role.COORDINATOR)
async def cancel_opportunity(update: Update, context: Context) -> None:
    """cx: ask; cxc:<id>:y: cancel it and tell those who signed up."""
    data = kb.parse(update.callback_query.data if update.callback_query else None)
    opportunity_id = data.int_arg(0) or 0
    if data.action == "cx":
        question = _("Cancel this opportunity? Those who signed up will be told.")
        await ask_to_confirm(
            update,
            question,
            r.CANCEL_CONFIRM,
            opportunity_id,
            yes=_("Yes, cancel it"),
            no=_("No, keep it"),
        )
        return
    await answer(update)
    if data.arg(1) != "y":
        await reply(update, _("Nothing was changed."), to_list())
        return
    member = context.member
    assert member is not None
    try:
        async with context.runtime.db.session() as session:
            actor = await members_service.get(session, member.id)  # type: ignore[arg-type]
            opportunity, people = await service.cancel(session, opportunity_id, actor)
    except DomainError as error:
        await reply(update, esc(domain_message(error)), kb.with_menu([]))
        return

    def render() -> tuple[str, InlineKeyboardMarkup | None]:
        text = _("Cancelled: “{title}” ({when}) will not take place. Thank you anyway!").format(
            title=esc(opportunity.title),
            when=format_datetime(opportunity.starts_at, "short_day"),
        )
        return text, None

    in_background(
        context.application,
        notify_members(context.application.bot, context.runtime.db, people, render),
    )
    count = len(people)
    await reply(
        update,
        ngettext(
            "Cancelled. {n} helper is being told.", "Cancelled. {n} helpers are being told.", count
        ).format(n=count),
        to_list(),
    )


# The buttons this module answers (registered by the package's register()).
BUTTONS: kb.Buttons = {
    r.LIST: overview,
    r.HELPERS: helpers_view,
    r.CANCEL: cancel_opportunity,
    r.CANCEL_CONFIRM: cancel_opportunity,
}
