"""/start: onboarding for newcomers (consent, name, institution; an invite link's code is
redeemed at the end), the main menu for everyone else."""

from __future__ import annotations

from telegram import Update

from bot.i18n import current_language, set_language
from bot.i18n import gettext as _
from bot.services import invites as invites_service
from bot.services import members as members_service
from bot.services.errors import DomainError
from handlers import commands as commands_module
from handlers import keyboards as kb
from handlers.common import END, Context, answer, domain_message, esc, reply
from handlers.start import routes as r
from handlers.start.screens import (
    consent_screen,
    institution_prompt,
    main_menu,
    name_prompt,
    role_name,
)
from models import Member


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
        context.user_data[r.INVITE_KEY] = code
    if member.has_consented:
        prompt, suggestion = name_prompt(_telegram_name(update))
        await message.reply_text(prompt, reply_markup=suggestion)
        return r.NAME
    text, keyboard = consent_screen()
    await message.reply_text(text, reply_markup=keyboard)
    return r.CONSENT


async def start_button(update: Update, context: Context) -> int:
    """The "Start" button under a reply to someone who has not started yet."""
    await answer(update)
    return await start(update, context)


async def choose_language_in_onboarding(update: Update, context: Context) -> int:
    query = kb.parse(update.callback_query.data if update.callback_query else None)
    language = query.arg(0)
    assert context.user_data is not None
    if language in ("pl", "en", "uk"):
        context.user_data[r.LANGUAGE_KEY] = language
        set_language(language)
    await answer(update)
    text, keyboard = consent_screen()
    await reply(update, text, keyboard)
    return r.CONSENT


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
    context.user_data.pop(r.LANGUAGE_KEY, None)
    await reply(update, _("Thank you!"))
    text, keyboard = name_prompt(_telegram_name(update))
    assert update.effective_chat is not None
    await update.effective_chat.send_message(text, reply_markup=keyboard)
    return r.NAME


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
        return r.NAME
    context.member = member
    text, keyboard = institution_prompt(runtime.profile.institutions)
    await update.effective_chat.send_message(
        _("Nice to meet you, {name}!").format(name=esc(member.display_name)) + "\n\n" + text,
        reply_markup=keyboard,
    )
    return r.INSTITUTION


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
        return r.INSTITUTION
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
        return r.INSTITUTION
    if update.callback_query and update.callback_query.message:
        await reply(
            update,
            _("Institution: {name}").format(name=esc(member.institution))
            if member.institution
            else _("No institution."),
        )
    context.member = member
    code = context.user_data.pop(r.INVITE_KEY, None)
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
    try:
        async with context.db.session() as session:
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
        return r.NAME
    if action == "tgname" and consented and not named:
        return await telegram_name(update, context)
    if action == "tgname" and named and member.institution is None:  # type: ignore[union-attr]
        await answer(update)
        text, keyboard = institution_prompt(context.runtime.profile.institutions)
        await chat.send_message(text, reply_markup=keyboard)
        return r.INSTITUTION
    if action == "inst" and named:
        return await institution_chosen(update, context)
    await answer(update, _("This button is no longer available."))
    return None
