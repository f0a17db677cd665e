"""The sign-up's questions, one step each: name, phone, street, skills, problem areas and
availability. After a step comes the next one, or the review when one field is changed."""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Any

from telegram import KeyboardButton, ReplyKeyboardMarkup, ReplyKeyboardRemove, Update

from bot.i18n import current_language
from bot.i18n import gettext as _
from bot.services import groups as groups_service
from bot.services import members as members_service
from bot.services import volunteers as service
from bot.services.errors import DomainError
from handlers import keyboards as kb
from handlers.common import Context, answer, domain_message, esc, is_skip_word, pressed, reply
from handlers.volunteers import routes as r
from handlers.volunteers.shared import (
    CHECK,
    availability_name,
    draft_of,
    keep,
    show,
    show_review,
)
from models import AVAILABILITY


async def _next(update: Update, context: Context, step: int) -> int:
    """After a step: the review when editing one field, else the following question."""
    assert context.user_data is not None
    if context.user_data.get(r.EDITING_KEY) or step == r.REVIEW:
        return await show_review(update, context)
    return await STEPS[step](update, context)


async def ask_name(update: Update, context: Context) -> int:
    draft = draft_of(context)
    use = _("Use “{name}”").format(name=draft.name[:40])
    rows = [[r.KEEP_NAME.button(use)]] if draft.name else []
    await reply(
        update,
        _("What name should the coordinators see? Send it, or use the one you have."),
        kb.markup(rows) if rows else None,
    )
    return r.NAME


async def name_typed(update: Update, context: Context) -> int:
    assert update.effective_message is not None and update.effective_chat is not None
    try:
        name = members_service.clean_name(update.effective_message.text)
    except DomainError as error:
        await update.effective_chat.send_message(esc(domain_message(error)))
        return await ask_name(update, context)
    draft = draft_of(context)
    draft.name = name
    keep(context, draft)
    return await _next(update, context, r.PHONE)


async def name_kept(update: Update, context: Context) -> int:
    await answer(update)
    return await _next(update, context, r.PHONE)


def phone_keyboard() -> ReplyKeyboardMarkup:
    # Not one-time: every hint at this step shows the same two buttons again.
    return ReplyKeyboardMarkup(
        [
            [KeyboardButton(_("Share my phone number"), request_contact=True)],
            [KeyboardButton(_("Without a phone number"))],
        ],
        resize_keyboard=True,
    )


async def ask_phone(update: Update, context: Context) -> int:
    assert update.effective_chat is not None
    await update.effective_chat.send_message(
        _(
            "May the coordinators call you? Share your number with the button below "
            "(Telegram sends the number of your account), type it, or go on without it."
        ),
        reply_markup=phone_keyboard(),
    )
    return r.PHONE


async def contact_shared(update: Update, context: Context) -> int:
    message, user = update.effective_message, update.effective_user
    assert message is not None and user is not None and message.contact is not None
    if message.contact.user_id != user.id:
        await message.reply_text(
            _("That is someone else's contact. Please share your own with the button below."),
            reply_markup=phone_keyboard(),
        )
        return r.PHONE
    draft = draft_of(context)
    try:
        draft.phone = service.clean_phone(message.contact.phone_number)
    except DomainError:
        draft.phone = message.contact.phone_number[: service.PHONE_MAX]
    keep(context, draft)
    await message.reply_text(
        _("Thank you, I have your number."), reply_markup=ReplyKeyboardRemove()
    )
    return await _next(update, context, r.STREET)


async def phone_text(update: Update, context: Context) -> int:
    """A typed answer at the phone step: "without", a skip word, or the number itself."""
    message = update.effective_message
    assert message is not None
    typed = (message.text or "").strip()
    draft = draft_of(context)
    if typed == _("Without a phone number") or is_skip_word(typed):
        draft.phone = None
        keep(context, draft)
        await message.reply_text(
            _("All right, no phone number."), reply_markup=ReplyKeyboardRemove()
        )
        return await _next(update, context, r.STREET)
    try:
        draft.phone = service.clean_phone(typed)
    except DomainError as error:
        await message.reply_text(
            esc(domain_message(error))
            + "\n"
            + _("You can also share your number with the button below, or go on without it."),
            reply_markup=phone_keyboard(),
        )
        return r.PHONE
    keep(context, draft)
    await message.reply_text(
        _("Thank you, I have your number: {phone}.").format(phone=esc(draft.phone)),
        reply_markup=ReplyKeyboardRemove(),
    )
    return await _next(update, context, r.STREET)


async def ask_street(update: Update, context: Context) -> int:
    streets = context.runtime.profile.streets
    buttons = [r.STREET_PICK.button(street, index) for index, street in enumerate(streets)]
    buttons.append(r.STREET_PICK.button(_("Other street"), "-"))
    assert update.effective_chat is not None
    await update.effective_chat.send_message(
        _("Which street do you live on?"), reply_markup=kb.markup(kb.grid(buttons, 2))
    )
    return r.STREET


async def street_chosen(update: Update, context: Context) -> int:
    data = await pressed(update)
    streets = context.runtime.profile.streets
    index = data.int_arg(0)
    draft = draft_of(context)
    if data.arg(0) == "-":
        draft.street = None
    elif index is not None and 0 <= index < len(streets):
        draft.street = streets[index]
    else:
        await answer(update, _("This button is no longer available."))
        return r.STREET
    keep(context, draft)
    return await _next(update, context, r.SKILLS)


def _skills_screen(context: Context, draft: service.Draft) -> tuple[str, kb.InlineKeyboardMarkup]:
    suggestions = context.runtime.profile.skill_suggestions(current_language())
    chosen = {s.strip().casefold() for s in draft.skills.split(",")}
    buttons = [
        r.SKILL.button((CHECK if s.casefold() in chosen else "") + s, index)
        for index, s in enumerate(suggestions)
    ]
    rows = kb.grid(buttons, 2)
    rows.append([r.SKILL.button(_("Clear"), "clr"), r.SKILL.button(_("Next »"), "ok")])
    text = _("What can you do? Type it in your own words, or pick from the suggestions.")
    if draft.skills:
        text += "\n\n" + _("So far: {skills}").format(skills=esc(draft.skills))
    return text, kb.markup(rows)


async def ask_skills(update: Update, context: Context) -> int:
    text, keyboard = _skills_screen(context, draft_of(context))
    assert update.effective_chat is not None
    await update.effective_chat.send_message(text, reply_markup=keyboard)
    return r.SKILLS


def _add_skill(skills: str, skill: str) -> str:
    parts = [p.strip() for p in skills.split(",") if p.strip()]
    if skill.casefold() in {p.casefold() for p in parts}:
        parts = [p for p in parts if p.casefold() != skill.casefold()]
    else:
        parts.append(skill)
    return ", ".join(parts)


async def skills_typed(update: Update, context: Context) -> int:
    assert update.effective_message is not None and update.effective_chat is not None
    draft = draft_of(context)
    try:
        typed = service.clean_skills(update.effective_message.text)
        draft.skills = service.clean_skills(f"{draft.skills}, {typed}" if draft.skills else typed)
    except DomainError as error:
        await update.effective_chat.send_message(esc(domain_message(error)))
        return r.SKILLS
    keep(context, draft)
    return await ask_skills(update, context)


async def skills_button(update: Update, context: Context) -> int:
    data = await pressed(update)
    draft = draft_of(context)
    if data.arg(0) == "ok":
        return await _next(update, context, r.AREAS)
    if data.arg(0) == "clr":
        draft.skills = ""
    else:
        suggestions = context.runtime.profile.skill_suggestions(current_language())
        index = data.int_arg(0)
        if index is None or not 0 <= index < len(suggestions):
            return r.SKILLS
        skills = _add_skill(draft.skills, suggestions[index])
        if len(skills) > service.SKILLS_MAX:
            await answer(update, _("That is enough skills."))
            return r.SKILLS
        draft.skills = skills
    keep(context, draft)
    return await show(update, _skills_screen(context, draft), r.SKILLS)


async def _areas_screen(context: Context, draft: service.Draft) -> tuple[str, Any]:
    async with context.runtime.db.session() as session:
        areas = await groups_service.areas(session)
    rows = [
        [
            r.AREA.button(
                (CHECK if a.slug in draft.areas else "")
                + (a.names.get(current_language()) or a.slug),
                a.id,
            )
        ]
        for a in areas
    ]
    rows.append([r.AREA.button(_("Next »"), "ok")])
    return _("Which problems would you like to help with? Tick any, then press Next."), kb.markup(
        rows
    )


async def ask_areas(update: Update, context: Context) -> int:
    return await show(update, await _areas_screen(context, draft_of(context)), r.AREAS)


async def area_toggled(update: Update, context: Context) -> int:
    data = await pressed(update)
    if data.arg(0) == "ok":
        return await _next(update, context, r.AVAIL)
    async with context.runtime.db.session() as session:
        areas = {a.id: a.slug for a in await groups_service.areas(session)}
    draft = draft_of(context)
    if data.int_arg(0) not in areas:
        return r.AREAS
    draft.areas = service.toggle(draft.areas, areas[data.int_arg(0)], list(areas.values()))  # type: ignore[index]
    keep(context, draft)
    return await show(update, await _areas_screen(context, draft), r.AREAS)


def _availability_screen(draft: service.Draft) -> tuple[str, Any]:
    rows = [
        [
            r.AVAILABILITY.button(
                (CHECK if code in draft.availability else "") + availability_name(code), code
            )
        ]
        for code in AVAILABILITY
    ]
    rows.append([r.AVAILABILITY.button(_("Next »"), "ok")])
    return _("When can you usually help? Tick any, then press Next."), kb.markup(rows)


async def ask_availability(update: Update, context: Context) -> int:
    return await show(update, _availability_screen(draft_of(context)), r.AVAIL)


async def availability_toggled(update: Update, context: Context) -> int:
    data = await pressed(update)
    if data.arg(0) == "ok":
        return await _next(update, context, r.REVIEW)
    draft = draft_of(context)
    if data.arg(0) not in AVAILABILITY:
        return r.AVAIL
    draft.availability = service.toggle(draft.availability, data.arg(0), AVAILABILITY)
    keep(context, draft)
    return await show(update, _availability_screen(draft), r.AVAIL)


STEPS = {
    r.NAME: ask_name,
    r.PHONE: ask_phone,
    r.STREET: ask_street,
    r.SKILLS: ask_skills,
    r.AREAS: ask_areas,
    r.AVAIL: ask_availability,
    r.REVIEW: show_review,
}


async def not_expected(update: Update, context: Context) -> None:
    assert update.effective_chat is not None
    await update.effective_chat.send_message(
        _("Please answer with the buttons or type your answer (or send /cancel to stop).")
    )


def reask(step: int) -> Callable[[Update, Context], Coroutine[Any, Any, int]]:
    """Anything unexpected at a step: a short hint, then the step's question and buttons."""

    async def handler(update: Update, context: Context) -> int:
        await not_expected(update, context)
        return await STEPS[step](update, context)

    return handler
