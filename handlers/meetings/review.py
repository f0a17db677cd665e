"""The last step of /meeting: the draft shown back for a check, each detail changed with a
button (its question returns here), then sent: a meeting with its invitations, or a date
poll."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from telegram import Update

from bot.i18n import format_datetime, ngettext
from bot.i18n import gettext as _
from bot.services import groups as groups_service
from bot.services import meetings as service
from bot.services import members as members_service
from bot.services.errors import DomainError, InvalidInput
from bot.services.members import clean_text
from handlers.common import END, Context, answer, clip_label, domain_message, esc, reply
from handlers.meetings import cards, invitations, polls
from handlers.meetings import routes as r
from handlers.meetings.shared import (
    AGENDA,
    AREA,
    CAPACITY,
    DRAFT,
    DURATION,
    LABEL_MAX,
    PLACE,
    REVIEW,
    args_of,
    ask,
    draft_data,
    id_of,
    now,
    typed_text,
)
from models import Meeting

CAPACITIES = (10, 15, 20, 30, 50)
DEFAULT_DURATION = 90


def _to_draft(data: dict[str, Any]) -> service.MeetingDraft:
    return service.MeetingDraft(
        group_id=int(data["group"]),
        topic=str(data["topic"]),
        place=str(data["place"]),
        starts_at=datetime.fromisoformat(data["starts"]) if data.get("starts") else None,
        candidates=[datetime.fromisoformat(c) for c in data.get("candidates") or []],
        duration_minutes=int(data.get("duration") or DEFAULT_DURATION),
        area_id=data.get("area"),
        capacity=data.get("capacity"),
        is_open=bool(data.get("open")),
        agenda=data.get("agenda"),
    )


def duration_label(minutes: int) -> str:
    if minutes % 60:
        return ngettext("{n} minute", "{n} minutes", minutes).format(n=minutes)
    return ngettext("{n} hour", "{n} hours", minutes // 60).format(n=minutes // 60)


async def _fill_defaults(context: Context, data: dict[str, Any]) -> None:
    """What the review starts with: 90 minutes, the group's usual place (its last meeting's,
    else the programme's), no limit, only the group's members, no agenda."""
    if "place" not in data or "usual" not in data:
        async with context.db.session() as session:
            usual = await service.usual_place(session, int(data["group"]))
        usual = usual or context.runtime.profile.default_place or _("City hall")
        data.setdefault("usual", usual)
        data.setdefault("place", usual)
    data.setdefault("duration", DEFAULT_DURATION)
    data.setdefault("capacity", None)
    data.setdefault("open", False)
    data.setdefault("agenda", None)


async def show(update: Update, context: Context) -> int:
    data = draft_data(context)
    await _fill_defaults(context, data)
    draft = _to_draft(data)
    async with context.db.session() as session:
        group = await groups_service.get_active(session, draft.group_id)
        areas = {a.id: a for a in await groups_service.areas(session)}
    language = context.language
    area = areas.get(draft.area_id or group.area_id or 0)
    lines = ["<b>" + _("Please check:") + "</b>", ""]
    lines.append(_("Group: {group}").format(group=esc(group.display_name(language))))
    lines.append(_("Topic: {topic}").format(topic=esc(draft.topic)))
    if area is not None:
        lines.append(_("Area: {area}").format(area=esc(area.names.get(language) or area.slug)))
    if draft.starts_at:
        end = draft.starts_at + timedelta(minutes=draft.duration_minutes)
        preview = Meeting(
            group_id=draft.group_id, topic="", starts_at=draft.starts_at, ends_at=end, place=""
        )
        lines.append(_("When: {when}").format(when=cards.when_text(preview)))
    else:
        lines.append(_("Candidate times (members vote):"))
        lines += [f"• {format_datetime(c, 'short_day')}" for c in draft.candidates]
        lines.append(_("Duration: {length}").format(length=duration_label(draft.duration_minutes)))
    lines.append(_("Where: {place}").format(place=esc(draft.place)))
    lines.append(
        _("How many can come: {n}").format(n=draft.capacity)
        if draft.capacity
        else _("How many can come: no limit")
    )
    lines.append(
        _("Open to residents: everyone is welcome.")
        if draft.is_open
        else _("Only the group's members")
    )
    if draft.agenda:
        lines += ["", "<b>" + _("Agenda") + "</b>", esc(draft.agenda)]
    else:
        lines.append(_("No agenda"))
    lines += ["", _("Change anything with the buttons below, then schedule the meeting.")]
    label = _("Schedule the meeting") if draft.starts_at else _("Send the poll")
    openness = (
        r.DRAFT_OPENNESS.button("🔒 " + _("Members only"), "0")
        if draft.is_open
        else r.DRAFT_OPENNESS.button("🔓 " + _("Open to all"), "1")
    )
    buttons = [
        r.DRAFT_EDIT.button("📍 " + _("Place"), "place"),
        r.DRAFT_EDIT.button("👥 " + _("How many"), "cap"),
        r.DRAFT_EDIT.button("📝 " + _("Agenda"), "agenda"),
        r.DRAFT_EDIT.button("⏱ " + _("Duration"), "dur"),
        r.DRAFT_EDIT.button("🗂 " + _("Area"), "area"),
        openness,
    ]
    send = [r.DRAFT_SEND.button("📨 " + label)]
    await ask(
        update,
        "\n".join(lines),
        buttons,
        width=2,
        rows=[send],
        edit=update.callback_query is not None,
    )
    return REVIEW


# --- changes from the review: each question returns to it ------------------------------------


async def edit_asked(update: Update, context: Context) -> int:
    """A "change" button of the review: that detail's question."""
    await answer(update)
    field = args_of(update, r.DRAFT_EDIT)[0]
    if field == "dur":
        choices = [r.DRAFT_DURATION.button(duration_label(m), m) for m in service.DURATIONS]
        await ask(update, _("How long will it take?"), choices, width=2)
        return DURATION
    if field == "area":
        async with context.db.session() as session:
            areas = await groups_service.areas(session)
        language = context.language
        choices = [
            r.DRAFT_AREA.button(clip_label(a.names.get(language) or a.slug, LABEL_MAX), a.id)
            for a in areas
        ]
        choices.append(r.DRAFT_AREA.button(_("The group's own area"), 0))
        await ask(update, _("Which problem area does it concern?"), choices)
        return AREA
    if field == "place":
        usual = draft_data(context).get("usual") or context.runtime.profile.default_place
        choices = [r.DRAFT_USUAL_PLACE.button(clip_label(usual, LABEL_MAX))] if usual else []
        await ask(update, _("Where? Type the address or the room."), choices)
        return PLACE
    if field == "cap":
        choices = [r.DRAFT_CAPACITY.button(_("No limit"), 0)]
        choices += [r.DRAFT_CAPACITY.button(str(n), n) for n in CAPACITIES]
        text = _("How many people can come? Pick a number, type one, or choose no limit.")
        await ask(update, text, choices, width=3)
        return CAPACITY
    skip = [r.DRAFT_SKIP_AGENDA.button(_("No agenda"))]
    await ask(update, _("Type the agenda (what will be discussed)."), skip)
    return AGENDA


async def duration_chosen(update: Update, context: Context) -> int:
    await answer(update)
    minutes = id_of(update, r.DRAFT_DURATION)
    if minutes in service.DURATIONS:
        draft_data(context)["duration"] = minutes
    return await show(update, context)


async def place_usual(update: Update, context: Context) -> int:
    await answer(update)
    usual = draft_data(context).get("usual") or context.runtime.profile.default_place
    return await _set_place(update, context, usual)


async def place_typed(update: Update, context: Context) -> int:
    return await _set_place(update, context, typed_text(update))


async def _set_place(update: Update, context: Context, place: str) -> int:
    return await _set_text(update, context, "place", place, service.PLACE_MAX, PLACE)


async def _set_text(
    update: Update, context: Context, field: str, text: str, limit: int, step: int
) -> int:
    """The draft's `field`, cleaned, and the review again; or why not, and the same `step`."""
    try:
        draft_data(context)[field] = clean_text(text, limit, field=field)
    except InvalidInput as error:
        await reply(update, domain_message(error), edit=False)
        return step
    return await show(update, context)


async def capacity_chosen(update: Update, context: Context) -> int:
    await answer(update)
    return await _set_capacity(update, context, id_of(update, r.DRAFT_CAPACITY))


async def capacity_typed(update: Update, context: Context) -> int:
    text = typed_text(update).strip()
    if not text.isdigit() or not 1 <= int(text) <= service.CAPACITY_MAX:
        await reply(
            update,
            _("Please type a number between 1 and {limit}, or press No limit.").format(
                limit=service.CAPACITY_MAX
            ),
            edit=False,
        )
        return CAPACITY
    return await _set_capacity(update, context, int(text))


async def _set_capacity(update: Update, context: Context, capacity: int) -> int:
    if 0 <= capacity <= service.CAPACITY_MAX:
        draft_data(context)["capacity"] = capacity or None
    return await show(update, context)


async def openness_chosen(update: Update, context: Context) -> int:
    """The review's open / members-only switch (and the openness step of earlier versions)."""
    await answer(update)
    draft_data(context)["open"] = args_of(update, r.DRAFT_OPENNESS)[0] == "1"
    return await show(update, context)


async def agenda_skipped(update: Update, context: Context) -> int:
    await answer(update)
    draft_data(context)["agenda"] = None
    return await show(update, context)


async def agenda_typed(update: Update, context: Context) -> int:
    return await _set_text(
        update, context, "agenda", typed_text(update), service.AGENDA_MAX, AGENDA
    )


async def send(update: Update, context: Context) -> int:
    await answer(update)
    try:
        draft = _to_draft(draft_data(context))
    except (KeyError, ValueError):
        await reply(update, _("This draft is incomplete. Please start again with /meeting."))
        return END
    current = now(context)
    try:
        async with context.db.session() as session:
            actor = await members_service.get(session, context.me.id)  # type: ignore[arg-type]
            if draft.starts_at is None:
                poll = await service.create_poll(session, actor, draft, now=current)
                meeting = None
            else:
                meeting = await service.create_meeting(session, actor, draft, now=current)
    except DomainError as error:  # said below the draft, which stays to be sent again
        await ask(update, domain_message(error), edit=False)
        return REVIEW
    assert context.user_data is not None
    context.user_data.pop(DRAFT, None)
    if meeting is not None:
        await invitations.announce(update, context, meeting, actor_id=actor.id, current=current)  # type: ignore[arg-type]
        return END
    delivered = await polls.send_poll(context, poll.id, skip=actor.id)  # type: ignore[arg-type]
    text = ngettext(
        "The date poll went to {n} person.", "The date poll went to {n} people.", delivered
    ).format(n=delivered)
    await reply(update, text)
    await polls.send_poll_card(update, context, poll.id, manage=True)  # type: ignore[arg-type]
    return END
