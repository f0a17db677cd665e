"""/volunteers: coordinators filter the volunteers by area, street, availability and a
word of their skills, list them and open one's profile."""

from __future__ import annotations

from typing import Any

from telegram import Update

from bot.i18n import current_language, ngettext
from bot.i18n import gettext as _
from bot.services import groups as groups_service
from bot.services import volunteers as service
from bot.services.errors import DomainError
from handlers import keyboards as kb
from handlers.common import END, Context, answer, domain_message, esc, pressed, reply, requires
from handlers.opportunities import routes as opportunities
from handlers.volunteers import routes as r
from handlers.volunteers.shared import area_names, availability_name, card
from models import AVAILABILITY, Role

PAGE = 10
# A filter's key in service.Filter, by the action of its button.
_FILTER_KEYS = {"fa": "area", "fs": "street", "fv": "availability", "fk": "skill"}


def _filter(context: Context) -> service.Filter:
    assert context.user_data is not None
    return service.Filter(**(context.user_data.get(r.FILTER_KEY) or {}))


def _set_filter(context: Context, **changes: Any) -> None:
    assert context.user_data is not None
    current = dict(context.user_data.get(r.FILTER_KEY) or {})
    current.update(changes)
    context.user_data[r.FILTER_KEY] = {k: v for k, v in current.items() if v}


def _to_filters() -> kb.InlineKeyboardMarkup:
    """Back to the filter screen (and the menu)."""
    return kb.with_menu([[r.FILTERS.button(_("Filters"))]])


@requires(Role.COORDINATOR)
async def browse(update: Update, context: Context) -> int:
    """The filter screen: each filter a button, and how many match."""
    await answer(update)
    wanted = _filter(context)
    names = await area_names(context)
    async with context.runtime.db.session() as session:
        found = await service.search(session, wanted)
    # One label per filter when nothing is chosen: "any" agrees with the noun in Polish
    # ("Ulica: dowolna", "Obszar: dowolny").
    street = (_("other") if wanted.street == "-" else wanted.street) if wanted.street else None
    area = names.get(wanted.area) if wanted.area else None
    when = availability_name(wanted.availability) if wanted.availability else None
    skill = wanted.skill[:30] if wanted.skill else None
    show = ngettext("Show {n} volunteer", "Show {n} volunteers", len(found)).format(n=len(found))
    rows = [
        [r.FILTER_AREA.button(_("Area: {v}").format(v=area) if area else _("Area: any"))],
        [r.FILTER_STREET.button(_("Street: {v}").format(v=street) if street else _("Street: any"))],
        [r.FILTER_TIME.button(_("Available: {v}").format(v=when) if when else _("Available: any"))],
        [r.FILTER_SKILL.button(_("Skill: {v}").format(v=skill) if skill else _("Skill: any"))],
        [r.LIST.button(show, 0)],
        [r.CLEAR.button(_("Clear the filters"))],
        [opportunities.LIST.button(_("Opportunities to help"))],
    ]
    await reply(
        update,
        "<b>" + _("Volunteers") + "</b>\n" + _("Choose filters, then Show."),
        kb.with_menu(rows),
    )
    return END


@requires(Role.COORDINATOR)
async def filter_menu(update: Update, context: Context) -> None:
    data = await pressed(update)
    which = data.action
    any_label = {"fa": _("Any area"), "fs": _("Any street"), "fv": _("Any time")}
    anything = r.FILTER_SET.button(any_label.get(which, _("Any skill")), which, "x")
    if which == "fa":
        async with context.runtime.db.session() as session:
            areas = await groups_service.areas(session)
        buttons = [
            r.FILTER_SET.button(a.names.get(current_language()) or a.slug, "fa", a.id)
            for a in areas
        ]
    elif which == "fs":
        streets = context.runtime.profile.streets
        buttons = [r.FILTER_SET.button(s, "fs", i) for i, s in enumerate(streets)]
        buttons.append(r.FILTER_SET.button(_("Other street"), "fs", "-"))
    else:
        buttons = [
            r.FILTER_SET.button(availability_name(code), "fv", code) for code in AVAILABILITY
        ]
    await reply(update, _("Choose:"), kb.with_menu([[anything], *kb.grid(buttons, 2)]))


@requires(Role.COORDINATOR)
async def filter_set(update: Update, context: Context) -> int:
    data = kb.parse(update.callback_query.data if update.callback_query else None)
    which, value = data.arg(0), data.arg(1)
    if value == "x":
        key = _FILTER_KEYS.get(which)
        if key:
            _set_filter(context, **{key: None})
    elif which == "fa":
        async with context.runtime.db.session() as session:
            areas = {a.id: a.slug for a in await groups_service.areas(session)}
        _set_filter(context, area=areas.get(data.int_arg(1) or 0))
    elif which == "fs":
        streets = context.runtime.profile.streets
        index = data.int_arg(1)
        if value == "-":
            _set_filter(context, street="-")
        elif index is not None and 0 <= index < len(streets):
            _set_filter(context, street=streets[index])
    elif which == "fv" and value in AVAILABILITY:
        _set_filter(context, availability=value)
    return await browse(update, context)


@requires(Role.COORDINATOR)
async def clear_filters(update: Update, context: Context) -> int:
    assert context.user_data is not None
    context.user_data.pop(r.FILTER_KEY, None)
    return await browse(update, context)


@requires(Role.COORDINATOR)
async def ask_skill_word(update: Update, context: Context) -> int:
    await answer(update)
    question = _("Send a word to look for in the skills (for example: cooking), or /cancel.")
    await reply(update, question, kb.markup([[r.SKILL_ANY.button(_("Any skill"), "fk", "x")]]))
    return r.SKILL_WORD


async def skill_word_typed(update: Update, context: Context) -> int:
    assert update.effective_message is not None and update.effective_chat is not None
    word = " ".join((update.effective_message.text or "").split())[:40]
    _set_filter(context, skill=word or None)
    return await browse(update, context)


async def skill_word_cleared(update: Update, context: Context) -> int:
    _set_filter(context, skill=None)
    return await browse(update, context)


@requires(Role.COORDINATOR)
async def listing(update: Update, context: Context) -> None:
    data = await pressed(update)
    async with context.runtime.db.session() as session:
        found = await service.search(session, _filter(context))
    if not found:
        await reply(update, _("No volunteer matches these filters."), _to_filters())
        return
    pages = (len(found) + PAGE - 1) // PAGE
    page = min(max(data.int_arg(0) or 0, 0), pages - 1)
    chunk = found[page * PAGE : (page + 1) * PAGE]
    lines = [ngettext("{n} volunteer:", "{n} volunteers:", len(found)).format(n=len(found))]
    rows = []
    for volunteer, _member in chunk:
        street = volunteer.street or _("other")
        lines.append(
            f"• {esc(volunteer.name)} — {esc(street)}"
            + (f": {esc(volunteer.skills[:60])}" if volunteer.skills else "")
        )
        rows.append([r.PROFILE.button(volunteer.name[:40], volunteer.id, page)])
    rows.append(kb.pager(r.B, "ls", page, pages))
    rows.append([r.FILTERS.button(_("Filters"))])
    await reply(update, "\n".join(lines), kb.with_menu(rows))


@requires(Role.COORDINATOR)
async def profile(update: Update, context: Context) -> None:
    data = await pressed(update)
    try:
        async with context.db.session() as session:
            volunteer, member = await service.with_member(session, data.int_arg(0))
    except DomainError as error:
        await reply(update, esc(domain_message(error)), _to_filters())
        return
    text = card(service.Draft.from_volunteer(volunteer), await area_names(context))
    link = f'<a href="tg://user?id={member.telegram_id}">{esc(volunteer.name)}</a>'
    text += "\n\n" + _("Write to {name}").format(name=link)
    if not member.reachable:
        text += "\n" + _("This person has blocked the bot; call them if you can.")
    rows = [[r.LIST.button(_("« Back to the list"), data.int_arg(1) or 0)]]
    await reply(update, text, kb.with_menu(rows))


# The buttons this module answers (registered by the package's register()).
BUTTONS: kb.Buttons = {
    r.FILTERS: browse,
    r.FILTER_AREA: filter_menu,
    r.FILTER_STREET: filter_menu,
    r.FILTER_TIME: filter_menu,
    r.FILTER_SET: filter_set,
    r.CLEAR: clear_filters,
    r.LIST: listing,
    r.PROFILE: profile,
}
