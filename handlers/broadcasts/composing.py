"""A new broadcast once its audience is chosen: the text (or a photo with a caption), the
preview with the count, then send, change the text or drop it."""

from __future__ import annotations

import html

from telegram import Update
from telegram.error import BadRequest

from bot.broadcasting import engine, render
from bot.i18n import gettext as _
from bot.i18n import ngettext
from bot.services import broadcasts as service
from bot.services import members as members_service
from bot.services.errors import DomainError
from handlers import keyboards as kb
from handlers.broadcasts import routes as r
from handlers.broadcasts.audience import audience_of_choice
from handlers.broadcasts.labels import audience_label
from handlers.common import END, Context, answer, domain_message, esc, pressed, reply, requires
from models import Role


def _text_prompt() -> str:
    return "\n\n".join(
        [
            _("Send the message as you want people to see it."),
            _("To add a picture, send it as a photo with the text as its caption."),
            _("Send /cancel to stop."),
        ]
    )


def _formatting_help() -> str:
    return _(
        "Bold, italics and links made in Telegram are kept; you may also type HTML tags "
        'such as <b>, <i> and <a href="…">.'
    )


def _prompt_keyboard() -> kb.InlineKeyboardMarkup:
    return kb.markup([[r.FORMATTING.button(_("Formatting help"))]])


@requires(Role.LEAD)
async def formatting_help(update: Update, context: Context) -> int | None:
    """Formatting help only on request: town-hall staff need no HTML lesson."""
    await answer(update)
    assert update.effective_chat is not None
    await update.effective_chat.send_message(html.escape(_formatting_help(), quote=False))
    return None


@requires(Role.LEAD)
async def audience_chosen(update: Update, context: Context) -> int:
    data = await pressed(update)
    assert context.user_data is not None
    try:
        audience = await audience_of_choice(context, data.arg(0), data.arg(1, ""))
        async with context.runtime.db.session() as session:
            member = await members_service.get(session, context.me.id)  # type: ignore[arg-type]
            await service.check_allowed(session, member, audience)
            targets, _blocked = await service.recipients(session, audience)
            label = await audience_label(session, audience)
    except DomainError as error:
        await reply(update, esc(domain_message(error)), kb.with_menu([]))
        return END
    context.user_data[r.AUDIENCE_KEY] = audience
    count = ngettext("{n} person", "{n} people", len(targets)).format(n=len(targets))
    head = _("To: {audience} ({count}).").format(audience=label, count=count)
    await reply(
        update, head + "\n\n" + html.escape(_text_prompt(), quote=False), _prompt_keyboard()
    )
    return r.TEXT


async def text_received(update: Update, context: Context) -> int:
    message = update.effective_message
    chat = update.effective_chat
    assert message is not None and chat is not None and context.user_data is not None
    member = context.member
    audience = context.user_data.get(r.AUDIENCE_KEY)
    if member is None or audience is None:
        await chat.send_message(_("Please start again: /broadcast."))
        return END
    photo = message.photo[-1].file_id if message.photo else None
    raw = message.caption if photo else message.text
    formatted = message.caption_html if photo else message.text_html
    if raw is None:
        await chat.send_message(_("Please send the text of the message (and /cancel to stop)."))
        return r.TEXT
    text = service.as_html(raw, formatted)
    runtime = context.runtime
    try:
        async with runtime.db.session() as session:
            author = await members_service.get(session, member.id)  # type: ignore[arg-type]
            broadcast = await service.create_draft(session, author, audience, text, photo)
            targets, blocked = await service.recipients(session, audience)
            label = await audience_label(session, audience)
            group = await service.audience_group(session, broadcast)
    except DomainError as error:
        await chat.send_message(esc(domain_message(error)) + "\n" + esc(_("Please send it again.")))
        return r.TEXT
    # The preview is the real message: if Telegram refuses it, nobody else gets it either.
    shown, menu_row = render(broadcast, context.language, group)
    try:
        if photo:
            await chat.send_photo(photo, caption=shown, reply_markup=menu_row)
        else:
            await chat.send_message(shown, reply_markup=menu_row)
    except BadRequest as error:
        async with runtime.db.session() as session:
            await service.discard(session, broadcast.id, author)  # type: ignore[arg-type]
        await chat.send_message(
            esc(_("Telegram refused this message: {reason}").format(reason=error.message))
            + "\n"
            + esc(_("Please send it again."))
        )
        return r.TEXT
    lines = [
        _("This is how it will look. Audience: {audience}.").format(audience=label),
        "<b>"
        + ngettext("It will go to {n} person.", "It will go to {n} people.", len(targets)).format(
            n=len(targets)
        )
        + "</b>",
    ]
    if blocked:
        lines.append(
            ngettext(
                "{n} more person blocked the bot and will not get it.",
                "{n} more people blocked the bot and will not get it.",
                blocked,
            ).format(n=blocked)
        )
    context.user_data[r.PREVIEW_KEY] = broadcast.id
    await chat.send_message("\n".join(lines), reply_markup=preview_keyboard(broadcast.id or 0))
    return r.PREVIEW


def preview_keyboard(broadcast_id: int) -> kb.InlineKeyboardMarkup:
    return kb.markup(
        [
            [r.SEND.button(_("Send now"), broadcast_id)],
            [r.REDO.button(_("Change the text"), broadcast_id)],
            [r.DROP.button(_("Cancel"), broadcast_id)],
        ]
    )


async def text_at_preview(update: Update, context: Context) -> int:
    """Typing while the preview waits: point at its buttons (and show them again)."""
    assert update.effective_chat is not None and context.user_data is not None
    broadcast_id = context.user_data.get(r.PREVIEW_KEY) or 0
    await update.effective_chat.send_message(
        _("The message is waiting for your decision: send it now, change the text, or cancel it."),
        reply_markup=preview_keyboard(broadcast_id),
    )
    return r.PREVIEW


async def not_a_message(update: Update, context: Context) -> int:
    assert update.effective_chat is not None
    await update.effective_chat.send_message(
        _("Please send the text of the message (and /cancel to stop).")
    )
    return r.TEXT


async def cancel(update: Update, context: Context) -> int:
    assert update.effective_chat is not None and context.user_data is not None
    context.user_data.pop(r.AUDIENCE_KEY, None)
    await update.effective_chat.send_message(_("The broadcast was not sent."))
    return END


@requires(Role.LEAD)
async def draft_action(update: Update, context: Context) -> int:
    """go: confirmed, send; redo: new text for the same audience; drop: throw away."""
    data = await pressed(update)
    assert context.user_data is not None
    broadcast_id = data.int_arg(0) or 0
    runtime = context.runtime
    try:
        async with runtime.db.session() as session:
            author = await members_service.get(session, context.me.id)  # type: ignore[arg-type]
            if data.action == "go":
                broadcast = await service.start(session, broadcast_id, author)
            else:
                broadcast = await service.get(session, broadcast_id)
                audience = broadcast.audience
                await service.discard(session, broadcast_id, author)
    except DomainError as error:
        await reply(update, esc(domain_message(error)), kb.with_menu([]))
        return END
    if data.action == "go":
        engine(context.application).start(broadcast_id)
        await reply(
            update,
            ngettext(
                "Sending to {n} person in the background. You will get a report at the end.",
                "Sending to {n} people in the background. You will get a report at the end.",
                broadcast.total,
            ).format(n=broadcast.total),
            kb.with_menu([[r.OVERVIEW.button(_("Progress"))]]),
        )
        return END
    if data.action == "redo":
        context.user_data[r.AUDIENCE_KEY] = audience
        await reply(update, html.escape(_text_prompt(), quote=False), _prompt_keyboard())
        return r.TEXT
    await reply(update, _("The broadcast was not sent."), kb.with_menu([]))
    return END


# The buttons this module answers (registered by the package's register()).
BUTTONS: kb.Buttons = {
    r.SEND: draft_action,
    r.DROP: draft_action,
    r.FORMATTING: formatting_help,
}
