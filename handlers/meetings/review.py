"""The last step of /meeting: the draft shown back for a check, then sent: a meeting with
its invitations, or a date poll."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from telegram import Update

from bot.i18n import format_datetime, ngettext
from bot.i18n import gettext as _
from bot.services import groups as groups_service
from bot.services import meetings as service
from bot.services import members as members_service
from bot.services.errors import DomainError
from handlers.common import END, Context, answer, domain_message, esc, reply
from handlers.meetings import cards, invitations, polls
from handlers.meetings import routes as r
from handlers.meetings.shared import DRAFT, REVIEW, ask, draft_data, now
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
    lines += ["", _("Change anything with the buttons, then press Schedule.")]
    label = _("Schedule") if draft.starts_at else _("Send the poll")
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
