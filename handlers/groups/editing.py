"""Editing a group (name, purpose, area, openness, parent team), its lead, archiving it."""

from __future__ import annotations

from telegram import InlineKeyboardMarkup, Update

from bot.i18n import N_, current_language
from bot.i18n import gettext as _
from bot.services import groups as groups_service
from bot.services import members as members_service
from bot.services.errors import DomainError
from bot.services.permissions import Action, can
from handlers import keyboards as kb
from handlers.commands import refresh_member_commands
from handlers.common import END, Context, answer, domain_message, esc, in_session, reply, requires
from handlers.groups import routes as r
from handlers.groups.pages import (
    area_name,
    back_rows,
    back_to_page,
    group_if,
    person_rows,
    show_page,
    tell,
)
from models import Group, GroupKind, Member, Role


def edit_screen(group: Group, viewer: Member | None = None) -> tuple[str, InlineKeyboardMarkup]:
    rows = []
    if group.kind == GroupKind.SMALL:
        rows.append([r.RENAME.button(_("Rename"), group.id)])
    rows.append([r.PURPOSE.button(_("Describe the purpose"), group.id)])
    rows.append([r.EDIT_AREA.button(_("Problem area"), group.id)])
    toggle = _("Close to newcomers") if group.is_open else _("Open to everyone")
    rows.append([r.EDIT_OPEN.button(toggle, group.id)])
    if group.kind == GroupKind.SMALL and can(viewer, Action.MANAGE_ROLES):
        rows.append([r.EDIT_PARENT.button(_("Parent team"), group.id)])
    text = _("What would you like to change in {group}?").format(
        group=esc(group.display_name(current_language()))
    )
    return text, kb.with_menu(rows + back_rows(group.id))


async def _editable(context: Context, group_id: int | None) -> Group:
    refusal = N_("Only the group's lead or a coordinator can change it.")
    return await group_if(context, group_id, Action.EDIT_GROUP, refusal)


@requires()
async def edit_menu(update: Update, context: Context) -> None:
    (group_id,) = r.args(update, r.EDIT)
    group = await _editable(context, group_id)
    await answer(update)
    await reply(update, *edit_screen(group, context.me))


async def _saved(update: Update, context: Context, group: Group) -> None:
    await answer(update, _("Saved."))
    await reply(update, *edit_screen(group, context.me))


@requires()
async def area_picker(update: Update, context: Context) -> None:
    (group_id,) = r.args(update, r.EDIT_AREA)
    await _editable(context, group_id)
    async with context.db.session() as session:
        all_areas = await groups_service.areas(session)
    rows = [[r.EDIT_AREA_SET.button(area_name(a), group_id, a.id)] for a in all_areas]
    await answer(update)
    await reply(update, _("Which problem area?"), kb.with_menu(rows + back_rows(group_id)))


@requires()
async def edit_choice(update: Update, context: Context) -> None:
    """Toggle open/closed, or set the problem area chosen in the picker."""
    pressed, values = r.pressed(update, r.EDIT_OPEN, r.EDIT_AREA_SET)
    group_id = values[0]
    async with context.db.session() as session:
        if pressed == r.EDIT_OPEN:
            current = await groups_service.get_active(session, group_id)
            group = await groups_service.update_group(
                session, context.me, group_id, is_open=not current.is_open
            )
        else:
            group = await groups_service.update_group(
                session, context.me, group_id, area_id=values[1]
            )
    await _saved(update, context, group)


@requires(Role.COORDINATOR)
async def parent_picker(update: Update, context: Context) -> None:
    (group_id,) = r.args(update, r.EDIT_PARENT)
    async with context.db.session() as session:
        group = await groups_service.get_active(session, group_id)
        teams = await groups_service.teams(session)
    rows = [
        [
            r.EDIT_PARENT_SET.button(
                ("✅ " if t.id == group.parent_id else "") + t.display_name(context.language),
                group_id,
                t.id,
            )
        ]
        for t in teams
    ]
    rows.append([r.EDIT_PARENT_SET.button(_("No parent team"), group_id, 0)])
    await answer(update)
    question = _("Which team does {group} belong to?").format(
        group=esc(group.display_name(context.language))
    )
    await reply(update, question, kb.with_menu(rows + back_rows(group_id)))


@requires(Role.COORDINATOR)
async def parent_set(update: Update, context: Context) -> None:
    group_id, parent_id = r.args(update, r.EDIT_PARENT_SET)
    async with context.db.session() as session:
        group = await groups_service.set_parent(session, context.me, group_id, parent_id)
    await _saved(update, context, group)


@requires()
async def edit_text_start(update: Update, context: Context) -> int:
    pressed, (group_id,) = r.pressed(update, r.RENAME, r.PURPOSE)
    group = await _editable(context, group_id)
    assert context.user_data is not None
    field = "name" if pressed == r.RENAME else "purpose"
    context.user_data[r.EDITING] = {"id": group.id, "field": field}
    await answer(update)
    prompt = (
        _("Send the new name of the group.")
        if field == "name"
        else _("Send a short description of what the group works on.")
    )
    await reply(update, prompt + "\n" + _("Or /cancel."), None)
    return r.EDIT_TEXT


async def edit_text_received(update: Update, context: Context) -> int:
    assert context.user_data is not None and update.effective_message is not None
    editing = context.user_data.get(r.EDITING) or {}
    member = context.member
    if member is None:
        return END
    value = update.effective_message.text or ""
    renaming = editing.get("field") == "name"
    try:
        async with context.db.session() as session:
            group = await groups_service.update_group(
                session,
                member,
                editing.get("id"),
                name=value if renaming else None,
                purpose=None if renaming else value,
            )
    except DomainError as error:  # the question stands: the answer can be typed again
        await update.effective_message.reply_text(domain_message(error))
        return r.EDIT_TEXT
    context.user_data.pop(r.EDITING, None)
    text, keyboard = edit_screen(group, member)
    await update.effective_message.reply_text(_("Saved.") + "\n\n" + text, reply_markup=keyboard)
    return END


# --- the lead -------------------------------------------------------------------------


@requires(Role.COORDINATOR)
async def lead_picker(update: Update, context: Context) -> None:
    group_id, page = r.args(update, r.LEAD_PICK)
    async with context.db.session() as session:
        group = await groups_service.get_active(session, group_id)
        people, pages = await groups_service.lead_candidates(session, page, group)
    await answer(update)
    page = max(0, min(page, pages - 1))
    rows = person_rows(people, r.LEAD_CHOSEN, group_id)
    rows.append(r.pager(r.LEAD_PICK, page, pages, group_id))
    name = esc(group.display_name(context.language))
    text = _("Who should lead {group}? Choose one of its members.").format(group=name)
    if not people:
        text = _("{group} has no members yet. Someone has to join it first.").format(group=name)
    await reply(update, text, kb.with_menu(rows + back_rows(group_id)))


@requires(Role.COORDINATOR)
async def lead_chosen(update: Update, context: Context) -> None:
    group_id, person_id = r.args(update, r.LEAD_CHOSEN)
    async with context.db.session() as session:
        group = await groups_service.get_active(session, group_id)
        person = await members_service.get(session, person_id)
    await answer(update)
    await reply(
        update,
        _("Make {name} the lead of {group}?").format(
            name=esc(person.display_name), group=esc(group.display_name(context.language))
        ),
        kb.confirmation(
            r.LEAD_CONFIRM, group_id, person_id, yes=_("Yes, make them lead"), no=_("No")
        ),
    )


@requires(Role.COORDINATOR)
async def lead_confirm(update: Update, context: Context) -> None:
    group_id, person_id, choice = r.args(update, r.LEAD_CONFIRM)
    if choice != "y":
        await back_to_page(update, context, group_id)
        return
    async with context.db.session() as session:
        group, lead = await groups_service.set_lead(session, context.me, group_id, person_id)
    await tell_new_lead(context, group, lead)
    await answer(update, _("{name} now leads the group.").format(name=lead.display_name))
    await show_page(update, context, group_id)


async def tell_new_lead(context: Context, group: Group, lead: Member) -> None:
    def text() -> str:
        return _(
            "A coordinator made you the lead of {group}. You can now decide join requests, "
            "edit the group and link its group chat."
        ).format(group=esc(group.display_name(current_language())))

    await tell(context, lead, text)
    await refresh_member_commands(context.application, lead)


# --- archiving ------------------------------------------------------------------------


@requires(Role.COORDINATOR)
async def archive(update: Update, context: Context) -> None:
    (group_id,) = r.args(update, r.ARCHIVE)
    group = await in_session(context, groups_service.get_active, group_id)
    await answer(update)
    await reply(
        update,
        _(
            "Archive {group}? It disappears from the lists; its members, meetings and "
            "contributions stay in the records."
        ).format(group=esc(group.display_name(context.language))),
        kb.confirmation(
            r.ARCHIVE_CONFIRM, group_id, yes=_("Yes, archive"), no=_("No, keep the group")
        ),
    )


@requires(Role.COORDINATOR)
async def archive_confirm(update: Update, context: Context) -> None:
    group_id, choice = r.args(update, r.ARCHIVE_CONFIRM)
    if choice != "y":
        await back_to_page(update, context, group_id)
        return
    group = await in_session(context, groups_service.archive_group, context.me, group_id)
    await answer(update)
    await reply(
        update,
        _("{group} was archived.").format(group=esc(group.display_name(context.language))),
        kb.with_menu(back_rows()),
    )
