"""A new broadcast, its first step: who gets it. Coordinators choose any audience; a
lead chooses one of the groups they lead."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from telegram import Update

from bot import reminders
from bot.i18n import N_, current_language, format_datetime
from bot.i18n import gettext as _
from bot.services import broadcasts as service
from bot.services import groups as groups_service
from bot.services import meetings as meetings_service
from bot.services import members as members_service
from bot.services.errors import InvalidInput
from handlers import keyboards as kb
from handlers.broadcasts import routes as r
from handlers.common import END, Context, answer, clip_label, reply, requires
from models import Role

MEETINGS_LOOKBACK = timedelta(days=30)
MEETINGS_LISTED = 15
# The audiences a button names with no more than its choice.
_PLAIN_AUDIENCES = {"all": "everyone", "ldr": "leaders", "vol": "volunteers"}
NOT_AVAILABLE = N_("This choice is not available.")


@requires(Role.LEAD)
async def new(update: Update, context: Context) -> int:
    await answer(update)
    if context.me.role == Role.COORDINATOR:
        rows = [
            [r.AUDIENCE.button(_("Everyone"), "all")],
            [r.AUDIENCE.button(_("All leaders"), "ldr")],
            [r.PICK_GROUP.button(_("A group"))],
            [r.PICK_MEETING.button(_("A meeting's attendees"))],
            [r.AUDIENCE.button(_("All volunteers"), "vol")],
            [r.PICK_AREA.button(_("Volunteers by interest"))],
            [r.PICK_STREET.button(_("Volunteers by street"))],
        ]
        await reply(update, _("Who should get the message?"), kb.with_menu(rows))
        return END
    await choose_group(update, context)
    return END


@requires(Role.LEAD)
async def choose_group(update: Update, context: Context) -> None:
    await answer(update)
    member = context.me
    async with context.runtime.db.session() as session:
        if member.role == Role.COORDINATOR:
            groups = await groups_service.active_groups(session)
        else:
            groups = await members_service.led_groups(session, member)
    rows = [
        [r.AUDIENCE_GROUP.button(g.display_name(current_language()), "grp", g.id)] for g in groups
    ]
    text = _("Which group?") if rows else _("You don't lead any group.")
    await reply(update, text, kb.with_menu(rows))


@requires(Role.COORDINATOR)
async def choose_meeting(update: Update, context: Context) -> None:
    """Meetings of the last month and the coming ones, newest first."""
    await answer(update)
    since = reminders.clock(context.application) - MEETINGS_LOOKBACK
    async with context.runtime.db.session() as session:
        meetings = await meetings_service.scheduled_after(session, since)
    meetings.sort(key=lambda m: m.starts_at, reverse=True)
    rows = [
        [
            r.AUDIENCE_MEETING.button(
                f"{format_datetime(m.starts_at, 'short')} · {clip_label(m.topic, 40)}", "mtg", m.id
            )
        ]
        for m in meetings[:MEETINGS_LISTED]
    ]
    text = _("The attendees of which meeting?") if rows else _("There are no meetings to choose.")
    await reply(update, text, kb.with_menu(rows))


@requires(Role.COORDINATOR)
async def choose_area(update: Update, context: Context) -> None:
    await answer(update)
    async with context.runtime.db.session() as session:
        areas = await groups_service.areas(session)
    rows = [
        [r.AUDIENCE_AREA.button(a.names.get(current_language()) or a.slug, "area", a.id)]
        for a in areas
    ]
    await reply(update, _("Volunteers interested in which problem area?"), kb.with_menu(rows))


@requires(Role.COORDINATOR)
async def choose_street(update: Update, context: Context) -> None:
    await answer(update)
    streets = context.runtime.profile.streets
    street = r.AUDIENCE_STREET.button
    buttons = [street(name, "st", index) for index, name in enumerate(streets)]
    buttons.append(street(_("Other streets"), "st", "-"))
    await reply(update, _("Volunteers from which street?"), kb.with_menu(kb.grid(buttons, 2)))


def _number(value: object) -> int | None:
    try:
        return int(value)  # type: ignore[call-overload]
    except (TypeError, ValueError):
        return None


async def audience_of_choice(context: Context, choice: str, arg: object) -> dict[str, Any]:
    """The audience a pressed button stands for: `choice` ("all", "ldr", "vol"; "grp" or
    "mtg" with its id; "area" with the area's id; "st" with a street's index or "-") and its
    argument, checked against what exists; InvalidInput for anything else."""
    if choice in _PLAIN_AUDIENCES:
        return service.audience_spec(_PLAIN_AUDIENCES[choice])
    number = _number(arg)
    if choice == "grp":
        return service.audience_spec("group", group_id=number)
    if choice == "mtg":
        return service.audience_spec("meeting", meeting_id=number)
    if choice == "area":
        async with context.db.session() as session:
            areas = {a.id: a.slug for a in await groups_service.areas(session)}
        if number not in areas:
            raise InvalidInput(NOT_AVAILABLE)
        return service.audience_spec("volunteers", area=areas[number])
    if choice == "st":
        streets = context.runtime.profile.streets
        if arg == "-":
            return service.audience_spec("volunteers", street="-")
        if number is None or not 0 <= number < len(streets):
            raise InvalidInput(NOT_AVAILABLE)
        return service.audience_spec("volunteers", street=streets[number])
    raise InvalidInput(NOT_AVAILABLE)


# The buttons this module answers (registered by the package's register()).
BUTTONS: kb.Buttons = {
    r.NEW: new,
    r.PICK_GROUP: choose_group,
    r.PICK_MEETING: choose_meeting,
    r.PICK_AREA: choose_area,
    r.PICK_STREET: choose_street,
}
