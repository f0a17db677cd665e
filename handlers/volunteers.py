"""/volunteer (a resident offers help) and /volunteers (coordinators find helpers)."""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Any

from telegram import KeyboardButton, ReplyKeyboardMarkup, ReplyKeyboardRemove, Update
from telegram.ext import (
    CallbackQueryHandler,
    CommandHandler,
    ConversationHandler,
    MessageHandler,
    filters,
)

from bot.i18n import N_, current_language, ngettext
from bot.i18n import gettext as _
from bot.services import groups as groups_service
from bot.services import members as members_service
from bot.services import volunteers as service
from bot.services.errors import DomainError
from handlers import keyboards as kb
from handlers.common import (
    END,
    TYPED,
    App,
    Context,
    answer,
    domain_message,
    esc,
    is_skip_word,
    pressed,
    private_only,
    reply,
    requires,
)
from handlers.registry import CommandSpec, MenuEntry
from models import AVAILABILITY, Member, Role, Volunteer

F = "vo"  # sign-up
B = "vs"  # browse
NAME, PHONE, STREET, SKILLS, AREAS, AVAIL, REVIEW, SKILL_WORD = range(8)
DRAFT_KEY = "volunteer_draft"
EDITING_KEY = "volunteer_editing"
FILTER_KEY = "volunteer_filter"
PAGE = 10
CHECK = "✅ "
COMMANDS = [
    CommandSpec("volunteer", N_("Offer your help as a volunteer")),
    CommandSpec("volunteers", N_("Find volunteers"), Role.COORDINATOR),
]
MENU = [
    MenuEntry(N_("Volunteer"), F, Role.RESIDENT, order=50),
    MenuEntry(N_("Volunteers"), B, Role.COORDINATOR, order=55),
]


def availability_name(code: str) -> str:
    names = {
        "weekday": _("weekdays"),
        "evening": _("evenings"),
        "weekend": _("weekends"),
    }
    return names.get(code, code)


def _draft(context: Context) -> service.Draft:
    assert context.user_data is not None
    return service.Draft.from_dict(context.user_data.get(DRAFT_KEY))


def _keep(context: Context, draft: service.Draft) -> None:
    assert context.user_data is not None
    context.user_data[DRAFT_KEY] = draft.as_dict()


async def _area_names(context: Context) -> dict[str, str]:
    async with context.runtime.db.session() as session:
        areas = await groups_service.areas(session)
    return {a.slug: a.names.get(current_language()) or a.slug for a in areas}


def card(draft: service.Draft, area_names: dict[str, str]) -> str:
    none = "—"
    lines = [
        _("Name: {value}").format(value=esc(draft.name)),
        _("Phone: {value}").format(value=esc(draft.phone) if draft.phone else none),
        _("Street: {value}").format(value=esc(draft.street) if draft.street else _("other")),
        _("Skills: {value}").format(value=esc(draft.skills) if draft.skills else none),
        _("Areas of interest: {value}").format(
            value=", ".join(esc(area_names.get(a, a)) for a in draft.areas) or none
        ),
        _("Available: {value}").format(
            value=", ".join(availability_name(a) for a in draft.availability) or none
        ),
    ]
    return "\n".join(lines)


# --- the sign-up conversation -------------------------------------------------------------


async def _own_profile(update: Update, context: Context) -> tuple[Member, Volunteer | None]:
    """The press answered: the member and their volunteer profile, if they have one."""
    await answer(update)
    member = context.me
    async with context.runtime.db.session() as session:
        volunteer = await service.get_for_member(session, member.id)  # type: ignore[arg-type]
    return member, volunteer


@requires(Role.RESIDENT)
async def entry(update: Update, context: Context) -> int:
    """/volunteer: the profile if there is one, else the first question."""
    member, volunteer = await _own_profile(update, context)
    assert context.user_data is not None
    if volunteer is not None:
        await show_profile(update, context, volunteer)
        return END
    context.user_data[EDITING_KEY] = False
    _keep(context, service.Draft(name=member.display_name or ""))
    return await ask_name(update, context)


async def show_profile(update: Update, context: Context, volunteer: Volunteer) -> None:
    text = (
        "<b>"
        + _("You are signed up as a volunteer.")
        + "</b>\n\n"
        + card(service.Draft.from_volunteer(volunteer), await _area_names(context))
    )
    rows = [
        [kb.button(_("Edit"), F, "edit")],
        [kb.button(_("Withdraw"), F, "wd")],
        [kb.button(_("Opportunities to help"), "op")],
    ]
    await reply(update, text, kb.with_menu(rows))


@requires(Role.RESIDENT)
async def edit(update: Update, context: Context) -> int:
    _member, volunteer = await _own_profile(update, context)
    assert context.user_data is not None
    if volunteer is None:
        return await entry(update, context)
    context.user_data[EDITING_KEY] = True
    _keep(context, service.Draft.from_volunteer(volunteer))
    return await show_review(update, context)


async def _next(update: Update, context: Context, step: int) -> int:
    """After a step: the review when editing one field, else the following question."""
    assert context.user_data is not None
    if context.user_data.get(EDITING_KEY) or step == REVIEW:
        return await show_review(update, context)
    return await STEPS[step](update, context)


async def ask_name(update: Update, context: Context) -> int:
    draft = _draft(context)
    rows = (
        [[kb.button(_("Use “{name}”").format(name=draft.name[:40]), F, "name")]]
        if draft.name
        else []
    )
    await reply(
        update,
        _("What name should the coordinators see? Send it, or use the one you have."),
        kb.markup(rows) if rows else None,
    )
    return NAME


async def name_typed(update: Update, context: Context) -> int:
    assert update.effective_message is not None and update.effective_chat is not None
    try:
        name = members_service.clean_name(update.effective_message.text)
    except DomainError as error:
        await update.effective_chat.send_message(esc(domain_message(error)))
        return await ask_name(update, context)
    draft = _draft(context)
    draft.name = name
    _keep(context, draft)
    return await _next(update, context, PHONE)


async def name_kept(update: Update, context: Context) -> int:
    await answer(update)
    return await _next(update, context, PHONE)


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
    return PHONE


async def contact_shared(update: Update, context: Context) -> int:
    message, user = update.effective_message, update.effective_user
    assert message is not None and user is not None and message.contact is not None
    if message.contact.user_id != user.id:
        await message.reply_text(
            _("That is someone else's contact. Please share your own with the button below."),
            reply_markup=phone_keyboard(),
        )
        return PHONE
    draft = _draft(context)
    try:
        draft.phone = service.clean_phone(message.contact.phone_number)
    except DomainError:
        draft.phone = message.contact.phone_number[: service.PHONE_MAX]
    _keep(context, draft)
    await message.reply_text(
        _("Thank you, I have your number."), reply_markup=ReplyKeyboardRemove()
    )
    return await _next(update, context, STREET)


async def phone_text(update: Update, context: Context) -> int:
    """A typed answer at the phone step: "without", a skip word, or the number itself."""
    message = update.effective_message
    assert message is not None
    typed = (message.text or "").strip()
    draft = _draft(context)
    if typed == _("Without a phone number") or is_skip_word(typed):
        draft.phone = None
        _keep(context, draft)
        await message.reply_text(
            _("All right, no phone number."), reply_markup=ReplyKeyboardRemove()
        )
        return await _next(update, context, STREET)
    try:
        draft.phone = service.clean_phone(typed)
    except DomainError as error:
        await message.reply_text(
            esc(domain_message(error))
            + "\n"
            + _("You can also share your number with the button below, or go on without it."),
            reply_markup=phone_keyboard(),
        )
        return PHONE
    _keep(context, draft)
    await message.reply_text(
        _("Thank you, I have your number: {phone}.").format(phone=esc(draft.phone)),
        reply_markup=ReplyKeyboardRemove(),
    )
    return await _next(update, context, STREET)


async def ask_street(update: Update, context: Context) -> int:
    streets = context.runtime.profile.streets
    buttons = [kb.button(street, F, "st", index) for index, street in enumerate(streets)]
    buttons.append(kb.button(_("Other street"), F, "st", "-"))
    assert update.effective_chat is not None
    await update.effective_chat.send_message(
        _("Which street do you live on?"), reply_markup=kb.markup(kb.grid(buttons, 2))
    )
    return STREET


async def street_chosen(update: Update, context: Context) -> int:
    data = await pressed(update)
    streets = context.runtime.profile.streets
    index = data.int_arg(0)
    draft = _draft(context)
    if data.arg(0) == "-":
        draft.street = None
    elif index is not None and 0 <= index < len(streets):
        draft.street = streets[index]
    else:
        await answer(update, _("This button is no longer available."))
        return STREET
    _keep(context, draft)
    return await _next(update, context, SKILLS)


def _skills_screen(context: Context, draft: service.Draft) -> tuple[str, kb.InlineKeyboardMarkup]:
    suggestions = context.runtime.profile.skill_suggestions(current_language())
    chosen = {s.strip().casefold() for s in draft.skills.split(",")}
    buttons = [
        kb.button((CHECK if s.casefold() in chosen else "") + s, F, "sk", index)
        for index, s in enumerate(suggestions)
    ]
    rows = kb.grid(buttons, 2)
    rows.append([kb.button(_("Clear"), F, "sk", "clr"), kb.button(_("Next »"), F, "sk", "ok")])
    text = _("What can you do? Type it in your own words, or pick from the suggestions.")
    if draft.skills:
        text += "\n\n" + _("So far: {skills}").format(skills=esc(draft.skills))
    return text, kb.markup(rows)


async def _show(update: Update, screen: tuple[str, Any], step: int) -> int:
    """A step's screen in place of the pressed message; the conversation is at `step`."""
    text, keyboard = screen
    await reply(update, text, keyboard)
    return step


async def ask_skills(update: Update, context: Context) -> int:
    text, keyboard = _skills_screen(context, _draft(context))
    assert update.effective_chat is not None
    await update.effective_chat.send_message(text, reply_markup=keyboard)
    return SKILLS


def _add_skill(skills: str, skill: str) -> str:
    parts = [p.strip() for p in skills.split(",") if p.strip()]
    if skill.casefold() in {p.casefold() for p in parts}:
        parts = [p for p in parts if p.casefold() != skill.casefold()]
    else:
        parts.append(skill)
    return ", ".join(parts)


async def skills_typed(update: Update, context: Context) -> int:
    assert update.effective_message is not None and update.effective_chat is not None
    draft = _draft(context)
    try:
        typed = service.clean_skills(update.effective_message.text)
        draft.skills = service.clean_skills(f"{draft.skills}, {typed}" if draft.skills else typed)
    except DomainError as error:
        await update.effective_chat.send_message(esc(domain_message(error)))
        return SKILLS
    _keep(context, draft)
    return await ask_skills(update, context)


async def skills_button(update: Update, context: Context) -> int:
    data = await pressed(update)
    draft = _draft(context)
    if data.arg(0) == "ok":
        return await _next(update, context, AREAS)
    if data.arg(0) == "clr":
        draft.skills = ""
    else:
        suggestions = context.runtime.profile.skill_suggestions(current_language())
        index = data.int_arg(0)
        if index is None or not 0 <= index < len(suggestions):
            return SKILLS
        skills = _add_skill(draft.skills, suggestions[index])
        if len(skills) > service.SKILLS_MAX:
            await answer(update, _("That is enough skills."))
            return SKILLS
        draft.skills = skills
    _keep(context, draft)
    return await _show(update, _skills_screen(context, draft), SKILLS)


async def _areas_screen(context: Context, draft: service.Draft) -> tuple[str, Any]:
    async with context.runtime.db.session() as session:
        areas = await groups_service.areas(session)
    rows = [
        [
            kb.button(
                (CHECK if a.slug in draft.areas else "")
                + (a.names.get(current_language()) or a.slug),
                F,
                "ar",
                a.id,
            )
        ]
        for a in areas
    ]
    rows.append([kb.button(_("Next »"), F, "ar", "ok")])
    return _("Which problems would you like to help with? Tick any, then press Next."), kb.markup(
        rows
    )


async def ask_areas(update: Update, context: Context) -> int:
    return await _show(update, await _areas_screen(context, _draft(context)), AREAS)


async def area_toggled(update: Update, context: Context) -> int:
    data = await pressed(update)
    if data.arg(0) == "ok":
        return await _next(update, context, AVAIL)
    async with context.runtime.db.session() as session:
        areas = {a.id: a.slug for a in await groups_service.areas(session)}
    draft = _draft(context)
    if data.int_arg(0) not in areas:
        return AREAS
    draft.areas = service.toggle(draft.areas, areas[data.int_arg(0)], list(areas.values()))  # type: ignore[index]
    _keep(context, draft)
    return await _show(update, await _areas_screen(context, draft), AREAS)


def _availability_screen(draft: service.Draft) -> tuple[str, Any]:
    rows = [
        [
            kb.button(
                (CHECK if code in draft.availability else "") + availability_name(code),
                F,
                "av",
                code,
            )
        ]
        for code in AVAILABILITY
    ]
    rows.append([kb.button(_("Next »"), F, "av", "ok")])
    return _("When can you usually help? Tick any, then press Next."), kb.markup(rows)


async def ask_availability(update: Update, context: Context) -> int:
    return await _show(update, _availability_screen(_draft(context)), AVAIL)


async def availability_toggled(update: Update, context: Context) -> int:
    data = await pressed(update)
    if data.arg(0) == "ok":
        return await _next(update, context, REVIEW)
    draft = _draft(context)
    if data.arg(0) not in AVAILABILITY:
        return AVAIL
    draft.availability = service.toggle(draft.availability, data.arg(0), AVAILABILITY)
    _keep(context, draft)
    return await _show(update, _availability_screen(draft), AVAIL)


async def show_review(update: Update, context: Context) -> int:
    draft = _draft(context)
    text = "<b>" + _("Please check:") + "</b>\n\n" + card(draft, await _area_names(context))
    rows = [
        [kb.button(_("Send"), F, "save")],
        [kb.button(_("Change name"), F, "ch", NAME), kb.button(_("Change phone"), F, "ch", PHONE)],
        [
            kb.button(_("Change street"), F, "ch", STREET),
            kb.button(_("Change skills"), F, "ch", SKILLS),
        ],
        [
            kb.button(_("Change areas"), F, "ch", AREAS),
            kb.button(_("Change availability"), F, "ch", AVAIL),
        ],
        [kb.button(_("Cancel"), F, "quit")],
    ]
    if update.callback_query is not None:
        await reply(update, text, kb.markup(rows))
    else:
        assert update.effective_chat is not None
        await update.effective_chat.send_message(text, reply_markup=kb.markup(rows))
    return REVIEW


async def review_button(update: Update, context: Context) -> int:
    data = await pressed(update)
    assert context.user_data is not None
    if data.action == "ch":
        step = data.int_arg(0)
        if step not in STEPS:
            return REVIEW
        context.user_data[EDITING_KEY] = True
        return await STEPS[step](update, context)  # type: ignore[index]
    if data.action == "quit":
        return await cancel(update, context)
    member = context.member
    assert member is not None
    runtime = context.runtime
    try:
        async with runtime.db.session() as session:
            fresh = await members_service.get(session, member.id)  # type: ignore[arg-type]
            volunteer = await service.save(session, fresh, _draft(context), runtime.profile.streets)
    except DomainError as error:
        await reply(update, esc(domain_message(error)))
        return REVIEW
    context.user_data.pop(DRAFT_KEY, None)
    context.user_data.pop(EDITING_KEY, None)
    await reply(
        update,
        _("Thank you for offering your help! The coordinators will get in touch.")
        + "\n\n"
        + card(service.Draft.from_volunteer(volunteer), await _area_names(context)),
        kb.with_menu([]),
    )
    return END


async def cancel(update: Update, context: Context) -> int:
    assert update.effective_chat is not None and context.user_data is not None
    context.user_data.pop(DRAFT_KEY, None)
    context.user_data.pop(EDITING_KEY, None)
    context.user_data.pop(FILTER_KEY + "_asking", None)
    await update.effective_chat.send_message(
        _("Stopped. Nothing more was saved."), reply_markup=ReplyKeyboardRemove()
    )
    return END


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


@requires(Role.RESIDENT)
async def withdraw(update: Update, context: Context) -> None:
    data = await pressed(update)
    if data.action == "wd":
        await reply(
            update,
            _("Withdraw your volunteer sign-up? Your phone, street and skills will be erased."),
            kb.yes_no(F, "wdc", yes=_("Yes, withdraw"), no=_("No, stay")),
        )
        return
    if data.arg(0) != "y":
        await reply(update, _("You stay signed up. Thank you!"), kb.with_menu([]))
        return
    member = context.member
    assert member is not None
    async with context.runtime.db.session() as session:
        removed = await service.withdraw(session, member)
    text = _("Your volunteer sign-up was withdrawn.") if removed else _("You were not signed up.")
    await reply(update, text, kb.with_menu([]))


STEPS = {
    NAME: ask_name,
    PHONE: ask_phone,
    STREET: ask_street,
    SKILLS: ask_skills,
    AREAS: ask_areas,
    AVAIL: ask_availability,
    REVIEW: show_review,
}


# --- /volunteers: coordinators browse -----------------------------------------------------


def _filter(context: Context) -> service.Filter:
    assert context.user_data is not None
    return service.Filter(**(context.user_data.get(FILTER_KEY) or {}))


def _set_filter(context: Context, **changes: Any) -> None:
    assert context.user_data is not None
    current = dict(context.user_data.get(FILTER_KEY) or {})
    current.update(changes)
    context.user_data[FILTER_KEY] = {k: v for k, v in current.items() if v}


@requires(Role.COORDINATOR)
async def browse(update: Update, context: Context) -> int:
    """The filter screen: each filter a button, and how many match."""
    await answer(update)
    wanted = _filter(context)
    names = await _area_names(context)
    async with context.runtime.db.session() as session:
        found = await service.search(session, wanted)
    # One label per filter when nothing is chosen: "any" agrees with the noun in Polish
    # ("Ulica: dowolna", "Obszar: dowolny").
    street = (_("other") if wanted.street == "-" else wanted.street) if wanted.street else None
    area = names.get(wanted.area) if wanted.area else None
    when = availability_name(wanted.availability) if wanted.availability else None
    rows = [
        [kb.button(_("Area: {v}").format(v=area) if area else _("Area: any"), B, "fa")],
        [kb.button(_("Street: {v}").format(v=street) if street else _("Street: any"), B, "fs")],
        [kb.button(_("Available: {v}").format(v=when) if when else _("Available: any"), B, "fv")],
        [
            kb.button(
                _("Skill: {v}").format(v=wanted.skill[:30]) if wanted.skill else _("Skill: any"),
                B,
                "fk",
            )
        ],
        [
            kb.button(
                ngettext("Show {n} volunteer", "Show {n} volunteers", len(found)).format(
                    n=len(found)
                ),
                B,
                "ls",
                0,
            )
        ],
        [kb.button(_("Clear the filters"), B, "clr")],
        [kb.button(_("Opportunities to help"), "op")],
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
    any_label = {"fa": _("Any area"), "fs": _("Any street"), "fv": _("Any time")}
    anything = kb.button(any_label.get(data.action, _("Any skill")), B, "set", data.action, "x")
    if data.action == "fa":
        async with context.runtime.db.session() as session:
            areas = await groups_service.areas(session)
        buttons = [
            kb.button(a.names.get(current_language()) or a.slug, B, "set", "fa", a.id)
            for a in areas
        ]
    elif data.action == "fs":
        streets = context.runtime.profile.streets
        buttons = [kb.button(s, B, "set", "fs", i) for i, s in enumerate(streets)]
        buttons.append(kb.button(_("Other street"), B, "set", "fs", "-"))
    else:
        buttons = [
            kb.button(availability_name(code), B, "set", "fv", code) for code in AVAILABILITY
        ]
    await reply(update, _("Choose:"), kb.with_menu([[anything], *kb.grid(buttons, 2)]))


@requires(Role.COORDINATOR)
async def filter_set(update: Update, context: Context) -> int:
    data = kb.parse(update.callback_query.data if update.callback_query else None)
    which, value = data.arg(0), data.arg(1)
    if value == "x":
        key = {"fa": "area", "fs": "street", "fv": "availability", "fk": "skill"}.get(which)
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
    context.user_data.pop(FILTER_KEY, None)
    return await browse(update, context)


@requires(Role.COORDINATOR)
async def ask_skill_word(update: Update, context: Context) -> int:
    await answer(update)
    await reply(
        update,
        _("Send a word to look for in the skills (for example: cooking), or /cancel."),
        kb.markup([[kb.button(_("Any skill"), B, "set", "fk", "x")]]),
    )
    return SKILL_WORD


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
        await reply(
            update,
            _("No volunteer matches these filters."),
            kb.with_menu([[kb.button(_("Filters"), B)]]),
        )
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
        rows.append([kb.button(volunteer.name[:40], B, "p", volunteer.id, page)])
    rows.append(kb.pager(B, "ls", page, pages))
    rows.append([kb.button(_("Filters"), B)])
    await reply(update, "\n".join(lines), kb.with_menu(rows))


@requires(Role.COORDINATOR)
async def profile(update: Update, context: Context) -> None:
    data = await pressed(update)
    try:
        async with context.runtime.db.session() as session:
            volunteer = await service.get(session, data.int_arg(0))
            member: Member = await members_service.get(session, volunteer.member_id)
    except DomainError as error:
        await reply(
            update, esc(domain_message(error)), kb.with_menu([[kb.button(_("Filters"), B)]])
        )
        return
    text = card(service.Draft.from_volunteer(volunteer), await _area_names(context))
    link = f'<a href="tg://user?id={member.telegram_id}">{esc(volunteer.name)}</a>'
    text += "\n\n" + _("Write to {name}").format(name=link)
    if not member.reachable:
        text += "\n" + _("This person has blocked the bot; call them if you can.")
    rows = [[kb.button(_("« Back to the list"), B, "ls", data.int_arg(1) or 0)]]
    await reply(update, text, kb.with_menu(rows))


def register(application: App) -> None:
    other = ~filters.COMMAND & ~filters.StatusUpdate.ALL
    signup = ConversationHandler(
        entry_points=[
            CommandHandler("volunteer", private_only(entry)),
            CallbackQueryHandler(entry, pattern=rf"^{F}$"),
            CallbackQueryHandler(edit, pattern=rf"^{F}:edit$"),
        ],
        states={
            NAME: [
                MessageHandler(TYPED, name_typed),
                CallbackQueryHandler(name_kept, pattern=rf"^{F}:name$"),
                MessageHandler(other, reask(NAME)),
            ],
            PHONE: [
                MessageHandler(filters.CONTACT, contact_shared),
                MessageHandler(TYPED, phone_text),
                MessageHandler(other, reask(PHONE)),
            ],
            STREET: [
                CallbackQueryHandler(street_chosen, pattern=rf"^{F}:st:"),
                MessageHandler(other, reask(STREET)),
            ],
            SKILLS: [
                MessageHandler(TYPED, skills_typed),
                CallbackQueryHandler(skills_button, pattern=rf"^{F}:sk:"),
                MessageHandler(other, reask(SKILLS)),
            ],
            AREAS: [
                CallbackQueryHandler(area_toggled, pattern=rf"^{F}:ar:"),
                MessageHandler(other, reask(AREAS)),
            ],
            AVAIL: [
                CallbackQueryHandler(availability_toggled, pattern=rf"^{F}:av:"),
                MessageHandler(other, reask(AVAIL)),
            ],
            REVIEW: [
                CallbackQueryHandler(review_button, pattern=rf"^{F}:(save|ch|quit)"),
                MessageHandler(other, reask(REVIEW)),
            ],
        },
        fallbacks=[
            CommandHandler("cancel", cancel),
            CommandHandler("volunteer", private_only(entry)),
            MessageHandler(other, not_expected),
        ],
        name="volunteer",
        persistent=True,
        allow_reentry=True,
    )
    application.add_handler(signup)
    skill_word = ConversationHandler(
        entry_points=[CallbackQueryHandler(ask_skill_word, pattern=rf"^{B}:fk$")],
        states={
            SKILL_WORD: [
                MessageHandler(TYPED, skill_word_typed),
                CallbackQueryHandler(skill_word_cleared, pattern=rf"^{B}:set:fk:x$"),
            ]
        },
        fallbacks=[CommandHandler("cancel", cancel)],
        name="volunteer_skill_word",
        persistent=True,
        allow_reentry=True,
    )
    application.add_handler(skill_word)
    application.add_handler(CallbackQueryHandler(withdraw, pattern=rf"^{F}:(wd|wdc)"))
    application.add_handler(CommandHandler("volunteers", private_only(browse)))
    application.add_handler(CallbackQueryHandler(browse, pattern=rf"^{B}$"))
    application.add_handler(CallbackQueryHandler(filter_menu, pattern=rf"^{B}:(fa|fs|fv)$"))
    application.add_handler(CallbackQueryHandler(filter_set, pattern=rf"^{B}:set:"))
    application.add_handler(CallbackQueryHandler(clear_filters, pattern=rf"^{B}:clr$"))
    application.add_handler(CallbackQueryHandler(listing, pattern=rf"^{B}:ls:\d+$"))
    application.add_handler(CallbackQueryHandler(profile, pattern=rf"^{B}:p:\d+"))
