"""Creating a small group: a persistent conversation (name, area, parent, openness, lead)."""

from __future__ import annotations

from typing import Any

from telegram import InlineKeyboardButton, Update

from bot.i18n import gettext as _
from bot.services import groups as groups_service
from bot.services import members as members_service
from bot.services.errors import DomainError
from handlers import keyboards as kb
from handlers.common import END, Context, answer, domain_message, esc, reply, requires
from handlers.groups import routes as r
from handlers.groups.editing import tell_new_lead
from handlers.groups.pages import area_name, person_rows, show_page
from models import Role


def _draft(context: Context) -> dict[str, Any]:
    assert context.user_data is not None
    return context.user_data.setdefault(r.DRAFT, {})  # type: ignore[no-any-return]


def _cancel_row() -> list[InlineKeyboardButton]:
    return [r.CANCEL.button(_("Cancel"))]


async def _ask(update: Update, question: str, *rows: list[InlineKeyboardButton]) -> None:
    """A step of creating a group: the question in place of the pressed message, its rows of
    buttons, and Cancel."""
    await reply(update, question, kb.markup([*rows, _cancel_row()]))


@requires(Role.COORDINATOR)
async def create_start(update: Update, context: Context) -> int:
    await answer(update)
    assert context.user_data is not None
    context.user_data[r.DRAFT] = {}
    question = _("New small group. What is its name? Name the concrete problem it works on.")
    await _ask(update, question + "\n" + _("Or /cancel."))
    return r.NAME


async def create_name(update: Update, context: Context) -> int:
    assert update.effective_message is not None
    try:
        name = groups_service.clean_group_name(update.effective_message.text)
    except DomainError as error:  # the question stands: the name can be typed again
        await update.effective_message.reply_text(domain_message(error))
        return r.NAME
    _draft(context)["name"] = name
    async with context.db.session() as session:
        all_areas = await groups_service.areas(session)
    rows = [[r.CREATE_AREA.button(area_name(a), a.id)] for a in all_areas]
    await update.effective_message.reply_text(
        _("Which problem area does {name} work on?").format(name=esc(name)),
        reply_markup=kb.markup([*rows, _cancel_row()]),
    )
    return r.AREA


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
    (area_id,) = r.args(update, r.CREATE_AREA)
    async with context.db.session() as session:
        await groups_service.get_area(session, area_id)
        parents = await groups_service.teams(session)
    _draft(context)["area"] = area_id
    await answer(update)
    rows = [[r.CREATE_PARENT.button(t.display_name(context.language), t.id)] for t in parents]
    rows.append([r.CREATE_PARENT.button(_("No parent team"), 0)])
    await _ask(update, _("Does it belong to one of the teams?"), *rows)
    return r.PARENT


@requires(Role.COORDINATOR)
async def create_parent(update: Update, context: Context) -> int:
    (parent_id,) = r.args(update, r.CREATE_PARENT)
    _draft(context)["parent"] = parent_id or None
    await answer(update)
    await _ask(
        update,
        _("May residents join it freely, or does the lead approve each request?"),
        [r.CREATE_OPEN.button(_("Open to everyone"), "1")],
        [r.CREATE_OPEN.button(_("Lead approves joining"), "0")],
    )
    return r.OPEN


async def _lead_step(update: Update, context: Context, page: int) -> int:
    async with context.db.session() as session:
        people, pages = await groups_service.lead_candidates(session, page)
    page = max(0, min(page, pages - 1))
    rows = [
        *person_rows(people, r.CREATE_LEAD),
        r.pager(r.CREATE_LEAD_PAGE, page, pages),
        [r.CREATE_LEAD.button(_("No lead for now"), 0)],
    ]
    await _ask(update, _("Who leads it? Choose one of the team's leaders."), *rows)
    return r.LEAD


@requires(Role.COORDINATOR)
async def create_open(update: Update, context: Context) -> int:
    (choice,) = r.args(update, r.CREATE_OPEN)
    _draft(context)["open"] = choice == "1"
    await answer(update)
    return await _lead_step(update, context, 0)


@requires(Role.COORDINATOR)
async def create_lead_page(update: Update, context: Context) -> int:
    (page,) = r.args(update, r.CREATE_LEAD_PAGE)
    await answer(update)
    return await _lead_step(update, context, page)


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
    (lead_id,) = r.args(update, r.CREATE_LEAD)
    draft = _draft(context)
    draft["lead"] = lead_id or None
    async with context.db.session() as session:
        area = await groups_service.get_area(session, draft.get("area"))
        parent_id = draft.get("parent")
        parent = await groups_service.get_active(session, parent_id) if parent_id else None
        lead = await members_service.get(session, draft["lead"]) if draft["lead"] else None
    await answer(update)
    text = _draft_summary(
        draft,
        area_name(area),
        parent.display_name(context.language) if parent else None,
        lead.display_name if lead else None,
    )
    create = [r.CREATE_CONFIRM.button(_("Create"), "y")]
    await _ask(update, text + "\n\n" + _("Create this group?"), create)
    return r.CONFIRM


@requires(Role.COORDINATOR)
async def create_confirm(update: Update, context: Context) -> int:
    draft = _draft(context)
    async with context.db.session() as session:
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
    assert context.user_data is not None
    context.user_data.pop(r.DRAFT, None)
    await answer(update, _("The group was created."))
    if lead is not None and lead.id != context.me.id:
        await tell_new_lead(context, group, lead)
    await show_page(update, context, group.id)
    return END


async def create_cancel(update: Update, context: Context) -> int:
    """/cancel or the Cancel button, in any step of the feature's conversation."""
    if context.user_data is not None:
        for key in (r.DRAFT, r.EDITING, r.SEARCHING):
            context.user_data.pop(key, None)
    await answer(update)
    await reply(update, _("Stopped. Nothing was saved."), kb.with_menu([]))
    return END
