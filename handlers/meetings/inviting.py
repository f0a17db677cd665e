"""Inviting more people to a meeting: from its card, its lead or a coordinator picks one or
more audiences (those of /broadcast), sees the real invitation and how many new people get
it, and sends it through the broadcast outbox (bot/services/invitations.py).

"Announce to residents" on an open meeting's card is the same flow with "everyone" chosen.
Every press loads the draft and the meeting again and checks the presser.
"""

from __future__ import annotations

from typing import Any

from telegram import Update

from bot.broadcasting import engine, render
from bot.i18n import N_, current_language, format_datetime, ngettext
from bot.i18n import gettext as _
from bot.services import broadcasts as broadcasts_service
from bot.services import groups as groups_service
from bot.services import invitations as service
from bot.services import meetings as meetings_service
from bot.services.errors import InvalidInput
from handlers import keyboards as kb
from handlers.broadcasts import (
    MEETINGS_LISTED,
    MEETINGS_LOOKBACK,
    OVERVIEW,
    audience_label,
    audience_of_choice,
)
from handlers.common import Context, answer, clip_label, esc, pressed_args, reply, requires
from handlers.meetings import cards
from handlers.meetings.shared import LABEL_MAX, args_of, now
from models import Broadcast, Meeting, Role

F = "mi"
CHOICES = ("all", "ldr", "vol")
START = kb.route(F, "new", int)  # meeting: the audience menu of a (new or unsent) draft
ANNOUNCE = kb.route(F, "all", int)  # meeting: "everyone" chosen, straight to the preview
MENU = kb.route(F, "m", int)  # draft
ADD = kb.route(F, "add", int, CHOICES)
ADD_GROUP = kb.route(F, "add", int, ("grp",), int)
ADD_MEETING = kb.route(F, "add", int, ("mtg",), int)
ADD_AREA = kb.route(F, "add", int, ("area",), int)
ADD_STREET = kb.route(F, "add", int, ("st",), str)  # a street's index, or "-" for others
ADDS = (ADD, ADD_GROUP, ADD_MEETING, ADD_AREA, ADD_STREET)
PICK_GROUP = kb.route(F, "pg", int)
PICK_MEETING = kb.route(F, "pm", int)
PICK_AREA = kb.route(F, "pa", int)
PICK_STREET = kb.route(F, "ps", int)
PREVIEW = kb.route(F, "pv", int)
OUTSIDERS = kb.route(F, "out", int, kb.YES_NO)
SEND = kb.route(F, "go", int)
DROP = kb.route(F, "x", int)


def card_rows(meeting: Meeting) -> list[list[kb.InlineKeyboardButton]]:
    """The card's row for its lead and coordinators (handlers/meetings/cards.py)."""
    row = [START.button("✉️ " + _("Invite more people"), meeting.id)]
    if meeting.is_open:
        row.append(ANNOUNCE.button("📣 " + _("Announce to residents"), meeting.id))
    return [row]


async def invited_line(session: Any, meeting_id: int) -> str | None:
    """The card's line of who was invited beyond the group (by audience) and who answered."""
    found = await service.invited(session, meeting_id)
    if not found.total:
        return None
    parts = [f"{await audience_label(session, spec)} {n}" for spec, n in found.by_audience[:4]]
    if len(found.by_audience) > 4:
        parts.append("…")
    return "✉️ " + _("More people invited: {n} ({audiences}); answered: {answered}").format(
        n=found.total, audiences=", ".join(parts), answered=found.answered
    )


# --- the audience menu ------------------------------------------------------------------------


async def _menu(update: Update, context: Context, broadcast: Broadcast, meeting: Meeting) -> None:
    member = context.me
    coordinator = member.role == Role.COORDINATOR
    bid = broadcast.id
    async with context.db.session() as session:
        chosen = service.audiences_of(broadcast)
        labels = [await audience_label(session, spec) for spec in chosen]
        groups = [] if coordinator else await service.group_choices(session, member)

    def mark(spec: dict[str, Any], label: str) -> str:
        return ("☑️ " if spec in chosen else "") + label

    lines = [
        "<b>"
        + _("Invite more people to \u201c{topic}\u201d ({when})").format(
            topic=esc(meeting.topic), when=format_datetime(meeting.starts_at, "short_day")
        )
        + "</b>",
        _("Choose one or more audiences; press one again to take it out."),
        _("Each person gets the invitation once, even if they are in several audiences."),
    ]
    if chosen:
        lines += ["", _("Chosen:")] + [f"• {label}" for label in labels]
    rows: list[list[kb.InlineKeyboardButton]] = []
    if coordinator:
        rows += [
            [ADD.button(mark({"kind": "everyone"}, _("Everyone")), bid, "all")],
            [ADD.button(mark({"kind": "leaders"}, _("All leaders")), bid, "ldr")],
            [PICK_GROUP.button(_("A group"), bid)],
            [PICK_MEETING.button(_("A meeting's attendees"), bid)],
            [ADD.button(mark({"kind": "volunteers"}, _("All volunteers")), bid, "vol")],
            [PICK_AREA.button(_("Volunteers by interest"), bid)],
            [PICK_STREET.button(_("Volunteers by street"), bid)],
        ]
    else:
        if meeting.is_open:
            rows.append([ADD.button(mark({"kind": "everyone"}, _("Everyone")), bid, "all")])
        for group in groups:
            spec = {"kind": "group", "group_id": group.id}
            label = clip_label(group.display_name(current_language()), LABEL_MAX - 2)
            rows.append([ADD_GROUP.button(mark(spec, label), bid, "grp", group.id)])
    if chosen:
        rows.append([PREVIEW.button("👀 " + _("Preview"), bid)])
    rows.append([DROP.button("✖ " + _("Cancel"), bid)])
    await reply(update, "\n".join(lines), kb.markup(rows))


@requires(Role.LEAD)
async def start(update: Update, context: Context) -> None:
    (meeting_id,) = await pressed_args(update, START)
    async with context.db.session() as session:
        broadcast = await service.new_draft(session, context.me, meeting_id, now=now(context))
        _b, meeting = await service.draft(session, context.me, broadcast.id, now=now(context))
    await _menu(update, context, broadcast, meeting)


@requires(Role.LEAD)
async def announce(update: Update, context: Context) -> None:
    (meeting_id,) = await pressed_args(update, ANNOUNCE)
    async with context.db.session() as session:
        meeting = await service.inviting_meeting(session, context.me, meeting_id, now=now(context))
        if not meeting.is_open:
            raise InvalidInput(N_("Only an open meeting can be announced to all residents."))
        broadcast = await service.new_draft(
            session,
            context.me,
            meeting_id,
            now=now(context),
            preselect=broadcasts_service.audience_spec("everyone"),
        )
    await _preview(update, context, broadcast.id)  # type: ignore[arg-type]


@requires(Role.LEAD)
async def menu(update: Update, context: Context) -> None:
    (bid,) = await pressed_args(update, MENU)
    async with context.db.session() as session:
        broadcast, meeting = await service.draft(session, context.me, bid, now=now(context))
    await _menu(update, context, broadcast, meeting)


@requires(Role.LEAD)
async def add(update: Update, context: Context) -> None:
    assert update.callback_query is not None
    data = next(
        r.parse(update.callback_query.data) for r in ADDS if r.matches(update.callback_query.data)
    )
    spec = await audience_of_choice(context, data[1], data[2] if len(data) > 2 else None)
    async with context.db.session() as session:
        if spec.get("kind") == "group":  # an archived or unknown group: refused here
            await groups_service.get_active(session, spec.get("group_id"))
        if spec.get("kind") == "meeting":
            await meetings_service.get(session, spec.get("meeting_id"))
        broadcast = await service.toggle_audience(
            session, context.me, data[0], spec, now=now(context)
        )
        _b, meeting = await service.draft(session, context.me, data[0], now=now(context))
    await answer(update)
    await _menu(update, context, broadcast, meeting)


# --- the pickers (coordinators; a lead sees their groups in the menu itself) ----------------


async def _picker(
    update: Update,
    context: Context,
    route: kb.Route,
    text: str,
    buttons: list[kb.InlineKeyboardButton],
    width: int = 1,
) -> None:
    (bid,) = args_of(update, route)
    async with context.db.session() as session:
        await service.draft(session, context.me, bid, now=now(context))
    await answer(update)
    rows = [*kb.grid(buttons, width), [MENU.button("« " + _("Back"), bid)]]
    await reply(update, text, kb.markup(rows))


def _bid(update: Update, route: kb.Route) -> int:
    return int(args_of(update, route)[0])


@requires(Role.COORDINATOR)
async def pick_group(update: Update, context: Context) -> None:
    bid = _bid(update, PICK_GROUP)
    async with context.db.session() as session:
        groups = await service.group_choices(session, context.me)
    buttons = [
        ADD_GROUP.button(
            clip_label(g.display_name(current_language()), LABEL_MAX), bid, "grp", g.id
        )
        for g in groups
    ]
    await _picker(update, context, PICK_GROUP, _("Which group?"), buttons)


@requires(Role.COORDINATOR)
async def pick_meeting(update: Update, context: Context) -> None:
    bid = _bid(update, PICK_MEETING)
    since = now(context) - MEETINGS_LOOKBACK
    async with context.db.session() as session:
        meetings = await meetings_service.scheduled_after(session, since)
        own = await session.get(Broadcast, bid)
    meetings = [m for m in meetings if own is None or m.id != own.meeting_id]
    meetings.sort(key=lambda m: m.starts_at, reverse=True)
    buttons = [
        ADD_MEETING.button(
            clip_label(f"{format_datetime(m.starts_at, 'short')} · {m.topic}", 40), bid, "mtg", m.id
        )
        for m in meetings[:MEETINGS_LISTED]
    ]
    text = (
        _("The attendees of which meeting?") if buttons else _("There are no meetings to choose.")
    )
    await _picker(update, context, PICK_MEETING, text, buttons)


@requires(Role.COORDINATOR)
async def pick_area(update: Update, context: Context) -> None:
    bid = _bid(update, PICK_AREA)
    async with context.db.session() as session:
        areas = await groups_service.areas(session)
    buttons = [
        ADD_AREA.button(
            clip_label(a.names.get(current_language()) or a.slug, LABEL_MAX), bid, "area", a.id
        )
        for a in areas
    ]
    await _picker(
        update, context, PICK_AREA, _("Volunteers interested in which problem area?"), buttons
    )


@requires(Role.COORDINATOR)
async def pick_street(update: Update, context: Context) -> None:
    bid = _bid(update, PICK_STREET)
    streets = context.runtime.profile.streets
    buttons = [
        ADD_STREET.button(clip_label(street, LABEL_MAX), bid, "st", index)
        for index, street in enumerate(streets)
    ]
    buttons.append(ADD_STREET.button(_("Other streets"), bid, "st", "-"))
    await _picker(update, context, PICK_STREET, _("Volunteers from which street?"), buttons, 2)


# --- preview and send -------------------------------------------------------------------------


def _left_out(plan: service.Plan) -> list[str]:
    """A line for each reason some people will not get the invitation, with how many."""
    reasons = [
        (
            plan.already,
            ngettext(
                "{n} person is left out: already invited, in the group, or answered.",
                "{n} people are left out: already invited, in the group, or answered.",
                plan.already,
            ),
        ),
        (
            plan.blocked,
            ngettext(
                "{n} more person blocked the bot and will not get it.",
                "{n} more people blocked the bot and will not get it.",
                plan.blocked,
            ),
        ),
        (
            plan.outsiders,
            ngettext(
                "{n} person outside the group is left out: the meeting is only for its group.",
                "{n} people outside the group are left out: the meeting is only for its group.",
                plan.outsiders,
            ),
        ),
    ]
    return [text.format(n=n) for n, text in reasons if n]


async def _preview(update: Update, context: Context, bid: int) -> None:
    """The real invitation as a new message, then who gets it and the buttons to decide."""
    member = context.me
    async with context.db.session() as session:
        broadcast, meeting = await service.draft(session, member, bid, now=now(context))
        if not service.audiences_of(broadcast):
            raise InvalidInput(N_("Please choose who should get the invitation."))
        plan = await service.plan(session, member, broadcast, meeting)
        card = await service.card_data(session, meeting.id)  # type: ignore[arg-type]
        labels = [
            (await audience_label(session, service.spec_of(key)), n)
            for key, n in plan.per_audience.most_common()
        ]
    shown, keyboard = render(broadcast, context.language, None, card)
    assert update.effective_chat is not None
    await update.effective_chat.send_message(shown, reply_markup=keyboard)
    count = len(plan.targets)
    lines = [
        _("This is how the invitation will look."),
        "<b>"
        + ngettext("It will go to {n} person.", "It will go to {n} people.", count).format(n=count)
        + "</b>",
    ]
    lines += [f"• {label}: {n}" for label, n in labels]
    lines += _left_out(plan)
    rows: list[list[kb.InlineKeyboardButton]] = []
    if count:
        rows.append([SEND.button("📨 " + _("Send now"), bid)])
    if not meeting.is_open and member.role == Role.COORDINATOR:
        if broadcast.outsiders_allowed:
            lines.append(_("People outside the group may come to this meeting."))
            rows.append([OUTSIDERS.button("☑️ " + _("Outsiders may come"), bid, "n")])
        else:
            rows.append([OUTSIDERS.button("⬜ " + _("Outsiders may come"), bid, "y")])
    rows.append([MENU.button(_("Change audiences"), bid)])
    rows.append([DROP.button("✖ " + _("Cancel"), bid)])
    await update.effective_chat.send_message("\n".join(lines), reply_markup=kb.markup(rows))


@requires(Role.LEAD)
async def preview(update: Update, context: Context) -> None:
    await answer(update)
    await _preview(update, context, _bid(update, PREVIEW))


@requires(Role.LEAD)
async def outsiders(update: Update, context: Context) -> None:
    bid, choice = args_of(update, OUTSIDERS)
    async with context.db.session() as session:
        await service.allow_outsiders(session, context.me, bid, choice == "y", now=now(context))
    await answer(update)
    await _preview(update, context, bid)


@requires(Role.LEAD)
async def send(update: Update, context: Context) -> None:
    bid = _bid(update, SEND)
    async with context.db.session() as session:
        broadcast = await service.start(session, context.me, bid, now=now(context))
    await answer(update)
    engine(context.application).start(bid)
    await reply(
        update,
        ngettext(
            "Sending the invitation to {n} person in the background. You will get a report "
            "at the end.",
            "Sending the invitation to {n} people in the background. You will get a report "
            "at the end.",
            broadcast.total,
        ).format(n=broadcast.total),
        kb.with_menu(
            [[OVERVIEW.button(_("Progress"))], cards.back_to_meeting(broadcast.meeting_id or 0)]
        ),
    )


@requires(Role.LEAD)
async def drop(update: Update, context: Context) -> None:
    bid = _bid(update, DROP)
    async with context.db.session() as session:
        broadcast = await session.get(Broadcast, bid)
        meeting_id = broadcast.meeting_id if broadcast is not None else None
        await service.discard(session, context.me, bid)
    await answer(update)
    rows = [cards.back_to_meeting(meeting_id)] if meeting_id else []
    await reply(update, _("The invitation was not sent."), kb.with_menu(rows))


# What each button of this flow does (registered in __init__).
BUTTONS: kb.Buttons = {
    START: start,
    ANNOUNCE: announce,
    MENU: menu,
    **dict.fromkeys(ADDS, add),
    PICK_GROUP: pick_group,
    PICK_MEETING: pick_meeting,
    PICK_AREA: pick_area,
    PICK_STREET: pick_street,
    PREVIEW: preview,
    OUTSIDERS: outsiders,
    SEND: send,
    DROP: drop,
}
