"""What can be done to one contribution from its card: open it, support it or take the support
back, see its photo and place, move its status, reject it with a reason, delete it.

Every press loads the contribution again; a refusal (`DomainError`) becomes the alert through
`@requires`.
"""

from __future__ import annotations

from telegram import Update

from bot.i18n import N_
from bot.i18n import gettext as _
from bot.services import contributions as service
from bot.services.errors import DomainError, InvalidInput, NotAllowed
from handlers import keyboards as kb
from handlers.common import END, Context, answer, domain_message, esc, reply, requires
from handlers.contributions import routes as r
from handlers.contributions.cards import (
    cancel_row,
    load_card,
    render_card,
    show_card,
    status_name,
    tell_author,
)
from handlers.contributions.draft import REJECTING, not_text_hint, unknown_command_hint
from models import ContributionStatus

REASON = 10


def _data(update: Update) -> str | None:
    return update.callback_query.data if update.callback_query else None


@requires()
async def open_card(update: Update, context: Context) -> None:
    (contribution_id,) = r.OPEN.parse(_data(update))
    card, may_set_status, links = await load_card(context, contribution_id)  # refused when gone
    await answer(update)
    await show_card(update, context, card, may_set_status, links)


async def _set_support(update: Update, context: Context, contribution_id: int, on: bool) -> None:
    me = context.me
    async with context.db.session() as session:
        # The card as it now is, in the same transaction (read once, then changed).
        changed, card = await service.support_card(session, me, contribution_id, on)
        may_set_status = await service.may_set_status(session, me, card.contribution)
    if on:
        note = _("Thank you for your support!") if changed else _("You already support this.")
    else:
        note = _("Support taken back.") if changed else _("You were not supporting this.")
    await answer(update, note)
    await show_card(update, context, card, may_set_status)


@requires()
async def support(update: Update, context: Context) -> None:
    """Support (also the old toggle's data: it never takes a support back)."""
    (contribution_id,) = r.SUPPORT.parse(_data(update))
    await _set_support(update, context, contribution_id, True)


@requires()
async def unsupport(update: Update, context: Context) -> None:
    (contribution_id,) = r.UNSUPPORT.parse(_data(update))
    await _set_support(update, context, contribution_id, False)


@requires()
async def show_media(update: Update, context: Context) -> None:
    chat = update.effective_chat
    assert chat is not None
    (contribution_id,) = r.MEDIA.parse(_data(update))
    async with context.db.session() as session:
        contribution = await service.get(session, contribution_id)
    await answer(update)
    if contribution.photo_file_id:
        await chat.send_photo(contribution.photo_file_id, caption=f"#{contribution.id}")
    if contribution.latitude is not None and contribution.longitude is not None:
        await chat.send_location(contribution.latitude, contribution.longitude)


@requires()
async def change_status(update: Update, context: Context) -> None:
    contribution_id, code = r.STATUS.parse(_data(update))
    status = r.STATUS_CODE[code]
    if status == ContributionStatus.REJECTED:  # rejecting asks for the reason first
        await answer(update, _("That choice is no longer offered."))
        return
    async with context.db.session() as session:
        await service.set_status(session, context.me, contribution_id, status)
    await answer(update, _("Status: {status}").format(status=status_name(status)))
    await render_card(update, context, contribution_id)
    await tell_author(context, contribution_id)


@requires()
async def reject_start(update: Update, context: Context) -> int:
    assert context.user_data is not None
    (contribution_id,) = r.REJECT.parse(_data(update))
    async with context.db.session() as session:
        contribution = await service.get(session, contribution_id)
        allowed = await service.may_set_status(session, context.me, contribution)
    if not allowed:
        raise NotAllowed(N_("Only coordinators and the group's lead can change the status."))
    await answer(update)
    context.user_data[REJECTING] = contribution_id
    await _ask_reason(update, contribution_id, contribution.title)
    return REASON


async def _ask_reason(
    update: Update, contribution_id: int, title: str, hint: str | None = None
) -> None:
    question = _(
        "Why is #{number} “{title}” rejected? Type the reason; the author will read it."
    ).format(number=contribution_id, title=esc(title))
    text = f"{hint}\n\n{question}" if hint else question
    await reply(update, text, kb.markup([cancel_row()]), edit=False)


async def reason_typed(update: Update, context: Context) -> int:
    message = update.effective_message
    assert context.user_data is not None and message is not None
    contribution_id = context.user_data.get(REJECTING)
    if contribution_id is None or context.member is None:
        return END
    try:
        async with context.db.session() as session:
            await service.set_status(
                session, context.member, contribution_id, ContributionStatus.REJECTED, message.text
            )
    except InvalidInput as error:
        await message.reply_text(domain_message(error), reply_markup=kb.markup([cancel_row()]))
        return REASON
    except DomainError as error:  # the status moved on meanwhile: the question is over
        context.user_data.pop(REJECTING, None)
        await message.reply_text(domain_message(error))
        return END
    context.user_data.pop(REJECTING, None)
    await message.reply_text(_("Rejected. I have told the author."))
    await render_card(update, context, contribution_id)
    await tell_author(context, contribution_id)
    return END


async def _reason_again(update: Update, context: Context, hint: str) -> int:
    """Anything but text while the reason is asked: the question again, with its button."""
    contribution_id = (context.user_data or {}).get(REJECTING)
    if contribution_id is None:
        return END
    async with context.db.session() as session:
        contribution = await service.get(session, contribution_id)
    await _ask_reason(update, contribution_id, contribution.title, hint)
    return REASON


async def reason_not_text(update: Update, context: Context) -> int:
    return await _reason_again(update, context, not_text_hint())


async def reason_unknown_command(update: Update, context: Context) -> int:
    return await _reason_again(update, context, unknown_command_hint())


@requires()
async def delete(update: Update, context: Context) -> None:
    """The author deletes their contribution while it is new: asked first, then done."""
    (contribution_id,) = r.DELETE.parse(_data(update))
    await answer(update)
    await reply(
        update,
        _("Delete #{number}? It cannot be undone.").format(number=contribution_id),
        kb.confirmation(
            r.DELETE_CONFIRM, contribution_id, yes=_("Yes, delete it"), no=_("No, keep it")
        ),
    )


@requires()
async def delete_confirmed(update: Update, context: Context) -> None:
    contribution_id, choice = r.DELETE_CONFIRM.parse(_data(update))
    if choice != "y":
        await answer(update)
        await render_card(update, context, contribution_id)
        return
    async with context.db.session() as session:
        await service.withdraw(session, context.me, contribution_id)
    await answer(update)
    await reply(update, _("Deleted. It is gone."), kb.with_menu([]))
