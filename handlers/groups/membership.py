"""Joining and leaving, join requests and their decisions, and removing a member."""

from __future__ import annotations

from telegram import InlineKeyboardMarkup, Update

from bot import notify, reminders
from bot.i18n import N_, current_language
from bot.i18n import gettext as _
from bot.services import groups as groups_service
from bot.services import members as members_service
from bot.services.groups import JoinOutcome
from bot.services.permissions import Action
from handlers import keyboards as kb
from handlers.common import Context, answer, esc, reply, requires
from handlers.groups import routes as r
from handlers.groups.pages import (
    back_rows,
    group_if,
    page_screen,
    person_line,
    person_rows,
    tell,
)
from models import Group, Member, MembershipStatus


def _request_card(group: Group, me: Member) -> tuple[str, InlineKeyboardMarkup]:
    """What the lead (or a coordinator) gets when someone asks to join."""
    text = _("{name} asks to join {group}.").format(
        name=esc(me.display_name), group=esc(group.display_name(current_language()))
    )
    if me.institution:
        text += "\n" + _("Institution: {institution}").format(institution=esc(me.institution))
    return text, kb.markup([_decision_buttons(group, me, _("Approve"), _("Decline"))])


def _decision_buttons(
    group: Group, person: Member, yes: str, no: str
) -> list[kb.InlineKeyboardButton]:
    return [r.APPROVE.button(yes, group.id, person.id), r.DECLINE.button(no, group.id, person.id)]


@requires()
async def join(update: Update, context: Context) -> None:
    (group_id,) = r.args(update, r.JOIN)
    me = context.me
    async with context.db.session() as session:
        outcome: JoinOutcome = await groups_service.ask_to_join(session, group_id, me)
        # The page as it now is, read in the same transaction (the group is loaded already).
        text, keyboard = await page_screen(
            session, group_id, me, 0, reminders.clock(context.application)
        )
    group = outcome.group
    if outcome.membership.status == MembershipStatus.MEMBER:
        await answer(
            update, _("You joined {group}.").format(group=group.display_name(context.language))
        )
    else:
        await answer(update, _("Your request was sent to the group's lead."))
        await notify.notify_members(
            context.bot, context.db, outcome.tell, lambda: _request_card(group, me)
        )
    await reply(update, text, keyboard)


@requires()
async def leave(update: Update, context: Context) -> None:
    (group_id,) = r.args(update, r.LEAVE)
    me = context.me
    async with context.db.session() as session:
        group = await groups_service.leave(session, group_id, me)
        text, keyboard = await page_screen(
            session, group_id, me, 0, reminders.clock(context.application)
        )
    await answer(update, _("You left {group}.").format(group=group.display_name(context.language)))
    await reply(update, text, keyboard)


async def decidable(context: Context, group_id: int | None) -> Group:
    """The group, if the presser may decide its requests and manage its members."""
    refusal = N_("Only the group's lead or a coordinator can see this.")
    return await group_if(context, group_id, Action.DECIDE_JOIN_REQUEST, refusal)


def _title(text: str, group: Group) -> str:
    return "<b>" + text.format(group=esc(group.display_name(current_language()))) + "</b>"


@requires()
async def requests(update: Update, context: Context) -> None:
    (group_id,) = r.args(update, r.REQUESTS)
    group = await decidable(context, group_id)
    async with context.db.session() as session:
        waiting = await groups_service.pending_requests(session, group)
    await answer(update)
    lines = [_title(_("Join requests: {group}"), group)]
    lines += [person_line(person) for person in waiting]
    rows = [
        _decision_buttons(group, p, "✅ " + (p.display_name or "")[:30], "✖ " + _("Decline"))
        for p in waiting
    ]
    if not waiting:
        lines.append(_("No requests are waiting."))
    await reply(update, "\n".join(lines), kb.with_menu(rows + back_rows(group.id)))


@requires()
async def decide(update: Update, context: Context) -> None:
    pressed, (group_id, person_id) = r.pressed(update, r.APPROVE, r.DECLINE)
    approve = pressed == r.APPROVE
    async with context.db.session() as session:
        group, requester = await groups_service.decide_request(
            session, group_id, person_id, context.me, approve
        )

    def told() -> str:
        name = esc(group.display_name(current_language()))
        if approve:
            return _("Good news: you are now a member of {group}.").format(group=name)
        return _("Your request to join {group} was declined.").format(group=name)

    await tell(context, requester, told)
    await answer(update)
    name = esc(requester.display_name)
    text = (
        _("{name} is now a member.").format(name=name)
        if approve
        else _("{name}'s request was declined.").format(name=name)
    )
    await reply(update, text, kb.with_menu(back_rows(group.id)))


# --- managing members: the list (searchable), removing with a confirmation ----------


async def members_screen(
    update: Update, context: Context, group_id: int | None, page: int, search: str | None
) -> None:
    group = await decidable(context, group_id)
    async with context.db.session() as session:
        people, pages = await groups_service.members_page(session, group, page, search)
    page = max(0, min(page, pages - 1))
    lines = [_title(_("Members of {group}"), group)]
    if search:
        lines.append(_("Names with “{letters}”:").format(letters=esc(search)))
    if people:
        lines.append(_("Choose a person to remove them from the group."))
    elif search:
        lines.append(_("Nobody with these letters in their name is in the group."))
    listed = [p for p in people if p.id != group.lead_id]
    rows = person_rows(listed, r.REMOVE, group.id, prefix="✖ ")
    rows.append(r.pager(r.MEMBERS_FOUND if search else r.MEMBERS, page, pages, group.id))
    rows.append([r.MEMBERS_SEARCH.button("🔎 " + _("Search"), group.id)])
    await answer(update)
    await reply(update, "\n".join(lines), kb.with_menu(rows + back_rows(group.id)))


@requires()
async def members(update: Update, context: Context) -> None:
    pressed, (group_id, page) = r.pressed(update, r.MEMBERS, r.MEMBERS_FOUND)
    search = None
    if pressed == r.MEMBERS_FOUND and context.user_data is not None:
        found = context.user_data.get(r.SEARCHING) or {}
        search = found.get("text") if found.get("group") == group_id else None
    await members_screen(update, context, group_id, page, search)


@requires()
async def remove(update: Update, context: Context) -> None:
    """Ask first; the confirmation checks everything again."""
    group_id, person_id = r.args(update, r.REMOVE)
    group = await decidable(context, group_id)
    async with context.db.session() as session:
        person = await members_service.get(session, person_id)
    await answer(update)
    question = _("Remove {name} from {group}? They will be told.").format(
        name=esc(person.display_name), group=esc(group.display_name(context.language))
    )
    keyboard = kb.confirmation(
        r.REMOVE_CONFIRM, group_id, person_id, yes=_("Yes, remove"), no=_("No")
    )
    await reply(update, question, keyboard)


@requires()
async def remove_confirm(update: Update, context: Context) -> None:
    group_id, person_id, choice = r.args(update, r.REMOVE_CONFIRM)
    if choice != "y":
        await answer(update)
        await members_screen(update, context, group_id, 0, None)
        return
    async with context.db.session() as session:
        group, person = await groups_service.remove_member(session, context.me, group_id, person_id)

    def told() -> str:
        return _(
            "You are no longer a member of {group}: its lead or a coordinator removed you."
        ).format(group=esc(group.display_name(current_language())))

    await tell(context, person, told)
    await answer(update, _("{name} was removed from the group.").format(name=person.display_name))
    await members_screen(update, context, group_id, 0, None)
