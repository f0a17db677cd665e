"""/meeting (schedule a meeting or a date poll), /meetings, answers, attendance, follow-up.

Callback data: ``mc:*`` steps of the /meeting draft, ``mt:*`` a meeting (by id),
``mp:*`` a date poll, ``mf:*`` steps of the follow-up conversation.
"""

from __future__ import annotations

import logging
from datetime import date, datetime, time, timedelta
from typing import Any

from telegram import InputFile, Update
from telegram.error import TelegramError
from telegram.ext import (
    Application,
    CallbackQueryHandler,
    CommandHandler,
    ConversationHandler,
    MessageHandler,
    filters,
)

from bot import notify
from bot import reminders as jobs
from bot.dateparse import at, parse_when
from bot.i18n import (
    N_,
    current_language,
    format_date,
    format_datetime,
    ngettext,
    use_language,
)
from bot.i18n import gettext as _
from bot.services import groups as groups_service
from bot.services import meetings as service
from bot.services import members as members_service
from bot.services.errors import DomainError, InvalidInput, NotAllowed
from bot.services.members import clean_text
from bot.services.permissions import Action, can
from handlers import keyboards as kb
from handlers import meeting_cards as cards
from handlers.common import (
    END,
    Context,
    answer,
    domain_message,
    esc,
    not_registered_text,
    private_only,
    refuse,
    reply,
    requires,
    role_refusal,
)
from handlers.registry import CommandSpec, MenuEntry
from models import Answer, DatePoll, DatePollOption, Group, Meeting, Member, Role

log = logging.getLogger(__name__)

F, P = cards.F, cards.P
C = "mc"  # the /meeting draft
FU = "mf"  # the follow-up conversation
DRAFT = "meeting_draft"
MOVE = "meeting_move"
FOLLOW = "meeting_followup"
(GROUP, TOPIC, AREA, DAY, HOUR, POLL, DURATION, PLACE, CAPACITY, OPENNESS, AGENDA, REVIEW) = range(
    12
)
MOVE_TIME, SUMMARY, ITEM_TEXT, ITEM_OWNER, ITEM_DUE = range(20, 25)
HOURS = (9, 10, 12, 14, 16, 17, 18, 19)
DAYS_AHEAD = 7
CAPACITIES = (10, 15, 20, 30, 50)
DUE_DAYS = (3, 7, 14, 30)
LIST_LIMIT = 10

COMMANDS = [
    CommandSpec("meeting", N_("Schedule a meeting or find a date"), Role.LEAD),
    CommandSpec("meetings", N_("Your meetings, open meetings and tasks")),
]
MENU = [
    MenuEntry(N_("Meetings"), f"{F}:ls", order=30),
    MenuEntry(N_("Schedule a meeting"), f"{F}:new", Role.LEAD, order=31),
]


def now(context: Context) -> datetime:
    return jobs.clock(context.application)


def _data(update: Update) -> kb.Callback:
    return kb.parse(update.callback_query.data if update.callback_query else None)


def _text(update: Update) -> str:
    message = update.effective_message
    return (message.text or "") if message is not None else ""


def _draft(context: Context) -> dict[str, Any]:
    assert context.user_data is not None
    return context.user_data.setdefault(DRAFT, {})  # type: ignore[no-any-return]


def _cancel_row() -> list[kb.InlineKeyboardButton]:
    return [kb.button("✖ " + _("Cancel"), C, "x")]


def _examples() -> str:
    return _("tomorrow 17:00, 15.05 18:30, Tuesday 17, next Tuesday 5pm")


# --- /meeting: the draft ---------------------------------------------------------------------


@requires(Role.RESIDENT)
async def new_meeting(update: Update, context: Context) -> int:
    await answer(update)
    async with context.runtime.db.session() as session:
        groups = await service.schedulable_groups(session, context.me)
    if not groups:
        await refuse(update, role_refusal(Role.LEAD))
        return END
    assert context.user_data is not None
    context.user_data[DRAFT] = {}
    language = current_language()
    rows = [[kb.button(g.display_name(language), C, "g", g.id)] for g in groups[:40]]
    await reply(update, _("Which group is the meeting for?"), kb.markup([*rows, _cancel_row()]))
    return GROUP


async def group_chosen(update: Update, context: Context) -> int:
    await answer(update)
    group_id = _data(update).int_arg(0)
    try:
        async with context.runtime.db.session() as session:
            group = await groups_service.get_active(session, group_id)
            if group not in await service.schedulable_groups(session, context.me):
                await refuse(update, _("Only a coordinator or the lead of this group can do this."))
                return GROUP
    except DomainError as error:
        await reply(update, domain_message(error), kb.markup([_cancel_row()]))
        return GROUP
    _draft(context)["group"] = group.id
    await reply(update, _("What is the topic of the meeting?"), kb.markup([_cancel_row()]))
    return TOPIC


async def topic_typed(update: Update, context: Context) -> int:
    try:
        topic = clean_text(_text(update), service.TOPIC_MAX, field="topic")
    except InvalidInput as error:
        await reply(update, domain_message(error))
        return TOPIC
    _draft(context)["topic"] = topic
    async with context.runtime.db.session() as session:
        areas = await groups_service.areas(session)
    language = current_language()
    rows = [[kb.button(a.names.get(language) or a.slug, C, "a", a.id)] for a in areas]
    rows.append([kb.button(_("The group's own area"), C, "a", 0)])
    await reply(update, _("Which problem area does it concern?"), kb.markup([*rows, _cancel_row()]))
    return AREA


async def area_chosen(update: Update, context: Context) -> int:
    await answer(update)
    _draft(context)["area"] = _data(update).int_arg(0) or None
    return await _ask_day(update, context)


async def _ask_day(update: Update, context: Context) -> int:
    today = now(context).astimezone(context.runtime.settings.timezone).date()
    buttons = []
    for offset in range(DAYS_AHEAD):
        day = today + timedelta(days=offset)
        label = (
            _("Today")
            if offset == 0
            else _("Tomorrow")
            if offset == 1
            else format_date(day, "EEE d MMM")
        )
        buttons.append(kb.button(label, C, "d", day.isoformat()))
    rows = kb.grid(buttons, 3)
    rows.append([kb.button("🗳 " + _("Not sure yet: let members vote on times"), C, "poll")])
    text = _("When? Pick a day, or type the date and time, for example: {examples}").format(
        examples=_examples()
    )
    await reply(update, text, kb.markup([*rows, _cancel_row()]))
    return DAY


async def day_chosen(update: Update, context: Context) -> int:
    await answer(update)
    try:
        day = date.fromisoformat(_data(update).arg(0))
    except ValueError:
        return await _ask_day(update, context)
    _draft(context)["day"] = day.isoformat()
    tz = context.runtime.settings.timezone
    current = now(context)
    buttons = [
        kb.button(f"{hour:02d}:00", C, "h", f"{hour:02d}00")
        for hour in HOURS
        if at(day, time(hour), tz) > current
    ]
    text = _("{day}: at what time? Pick one or type it, like 17:30.").format(
        day=format_date(day, "EEEE d MMMM")
    )
    rows = [*kb.grid(buttons, 4), [kb.button("« " + _("Another day"), C, "back")]]
    await reply(update, text, kb.markup([*rows, _cancel_row()]))
    return HOUR


async def hour_chosen(update: Update, context: Context) -> int:
    await answer(update)
    raw = _data(update).arg(0)
    return await _set_time(update, context, f"{raw[:2]}:{raw[2:]}")


async def hour_typed(update: Update, context: Context) -> int:
    return await _set_time(update, context, _text(update))


async def _set_time(update: Update, context: Context, clock_text: str) -> int:
    """The chosen day plus a typed or pressed hour; a full date typed here works too."""
    day = _draft(context).get("day")
    text = f"{date.fromisoformat(day).strftime('%d.%m.%Y')} {clock_text}" if day else clock_text
    if any(ch.isalpha() for ch in clock_text):
        text = clock_text
    return await _parse_start(update, context, text, HOUR)


async def when_typed(update: Update, context: Context) -> int:
    return await _parse_start(update, context, _text(update), DAY)


async def _parse_start(update: Update, context: Context, text: str, state: int) -> int:
    settings = context.runtime.settings
    try:
        starts = parse_when(text, current_language(), now=now(context), tz=settings.timezone)
    except InvalidInput as error:
        await reply(update, domain_message(error), edit=False)
        return state
    _draft(context)["starts"] = starts.isoformat()
    _draft(context).pop("candidates", None)
    return await _ask_duration(update, context)


async def back_to_days(update: Update, context: Context) -> int:
    await answer(update)
    return await _ask_day(update, context)


# date poll: candidate times


async def start_poll(update: Update, context: Context) -> int:
    await answer(update)
    _draft(context)["candidates"] = []
    _draft(context).pop("starts", None)
    return await _show_candidates(update, context)


async def _show_candidates(update: Update, context: Context) -> int:
    candidates = _draft(context).get("candidates", [])
    lines = [
        _(
            "Type the candidate times one per message ({low} to {high}), for example: {examples}"
        ).format(low=service.POLL_MIN, high=service.POLL_MAX, examples=_examples())
    ]
    lines += [f"• {format_datetime(datetime.fromisoformat(c), 'short_day')}" for c in candidates]
    rows = []
    if len(candidates) >= service.POLL_MIN:
        rows.append([kb.button("✔ " + _("Done"), C, "pd")])
    await reply(update, "\n".join(lines), kb.markup([*rows, _cancel_row()]), edit=False)
    return POLL


async def candidate_typed(update: Update, context: Context) -> int:
    settings = context.runtime.settings
    candidates: list[str] = _draft(context).setdefault("candidates", [])
    if len(candidates) >= service.POLL_MAX:
        await reply(update, _("That is the most times a poll can have. Press Done."), edit=False)
        return POLL
    try:
        moment = parse_when(
            _text(update), current_language(), now=now(context), tz=settings.timezone
        )
    except InvalidInput as error:
        await reply(update, domain_message(error), edit=False)
        return POLL
    if moment.isoformat() not in candidates:
        candidates.append(moment.isoformat())
        candidates.sort()
    return await _show_candidates(update, context)


async def candidates_done(update: Update, context: Context) -> int:
    await answer(update)
    if len(_draft(context).get("candidates", [])) < service.POLL_MIN:
        return await _show_candidates(update, context)
    return await _ask_duration(update, context)


# the rest of the details


async def _ask_duration(update: Update, context: Context) -> int:
    buttons = [
        kb.button(
            ngettext("{n} minute", "{n} minutes", minutes).format(n=minutes)
            if minutes % 60
            else ngettext("{n} hour", "{n} hours", minutes // 60).format(n=minutes // 60),
            C,
            "du",
            minutes,
        )
        for minutes in service.DURATIONS
    ]
    await reply(
        update, _("How long will it take?"), kb.markup([*kb.grid(buttons, 2), _cancel_row()])
    )
    return DURATION


async def duration_chosen(update: Update, context: Context) -> int:
    await answer(update)
    minutes = _data(update).int_arg(0)
    if minutes not in service.DURATIONS:
        return await _ask_duration(update, context)
    _draft(context)["duration"] = minutes
    default = context.runtime.profile.default_place
    rows = [[kb.button(default, C, "pl")]] if default else []
    await reply(
        update,
        _("Where? Pick the usual place or type another one."),
        kb.markup([*rows, _cancel_row()]),
    )
    return PLACE


async def place_default(update: Update, context: Context) -> int:
    await answer(update)
    return await _set_place(update, context, context.runtime.profile.default_place)


async def place_typed(update: Update, context: Context) -> int:
    return await _set_place(update, context, _text(update))


async def _set_place(update: Update, context: Context, place: str) -> int:
    try:
        _draft(context)["place"] = clean_text(place, service.PLACE_MAX, field="place")
    except InvalidInput as error:
        await reply(update, domain_message(error), edit=False)
        return PLACE
    buttons = [kb.button(_("No limit"), C, "c", 0)] + [
        kb.button(str(n), C, "c", n) for n in CAPACITIES
    ]
    await reply(
        update,
        _("How many places are there? Pick a number, type one, or choose no limit."),
        kb.markup([*kb.grid(buttons, 3), _cancel_row()]),
    )
    return CAPACITY


async def capacity_chosen(update: Update, context: Context) -> int:
    await answer(update)
    return await _set_capacity(update, context, _data(update).int_arg(0) or 0)


async def capacity_typed(update: Update, context: Context) -> int:
    text = _text(update).strip()
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
    _draft(context)["capacity"] = capacity or None
    rows = [
        [kb.button(_("Open: residents may join too"), C, "o", 1)],
        [kb.button(_("Only the group's members"), C, "o", 0)],
    ]
    await reply(update, _("Who may come?"), kb.markup([*rows, _cancel_row()]))
    return OPENNESS


async def openness_chosen(update: Update, context: Context) -> int:
    await answer(update)
    _draft(context)["open"] = _data(update).arg(0) == "1"
    await reply(
        update,
        _("Type the agenda if you like (what will be discussed), or skip."),
        kb.markup([[kb.button(_("Skip the agenda"), C, "ag")], _cancel_row()]),
    )
    return AGENDA


async def agenda_skipped(update: Update, context: Context) -> int:
    await answer(update)
    _draft(context)["agenda"] = None
    return await _review(update, context)


async def agenda_typed(update: Update, context: Context) -> int:
    try:
        _draft(context)["agenda"] = clean_text(_text(update), service.AGENDA_MAX, field="agenda")
    except InvalidInput as error:
        await reply(update, domain_message(error), edit=False)
        return AGENDA
    return await _review(update, context)


def _to_draft(data: dict[str, Any]) -> service.MeetingDraft:
    return service.MeetingDraft(
        group_id=int(data["group"]),
        topic=str(data["topic"]),
        place=str(data["place"]),
        starts_at=datetime.fromisoformat(data["starts"]) if data.get("starts") else None,
        candidates=[datetime.fromisoformat(c) for c in data.get("candidates") or []],
        duration_minutes=int(data.get("duration") or 90),
        area_id=data.get("area"),
        capacity=data.get("capacity"),
        is_open=bool(data.get("open")),
        agenda=data.get("agenda"),
    )


async def _review(update: Update, context: Context) -> int:
    data = _draft(context)
    draft = _to_draft(data)
    async with context.runtime.db.session() as session:
        group = await groups_service.get_active(session, draft.group_id)
        areas = {a.id: a for a in await groups_service.areas(session)}
    language = current_language()
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
    lines.append(_("Where: {place}").format(place=esc(draft.place)))
    lines.append(
        _("Places: {n}").format(n=draft.capacity) if draft.capacity else _("Places: no limit")
    )
    lines.append(
        _("Open to residents: everyone is welcome.")
        if draft.is_open
        else _("Only the group's members")
    )
    if draft.agenda:
        lines += ["", "<b>" + _("Agenda") + "</b>", esc(draft.agenda)]
    label = _("Send the invitations") if draft.starts_at else _("Send the date poll")
    rows = [[kb.button("📨 " + label, C, "send")], _cancel_row()]
    await reply(update, "\n".join(lines), kb.markup(rows), edit=update.callback_query is not None)
    return REVIEW


async def send_draft(update: Update, context: Context) -> int:
    await answer(update)
    runtime = context.runtime
    data = _draft(context)
    try:
        draft = _to_draft(data)
    except (KeyError, ValueError):
        await reply(update, _("This draft is incomplete. Please start again with /meeting."))
        return END
    current = now(context)
    try:
        async with runtime.db.session() as session:
            actor = await members_service.get(session, context.me.id)  # type: ignore[arg-type]
            if draft.starts_at is None:
                poll = await service.create_poll(session, actor, draft, now=current)
                meeting = None
            else:
                meeting = await service.create_meeting(session, actor, draft, now=current)
    except DomainError as error:
        await reply(update, domain_message(error), kb.markup([_cancel_row()]), edit=False)
        return REVIEW
    assert context.user_data is not None
    context.user_data.pop(DRAFT, None)
    if meeting is not None:
        jobs.schedule_meeting(context.application, meeting, now=current)
        delivered = await send_invitations(context, meeting, skip=actor.id)
        text = (
            _("The meeting is scheduled.")
            + " "
            + ngettext(
                "The invitation went to {n} person.",
                "The invitation went to {n} people.",
                delivered,
            ).format(n=delivered)
        )
        await reply(update, text)
        await show_meeting(update, context, meeting.id, edit=False)  # type: ignore[arg-type]
    else:
        delivered = await send_poll(context, poll.id, skip=actor.id)  # type: ignore[arg-type]
        text = ngettext(
            "The date poll went to {n} person.", "The date poll went to {n} people.", delivered
        ).format(n=delivered)
        await reply(update, text)
        await _send_poll_card(update, context, poll.id, manage=True)  # type: ignore[arg-type]
    return END


async def cancel_draft(update: Update, context: Context) -> int:
    await answer(update)
    if context.user_data is not None:
        context.user_data.pop(DRAFT, None)
        context.user_data.pop(MOVE, None)
        context.user_data.pop(FOLLOW, None)
    await reply(update, _("Stopped. Nothing was sent."), kb.with_menu([]))
    return END


async def not_text(update: Update, context: Context) -> None:
    assert update.effective_chat is not None
    await update.effective_chat.send_message(
        _("Please type it as a message, or send /cancel to stop.")
    )


async def press_a_button(update: Update, context: Context) -> None:
    assert update.effective_chat is not None
    await update.effective_chat.send_message(
        _("Please use the buttons above, or send /cancel to stop.")
    )


# --- sending invitations ---------------------------------------------------------------------


async def _card_parts(session: Any, meeting: Meeting) -> tuple[Any, Any, Any]:
    group = await service.group_of(session, meeting)
    areas = {a.id: a for a in await groups_service.areas(session)}
    counts = await service.counts(session, meeting.id)  # type: ignore[arg-type]
    return group, areas.get(meeting.area_id or 0), counts


async def send_invitations(context: Context, meeting: Meeting, *, skip: int | None) -> int:
    runtime = context.runtime
    async with runtime.db.session() as session:
        group, area, counts = await _card_parts(session, meeting)
        people = [m for m in await service.group_members(session, group.id) if m.id != skip]  # type: ignore[arg-type]

    def render() -> tuple[str, Any]:
        return cards.meeting_text(meeting, group, area, counts), cards.invitation_keyboard(meeting)

    delivered = await notify.notify_members(context.bot, runtime.db, people, render)
    posted = await notify.post_to_group_chat(
        context.bot, group, render, runtime.settings.bot_default_language
    )
    if posted is not None:
        async with runtime.db.session() as session:
            await service.remember_chat_card(session, meeting.id, posted.message_id)  # type: ignore[arg-type]
        meeting.chat_message_id = posted.message_id
    return delivered


async def refresh_chat_card(context: Context, meeting_id: int) -> None:
    """Keep the linked chat's card current: counts, a new time, or "cancelled"."""
    runtime = context.runtime
    async with runtime.db.session() as session:
        meeting = await service.get(session, meeting_id)
        if meeting.chat_message_id is None:
            return
        group, area, counts = await _card_parts(session, meeting)
    if group.chat_id is None:
        return
    with use_language(runtime.settings.bot_default_language):
        text = cards.meeting_text(meeting, group, area, counts)
        keyboard = None if meeting.is_cancelled else cards.invitation_keyboard(meeting)
    try:
        await context.bot.edit_message_text(
            text, chat_id=group.chat_id, message_id=meeting.chat_message_id, reply_markup=keyboard
        )
    except TelegramError as exc:  # deleted, too old, not modified: the card just stays
        log.info("could not refresh the chat card of meeting %s: %s", meeting_id, exc)


async def _tell(context: Context, people: list[Member], group: Any, render: Any) -> int:
    runtime = context.runtime
    delivered = await notify.notify_members(context.bot, runtime.db, people, render)
    await notify.post_to_group_chat(
        context.bot, group, render, runtime.settings.bot_default_language
    )
    return delivered


# --- a meeting's card ------------------------------------------------------------------------


async def show_meeting(
    update: Update, context: Context, meeting_id: int, *, edit: bool = True
) -> None:
    member = context.me
    current = now(context)
    try:
        async with context.runtime.db.session() as session:
            meeting = await service.get(session, meeting_id)
            group, area, counts = await _card_parts(session, meeting)
            mine = await service.my_answer(session, meeting_id, member.id)  # type: ignore[arg-type]
            place = (
                await service.waiting_position(session, mine)
                if mine is not None and mine.answer == Answer.WAITING
                else None
            )
            manage = await service.may_manage(session, member, meeting)
    except DomainError as error:
        await reply(update, domain_message(error), kb.with_menu([]))
        return
    text = cards.meeting_text(meeting, group, area, counts, mine=mine, waiting_place=place)
    window = meeting.starts_at - service.CHECK_IN_BEFORE <= current <= meeting.ends_at
    keyboard = cards.meeting_keyboard(meeting, manage=manage, check_in=window)
    await reply(update, text, keyboard, edit=edit)


@requires(Role.RESIDENT)
async def view(update: Update, context: Context) -> None:
    await answer(update)
    await show_meeting(update, context, _data(update).int_arg(0) or 0)


async def answer_pressed(update: Update, context: Context) -> None:
    """I'll come / maybe / I can't, from a private card or the group chat's card."""
    member = context.member
    if member is None or not member.is_registered:
        await refuse(update, not_registered_text())
        return
    data = _data(update)
    choice = {"y": Answer.YES, "m": Answer.MAYBE, "n": Answer.NO}.get(data.arg(1))
    meeting_id = data.int_arg(0) or 0
    if choice is None:
        await answer(update, _("Please use the buttons of the invitation."))
        return
    runtime = context.runtime
    try:
        async with runtime.db.session() as session:
            result = await service.answer(session, member, meeting_id, choice, now=now(context))
            meeting = await service.get(session, meeting_id)
            group, area, counts = await _card_parts(session, meeting)
            place = (
                await service.waiting_position(session, result.rsvp)
                if result.rsvp.answer == Answer.WAITING
                else None
            )
    except DomainError as error:
        await refuse(update, domain_message(error))
        return
    if place is not None:
        toast = _("The meeting is full: you are number {n} on the waiting list.").format(n=place)
    else:
        toast = _("Your answer: {answer}").format(answer=cards.answer_label(result.rsvp.answer))
    await answer(update, toast)
    chat = update.effective_chat
    if chat is not None and chat.type == chat.PRIVATE:
        current = now(context)
        window = meeting.starts_at - service.CHECK_IN_BEFORE <= current <= meeting.ends_at
        async with runtime.db.session() as session:
            manage = await service.may_manage(session, member, meeting)
        text = cards.meeting_text(
            meeting, group, area, counts, mine=result.rsvp, waiting_place=place
        )
        await reply(update, text, cards.meeting_keyboard(meeting, manage=manage, check_in=window))
        await refresh_chat_card(context, meeting_id)
    else:
        await reply(
            update,
            cards.meeting_text(meeting, group, area, counts),
            cards.invitation_keyboard(meeting),
        )
    for person in result.promoted:

        def render(person: Member = person) -> tuple[str, Any]:
            return cards.promoted_text(meeting), cards.invitation_keyboard(meeting)

        await notify.notify_member(context.bot, runtime.db, person, render)


async def ics_pressed(update: Update, context: Context) -> None:
    member = context.member
    if member is None or not member.is_registered:
        await refuse(update, not_registered_text())
        return
    runtime = context.runtime
    try:
        async with runtime.db.session() as session:
            meeting = await service.get(session, _data(update).int_arg(0))
            group = await service.group_of(session, meeting)
            if not await service.may_answer(session, member, meeting):
                raise NotAllowed(N_("This meeting is only for members of its group."))
    except DomainError as error:
        await refuse(update, domain_message(error))
        return
    await answer(update)
    payload = cards.ics_file(meeting, group, runtime.settings.timezone, runtime.bot_username)
    # Always privately: pressed in a group chat, the file is for the presser only.
    await context.bot.send_document(
        member.telegram_id,
        InputFile(payload, filename=f"meeting-{meeting.id}.ics"),
        caption=_("Open the file to add the meeting to your calendar."),
    )


# --- /meetings -------------------------------------------------------------------------------


@requires(Role.RESIDENT)
async def list_meetings(update: Update, context: Context) -> None:
    await answer(update)
    member = context.me
    current = now(context)
    async with context.runtime.db.session() as session:
        mine = await service.upcoming_for(session, member, now=current)
        others = await service.open_meetings(session, member, now=current)
        items = await service.my_open_items(session, member)
        polls = await service.open_polls_for(session, member)
    lines = ["<b>" + _("Your upcoming meetings") + "</b>"]
    rows = []
    if not mine:
        lines.append(_("None for now."))
    for index, (meeting, rsvp) in enumerate(mine[:LIST_LIMIT], start=1):
        state = cards.answer_label(rsvp.answer) if rsvp else _("no answer yet")
        lines.append(
            f"{index}. {format_datetime(meeting.starts_at, 'short_day')} — "
            f"{esc(meeting.topic)} ({state})"
        )
        rows.append(kb.button(f"{index}. {meeting.topic[:30]}", F, "v", meeting.id))
    if others:
        lines += ["", "<b>" + _("Open meetings you may join") + "</b>"]
        for index, meeting in enumerate(others[:LIST_LIMIT], start=len(rows) + 1):
            lines.append(
                f"{index}. {format_datetime(meeting.starts_at, 'short_day')} — {esc(meeting.topic)}"
            )
            rows.append(kb.button(f"{index}. {meeting.topic[:30]}", F, "v", meeting.id))
    if polls:
        lines += ["", "<b>" + _("Date polls: vote for a time") + "</b>"]
        for poll in polls[:LIST_LIMIT]:
            lines.append(f"🗳 {esc(poll.topic)}")
            rows.append(kb.button(f"🗳 {poll.topic[:30]}", P, "v", poll.id))
    item_rows = []
    if items:
        lines += ["", "<b>" + _("Your tasks") + "</b>"]
        for item in items[:LIST_LIMIT]:
            lines.append(
                f"▫️ {esc(item.text)} — " + _("due {day}").format(day=format_date(item.due_on))
            )
            item_rows.append(
                [
                    kb.button(
                        "✅ " + _("Done: {task}").format(task=item.text[:30]), F, "done", item.id
                    )
                ]
            )
    await reply(update, "\n".join(lines), kb.with_menu([*kb.grid(rows, 2), *item_rows]))


# --- attendance ------------------------------------------------------------------------------


async def check_in_pressed(update: Update, context: Context) -> None:
    member = context.member
    if member is None or not member.is_registered:
        await refuse(update, not_registered_text())
        return
    meeting_id = _data(update).int_arg(0) or 0
    try:
        async with context.runtime.db.session() as session:
            await service.check_in(session, member, meeting_id, now=now(context))
    except DomainError as error:
        await refuse(update, domain_message(error))
        return
    await answer(update, _("Welcome! You are checked in."))
    chat = update.effective_chat
    if chat is not None and chat.type == chat.PRIVATE:
        await show_meeting(update, context, meeting_id)


async def _roster(update: Update, context: Context, meeting_id: int) -> None:
    try:
        async with context.runtime.db.session() as session:
            meeting = await service.get_scheduled(session, meeting_id)
            if not await service.may_manage(session, context.me, meeting):
                raise NotAllowed(N_("Only a coordinator or the lead of this group can do this."))
            roster = await service.attendance_roster(session, meeting)
    except DomainError as error:
        await refuse(update, domain_message(error))
        return
    present = sum(1 for _person, rsvp in roster if rsvp and rsvp.checked_in_at)
    text = "\n".join(
        [
            "<b>" + _("Attendance: {topic}").format(topic=esc(meeting.topic)) + "</b>",
            ngettext("{n} person present.", "{n} people present.", present).format(n=present),
            _("Press a name to mark them present or absent."),
        ]
    )
    buttons = []
    for person, rsvp in roster[:60]:
        mark = "✅" if rsvp and rsvp.checked_in_at else "▫️"
        buttons.append(
            kb.button(f"{mark} {person.display_name or '?'}", F, "mk", meeting.id, person.id)
        )
    rows = [
        *kb.grid(buttons, 2),
        [kb.button("📊 " + _("Download the list (XLSX)"), F, "xl", meeting.id)],
        [kb.button("« " + _("Back to the meeting"), F, "v", meeting.id)],
    ]
    await reply(update, text, kb.with_menu(rows))


@requires(Role.RESIDENT)
async def attendance(update: Update, context: Context) -> None:
    await answer(update)
    await _roster(update, context, _data(update).int_arg(0) or 0)


@requires(Role.RESIDENT)
async def mark(update: Update, context: Context) -> None:
    data = _data(update)
    meeting_id, member_id = data.int_arg(0) or 0, data.int_arg(1) or 0
    try:
        async with context.runtime.db.session() as session:
            current = await service.my_answer(session, meeting_id, member_id)
            is_present = current is not None and current.checked_in_at is not None
            await service.mark_attendance(
                session, context.me, meeting_id, member_id, not is_present, now=now(context)
            )
    except DomainError as error:
        await refuse(update, domain_message(error))
        return
    await answer(update)
    await _roster(update, context, meeting_id)


@requires(Role.RESIDENT)
async def attendance_file(update: Update, context: Context) -> None:
    runtime = context.runtime
    try:
        async with runtime.db.session() as session:
            meeting = await service.get(session, _data(update).int_arg(0))
            if not await service.may_manage(session, context.me, meeting):
                raise NotAllowed(N_("Only a coordinator or the lead of this group can do this."))
            group = await service.group_of(session, meeting)
            rows = await service.present(session, meeting.id)  # type: ignore[arg-type]
    except DomainError as error:
        await refuse(update, domain_message(error))
        return
    await answer(update)
    payload = cards.attendance_xlsx(meeting, group, rows, runtime.settings.timezone)
    day = meeting.starts_at.astimezone(runtime.settings.timezone).date().isoformat()
    assert update.effective_chat is not None
    await update.effective_chat.send_document(
        InputFile(payload, filename=f"attendance-{meeting.id}-{day}.xlsx"),
        caption=_("Attendance list: {topic}").format(topic=esc(meeting.topic)),
    )


# --- moving and cancelling -------------------------------------------------------------------


@requires(Role.RESIDENT)
async def move_start(update: Update, context: Context) -> int:
    await answer(update)
    meeting_id = _data(update).int_arg(0) or 0
    try:
        async with context.runtime.db.session() as session:
            meeting = await service.get_scheduled(session, meeting_id)
            if not await service.may_manage(session, context.me, meeting):
                raise NotAllowed(N_("Only a coordinator or the lead of this group can do this."))
    except DomainError as error:
        await refuse(update, domain_message(error))
        return END
    assert context.user_data is not None
    context.user_data[MOVE] = meeting_id
    text = _("Now: {when}. Type the new date and time, for example: {examples}").format(
        when=cards.when_text(meeting), examples=_examples()
    )
    await reply(update, text, kb.markup([_cancel_row()]))
    return MOVE_TIME


async def move_typed(update: Update, context: Context) -> int:
    runtime = context.runtime
    assert context.user_data is not None
    meeting_id = int(context.user_data.get(MOVE) or 0)
    current = now(context)
    try:
        starts = parse_when(
            _text(update), current_language(), now=current, tz=runtime.settings.timezone
        )
        async with runtime.db.session() as session:
            actor = await members_service.get(session, context.me.id)  # type: ignore[arg-type]
            meeting, old = await service.move_meeting(
                session, actor, meeting_id, starts, now=current
            )
            group = await service.group_of(session, meeting)
            people = await service.attendees(
                session, meeting_id, (Answer.YES, Answer.MAYBE, Answer.WAITING)
            )
    except InvalidInput as error:
        await reply(update, domain_message(error), edit=False)
        return MOVE_TIME
    except DomainError as error:
        await reply(update, domain_message(error), kb.with_menu([]))
        return END
    context.user_data.pop(MOVE, None)
    jobs.schedule_meeting(context.application, meeting, now=current)

    def render() -> tuple[str, Any]:
        return cards.moved_text(meeting, old), cards.invitation_keyboard(meeting)

    told = await _tell(context, [p for p in people if p.id != actor.id], group, render)
    await refresh_chat_card(context, meeting_id)
    await reply(
        update,
        _("The meeting is moved to {when}.").format(when=cards.when_text(meeting))
        + " "
        + ngettext("{n} person was told.", "{n} people were told.", told).format(n=told),
        kb.with_menu([[kb.button(_("Open the meeting"), F, "v", meeting.id)]]),
    )
    return END


@requires(Role.RESIDENT)
async def cancel_pressed(update: Update, context: Context) -> None:
    await answer(update)
    data = _data(update)
    meeting_id = data.int_arg(0) or 0
    if data.action == "cx":
        await reply(
            update,
            _("Cancel this meeting? Everyone who answered will be told."),
            kb.yes_no(F, "cxc", meeting_id, yes=_("Yes, cancel it"), no=_("No, keep it")),
        )
        return
    if data.arg(1) != "y":
        await show_meeting(update, context, meeting_id)
        return
    runtime = context.runtime
    try:
        async with runtime.db.session() as session:
            actor = await members_service.get(session, context.me.id)  # type: ignore[arg-type]
            meeting = await service.cancel_meeting(session, actor, meeting_id, now=now(context))
            group = await service.group_of(session, meeting)
            people = await service.attendees(
                session, meeting_id, (Answer.YES, Answer.MAYBE, Answer.WAITING)
            )
    except DomainError as error:
        await reply(update, domain_message(error), kb.with_menu([]))
        return
    jobs.unschedule(context.application, meeting_id)

    def render() -> tuple[str, Any]:
        return cards.cancelled_text(meeting), None

    told = await _tell(context, [p for p in people if p.id != actor.id], group, render)
    await refresh_chat_card(context, meeting_id)
    await reply(
        update,
        _("The meeting is cancelled.")
        + " "
        + ngettext("{n} person was told.", "{n} people were told.", told).format(n=told),
        kb.with_menu([]),
    )


# --- follow-up: summary and action items -----------------------------------------------------


async def _followup_screen(
    update: Update, context: Context, meeting_id: int, *, edit: bool
) -> None:
    try:
        async with context.runtime.db.session() as session:
            meeting = await service.get_scheduled(session, meeting_id)
            if not await service.may_manage(session, context.me, meeting):
                raise NotAllowed(N_("Only a coordinator or the lead of this group can do this."))
            items = await service.action_items(session, meeting_id)
            owners = {m.id: m for m in await service.group_members(session, meeting.group_id)}
    except DomainError as error:
        await refuse(update, domain_message(error))
        return
    text = cards.summary_text(meeting, items, owners)  # type: ignore[arg-type]
    if not meeting.summary:
        text += "\n" + _("No summary yet.")
    rows = [
        [kb.button("📝 " + _("Write the summary"), F, "sum", meeting_id)],
        [kb.button("➕ " + _("Add an action item"), F, "ai", meeting_id)],
    ]
    if meeting.summary:
        rows.append([kb.button("📨 " + _("Send the summary to the group"), F, "pub", meeting_id)])
    rows.append([kb.button("« " + _("Back to the meeting"), F, "v", meeting_id)])
    await reply(update, text, kb.with_menu(rows), edit=edit)


@requires(Role.RESIDENT)
async def followup(update: Update, context: Context) -> None:
    await answer(update)
    await _followup_screen(update, context, _data(update).int_arg(0) or 0, edit=True)


async def _start_followup(update: Update, context: Context, kind: str) -> int | None:
    meeting_id = _data(update).int_arg(0) or 0
    try:
        async with context.runtime.db.session() as session:
            meeting = await service.get_scheduled(session, meeting_id)
            if not await service.may_manage(session, context.me, meeting):
                raise NotAllowed(N_("Only a coordinator or the lead of this group can do this."))
    except DomainError as error:
        await refuse(update, domain_message(error))
        return None
    assert context.user_data is not None
    context.user_data[FOLLOW] = {"meeting": meeting_id, "kind": kind}
    return meeting_id


@requires(Role.RESIDENT)
async def summary_start(update: Update, context: Context) -> int:
    await answer(update)
    if await _start_followup(update, context, "summary") is None:
        return END
    await reply(update, _("Type a short summary of the meeting."), kb.markup([_cancel_row()]))
    return SUMMARY


async def summary_typed(update: Update, context: Context) -> int:
    assert context.user_data is not None
    meeting_id = int(context.user_data.get(FOLLOW, {}).get("meeting") or 0)
    try:
        async with context.runtime.db.session() as session:
            actor = await members_service.get(session, context.me.id)  # type: ignore[arg-type]
            await service.set_summary(session, actor, meeting_id, _text(update))
    except InvalidInput as error:
        await reply(update, domain_message(error), edit=False)
        return SUMMARY
    except DomainError as error:
        await reply(update, domain_message(error), kb.with_menu([]))
        return END
    context.user_data.pop(FOLLOW, None)
    await reply(update, _("The summary is saved."), edit=False)
    await _followup_screen(update, context, meeting_id, edit=False)
    return END


@requires(Role.RESIDENT)
async def item_start(update: Update, context: Context) -> int:
    await answer(update)
    if await _start_followup(update, context, "item") is None:
        return END
    await reply(update, _("What needs to be done? Type the task."), kb.markup([_cancel_row()]))
    return ITEM_TEXT


async def item_text_typed(update: Update, context: Context) -> int:
    assert context.user_data is not None
    state = context.user_data.get(FOLLOW) or {}
    try:
        state["text"] = clean_text(_text(update), service.ITEM_MAX, field="item")
    except InvalidInput as error:
        await reply(update, domain_message(error), edit=False)
        return ITEM_TEXT
    context.user_data[FOLLOW] = state
    async with context.runtime.db.session() as session:
        meeting = await service.get(session, int(state.get("meeting") or 0))
        people = await service.group_members(session, meeting.group_id)
    buttons = [kb.button(p.display_name or "?", FU, "o", p.id) for p in people[:40]]
    await reply(update, _("Who will do it?"), kb.markup([*kb.grid(buttons, 2), _cancel_row()]))
    return ITEM_OWNER


async def item_owner_chosen(update: Update, context: Context) -> int:
    await answer(update)
    assert context.user_data is not None
    state = context.user_data.get(FOLLOW) or {}
    state["owner"] = _data(update).int_arg(0)
    context.user_data[FOLLOW] = state
    buttons = [
        kb.button(ngettext("in {n} day", "in {n} days", d).format(n=d), FU, "d", d)
        for d in DUE_DAYS
    ]
    await reply(
        update,
        _("By when? Pick one or type a date, like 15.05."),
        kb.markup([*kb.grid(buttons, 2), _cancel_row()]),
    )
    return ITEM_DUE


async def item_due_chosen(update: Update, context: Context) -> int:
    await answer(update)
    today = now(context).astimezone(context.runtime.settings.timezone).date()
    return await _save_item(update, context, today + timedelta(days=_data(update).int_arg(0) or 7))


async def item_due_typed(update: Update, context: Context) -> int:
    settings = context.runtime.settings
    try:
        # A day without an hour: read it as noon, which no clock change can touch.
        moment = parse_when(
            f"{_text(update)} 12:00", current_language(), now=now(context), tz=settings.timezone
        )
    except InvalidInput as error:
        await reply(update, domain_message(error), edit=False)
        return ITEM_DUE
    return await _save_item(update, context, moment.astimezone(settings.timezone).date())


async def _save_item(update: Update, context: Context, due: date) -> int:
    assert context.user_data is not None
    state = context.user_data.get(FOLLOW) or {}
    meeting_id = int(state.get("meeting") or 0)
    today = now(context).astimezone(context.runtime.settings.timezone).date()
    try:
        async with context.runtime.db.session() as session:
            actor = await members_service.get(session, context.me.id)  # type: ignore[arg-type]
            item = await service.add_action_item(
                session,
                actor,
                meeting_id,
                text=str(state.get("text") or ""),
                owner_id=int(state.get("owner") or 0),
                due_on=due,
                today=today,
            )
            meeting = await service.get(session, meeting_id)
            owner = await members_service.get(session, item.owner_id)  # type: ignore[arg-type]
    except DomainError as error:
        await reply(update, domain_message(error), edit=False)
        return ITEM_DUE
    context.user_data.pop(FOLLOW, None)
    if owner.id != actor.id:

        def render() -> tuple[str, Any]:
            return cards.new_item_text(item, meeting), cards.item_keyboard(item)

        await notify.notify_member(context.bot, context.runtime.db, owner, render)
    await reply(update, _("The action item is added."), edit=False)
    await _followup_screen(update, context, meeting_id, edit=False)
    return END


@requires(Role.RESIDENT)
async def publish_summary(update: Update, context: Context) -> None:
    runtime = context.runtime
    meeting_id = _data(update).int_arg(0) or 0
    try:
        async with runtime.db.session() as session:
            meeting = await service.get_scheduled(session, meeting_id)
            if not await service.may_manage(session, context.me, meeting):
                raise NotAllowed(N_("Only a coordinator or the lead of this group can do this."))
            group = await service.group_of(session, meeting)
            people = await service.group_members(session, meeting.group_id)
            items = await service.action_items(session, meeting_id)
    except DomainError as error:
        await refuse(update, domain_message(error))
        return
    await answer(update)
    owners = {m.id: m for m in people}

    def render() -> tuple[str, Any]:
        return cards.summary_text(meeting, items, owners), None  # type: ignore[arg-type]

    told = await _tell(context, [p for p in people if p.id != context.me.id], group, render)
    await reply(
        update,
        ngettext("The summary went to {n} person.", "The summary went to {n} people.", told).format(
            n=told
        ),
        kb.with_menu([[kb.button("« " + _("Back to the meeting"), F, "v", meeting_id)]]),
    )


@requires(Role.RESIDENT)
async def item_done(update: Update, context: Context) -> None:
    try:
        async with context.runtime.db.session() as session:
            item = await service.mark_done(
                session, context.me, _data(update).int_arg(0) or 0, now=now(context)
            )
    except DomainError as error:
        await refuse(update, domain_message(error))
        return
    await answer(update, _("Well done! The task is marked as done."))
    await reply(update, "✅ " + _("Done: {task}").format(task=esc(item.text)), kb.with_menu([]))


# --- date polls ------------------------------------------------------------------------------


async def _poll_view(
    context: Context, poll_id: int, voter: Member | None
) -> tuple[DatePoll, Group, tuple[list[tuple[DatePollOption, list[int]]], bool]]:
    async with context.runtime.db.session() as session:
        poll = await service.get_poll(session, poll_id)
        group = await groups_service.get_active(session, poll.group_id)
        tallies = await service.poll_tallies(session, poll_id)
        manage = voter is not None and can(voter, Action.MANAGE_MEETING, group)
    return poll, group, (tallies, manage)


async def send_poll(context: Context, poll_id: int, *, skip: int | None) -> int:
    runtime = context.runtime
    poll, group, (tallies, _manage) = await _poll_view(context, poll_id, None)
    async with runtime.db.session() as session:
        people = [m for m in await service.group_members(session, group.id) if m.id != skip]  # type: ignore[arg-type]

    def render() -> tuple[str, Any]:
        return cards.poll_text(poll, group, tallies), cards.poll_keyboard(
            tallies, None, manage=False
        )

    return await _tell(context, people, group, render)


async def _send_poll_card(
    update: Update, context: Context, poll_id: int, *, manage: bool, edit: bool = False
) -> None:
    poll, group, (tallies, may) = await _poll_view(context, poll_id, context.me)
    text = cards.poll_text(poll, group, tallies)
    keyboard = cards.poll_keyboard(tallies, context.me.id, manage=manage and may)
    await reply(update, text, keyboard, edit=edit)


@requires(Role.RESIDENT)
async def poll_view(update: Update, context: Context) -> None:
    await answer(update)
    poll_id = _data(update).int_arg(0) or 0
    try:
        async with context.runtime.db.session() as session:
            if not await service.may_vote(
                session, context.me, await service.get_poll(session, poll_id)
            ):
                raise NotAllowed(N_("This meeting is only for members of its group."))
        await _send_poll_card(update, context, poll_id, manage=True, edit=True)
    except DomainError as error:
        await refuse(update, domain_message(error))


async def poll_toggle(update: Update, context: Context) -> None:
    member = context.member
    if member is None or not member.is_registered:
        await refuse(update, not_registered_text())
        return
    try:
        async with context.runtime.db.session() as session:
            poll, ticked = await service.toggle_vote(session, member, _data(update).int_arg(0) or 0)
    except DomainError as error:
        await refuse(update, domain_message(error))
        return
    await answer(update, _("Ticked.") if ticked else _("Unticked."))
    poll, group, (tallies, manage) = await _poll_view(context, poll.id, member)  # type: ignore[arg-type]
    chat = update.effective_chat
    private = chat is not None and chat.type == chat.PRIVATE
    voter = member.id if private else None
    await reply(
        update,
        cards.poll_text(poll, group, tallies),
        cards.poll_keyboard(tallies, voter, manage=manage and private),
    )


@requires(Role.RESIDENT)
async def poll_pick(update: Update, context: Context) -> None:
    await answer(update)
    poll, _group, (tallies, manage) = await _poll_view(
        context, _data(update).int_arg(0) or 0, context.me
    )
    if not manage:
        await refuse(update, _("Only a coordinator or the lead of this group can do this."))
        return
    if poll.status != "open":
        await reply(update, _("This date poll is closed."), kb.with_menu([]))
        return
    rows = [
        [
            kb.button(
                f"{format_datetime(option.starts_at, 'short_day')} ({len(voters)})",
                P,
                "win",
                option.id,
            )
        ]
        for option, voters in tallies
    ]
    await reply(update, _("Which time becomes the meeting?"), kb.with_menu(rows))


@requires(Role.RESIDENT)
async def poll_win(update: Update, context: Context) -> None:
    await answer(update)
    data = _data(update)
    option_id = data.int_arg(0) or 0
    if data.action == "win":
        await reply(
            update,
            _("Make this time the meeting and invite the group?"),
            kb.yes_no(P, "winc", option_id, yes=_("Yes, schedule it"), no=_("Not yet")),
        )
        return
    if data.arg(1) != "y":
        await reply(update, _("The poll stays open."), kb.with_menu([]))
        return
    current = now(context)
    try:
        async with context.runtime.db.session() as session:
            actor = await members_service.get(session, context.me.id)  # type: ignore[arg-type]
            meeting = await service.decide_poll(session, actor, option_id, now=current)
    except DomainError as error:
        await reply(update, domain_message(error), kb.with_menu([]))
        return
    jobs.schedule_meeting(context.application, meeting, now=current)
    delivered = await send_invitations(context, meeting, skip=actor.id)
    await reply(
        update,
        _("The meeting is scheduled.")
        + " "
        + ngettext(
            "The invitation went to {n} person.", "The invitation went to {n} people.", delivered
        ).format(n=delivered),
    )
    await show_meeting(update, context, meeting.id, edit=False)  # type: ignore[arg-type]


# --- wiring ----------------------------------------------------------------------------------


def register(application: Application) -> None:  # type: ignore[type-arg]
    text = filters.TEXT & ~filters.COMMAND
    other = ~filters.TEXT & ~filters.COMMAND & ~filters.StatusUpdate.ALL
    cancel_handlers: list[Any] = [
        CommandHandler("cancel", cancel_draft),
        CallbackQueryHandler(cancel_draft, pattern=rf"^{C}:x$"),
    ]

    def typed(callback: Any) -> list[Any]:
        return [MessageHandler(text, callback), MessageHandler(other, not_text)]

    def pressed(*handlers: Any) -> list[Any]:
        return [
            *handlers,
            MessageHandler(~filters.COMMAND & ~filters.StatusUpdate.ALL, press_a_button),
        ]

    application.add_handler(
        ConversationHandler(
            entry_points=[
                CommandHandler("meeting", private_only(new_meeting)),
                CallbackQueryHandler(new_meeting, pattern=rf"^{F}:new$"),
            ],
            states={
                GROUP: pressed(CallbackQueryHandler(group_chosen, pattern=rf"^{C}:g:")),
                TOPIC: typed(topic_typed),
                AREA: pressed(CallbackQueryHandler(area_chosen, pattern=rf"^{C}:a:")),
                DAY: [
                    CallbackQueryHandler(day_chosen, pattern=rf"^{C}:d:"),
                    CallbackQueryHandler(start_poll, pattern=rf"^{C}:poll$"),
                    *typed(when_typed),
                ],
                HOUR: [
                    CallbackQueryHandler(hour_chosen, pattern=rf"^{C}:h:\d{{4}}$"),
                    CallbackQueryHandler(back_to_days, pattern=rf"^{C}:back$"),
                    *typed(hour_typed),
                ],
                POLL: [
                    CallbackQueryHandler(candidates_done, pattern=rf"^{C}:pd$"),
                    *typed(candidate_typed),
                ],
                DURATION: pressed(CallbackQueryHandler(duration_chosen, pattern=rf"^{C}:du:")),
                PLACE: [
                    CallbackQueryHandler(place_default, pattern=rf"^{C}:pl$"),
                    *typed(place_typed),
                ],
                CAPACITY: [
                    CallbackQueryHandler(capacity_chosen, pattern=rf"^{C}:c:"),
                    *typed(capacity_typed),
                ],
                OPENNESS: pressed(CallbackQueryHandler(openness_chosen, pattern=rf"^{C}:o:")),
                AGENDA: [
                    CallbackQueryHandler(agenda_skipped, pattern=rf"^{C}:ag$"),
                    *typed(agenda_typed),
                ],
                REVIEW: pressed(CallbackQueryHandler(send_draft, pattern=rf"^{C}:send$")),
            },
            fallbacks=[*cancel_handlers, CommandHandler("meeting", private_only(new_meeting))],
            name="meeting",
            persistent=True,
            allow_reentry=True,
        )
    )
    application.add_handler(
        ConversationHandler(
            entry_points=[
                CallbackQueryHandler(move_start, pattern=rf"^{F}:mv:\d+$"),
                CallbackQueryHandler(summary_start, pattern=rf"^{F}:sum:\d+$"),
                CallbackQueryHandler(item_start, pattern=rf"^{F}:ai:\d+$"),
            ],
            states={
                MOVE_TIME: typed(move_typed),
                SUMMARY: typed(summary_typed),
                ITEM_TEXT: typed(item_text_typed),
                ITEM_OWNER: pressed(
                    CallbackQueryHandler(item_owner_chosen, pattern=rf"^{FU}:o:\d+$")
                ),
                ITEM_DUE: [
                    CallbackQueryHandler(item_due_chosen, pattern=rf"^{FU}:d:\d+$"),
                    *typed(item_due_typed),
                ],
            },
            fallbacks=cancel_handlers,
            name="meeting_followup",
            persistent=True,
            allow_reentry=True,
        )
    )
    application.add_handler(CommandHandler("meetings", private_only(list_meetings)))
    routes = {
        "ls": list_meetings,
        r"v:\d+": view,
        r"a:\d+:[ymn]": answer_pressed,
        r"ics:\d+": ics_pressed,
        r"here:\d+": check_in_pressed,
        r"att:\d+": attendance,
        r"mk:\d+:\d+": mark,
        r"xl:\d+": attendance_file,
        r"cx:\d+": cancel_pressed,
        r"cxc:\d+:[yn]": cancel_pressed,
        r"fu:\d+": followup,
        r"pub:\d+": publish_summary,
        r"done:\d+": item_done,
    }
    for pattern, callback in routes.items():
        application.add_handler(CallbackQueryHandler(callback, pattern=rf"^{F}:{pattern}$"))
    application.add_handler(CallbackQueryHandler(poll_view, pattern=rf"^{P}:v:\d+$"))
    application.add_handler(CallbackQueryHandler(poll_toggle, pattern=rf"^{P}:t:\d+$"))
    application.add_handler(CallbackQueryHandler(poll_pick, pattern=rf"^{P}:pick:\d+$"))
    application.add_handler(
        CallbackQueryHandler(poll_win, pattern=rf"^{P}:(win:\d+|winc:\d+:[yn])$")
    )
