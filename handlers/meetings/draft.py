"""/meeting: a lead schedules a meeting, or a date poll when the time is not settled. Three
questions (the group, when the person schedules for more than one; the topic; the day and
hour), then the review: the duration (90 minutes), the group's usual place, no limit on
people, only the group's members and no agenda are filled in, each can be changed with a
button there, and "Schedule" sends it. The draft lives in user_data (persisted), so a
restart in the middle loses nothing."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any

from telegram import Update
from telegram.ext import CommandHandler, ConversationHandler

from bot.dateparse import at, parse_when
from bot.i18n import format_date, format_datetime
from bot.i18n import gettext as _
from bot.services import groups as groups_service
from bot.services import meetings as service
from bot.services.errors import DomainError, InvalidInput
from bot.services.members import clean_text
from handlers import keyboards as kb
from handlers.common import (
    END,
    Context,
    answer,
    clip_label,
    domain_message,
    persistent_conversation,
    private_only,
    refuse,
    reply,
    requires,
    role_refusal,
)
from handlers.meetings import review
from handlers.meetings import routes as r
from handlers.meetings.shared import (
    AGENDA,
    AREA,
    CAPACITY,
    DAY,
    DRAFT,
    DURATION,
    GROUP,
    HOUR,
    LABEL_MAX,
    NOT_MANAGER,
    OPENNESS,
    PLACE,
    POLL,
    REVIEW,
    TOPIC,
    args_of,
    ask,
    draft_data,
    examples,
    id_of,
    now,
    pressed,
    stop_handlers,
    today,
    typed,
    typed_text,
)
from models import Role

DAYS_AHEAD = 7
GROUP_LIMIT = 40


@requires(Role.RESIDENT)
async def new_meeting(update: Update, context: Context) -> int:
    await answer(update)
    async with context.db.session() as session:
        groups = await service.schedulable_groups(session, context.me)
    if not groups:
        await refuse(update, role_refusal(Role.LEAD))
        return END
    assert context.user_data is not None
    context.user_data[DRAFT] = {}
    if len(groups) == 1:  # the lead of one group: no question
        draft_data(context)["group"] = groups[0].id
        return await _ask_topic(update, context)
    language = context.language
    choices = [
        r.DRAFT_GROUP.button(clip_label(g.display_name(language), LABEL_MAX), g.id)
        for g in groups[:GROUP_LIMIT]
    ]
    await ask(update, _("Which group is the meeting for?"), choices)
    return GROUP


async def _ask_topic(update: Update, context: Context) -> int:
    await ask(update, _("What is the topic of the meeting?"))
    return TOPIC


async def group_chosen(update: Update, context: Context) -> int:
    await answer(update)
    try:
        async with context.db.session() as session:
            group = await groups_service.get_active(session, id_of(update, r.DRAFT_GROUP))
            if group not in await service.schedulable_groups(session, context.me):
                await refuse(update, _(NOT_MANAGER))
                return GROUP
    except DomainError as error:  # gone: said in place of the question, which stays
        await ask(update, domain_message(error))
        return GROUP
    draft_data(context)["group"] = group.id
    return await _ask_topic(update, context)


async def topic_typed(update: Update, context: Context) -> int:
    try:
        topic = clean_text(typed_text(update), service.TOPIC_MAX, field="topic")
    except InvalidInput as error:
        await reply(update, domain_message(error))
        return TOPIC
    draft_data(context)["topic"] = topic
    return await _ask_day(update, context)


async def area_chosen(update: Update, context: Context) -> int:
    """The area, changed from the review (the group's own area is the default); a draft of
    an earlier version, persisted in its area step, goes on to the time."""
    await answer(update)
    data = draft_data(context)
    data["area"] = id_of(update, r.DRAFT_AREA) or None
    if data.get("starts") or data.get("candidates"):
        return await review.show(update, context)
    return await _ask_day(update, context)


# --- when: a day and an hour, a typed date, or candidate times for a poll ---------------------


async def _ask_day(update: Update, context: Context) -> int:
    first = today(context)
    days = []
    for offset in range(DAYS_AHEAD):
        day = first + timedelta(days=offset)
        label = (
            _("Today")
            if offset == 0
            else _("Tomorrow")
            if offset == 1
            else format_date(day, "EEE d MMM")
        )
        days.append(r.DRAFT_DAY.button(label, day.isoformat()))
    poll = [r.DRAFT_POLL.button("🗳 " + _("Let the group vote"))]
    text = _("When? Pick a day, or type the date and time, for example: {examples}").format(
        examples=examples()
    )
    await ask(update, text, days, width=3, rows=[poll])
    return DAY


async def day_chosen(update: Update, context: Context) -> int:
    await answer(update)
    try:
        day = date.fromisoformat(args_of(update, r.DRAFT_DAY)[0])
    except ValueError:
        return await _ask_day(update, context)
    draft_data(context)["day"] = day.isoformat()
    return await _ask_hour(update, context, day)


async def _ask_hour(update: Update, context: Context, day: date) -> int:
    tz = context.runtime.settings.timezone
    current = now(context)
    hours = [
        r.DRAFT_HOUR.button(f"{hour:02d}:00", f"{hour:02d}00")
        for hour in r.HOURS
        if at(day, time(hour), tz) > current
    ]
    text = _("{day}: at what time? Pick one or type it, like 17:30.").format(
        day=format_date(day, "EEEE d MMMM")
    )
    other_day = [r.DRAFT_OTHER_DAY.button("« " + _("Another day"))]
    await ask(update, text, hours, width=4, rows=[other_day])
    return HOUR


async def hour_chosen(update: Update, context: Context) -> int:
    await answer(update)
    code = args_of(update, r.DRAFT_HOUR)[0]
    return await _set_time(update, context, f"{code[:2]}:{code[2:]}")


async def hour_typed(update: Update, context: Context) -> int:
    return await _set_time(update, context, typed_text(update))


async def _set_time(update: Update, context: Context, clock_text: str) -> int:
    """The chosen day plus a typed or pressed hour; a full date typed here works too."""
    day = draft_data(context).get("day")
    text = f"{date.fromisoformat(day).strftime('%d.%m.%Y')} {clock_text}" if day else clock_text
    if any(ch.isalpha() for ch in clock_text):
        text = clock_text
    return await _parse_start(update, context, text, HOUR)


async def when_typed(update: Update, context: Context) -> int:
    return await _parse_start(update, context, typed_text(update), DAY)


def _parse(context: Context, text: str) -> datetime:
    """A typed date and time (InvalidInput with examples when it cannot be read)."""
    tz = context.runtime.settings.timezone
    return parse_when(text, context.language, now=now(context), tz=tz)


async def _parse_start(update: Update, context: Context, text: str, state: int) -> int:
    try:
        starts = _parse(context, text)
    except InvalidInput as error:
        # Say what went wrong, then the step's question with its buttons again.
        await reply(update, domain_message(error), edit=False)
        day = draft_data(context).get("day")
        if state == HOUR and day:
            return await _ask_hour(update, context, date.fromisoformat(day))
        return await _ask_day(update, context)
    draft_data(context)["starts"] = starts.isoformat()
    draft_data(context).pop("candidates", None)
    return await review.show(update, context)


async def back_to_days(update: Update, context: Context) -> int:
    await answer(update)
    return await _ask_day(update, context)


async def start_poll(update: Update, context: Context) -> int:
    await answer(update)
    draft_data(context)["candidates"] = []
    draft_data(context).pop("starts", None)
    return await _show_candidates(update, context)


async def _show_candidates(update: Update, context: Context) -> int:
    candidates = draft_data(context).get("candidates", [])
    lines = [
        _(
            "Type the candidate times one per message ({low} to {high}), for example: {examples}"
        ).format(low=service.POLL_MIN, high=service.POLL_MAX, examples=examples())
    ]
    lines += [f"• {format_datetime(datetime.fromisoformat(c), 'short_day')}" for c in candidates]
    done = [r.DRAFT_CANDIDATES_DONE.button("✔ " + _("Done"))]
    await ask(
        update, "\n".join(lines), done if len(candidates) >= service.POLL_MIN else [], edit=False
    )
    return POLL


async def candidate_typed(update: Update, context: Context) -> int:
    candidates: list[str] = draft_data(context).setdefault("candidates", [])
    if len(candidates) >= service.POLL_MAX:
        await reply(update, _("That is the most times a poll can have. Press Done."), edit=False)
        return POLL
    try:
        moment = _parse(context, typed_text(update))
    except InvalidInput as error:
        await reply(update, domain_message(error), edit=False)
        return await _show_candidates(update, context)
    if moment.isoformat() not in candidates:
        candidates.append(moment.isoformat())
        candidates.sort()
    return await _show_candidates(update, context)


async def candidates_done(update: Update, context: Context) -> int:
    await answer(update)
    if len(draft_data(context).get("candidates", [])) < service.POLL_MIN:
        return await _show_candidates(update, context)
    return await review.show(update, context)


def conversation() -> ConversationHandler[Any]:
    on = kb.callback_handler
    # The states' numbers are persisted: AREA and OPENNESS are steps of earlier versions (a
    # draft may be waiting in them); PLACE, CAPACITY, AGENDA and DURATION are now reached
    # from the review and return to it.
    return persistent_conversation(
        "meeting",
        entry_points=[CommandHandler("meeting", private_only(new_meeting)), on(new_meeting, r.NEW)],
        states={
            GROUP: pressed(on(group_chosen, r.DRAFT_GROUP)),
            TOPIC: typed(topic_typed),
            AREA: pressed(on(area_chosen, r.DRAFT_AREA)),
            DAY: [on(day_chosen, r.DRAFT_DAY), on(start_poll, r.DRAFT_POLL), *typed(when_typed)],
            HOUR: [
                on(hour_chosen, r.DRAFT_HOUR),
                on(back_to_days, r.DRAFT_OTHER_DAY),
                *typed(hour_typed),
            ],
            POLL: [on(candidates_done, r.DRAFT_CANDIDATES_DONE), *typed(candidate_typed)],
            DURATION: pressed(on(review.duration_chosen, r.DRAFT_DURATION)),
            PLACE: [on(review.place_usual, r.DRAFT_USUAL_PLACE), *typed(review.place_typed)],
            CAPACITY: [on(review.capacity_chosen, r.DRAFT_CAPACITY), *typed(review.capacity_typed)],
            OPENNESS: pressed(on(review.openness_chosen, r.DRAFT_OPENNESS)),
            AGENDA: [on(review.agenda_skipped, r.DRAFT_SKIP_AGENDA), *typed(review.agenda_typed)],
            REVIEW: pressed(
                on(review.send, r.DRAFT_SEND),
                on(review.edit_asked, r.DRAFT_EDIT),
                on(review.openness_chosen, r.DRAFT_OPENNESS),
            ),
        },
        fallbacks=[*stop_handlers(), CommandHandler("meeting", private_only(new_meeting))],
    )
