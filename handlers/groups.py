"""/groups: browse, join and leave groups; coordinators create, edit, archive, hand out roles;
/link and /unlink connect a Telegram group chat to a working group."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime
from typing import Any

from telegram import ChatMember, ChatMemberUpdated, InlineKeyboardMarkup, Update
from telegram.error import TelegramError
from telegram.ext import (
    Application,
    CallbackQueryHandler,
    ChatMemberHandler,
    CommandHandler,
    ConversationHandler,
    MessageHandler,
    filters,
)

from bot import notify, reminders
from bot.i18n import N_, current_language, ngettext
from bot.i18n import gettext as _
from bot.services import contributions as contributions_service
from bot.services import groups as groups_service
from bot.services import meetings as meetings_service
from bot.services import members as members_service
from bot.services.contributions import Card, Filters
from bot.services.errors import DomainError
from bot.services.groups import GroupPage, GroupSummary
from bot.services.permissions import Action, can
from handlers import keyboards as kb
from handlers import meeting_cards
from handlers.commands import refresh_member_commands
from handlers.common import (
    END,
    Context,
    answer,
    domain_message,
    esc,
    private_only,
    refuse,
    reply,
    requires,
    tg_len,
)
from handlers.contributions import browse_button, kind_name
from handlers.registry import CommandSpec, MenuEntry
from handlers.start import role_name
from models import Group, GroupKind, Meeting, Member, MembershipStatus, ProblemArea, Role

log = logging.getLogger(__name__)

F = "gr"
COMMANDS = [
    CommandSpec("groups", N_("Working groups: browse, join, my groups")),
    # Anyone sees them in group chats; the handlers check the role and chat admin rights.
    CommandSpec("link", N_("Link this chat to a working group"), scope="group"),
    CommandSpec("unlink", N_("Unlink this chat from its working group"), scope="group"),
]
MENU = [
    MenuEntry(N_("Groups"), F, order=10),
    MenuEntry(N_("My groups"), f"{F}:my", order=11),
    MenuEntry(N_("People and roles"), f"{F}:ppl:0", Role.COORDINATOR, order=85),
]
GROUPS_PER_PAGE = 10
LATEST_CONTRIBUTIONS = 3
TEXT_LIMIT = 4096
NAME, AREA, PARENT, OPEN, LEAD, CONFIRM, EDIT_TEXT = range(7)
DRAFT = "group_draft"
EDITING = "group_edit"


def _stale() -> str:
    return _("This button is out of date; nothing was changed.")


def _data(update: Update) -> kb.Callback:
    return kb.parse(update.callback_query.data if update.callback_query else None)


async def _tell(context: Context, member: Member, render: Callable[[], str]) -> None:
    """A plain message to someone else, in their language."""
    await notify.notify_member(context.bot, context.runtime.db, member, lambda: (render(), None))


async def _refuse_error(update: Update, error: DomainError) -> None:
    await refuse(update, domain_message(error))


def area_name(area: ProblemArea | None) -> str:
    if area is None:
        return "—"
    return area.names.get(current_language()) or next(iter(area.names.values()), area.slug)


def member_count(n: int) -> str:
    return ngettext("{n} member", "{n} members", n).format(n=n)


def back_rows(group_id: int | None = None) -> list[list[Any]]:
    rows = []
    if group_id:
        rows.append([kb.button("« " + _("Back to the group"), F, "p", group_id, 0)])
    rows.append([kb.button("« " + _("All groups"), F, "ls", 0)])
    return rows


# --- rendering (pure: used by handlers and the benchmark) -----------------------------


def render_list(
    summaries: list[GroupSummary], page: int, member: Member, *, mine: bool = False
) -> tuple[str, InlineKeyboardMarkup]:
    pages = max(1, -(-len(summaries) // GROUPS_PER_PAGE))
    page = max(0, min(page, pages - 1))
    shown = summaries[page * GROUPS_PER_PAGE : (page + 1) * GROUPS_PER_PAGE]
    title = _("My groups") if mine else _("Working groups")
    lines = ["<b>" + title + "</b>", ""]
    buttons = []
    for summary in shown:
        group = summary.group
        name = esc(group.display_name(current_language()))
        line = f"• <b>{name}</b> — {member_count(summary.member_count)}"
        if not group.is_open:
            line += " · " + _("closed")
        if summary.status == MembershipStatus.PENDING:
            line += " · " + _("request waiting")
        lines.append(line)
        buttons.append(kb.button(group.display_name(current_language())[:40], F, "p", group.id, 0))
    if not summaries:
        lines.append(
            _("You are not in any group yet. Open one from the list and join it.")
            if mine
            else _("There are no groups yet.")
        )
    rows = kb.grid(buttons, 2)
    rows.append(kb.pager(F, "my" if mine else "ls", page, pages))
    if mine:
        rows.append([kb.button(_("All groups"), F, "ls", 0)])
    else:
        rows.append([kb.button(_("My groups"), F, "my")])
    if can(member, Action.CREATE_GROUP):
        rows.append([kb.button(_("New small group"), F, "new")])
    return "\n".join(lines), kb.with_menu(rows)


def _fit(head: list[str], tail: list[str]) -> str:
    """Join lines, dropping member lines from the end rather than exceeding Telegram's limit."""
    text = "\n".join(head + tail)
    while tg_len(text) > TEXT_LIMIT and tail:
        tail = [*tail[:-2], "…"]
        text = "\n".join(head + tail)
    return text[:TEXT_LIMIT]


def render_page(
    page: GroupPage,
    viewer: Member,
    latest: list[Card] | None = None,
    upcoming: list[Meeting] | None = None,
) -> tuple[str, InlineKeyboardMarkup]:
    group = page.group
    language = current_language()
    kind = _("Team") if group.kind == GroupKind.TEAM else _("Small group")
    openness = _("open to everyone") if group.is_open else _("joining needs the lead's approval")
    head = [f"<b>{esc(group.display_name(language))}</b>", f"<i>{kind} · {openness}</i>"]
    purpose = group.display_purpose(language)
    if purpose:
        head += ["", esc(purpose)]
    head.append("")
    if page.area is not None:
        head.append(_("Problem area: {area}").format(area=esc(area_name(page.area))))
    if page.parent is not None:
        head.append(_("Part of: {team}").format(team=esc(page.parent.display_name(language))))
    lead = esc(page.lead.display_name) if page.lead and page.lead.display_name else _("none yet")
    head.append(_("Lead: {name}").format(name=lead))
    head.append(member_count(page.member_count))
    if group.chat_id is not None:
        head.append(_("Has a linked group chat."))
    if page.viewer_status == MembershipStatus.MEMBER:
        head += ["", "✅ " + _("You are a member of this group.")]
    elif page.viewer_status == MembershipStatus.PENDING:
        head += ["", "⏳ " + _("Your request to join is waiting for the lead's answer.")]
    tail: list[str] = []
    if upcoming:
        tail += meeting_cards.upcoming_lines(upcoming)
    if latest:
        tail += ["", "<b>" + _("Latest contributions") + "</b>"]
        for card in latest[:LATEST_CONTRIBUTIONS]:
            item = card.contribution
            tail.append(f"• #{item.id} {kind_name(item.kind)}: {esc(item.title)}")
    if page.may_see_members and page.members:
        tail += ["", "<b>" + _("Members") + "</b>"]
        for person in page.members:
            line = "• " + esc(person.display_name or "?")
            if person.institution:
                line += " — " + esc(person.institution)
            tail.append(line)
    elif not page.may_see_members and page.member_count:
        tail += [
            "",
            "<i>" + _("Only members of this group and coordinators see who is in it.") + "</i>",
        ]
    rows: list[list[Any]] = []
    if page.viewer_status is None:
        label = _("Join") if group.is_open or page.may_decide else _("Ask to join")
        rows.append([kb.button(label, F, "j", group.id)])
    elif page.viewer_status == MembershipStatus.PENDING:
        rows.append([kb.button(_("Withdraw my request"), F, "l", group.id)])
    elif group.lead_id != viewer.id:
        rows.append([kb.button(_("Leave the group"), F, "l", group.id)])
    rows.append(kb.pager(F, "p", page.page, page.pages, group.id))
    rows += kb.grid(
        [kb.button(f"📅 {m.topic[:28]}", meeting_cards.F, "v", m.id) for m in upcoming or []], 2
    )
    if latest:
        rows.append(
            [browse_button(_("All contributions of this group"), Filters(group_id=group.id))]
        )
    if page.may_decide and page.pending_count:
        rows.append(
            [kb.button(_("Join requests ({n})").format(n=page.pending_count), F, "rq", group.id)]
        )
    manage = []
    if page.may_edit:
        manage.append(kb.button(_("Edit"), F, "ed", group.id))
    if can(viewer, Action.MANAGE_ROLES):
        manage.append(kb.button(_("Change lead"), F, "ld", group.id, 0))
    if page.may_archive:
        manage.append(kb.button(_("Archive"), F, "ar", group.id))
    rows.append(manage)
    rows.append([kb.button("« " + _("All groups"), F, "ls", 0)])
    return _fit(head, tail), kb.with_menu(rows)


# --- browsing and membership ----------------------------------------------------------


@requires()
async def list_groups(update: Update, context: Context) -> None:
    await answer(update)
    data = _data(update)
    async with context.runtime.db.session() as session:
        if data.action == "my":
            summaries = await groups_service.my_groups(session, context.me)
        else:
            summaries = await groups_service.list_groups(session)
    page = data.int_arg(0) or 0
    text, keyboard = render_list(summaries, page, context.me, mine=data.action == "my")
    await reply(update, text, keyboard)


async def page_screen(
    session: Any, group_id: int | None, viewer: Member, page: int, now: datetime
) -> tuple[str, InlineKeyboardMarkup]:
    """The whole group page: the group, its latest contributions, its upcoming meetings."""
    info = await groups_service.group_page(session, group_id, viewer, page)
    assert info.group.id is not None
    latest = await contributions_service.browse(session, Filters(group_id=info.group.id))
    upcoming = await meetings_service.upcoming_in_group(session, info.group.id, now=now)
    return render_page(info, viewer, latest.cards, upcoming)


async def _show_page(update: Update, context: Context, group_id: int | None, page: int = 0) -> None:
    try:
        async with context.runtime.db.session() as session:
            text, keyboard = await page_screen(
                session, group_id, context.me, page, reminders.clock(context.application)
            )
    except DomainError as error:
        await reply(update, domain_message(error), kb.with_menu(back_rows()))
        return
    await reply(update, text, keyboard)


@requires()
async def group_page(update: Update, context: Context) -> None:
    data = _data(update)
    await answer(update)
    await _show_page(update, context, data.int_arg(0), data.int_arg(1) or 0)


@requires()
async def join(update: Update, context: Context) -> None:
    group_id = _data(update).int_arg(0)
    try:
        async with context.runtime.db.session() as session:
            joined = await groups_service.join(session, group_id, context.me)
            group = await groups_service.get_active(session, group_id)
            deciders = (
                await groups_service.deciders(session, group)
                if joined.status == MembershipStatus.PENDING
                else []
            )
    except DomainError as error:
        await _refuse_error(update, error)
        return
    me = context.me
    if joined.status == MembershipStatus.MEMBER:
        await answer(
            update, _("You joined {group}.").format(group=group.display_name(context.language))
        )
    else:
        await answer(update, _("Your request was sent to the group's lead."))

        def request_card() -> tuple[str, InlineKeyboardMarkup]:
            text = _("{name} asks to join {group}.").format(
                name=esc(me.display_name), group=esc(group.display_name(current_language()))
            )
            if me.institution:
                text += "\n" + _("Institution: {institution}").format(
                    institution=esc(me.institution)
                )
            return text, kb.markup(
                [
                    [
                        kb.button(_("Approve"), F, "ok", group.id, me.id),
                        kb.button(_("Decline"), F, "no", group.id, me.id),
                    ]
                ]
            )

        await notify.notify_members(context.bot, context.runtime.db, deciders, request_card)
    await _show_page(update, context, group_id)


@requires()
async def leave(update: Update, context: Context) -> None:
    group_id = _data(update).int_arg(0)
    try:
        async with context.runtime.db.session() as session:
            group = await groups_service.leave(session, group_id, context.me)
    except DomainError as error:
        await _refuse_error(update, error)
        return
    await answer(update, _("You left {group}.").format(group=group.display_name(context.language)))
    await _show_page(update, context, group_id)


@requires()
async def requests(update: Update, context: Context) -> None:
    group_id = _data(update).int_arg(0)
    try:
        async with context.runtime.db.session() as session:
            group = await groups_service.get_active(session, group_id)
            if not can(context.me, Action.DECIDE_JOIN_REQUEST, group):
                await refuse(update, _("Only the group's lead or a coordinator can see this."))
                return
            waiting = await groups_service.pending_requests(session, group)
    except DomainError as error:
        await _refuse_error(update, error)
        return
    await answer(update)
    lines = [
        "<b>"
        + _("Join requests: {group}").format(group=esc(group.display_name(context.language)))
        + "</b>"
    ]
    rows = []
    for person in waiting:
        line = "• " + esc(person.display_name)
        if person.institution:
            line += " — " + esc(person.institution)
        lines.append(line)
        rows.append(
            [
                kb.button("✅ " + (person.display_name or "")[:30], F, "ok", group.id, person.id),
                kb.button("✖ " + _("Decline"), F, "no", group.id, person.id),
            ]
        )
    if not waiting:
        lines.append(_("No requests are waiting."))
    await reply(update, "\n".join(lines), kb.with_menu(rows + back_rows(group.id)))


@requires()
async def decide(update: Update, context: Context) -> None:
    data = _data(update)
    approve = data.action == "ok"
    try:
        async with context.runtime.db.session() as session:
            group, requester = await groups_service.decide_request(
                session, data.int_arg(0), data.int_arg(1), context.me, approve
            )
    except DomainError as error:
        await _refuse_error(update, error)
        return

    def told() -> str:
        name = esc(group.display_name(current_language()))
        if approve:
            return _("Good news: you are now a member of {group}.").format(group=name)
        return _("Your request to join {group} was declined.").format(group=name)

    await _tell(context, requester, told)
    await answer(update)
    name = esc(requester.display_name)
    text = (
        _("{name} is now a member.").format(name=name)
        if approve
        else _("{name}'s request was declined.").format(name=name)
    )
    await reply(update, text, kb.with_menu(back_rows(group.id)))


# --- editing, lead, archive -----------------------------------------------------------


def _edit_screen(group: Group) -> tuple[str, InlineKeyboardMarkup]:
    rows = []
    if group.kind == GroupKind.SMALL:
        rows.append([kb.button(_("Rename"), F, "ren", group.id)])
    rows.append([kb.button(_("Describe the purpose"), F, "pur", group.id)])
    rows.append([kb.button(_("Problem area"), F, "ea", group.id)])
    toggle = _("Close to newcomers") if group.is_open else _("Open to everyone")
    rows.append([kb.button(toggle, F, "eo", group.id)])
    text = _("What would you like to change in {group}?").format(
        group=esc(group.display_name(current_language()))
    )
    return text, kb.with_menu(rows + back_rows(group.id))


async def _editable(update: Update, context: Context, group_id: int | None) -> Group | None:
    try:
        async with context.runtime.db.session() as session:
            group = await groups_service.get_active(session, group_id)
    except DomainError as error:
        await _refuse_error(update, error)
        return None
    if not can(context.me, Action.EDIT_GROUP, group):
        await refuse(update, _("Only the group's lead or a coordinator can change it."))
        return None
    return group


@requires()
async def edit_menu(update: Update, context: Context) -> None:
    group = await _editable(update, context, _data(update).int_arg(0))
    if group is None:
        return
    await answer(update)
    await reply(update, *_edit_screen(group))


@requires()
async def edit_choice(update: Update, context: Context) -> None:
    """Toggle open/closed, or pick a problem area (the picker, then the choice)."""
    data = _data(update)
    group_id = data.int_arg(0)
    if data.action == "ea":
        group = await _editable(update, context, group_id)
        if group is None:
            return
        async with context.runtime.db.session() as session:
            all_areas = await groups_service.areas(session)
        buttons = [kb.button(area_name(a), F, "eas", group_id, a.id) for a in all_areas]
        await answer(update)
        await reply(
            update,
            _("Which problem area?"),
            kb.with_menu([[b] for b in buttons] + back_rows(group_id)),
        )
        return
    try:
        async with context.runtime.db.session() as session:
            if data.action == "eo":
                current = await groups_service.get_active(session, group_id)
                group = await groups_service.update_group(
                    session, context.me, group_id, is_open=not current.is_open
                )
            else:
                group = await groups_service.update_group(
                    session, context.me, group_id, area_id=data.int_arg(1)
                )
    except DomainError as error:
        await _refuse_error(update, error)
        return
    await answer(update, _("Saved."))
    await reply(update, *_edit_screen(group))


@requires()
async def edit_text_start(update: Update, context: Context) -> int:
    data = _data(update)
    group = await _editable(update, context, data.int_arg(0))
    if group is None:
        return END
    assert context.user_data is not None
    field = "name" if data.action == "ren" else "purpose"
    context.user_data[EDITING] = {"id": group.id, "field": field}
    await answer(update)
    prompt = (
        _("Send the new name of the group.")
        if field == "name"
        else _("Send a short description of what the group works on.")
    )
    await reply(update, prompt + "\n" + _("Or /cancel."), None)
    return EDIT_TEXT


async def edit_text_received(update: Update, context: Context) -> int:
    assert context.user_data is not None and update.effective_message is not None
    editing = context.user_data.get(EDITING) or {}
    member = context.member
    if member is None:
        return END
    value = update.effective_message.text or ""
    renaming = editing.get("field") == "name"
    try:
        async with context.runtime.db.session() as session:
            group = await groups_service.update_group(
                session,
                member,
                editing.get("id"),
                name=value if renaming else None,
                purpose=None if renaming else value,
            )
    except DomainError as error:
        await update.effective_message.reply_text(domain_message(error))
        return EDIT_TEXT
    context.user_data.pop(EDITING, None)
    text, keyboard = _edit_screen(group)
    await update.effective_message.reply_text(_("Saved.") + "\n\n" + text, reply_markup=keyboard)
    return END


@requires(Role.COORDINATOR)
async def lead_picker(update: Update, context: Context) -> None:
    data = _data(update)
    group_id = data.int_arg(0)
    try:
        async with context.runtime.db.session() as session:
            group = await groups_service.get_active(session, group_id)
            people, pages = await groups_service.lead_candidates(
                session, data.int_arg(1) or 0, group
            )
    except DomainError as error:
        await _refuse_error(update, error)
        return
    await answer(update)
    page = max(0, min(data.int_arg(1) or 0, pages - 1))
    rows = [[kb.button(p.display_name or "?", F, "lds", group_id, p.id)] for p in people]
    rows.append(kb.pager(F, "ld", page, pages, group_id))
    text = _("Who should lead {group}? Choose one of its members.").format(
        group=esc(group.display_name(context.language))
    )
    if not people:
        text = _("{group} has no members yet. Someone has to join it first.").format(
            group=esc(group.display_name(context.language))
        )
    await reply(update, text, kb.with_menu(rows + back_rows(group_id)))


@requires(Role.COORDINATOR)
async def lead_confirm(update: Update, context: Context) -> None:
    data = _data(update)
    group_id, person_id = data.int_arg(0), data.int_arg(1)
    if data.action == "lds":
        try:
            async with context.runtime.db.session() as session:
                group = await groups_service.get_active(session, group_id)
                person = await members_service.get(session, person_id or 0)
        except DomainError as error:
            await _refuse_error(update, error)
            return
        await answer(update)
        await reply(
            update,
            _("Make {name} the lead of {group}?").format(
                name=esc(person.display_name), group=esc(group.display_name(context.language))
            ),
            kb.yes_no(F, "ldc", group_id, person_id, yes=_("Yes, make them lead"), no=_("No")),
        )
        return
    if data.arg(2) != "y":
        await answer(update)
        await _show_page(update, context, group_id)
        return
    try:
        async with context.runtime.db.session() as session:
            group, lead = await groups_service.set_lead(session, context.me, group_id, person_id)
    except DomainError as error:
        await _refuse_error(update, error)
        return
    await _tell_new_lead(context, group, lead)
    await answer(update, _("{name} now leads the group.").format(name=lead.display_name))
    await _show_page(update, context, group_id)


async def _tell_new_lead(context: Context, group: Group, lead: Member) -> None:
    def text() -> str:
        return _(
            "A coordinator made you the lead of {group}. You can now decide join requests, "
            "edit the group and link its group chat."
        ).format(group=esc(group.display_name(current_language())))

    await _tell(context, lead, text)
    await refresh_member_commands(context.application, lead)


@requires(Role.COORDINATOR)
async def archive(update: Update, context: Context) -> None:
    data = _data(update)
    group_id = data.int_arg(0)
    if data.action == "ar":
        try:
            async with context.runtime.db.session() as session:
                group = await groups_service.get_active(session, group_id)
        except DomainError as error:
            await _refuse_error(update, error)
            return
        await answer(update)
        await reply(
            update,
            _(
                "Archive {group}? It disappears from the lists; its members, meetings and "
                "contributions stay in the records."
            ).format(group=esc(group.display_name(context.language))),
            kb.yes_no(F, "arc", group_id, yes=_("Yes, archive"), no=_("No, keep the group")),
        )
        return
    if data.arg(1) != "y":
        await answer(update)
        await _show_page(update, context, group_id)
        return
    try:
        async with context.runtime.db.session() as session:
            group = await groups_service.archive_group(session, context.me, group_id)
    except DomainError as error:
        await _refuse_error(update, error)
        return
    await answer(update)
    await reply(
        update,
        _("{group} was archived.").format(group=esc(group.display_name(context.language))),
        kb.with_menu(back_rows()),
    )


# --- creating a small group (a persistent conversation) -------------------------------


def _draft(context: Context) -> dict[str, Any]:
    assert context.user_data is not None
    return context.user_data.setdefault(DRAFT, {})  # type: ignore[no-any-return]


def _cancel_row() -> list[Any]:
    return [kb.button(_("Cancel"), F, "cx")]


@requires(Role.COORDINATOR)
async def create_start(update: Update, context: Context) -> int:
    await answer(update)
    assert context.user_data is not None
    context.user_data[DRAFT] = {}
    await reply(
        update,
        _("New small group. What is its name? Name the concrete problem it works on.")
        + "\n"
        + _("Or /cancel."),
        kb.markup([_cancel_row()]),
    )
    return NAME


async def create_name(update: Update, context: Context) -> int:
    assert update.effective_message is not None
    try:
        name = groups_service.clean_group_name(update.effective_message.text)
    except DomainError as error:
        await update.effective_message.reply_text(domain_message(error))
        return NAME
    _draft(context)["name"] = name
    async with context.runtime.db.session() as session:
        all_areas = await groups_service.areas(session)
    rows = [[kb.button(area_name(a), F, "ca", a.id)] for a in all_areas]
    await update.effective_message.reply_text(
        _("Which problem area does {name} work on?").format(name=esc(name)),
        reply_markup=kb.markup([*rows, _cancel_row()]),
    )
    return AREA


async def not_text(update: Update, context: Context) -> None:
    if update.effective_message is not None:
        await update.effective_message.reply_text(
            _("Please type it as a text message, or send /cancel.")
        )


async def press_a_button(update: Update, context: Context) -> None:
    if update.effective_message is not None:
        await update.effective_message.reply_text(
            _("Please choose with the buttons above, or send /cancel.")
        )


@requires(Role.COORDINATOR)
async def create_area(update: Update, context: Context) -> int:
    area_id = _data(update).int_arg(0)
    async with context.runtime.db.session() as session:
        try:
            await groups_service.get_area(session, area_id)
        except DomainError as error:
            await _refuse_error(update, error)
            return AREA
        parents = await groups_service.teams(session)
    _draft(context)["area"] = area_id
    await answer(update)
    rows = [[kb.button(t.display_name(context.language), F, "cp", t.id)] for t in parents]
    rows.append([kb.button(_("No parent team"), F, "cp", 0)])
    await reply(update, _("Does it belong to one of the teams?"), kb.markup([*rows, _cancel_row()]))
    return PARENT


@requires(Role.COORDINATOR)
async def create_parent(update: Update, context: Context) -> int:
    _draft(context)["parent"] = _data(update).int_arg(0) or None
    await answer(update)
    await reply(
        update,
        _("May residents join it freely, or does the lead approve each request?"),
        kb.markup(
            [
                [kb.button(_("Open to everyone"), F, "co", 1)],
                [kb.button(_("The lead approves requests"), F, "co", 0)],
                _cancel_row(),
            ]
        ),
    )
    return OPEN


async def _lead_step(update: Update, context: Context, page: int) -> int:
    async with context.runtime.db.session() as session:
        people, pages = await groups_service.lead_candidates(session, page)
    page = max(0, min(page, pages - 1))
    rows = [[kb.button(p.display_name or "?", F, "cl", p.id)] for p in people]
    rows.append(kb.pager(F, "clp", page, pages))
    rows.append([kb.button(_("No lead for now"), F, "cl", 0)])
    await reply(
        update,
        _("Who leads it? Choose one of the team's leaders."),
        kb.markup([*rows, _cancel_row()]),
    )
    return LEAD


@requires(Role.COORDINATOR)
async def create_open(update: Update, context: Context) -> int:
    _draft(context)["open"] = _data(update).arg(0) == "1"
    await answer(update)
    return await _lead_step(update, context, 0)


@requires(Role.COORDINATOR)
async def create_lead_page(update: Update, context: Context) -> int:
    await answer(update)
    return await _lead_step(update, context, _data(update).int_arg(0) or 0)


def _draft_summary(draft: dict[str, Any], area: str, parent: str | None, lead: str | None) -> str:
    lines = [
        "<b>" + _("New small group") + "</b>",
        _("Name: {name}").format(name=esc(draft.get("name", ""))),
        _("Problem area: {area}").format(area=esc(area)),
        _("Part of: {team}").format(team=esc(parent)) if parent else _("No parent team"),
        _("Open to everyone") if draft.get("open") else _("The lead approves requests"),
        _("Lead: {name}").format(name=esc(lead) if lead else _("none yet")),
    ]
    return "\n".join(lines)


@requires(Role.COORDINATOR)
async def create_lead(update: Update, context: Context) -> int:
    draft = _draft(context)
    draft["lead"] = _data(update).int_arg(0) or None
    try:
        async with context.runtime.db.session() as session:
            area = await groups_service.get_area(session, draft.get("area"))
            parent = (
                await groups_service.get_active(session, draft["parent"])
                if draft.get("parent")
                else None
            )
            lead = await members_service.get(session, draft["lead"]) if draft["lead"] else None
    except DomainError as error:
        await _refuse_error(update, error)
        return LEAD
    await answer(update)
    text = _draft_summary(
        draft,
        area_name(area),
        parent.display_name(context.language) if parent else None,
        lead.display_name if lead else None,
    )
    await reply(
        update,
        text + "\n\n" + _("Create this group?"),
        kb.markup(
            [[kb.button(_("Create"), F, "cc", "y")], _cancel_row()],
        ),
    )
    return CONFIRM


@requires(Role.COORDINATOR)
async def create_confirm(update: Update, context: Context) -> int:
    draft = _draft(context)
    try:
        async with context.runtime.db.session() as session:
            group = await groups_service.create_group(
                session,
                context.me,
                name=draft.get("name", ""),
                area_id=draft.get("area"),
                parent_id=draft.get("parent"),
                is_open=bool(draft.get("open")),
                lead_id=draft.get("lead"),
            )
            lead = await members_service.get(session, group.lead_id) if group.lead_id else None
    except DomainError as error:
        await _refuse_error(update, error)
        return CONFIRM
    assert context.user_data is not None
    context.user_data.pop(DRAFT, None)
    await answer(update, _("The group was created."))
    if lead is not None and lead.id != context.me.id:
        await _tell_new_lead(context, group, lead)
    await _show_page(update, context, group.id)
    return END


async def create_cancel(update: Update, context: Context) -> int:
    if context.user_data is not None:
        context.user_data.pop(DRAFT, None)
        context.user_data.pop(EDITING, None)
    await answer(update)
    await reply(update, _("Stopped. Nothing was saved."), kb.with_menu([]))
    return END


# --- people and roles -----------------------------------------------------------------


@requires(Role.COORDINATOR)
async def people(update: Update, context: Context) -> None:
    page = _data(update).int_arg(0) or 0
    async with context.runtime.db.session() as session:
        persons, pages = await groups_service.people(session, page)
    await answer(update)
    page = max(0, min(page, pages - 1))
    buttons = [
        kb.button(f"{p.display_name} · {role_name(p.role)}"[:60], F, "pp", p.id) for p in persons
    ]
    rows = [[b] for b in buttons]
    rows.append(kb.pager(F, "ppl", page, pages))
    await reply(update, _("Choose a person to change their role:"), kb.with_menu(rows))


def _person_card(person: Member) -> tuple[str, InlineKeyboardMarkup]:
    role = Role(person.role)
    lines = [f"<b>{esc(person.display_name)}</b>"]
    if person.institution:
        lines.append(esc(person.institution))
    lines.append(_("Role: {role}").format(role=role_name(person.role)))
    rows = []
    for target in groups_service.GRANTABLE_ROLES:
        if role == target:
            rows.append(
                [
                    kb.button(
                        _("Take back: {role}").format(role=role_name(target)),
                        F,
                        "rr",
                        person.id,
                        target.value,
                    )
                ]
            )
        elif not role.at_least(target):
            rows.append(
                [
                    kb.button(
                        _("Make {role}").format(role=role_name(target)),
                        F,
                        "rg",
                        person.id,
                        target.value,
                    )
                ]
            )
    rows.append([kb.button("« " + _("People"), F, "ppl", 0)])
    return "\n".join(lines), kb.with_menu(rows)


@requires(Role.COORDINATOR)
async def person(update: Update, context: Context) -> None:
    try:
        async with context.runtime.db.session() as session:
            found = await members_service.get(session, _data(update).int_arg(0) or 0)
    except DomainError as error:
        await _refuse_error(update, error)
        return
    await answer(update)
    await reply(update, *_person_card(found))


@requires(Role.COORDINATOR)
async def role_change(update: Update, context: Context) -> None:
    data = _data(update)
    person_id, role_value = data.int_arg(0), data.arg(1)
    grant = data.action in ("rg", "rgc")
    if role_value not in groups_service.GRANTABLE_ROLES:
        await refuse(update, _stale())
        return
    if data.action in ("rg", "rr"):
        try:
            async with context.runtime.db.session() as session:
                found = await members_service.get(session, person_id or 0)
        except DomainError as error:
            await _refuse_error(update, error)
            return
        await answer(update)
        question = (
            _("Make {name} a {role}?") if grant else _("Take the role of {role} from {name}?")
        ).format(name=esc(found.display_name), role=role_name(role_value))
        await reply(
            update,
            question,
            kb.yes_no(F, data.action + "c", person_id, role_value, yes=_("Yes"), no=_("No")),
        )
        return
    if data.arg(2) != "y":
        await answer(update)
        await people(update, context)
        return
    try:
        async with context.runtime.db.session() as session:
            change = groups_service.grant_role if grant else groups_service.revoke_role
            changed = await change(session, context.me, person_id, role_value)
    except DomainError as error:
        await _refuse_error(update, error)
        return

    def told() -> str:
        if grant:
            return _(
                "A coordinator made you a {role}. Send /help to see what you can do now."
            ).format(role=role_name(role_value))
        return _("A coordinator took back your role of {role}. You are now a {new}.").format(
            role=role_name(role_value), new=role_name(changed.role)
        )

    await _tell(context, changed, told)
    await refresh_member_commands(context.application, changed)
    await answer(update, _("Done."))
    await reply(update, *_person_card(changed))


# --- linked group chats ---------------------------------------------------------------


async def _chat_admin(context: Context, chat_id: int, user_id: int) -> bool:
    try:
        chat_member = await context.bot.get_chat_member(chat_id, user_id)
    except TelegramError:
        log.info("getChatMember failed for chat %s", chat_id, exc_info=True)
        return False
    return chat_member.status in (ChatMember.ADMINISTRATOR, ChatMember.OWNER)


async def _may_manage_chat(update: Update, context: Context) -> Member | None:
    """A registered lead or coordinator who is also an admin of this chat; else say why."""
    chat, user, member = update.effective_chat, update.effective_user, context.member
    assert chat is not None and user is not None
    if chat.type == chat.PRIVATE:
        await refuse(update, _("Send this command in the group chat you want to link."))
        return None
    if member is None or not member.is_registered:
        await refuse(update, _("First start me in a private chat and sign up, then try again."))
        return None
    if not await _chat_admin(context, chat.id, user.id):
        await refuse(update, _("Only an administrator of this chat can link or unlink it."))
        return None
    return member


async def link_command(update: Update, context: Context) -> None:
    member = await _may_manage_chat(update, context)
    if member is None or update.effective_chat is None:
        return
    async with context.runtime.db.session() as session:
        choices = await groups_service.linkable_groups(session, member)
    if not choices:
        await refuse(update, _("Only a coordinator or a group's lead can link a chat."))
        return
    rows = [[kb.button(g.display_name(context.language), F, "lk", g.id)] for g in choices]
    await update.effective_chat.send_message(
        _("Which working group does this chat belong to?"), reply_markup=kb.markup(rows)
    )


async def link_chosen(update: Update, context: Context) -> None:
    member = await _may_manage_chat(update, context)
    if member is None or update.effective_chat is None:
        return
    try:
        async with context.runtime.db.session() as session:
            group = await groups_service.link_chat(
                session, member, _data(update).int_arg(0), update.effective_chat.id
            )
    except DomainError as error:
        await _refuse_error(update, error)
        return
    await answer(update)
    await reply(update, "✅ " + _("Linked."))

    def announcement() -> str:
        return _(
            "This chat is now linked with {group}: its invitations, reminders and new "
            "contributions will also appear here."
        ).format(group=esc(group.display_name(current_language())))

    await notify.post_to_group_chat(
        context.bot,
        group,
        lambda: (announcement(), None),
        context.runtime.settings.bot_default_language,
    )


async def unlink_command(update: Update, context: Context) -> None:
    member = await _may_manage_chat(update, context)
    if member is None or update.effective_chat is None:
        return
    try:
        async with context.runtime.db.session() as session:
            group = await groups_service.unlink_chat(session, update.effective_chat.id, member)
    except DomainError as error:
        await _refuse_error(update, error)
        return
    text = (
        _("This chat is no longer linked with {group}.").format(
            group=esc(group.display_name(context.language))
        )
        if group
        else _("This chat is not linked with any group.")
    )
    await update.effective_chat.send_message(text)


async def bot_left_chat(update: Update, context: Context) -> None:
    """The bot was removed from a group chat: that chat serves no group any more."""
    change: ChatMemberUpdated | None = update.my_chat_member
    if change is None or change.chat.type == change.chat.PRIVATE:
        return
    if change.new_chat_member.status not in (ChatMember.LEFT, ChatMember.BANNED):
        return
    async with context.runtime.db.session() as session:
        group = await groups_service.unlink_chat(session, change.chat.id)
    if group is not None:
        log.info("removed from chat %s: unlinked group %s", change.chat.id, group.id)


def register(application: Application) -> None:  # type: ignore[type-arg]
    text = filters.TEXT & ~filters.COMMAND
    other = ~filters.TEXT & ~filters.COMMAND & ~filters.StatusUpdate.ALL
    conversation = ConversationHandler(
        entry_points=[
            CallbackQueryHandler(create_start, pattern=rf"^{F}:new$"),
            CallbackQueryHandler(edit_text_start, pattern=rf"^{F}:(ren|pur):\d+$"),
        ],
        states={
            NAME: [MessageHandler(text, create_name), MessageHandler(other, not_text)],
            AREA: [CallbackQueryHandler(create_area, pattern=rf"^{F}:ca:\d+$")],
            PARENT: [CallbackQueryHandler(create_parent, pattern=rf"^{F}:cp:\d+$")],
            OPEN: [CallbackQueryHandler(create_open, pattern=rf"^{F}:co:[01]$")],
            LEAD: [
                CallbackQueryHandler(create_lead, pattern=rf"^{F}:cl:\d+$"),
                CallbackQueryHandler(create_lead_page, pattern=rf"^{F}:clp:\d+$"),
            ],
            CONFIRM: [CallbackQueryHandler(create_confirm, pattern=rf"^{F}:cc:y$")],
            EDIT_TEXT: [MessageHandler(text, edit_text_received), MessageHandler(other, not_text)],
        },
        fallbacks=[
            CommandHandler("cancel", create_cancel),
            CallbackQueryHandler(create_cancel, pattern=rf"^{F}:cx$"),
            MessageHandler(text | other, press_a_button),
        ],
        name="groups",
        persistent=True,
        allow_reentry=True,
    )
    application.add_handler(conversation)
    application.add_handler(CommandHandler("groups", private_only(list_groups)))
    application.add_handler(CommandHandler("link", link_command))
    application.add_handler(CommandHandler("unlink", unlink_command))
    application.add_handler(ChatMemberHandler(bot_left_chat, ChatMemberHandler.MY_CHAT_MEMBER))
    patterns = {
        list_groups: rf"^{F}(:(ls|my)(:\d+)?)?$",
        group_page: rf"^{F}:p:\d+:\d+$",
        join: rf"^{F}:j:\d+$",
        leave: rf"^{F}:l:\d+$",
        requests: rf"^{F}:rq:\d+$",
        decide: rf"^{F}:(ok|no):\d+:\d+$",
        edit_menu: rf"^{F}:ed:\d+$",
        edit_choice: rf"^{F}:(ea:\d+|eas:\d+:\d+|eo:\d+)$",
        lead_picker: rf"^{F}:ld:\d+:\d+$",
        lead_confirm: rf"^{F}:(lds:\d+:\d+|ldc:\d+:\d+:[yn])$",
        archive: rf"^{F}:(ar:\d+|arc:\d+:[yn])$",
        people: rf"^{F}:ppl:\d+$",
        person: rf"^{F}:pp:\d+$",
        role_change: rf"^{F}:(rg|rr|rgc|rrc):\d+:\w+(:[yn])?$",
        link_chosen: rf"^{F}:lk:\d+$",
    }
    for callback, pattern in patterns.items():
        application.add_handler(CallbackQueryHandler(callback, pattern=pattern))
