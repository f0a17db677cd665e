"""/start onboarding (consent, name, institution, language), main menu, /help, /language."""

from __future__ import annotations

import logging

from telegram import Update
from telegram.ext import (
    Application,
    CallbackQueryHandler,
    CommandHandler,
    ConversationHandler,
    MessageHandler,
    filters,
)

from bot.i18n import N_, current_language, set_language, use_language
from bot.i18n import gettext as _
from bot.services import invites as invites_service
from bot.services import members as members_service
from bot.services.errors import DomainError
from handlers import commands as commands_module
from handlers import keyboards as kb
from handlers.common import (
    END,
    Context,
    answer,
    domain_message,
    esc,
    not_registered_text,
    private_only,
    reply,
)
from handlers.registry import CommandSpec
from models import Member, Role

log = logging.getLogger(__name__)

CONSENT, NAME, INSTITUTION = range(3)
F = "ob"  # callback feature prefix for onboarding
INVITE_KEY = "pending_invite"
LANGUAGE_KEY = "language"

COMMANDS = [
    CommandSpec("start", N_("Start, or show the main menu"), min_role=None),
    CommandSpec("help", N_("What I can do for you"), min_role=None),
    CommandSpec("language", N_("Change the language"), min_role=None),
    CommandSpec("cancel", N_("Stop what you are doing"), min_role=None),
    CommandSpec("menu", N_("Main menu"), min_role=None),
]
START = kb.route(F, "go")  # "Start" under a reply to a stranger


def role_name(role: str) -> str:
    names = {
        Role.RESIDENT: _("resident"),
        Role.LEADER: _("leader"),
        Role.LEAD: _("group lead"),
        Role.COORDINATOR: _("coordinator"),
    }
    return names[Role(role)]


# --- screens ---------------------------------------------------------------------------


def consent_screen() -> tuple[str, kb.InlineKeyboardMarkup]:
    text = "\n\n".join(
        [
            _("Good morning! I am the bot of the Local Development Leaders Team."),
            _(
                "I help the team between meetings: working groups, meetings and reminders, "
                "ideas and local resources, volunteering."
            ),
            "<b>"
            + _("Privacy")
            + "</b>\n"
            + _(
                "To take part I need to store your name, optionally your institution, and what "
                "you send me. Only the programme's coordinators and members of your groups see "
                "it. You can see everything I keep with /mydata and erase it with /forget."
            )
            + " "
            + _(
                "If you erase your data, your attendance at meetings that took place stays "
                "in the programme's figures anonymously, without your name."
            ),
            _("Do you agree?"),
        ]
    )
    keyboard = kb.markup(
        [
            [
                kb.button(_("I agree"), F, "consent", "y"),
                kb.button(_("I don't agree"), F, "consent", "n"),
            ],
            kb.language_buttons(F, "lang"),
        ]
    )
    return text, keyboard


def name_prompt(suggestion: str | None) -> tuple[str, kb.InlineKeyboardMarkup | None]:
    text = _("How should others in the team see you? Send your name, for example: Anna Kowalska.")
    if suggestion:
        return text, kb.markup(
            [[kb.button(_("Use “{name}”").format(name=suggestion[:40]), F, "tgname")]]
        )
    return text, None


def institution_prompt(institutions: tuple[str, ...]) -> tuple[str, kb.InlineKeyboardMarkup]:
    text = _(
        "Which institution or organisation do you represent? Pick one, type its name, "
        "or skip if you are here as a resident."
    )
    buttons = [kb.button(name, F, "inst", index) for index, name in enumerate(institutions)]
    rows = [[b] for b in buttons]
    rows.append([kb.button(_("Skip"), F, "inst", "skip")])
    return text, kb.markup(rows)


# The main menu's keyboard by language and entries shown: the same for everyone with the
# same role, built once (a keyboard is immutable; building its buttons costs more than the
# database read of a /start).
_MENU_KEYBOARDS: dict[tuple[object, ...], kb.InlineKeyboardMarkup] = {}


def _menu_keyboard(role: Role) -> kb.InlineKeyboardMarkup:
    from handlers import menu_entries

    entries = [e for e in menu_entries() if role.at_least(e.min_role)]
    entries.sort(key=lambda e: e.order)
    key = (current_language(), *((e.label, e.callback_data) for e in entries))
    keyboard = _MENU_KEYBOARDS.get(key)
    if keyboard is None:
        buttons = [kb.button(_(e.label), *e.callback_data.split(kb.SEP)) for e in entries]
        keyboard = _MENU_KEYBOARDS[key] = kb.markup(kb.grid(buttons, 2))
    return keyboard


def main_menu(member: Member) -> tuple[str, kb.InlineKeyboardMarkup]:
    role = Role(member.role)
    text = _("Hello, {name}! Your role: {role}. What would you like to do?").format(
        name=esc(member.display_name or ""), role=role_name(member.role)
    )
    return text, _menu_keyboard(role)


_HELP_TEXTS: dict[tuple[str, bool, Role], str] = {}


def help_text(member: Member | None) -> str:
    """What /help says: the same for everyone with the same language, role and sign-up
    state, so it is put together once."""
    registered = member is not None and member.is_registered
    role = Role(member.role) if member is not None else Role.RESIDENT
    key = (current_language(), registered, role)
    text = _HELP_TEXTS.get(key)
    if text is None:
        text = _HELP_TEXTS[key] = _help_text(registered, role)
    return text


def _help_text(registered: bool, role: Role) -> str:
    from handlers import all_commands

    lines = ["<b>" + _("What I can do for you") + "</b>", ""]
    for spec in all_commands():
        if spec.scope != "private":
            continue
        if spec.min_role is not None and (not registered or not role.at_least(spec.min_role)):
            continue
        lines.append(f"/{spec.name} — {_(spec.description)}")
    if not registered:
        lines += ["", not_registered_text()]
    else:
        lines += ["", _("You can also use the buttons of the main menu: /start.")]
    return "\n".join(lines)


# --- the conversation -------------------------------------------------------------------


def _telegram_name(update: Update) -> str | None:
    user = update.effective_user
    if user is None:
        return None
    return " ".join(p for p in (user.first_name, user.last_name) if p).strip() or None


async def start(update: Update, context: Context) -> int:
    """/start [payload]: onboarding for newcomers, the main menu for everyone else."""
    user = update.effective_user
    message = update.effective_message
    assert user is not None and message is not None and context.user_data is not None
    payload = context.args[0] if context.args else None
    code = invites_service.code_from_payload(payload) if payload else None
    if payload and code is None:
        await message.reply_text(
            _("This invite link is not valid. Ask the coordinator for a new one.")
        )
    runtime = context.runtime
    # Loaded for this update by handlers/system.py (coordinators' roles already raised there).
    member = context.member
    if member is None:
        async with runtime.db.session() as session:
            member = await members_service.ensure_member(
                session, user.id, runtime.settings.bot_coordinators
            )
        context.member = member
    if member.is_registered:
        if code:
            await _redeem(update, context, member, code)
        text, keyboard = main_menu(member)
        await message.reply_text(text, reply_markup=keyboard)
        return END
    if code:
        context.user_data[INVITE_KEY] = code
    if member.has_consented:
        prompt, suggestion = name_prompt(_telegram_name(update))
        await message.reply_text(prompt, reply_markup=suggestion)
        return NAME
    text, keyboard = consent_screen()
    await message.reply_text(text, reply_markup=keyboard)
    return CONSENT


async def choose_language_in_onboarding(update: Update, context: Context) -> int:
    query = kb.parse(update.callback_query.data if update.callback_query else None)
    language = query.arg(0)
    assert context.user_data is not None
    if language in ("pl", "en", "uk"):
        context.user_data[LANGUAGE_KEY] = language
        set_language(language)
    await answer(update)
    text, keyboard = consent_screen()
    await reply(update, text, keyboard)
    return CONSENT


async def consent(update: Update, context: Context) -> int:
    user = update.effective_user
    assert user is not None and context.user_data is not None
    choice = kb.parse(update.callback_query.data if update.callback_query else None).arg(0)
    await answer(update)
    runtime = context.runtime
    if choice != "y":
        # Keep only what the message says: the Telegram number (the member row), nothing else.
        context.user_data.clear()
        await reply(
            update,
            _(
                "All right. I keep nothing about you except your Telegram number, so that I "
                "know not to ask again, and I can't send you anything about the team. If you "
                "change your mind, send /start."
            ),
        )
        return END

    async with runtime.db.session() as session:
        member = await members_service.ensure_member(
            session, user.id, runtime.settings.bot_coordinators, known=context.member
        )
        await members_service.give_consent(session, member, current_language())
    context.member = member
    context.user_data.pop(LANGUAGE_KEY, None)
    await reply(update, _("Thank you!"))
    text, keyboard = name_prompt(_telegram_name(update))
    assert update.effective_chat is not None
    await update.effective_chat.send_message(text, reply_markup=keyboard)
    return NAME


async def _save_name(update: Update, context: Context, name: str | None) -> int:
    user = update.effective_user
    assert user is not None and update.effective_chat is not None
    runtime = context.runtime
    try:
        async with runtime.db.session() as session:
            member = await members_service.ensure_member(session, user.id, known=context.member)
            await members_service.set_profile(session, member, display_name=name)
    except DomainError as error:
        _prompt, suggestion = name_prompt(_telegram_name(update))
        await update.effective_chat.send_message(domain_message(error), reply_markup=suggestion)
        return NAME
    context.member = member
    text, keyboard = institution_prompt(runtime.profile.institutions)
    await update.effective_chat.send_message(
        _("Nice to meet you, {name}!").format(name=esc(member.display_name)) + "\n\n" + text,
        reply_markup=keyboard,
    )
    return INSTITUTION


async def typed_name(update: Update, context: Context) -> int:
    assert update.effective_message is not None
    return await _save_name(update, context, update.effective_message.text)


async def telegram_name(update: Update, context: Context) -> int:
    await answer(update)
    if update.callback_query and update.callback_query.message:
        await update.callback_query.edit_message_reply_markup(None)
    return await _save_name(update, context, _telegram_name(update))


async def not_text(update: Update, context: Context) -> int | None:
    """A sticker, photo or voice where we wait for text."""
    assert update.effective_chat is not None
    await update.effective_chat.send_message(
        _("I can only read text here. Please type your answer, or send /cancel to stop.")
    )
    return None


async def press_a_button(update: Update, context: Context) -> None:
    """Typing at the consent screen: say so, and show the consent buttons again."""
    assert update.effective_chat is not None
    _text, keyboard = consent_screen()
    await update.effective_chat.send_message(
        _("Please answer with one of the buttons: do you agree?"), reply_markup=keyboard
    )


async def text_at_consent(update: Update, context: Context) -> int | None:
    """Text while we wait for consent. If consent is already stored (the process died
    between saving it and saving the conversation state), take the text as the name."""
    member = context.member
    if member is not None and member.has_consented and update.effective_message is not None:
        if update.effective_message.text:
            return await typed_name(update, context)
        return await not_text(update, context)
    await press_a_button(update, context)
    return None


async def institution_chosen(update: Update, context: Context) -> int:
    await answer(update)
    choice = kb.parse(update.callback_query.data if update.callback_query else None).arg(0)
    institutions = context.runtime.profile.institutions
    if choice == "skip":
        return await _finish(update, context, None, skip=True)
    try:
        name = institutions[int(choice)]
    except (ValueError, IndexError):
        await reply(update, _("This button is no longer available."))
        return INSTITUTION
    return await _finish(update, context, name)


async def institution_typed(update: Update, context: Context) -> int:
    assert update.effective_message is not None
    return await _finish(update, context, update.effective_message.text)


async def _finish(
    update: Update, context: Context, institution: str | None, *, skip: bool = False
) -> int:
    user = update.effective_user
    chat = update.effective_chat
    assert user is not None and chat is not None and context.user_data is not None
    runtime = context.runtime
    try:
        async with runtime.db.session() as session:
            member = await members_service.ensure_member(session, user.id, known=context.member)
            await members_service.set_profile(
                session,
                member,
                institution=institution,
                clear_institution=skip,
                finish_onboarding=True,
            )
    except DomainError as error:
        _prompt, keyboard = institution_prompt(runtime.profile.institutions)
        await chat.send_message(domain_message(error), reply_markup=keyboard)
        return INSTITUTION
    if update.callback_query and update.callback_query.message:
        await reply(
            update,
            _("Institution: {name}").format(name=esc(member.institution))
            if member.institution
            else _("No institution."),
        )
    context.member = member
    code = context.user_data.pop(INVITE_KEY, None)
    if code:
        member = await _redeem(update, context, member, code) or member
    await chat.send_message(
        _("You're all set. You can change your language any time with /language.")
    )
    text, keyboard = main_menu(member)
    await chat.send_message(text, reply_markup=keyboard)
    await commands_module.refresh_member_commands(context.application, member)
    return END


async def _redeem(update: Update, context: Context, member: Member, code: str) -> Member | None:
    chat = update.effective_chat
    assert chat is not None
    runtime = context.runtime
    try:
        async with runtime.db.session() as session:
            fresh = await members_service.get(session, member.id)  # type: ignore[arg-type]
            result = await invites_service.redeem(session, fresh, code)
    except DomainError as error:
        await chat.send_message(domain_message(error))
        return None
    context.member = fresh
    if result.already_used:
        return fresh
    if result.group is not None:
        text = _("Welcome! You joined as a {role} in the group {group}.").format(
            role=role_name(result.role),
            group=esc(result.group.display_name(fresh.language or "pl")),
        )
    else:
        text = _("Welcome! You joined as a {role}.").format(role=role_name(result.role))
    await chat.send_message(text)
    await commands_module.refresh_member_commands(context.application, fresh)
    return fresh


async def resume(update: Update, context: Context) -> int | None:
    """An onboarding step's button (consent, Telegram name, institution), routed by the
    member's progress in the database rather than by the conversation state alone.

    After a crash between saving an answer and saving the conversation state (or losing the
    state altogether) the user's screen is a step ahead of the stored state; the database
    tells which step is due, and a step whose question may not have gone out before the
    crash is asked again. A button of a step long done is stale.
    """
    member = context.member
    action = kb.parse(update.callback_query.data if update.callback_query else None).action
    if member is not None and member.onboarded_at is not None:
        # A finished onboarding is a fact: its old buttons change nothing.
        await answer(update, _("You have already finished this step; nothing was changed."))
        return END
    consented = member is not None and member.has_consented
    named = consented and bool(member.display_name)  # type: ignore[union-attr]
    chat = update.effective_chat
    assert chat is not None
    if action == "consent" and not consented:
        return await consent(update, context)
    if action == "consent" and not named:
        # Consent was saved but the name question may never have gone out: ask it again.
        await answer(update)
        text, keyboard = name_prompt(_telegram_name(update))
        await chat.send_message(text, reply_markup=keyboard)
        return NAME
    if action == "tgname" and consented and not named:
        return await telegram_name(update, context)
    if action == "tgname" and named and member.institution is None:  # type: ignore[union-attr]
        await answer(update)
        text, keyboard = institution_prompt(context.runtime.profile.institutions)
        await chat.send_message(text, reply_markup=keyboard)
        return INSTITUTION
    if action == "inst" and named:
        return await institution_chosen(update, context)
    await answer(update, _("This button is no longer available."))
    return None


async def cancel(update: Update, context: Context) -> int:
    """/cancel inside onboarding."""
    assert update.effective_chat is not None
    member = context.member
    text = _("Stopped. Nothing more was saved.")
    if member is not None and member.is_registered:
        text += " " + _("Send /start for the main menu.")
    await update.effective_chat.send_message(text)
    return END


async def idle_cancel(update: Update, context: Context) -> None:
    """/cancel when nothing is running: say so, and offer the menu."""
    assert update.effective_chat is not None
    member = context.member
    text = _("There was nothing to stop.")
    if member is not None and member.is_registered:
        _menu_text, keyboard = main_menu(member)
        await update.effective_chat.send_message(
            text + " " + _("What would you like to do?"), reply_markup=keyboard
        )
        return
    await update.effective_chat.send_message(text + " " + _("Send /start to begin."))


async def start_button(update: Update, context: Context) -> int:
    """The "Start" button under a reply to someone who has not started yet."""
    await answer(update)
    return await start(update, context)


# --- menu, help, language --------------------------------------------------------------


async def show_menu(update: Update, context: Context) -> None:
    member = context.member
    await answer(update)
    if member is None or not member.is_registered:
        await reply(update, not_registered_text())
        return
    text, keyboard = main_menu(member)
    await reply(update, text, keyboard)


async def help_command(update: Update, context: Context) -> None:
    member = context.member
    await answer(update)
    keyboard = (
        kb.markup([kb.back_to_menu_row()]) if member is not None and member.is_registered else None
    )
    await reply(update, help_text(member), keyboard)


async def language_command(update: Update, context: Context) -> None:
    await answer(update)
    await reply(
        update,
        _("Choose your language:"),
        kb.markup([kb.language_buttons("lg"), kb.back_to_menu_row()]),
    )


async def language_chosen(update: Update, context: Context) -> None:
    user = update.effective_user
    assert user is not None and context.user_data is not None
    language = kb.parse(update.callback_query.data if update.callback_query else None).arg(0)
    if language not in ("pl", "en", "uk"):
        await answer(update, _("This button is no longer available."))
        return
    runtime = context.runtime
    known = context.member  # loaded for this update: taken into the block, not read again
    async with runtime.db.session() as session:
        member = (
            await members_service.taken_in(session, known)
            if known is not None and known.telegram_id == user.id
            else await members_service.get_by_telegram_id(session, user.id)
        )
        if member is not None and member.has_consented:
            await members_service.set_language(session, member, language)
        else:
            # Before consent nothing goes to the members table; keep it with the conversation.
            context.user_data[LANGUAGE_KEY] = language
    with use_language(language):
        await answer(update)
        if member is not None and member.is_registered:
            context.member = member
            text, keyboard = main_menu(member)
            await reply(update, _("Language changed to English.") + "\n\n" + text, keyboard)
        else:
            await reply(update, _("Language changed to English."))
    set_language(language)
    if member is not None and member.has_consented:
        await commands_module.refresh_member_commands(context.application, member)


def register(application: Application) -> None:  # type: ignore[type-arg]
    text = filters.TEXT & ~filters.COMMAND
    not_text_filter = ~filters.TEXT & ~filters.COMMAND & ~filters.StatusUpdate.ALL
    onboarding = ConversationHandler(
        # The step buttons are entry points (with allow_reentry, checked before the states):
        # `resume` routes them by the member's progress in the database, so they keep working
        # when the stored conversation state lags behind after a crash.
        entry_points=[
            CommandHandler("start", private_only(start)),
            kb.callback_handler(start_button, START),
            CallbackQueryHandler(resume, pattern=rf"^{F}:(consent:|tgname$|inst:)"),
        ],
        states={
            CONSENT: [
                CallbackQueryHandler(choose_language_in_onboarding, pattern=rf"^{F}:lang:"),
                MessageHandler(~filters.COMMAND & ~filters.StatusUpdate.ALL, text_at_consent),
            ],
            NAME: [
                MessageHandler(text, typed_name),
                MessageHandler(not_text_filter, not_text),
            ],
            INSTITUTION: [
                MessageHandler(text, institution_typed),
                MessageHandler(not_text_filter, not_text),
            ],
        },
        fallbacks=[
            CommandHandler("cancel", cancel),
            CommandHandler("start", private_only(start)),
        ],
        name="onboarding",
        persistent=True,
        allow_reentry=True,
    )
    application.add_handler(onboarding)
    application.add_handler(CommandHandler("help", help_command))
    application.add_handler(CommandHandler("language", private_only(language_command)))
    application.add_handler(CallbackQueryHandler(show_menu, pattern=rf"^{kb.MENU}$"))
    application.add_handler(CallbackQueryHandler(help_command, pattern=r"^hp$"))
    application.add_handler(CallbackQueryHandler(language_command, pattern=r"^lg$"))
    application.add_handler(CallbackQueryHandler(language_chosen, pattern=r"^lg:set:"))
