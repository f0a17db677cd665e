"""/invite: coordinators create invite links (with QR codes and printable posters) and
revoke them."""

from __future__ import annotations

from telegram import Update
from telegram.ext import Application, CallbackQueryHandler, CommandHandler

from bot.config import SUPPORTED_LANGUAGES
from bot.i18n import LANGUAGE_NAMES, N_, current_language, format_datetime, ngettext
from bot.i18n import gettext as _
from bot.offload import run_blocking
from bot.posters import poster_pdf
from bot.services import groups as groups_service
from bot.services import invites as invites_service
from bot.services import members as members_service
from bot.services.errors import DomainError
from handlers import keyboards as kb
from handlers.common import (
    Context,
    answer,
    domain_message,
    esc,
    pressed,
    private_only,
    reply,
    requires,
)
from handlers.registry import CommandSpec, MenuEntry
from handlers.start import role_name
from models import Invite, Role

F = "iv"
COMMANDS = [
    CommandSpec("invite", N_("Invite leaders, group leads and coordinators"), Role.COORDINATOR)
]
MENU = [MenuEntry(N_("Invite people"), F, Role.COORDINATOR, order=80)]
USES = (1, 5, 20, 100, 0)  # 0: no limit
DAYS = (1, 7, 30, 90)
# A printable A4 poster of an invite: Polish unless another language is chosen under it.
POSTER = kb.route(F, "ps", int, SUPPORTED_LANGUAGES)
POSTER_LANGUAGE = "pl"


@requires(Role.COORDINATOR)
async def start_wizard(update: Update, context: Context) -> None:
    await answer(update)
    rows = [
        [kb.button(role_name(role), F, "r", role.value)] for role in invites_service.INVITABLE_ROLES
    ]
    rows.append([kb.button(_("Active invites"), F, "ls")])
    await reply(update, _("Who is the invite for?"), kb.with_menu(rows))


@requires(Role.COORDINATOR)
async def wizard_step(update: Update, context: Context) -> None:
    data = await pressed(update)
    try:
        role = Role(data.arg(0))
    except ValueError:
        await reply(update, _("This button is no longer available."), kb.with_menu([]))
        return
    if role not in invites_service.INVITABLE_ROLES:
        await reply(update, _("This button is no longer available."), kb.with_menu([]))
        return
    group_id = data.int_arg(1)
    uses = data.int_arg(2)
    async with context.runtime.db.session() as session:
        if data.action == "r":
            if role == Role.COORDINATOR:
                group_id = 0
            else:
                groups = await groups_service.active_groups(session)
                rows = [
                    [kb.button(g.display_name(current_language()), F, "g", role.value, g.id)]
                    for g in groups
                ]
                if role == Role.LEADER:
                    rows.insert(0, [kb.button(_("No group"), F, "g", role.value, 0)])
                await reply(update, _("Which group will they join?"), kb.with_menu(rows))
                return
        if group_id:
            try:
                await groups_service.get_active(session, group_id)
            except DomainError as error:
                await reply(update, domain_message(error), kb.with_menu([]))
                return
    if data.action in ("r", "g"):
        buttons = [
            kb.button(str(n) if n else _("No limit"), F, "u", role.value, group_id or 0, n)
            for n in USES
        ]
        await reply(update, _("How many people may use it?"), kb.with_menu(kb.grid(buttons, 3)))
        return
    if data.action == "u":
        buttons = [
            kb.button(
                ngettext("{n} day", "{n} days", d).format(n=d),
                F,
                "d",
                role.value,
                group_id or 0,
                uses or 0,
                d,
            )
            for d in DAYS
        ]
        await reply(update, _("How long is it valid?"), kb.with_menu(kb.grid(buttons, 2)))
        return
    days = data.int_arg(3)
    if data.action != "d" or days not in DAYS or uses not in USES:
        await reply(update, _("This button is no longer available."), kb.with_menu([]))
        return
    await _create(update, context, role, group_id or None, uses or None, days)


async def _create(
    update: Update, context: Context, role: Role, group_id: int | None, uses: int | None, days: int
) -> None:
    runtime = context.runtime
    member = context.member
    assert member is not None and update.effective_chat is not None
    try:
        async with runtime.db.session() as session:
            group = await groups_service.get_active(session, group_id) if group_id else None
            actor = await members_service.get(session, member.id)  # type: ignore[arg-type]
            invite = await invites_service.create_invite(
                session, role=role, group=group, max_uses=uses, days=days, created_by=actor
            )
    except DomainError as error:
        await reply(update, domain_message(error), kb.with_menu([]))
        return
    link = invites_service.link_for(invite, runtime.bot_username)
    text = invite_card(invite, link, group.display_name(current_language()) if group else None)
    await reply(
        update,
        text,
        kb.with_menu(
            [
                [kb.button(_("Withdraw this invite"), F, "rv", invite.id)],
                [POSTER.button(_("Poster (PDF)"), invite.id, POSTER_LANGUAGE)],
            ]
        ),
    )
    qr = await run_blocking(invites_service.qr_png, link)  # PIL work: off the event loop
    await update.effective_chat.send_photo(
        qr,
        caption=_("QR code of the invite for a {role}: print it on a poster.").format(
            role=role_name(invite.role)
        ),
    )


@requires(Role.COORDINATOR)
async def poster(update: Update, context: Context) -> None:
    """The invite as an A4 poster (PDF) for a notice board; the other languages under it."""
    invite_id, language = POSTER.parse(
        update.callback_query.data if update.callback_query else None
    )
    async with context.db.session() as session:
        invite = await invites_service.get_usable(session, invite_id)
    await answer(update)
    link = invites_service.link_for(invite, context.runtime.bot_username)
    pdf = await run_blocking(poster_pdf, link, context.runtime.profile.name, language=language)
    others = [
        POSTER.button(LANGUAGE_NAMES[code], invite.id, code)
        for code in SUPPORTED_LANGUAGES
        if code != language
    ]
    assert update.effective_chat is not None
    await update.effective_chat.send_document(
        pdf,
        filename=f"poster-{language}.pdf",
        caption=_("A poster for a notice board: print it on A4. Other languages:"),
        reply_markup=kb.markup([others]),
    )


def invite_card(invite: Invite, link: str, group_name: str | None) -> str:
    lines = [
        "<b>" + _("Invite for a {role}").format(role=role_name(invite.role)) + "</b>",
        link,
    ]
    if group_name:
        lines.append(_("Group: {group}").format(group=esc(group_name)))
    if invite.max_uses:
        lines.append(
            ngettext("Used {used} of {n} time", "Used {used} of {n} times", invite.max_uses).format(
                used=invite.uses, n=invite.max_uses
            )
        )
    else:
        lines.append(_("Used {used} times, no limit").format(used=invite.uses))
    if invite.expires_at:
        lines.append(_("Valid until {when}").format(when=format_datetime(invite.expires_at)))
    return "\n".join(lines)


@requires(Role.COORDINATOR)
async def list_invites(update: Update, context: Context) -> None:
    await answer(update)
    runtime = context.runtime
    async with runtime.db.session() as session:
        invites = await invites_service.active_invites(session)
    if not invites:
        await reply(
            update,
            _("There are no active invites."),
            kb.with_menu([[kb.button(_("New invite"), F)]]),
        )
        return
    cards = [
        invite_card(i, invites_service.link_for(i, runtime.bot_username), None)
        for i in invites[:10]
    ]
    rows = [
        [kb.button(_("Withdraw #{n}").format(n=index + 1), F, "rv", i.id)]
        for index, i in enumerate(invites[:10])
    ]
    numbered = [f"{index + 1}. {card}" for index, card in enumerate(cards)]
    await reply(update, "\n\n".join(numbered), kb.with_menu(rows))


@requires(Role.COORDINATOR)
async def revoke(update: Update, context: Context) -> None:
    data = kb.parse(update.callback_query.data if update.callback_query else None)
    invite_id = data.int_arg(0)
    await answer(update)
    if data.action == "rv":
        await reply(
            update,
            _("Withdraw this invite? Nobody will be able to use the link any more."),
            kb.yes_no(F, "rvc", invite_id or 0, yes=_("Yes, withdraw"), no=_("No, keep it")),
        )
        return
    if data.arg(1) != "y":
        await reply(update, _("The invite stays valid."), kb.with_menu([]))
        return
    member = context.member
    try:
        async with context.runtime.db.session() as session:
            actor = await members_service.get(session, member.id)  # type: ignore[union-attr,arg-type]
            await invites_service.revoke(session, invite_id or 0, actor)
    except DomainError as error:
        await reply(update, domain_message(error), kb.with_menu([]))
        return
    await reply(update, _("The invite was withdrawn."), kb.with_menu([]))


def register(application: Application) -> None:  # type: ignore[type-arg]
    application.add_handler(CommandHandler("invite", private_only(start_wizard)))
    application.add_handler(CallbackQueryHandler(start_wizard, pattern=rf"^{F}$"))
    application.add_handler(CallbackQueryHandler(list_invites, pattern=rf"^{F}:ls$"))
    application.add_handler(CallbackQueryHandler(wizard_step, pattern=rf"^{F}:(r|g|u|d):"))
    application.add_handler(CallbackQueryHandler(revoke, pattern=rf"^{F}:(rv|rvc):"))
    application.add_handler(kb.callback_handler(poster, POSTER))
