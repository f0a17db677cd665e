"""Residents sign up for an opportunity (its poster hears of it) or take it back."""

from __future__ import annotations

from telegram import InlineKeyboardMarkup, Update

from bot.i18n import gettext as _
from bot.services import members as members_service
from bot.services import opportunities as service
from bot.services import state as state_service
from handlers import keyboards as kb
from handlers.common import Context, answer, esc, pressed, reply, requires
from handlers.opportunities import routes as r
from handlers.opportunities.listing import to_list
from handlers.opportunities.shared import notify, summary
from models import Member, Role


@requires(Role.RESIDENT)
async def sign_up(update: Update, context: Context) -> None:
    data = kb.parse(update.callback_query.data if update.callback_query else None)
    member = context.me
    async with context.db.session() as session:  # a DomainError: @requires refuses
        fresh = await members_service.get(session, member.id)  # type: ignore[arg-type]
        result = await service.sign_up(session, data.int_arg(0) or 0, fresh)
        poster = (
            await session.get(Member, result.opportunity.posted_by_id)
            if result.opportunity.posted_by_id
            else None
        )
        # Sign up, withdraw, sign up again…: the poster hears of it once an hour at most.
        tell_poster = not result.already and await state_service.claim_notice(
            session, f"opp-signup:{result.opportunity.id}:{fresh.id}"
        )
    await answer(update)
    opportunity = result.opportunity
    await reply(
        update,
        _("You are signed up. Thank you!")
        + "\n\n"
        + summary(opportunity, result.taken)
        + "\n\n"
        + _("I will remind you before it starts."),
        kb.with_menu([[r.SIGN_OUT.button(_("I can't come after all"), opportunity.id)]]),
    )
    if not tell_poster or poster is None or not poster.reachable:
        return

    def render() -> tuple[str, InlineKeyboardMarkup]:
        text = _("{name} signed up for “{title}”: {taken} of {places} places taken.").format(
            name=esc(member.display_name or "?"),
            title=esc(opportunity.title),
            taken=result.taken,
            places=opportunity.places,
        )
        if result.taken >= opportunity.places:
            text += "\n" + _("All places are taken.")
        return text, kb.markup([[r.HELPERS.button(_("Helpers"), opportunity.id)]])

    await notify(context.application, poster, render)


@requires(Role.RESIDENT)
async def sign_out(update: Update, context: Context) -> None:
    data = await pressed(update)
    member = context.member
    assert member is not None
    async with context.runtime.db.session() as session:
        removed = await service.withdraw(session, data.int_arg(0) or 0, member)
    text = _("You are no longer signed up.") if removed else _("You were not signed up.")
    await reply(update, text, to_list())


# The buttons this module answers (registered by the package's register()).
BUTTONS: kb.Buttons = {
    r.SIGN_UP: sign_up,
    r.SIGN_OUT: sign_out,
}
