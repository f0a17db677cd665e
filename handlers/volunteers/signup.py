"""/volunteer: a resident's own profile (shown, edited, withdrawn), the start of the
sign-up and its review, where any answer can be changed before it is sent."""

from __future__ import annotations

from telegram import Update

from bot.i18n import gettext as _
from bot.services import members as members_service
from bot.services import volunteers as service
from bot.services.errors import DomainError
from handlers import keyboards as kb
from handlers.common import (
    END,
    Context,
    answer,
    ask_to_confirm,
    domain_message,
    esc,
    pressed,
    reply,
    requires,
)
from handlers.opportunities import routes as opportunities
from handlers.volunteers import routes as r
from handlers.volunteers.shared import area_names, cancel, card, draft_of, keep, show_review
from handlers.volunteers.steps import STEPS, ask_name
from models import Member, Role, Volunteer


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
    context.user_data[r.EDITING_KEY] = False
    keep(context, service.Draft(name=member.display_name or ""))
    return await ask_name(update, context)


async def show_profile(update: Update, context: Context, volunteer: Volunteer) -> None:
    text = (
        "<b>"
        + _("You are signed up as a volunteer.")
        + "</b>\n\n"
        + card(service.Draft.from_volunteer(volunteer), await area_names(context))
    )
    rows = [
        [r.EDIT.button(_("Edit"))],
        [r.WITHDRAW.button(_("Withdraw"))],
        [opportunities.LIST.button(_("Opportunities to help"))],
    ]
    await reply(update, text, kb.with_menu(rows))


@requires(Role.RESIDENT)
async def edit(update: Update, context: Context) -> int:
    _member, volunteer = await _own_profile(update, context)
    assert context.user_data is not None
    if volunteer is None:
        return await entry(update, context)
    context.user_data[r.EDITING_KEY] = True
    keep(context, service.Draft.from_volunteer(volunteer))
    return await show_review(update, context)


async def review_button(update: Update, context: Context) -> int:
    data = await pressed(update)
    assert context.user_data is not None
    if data.action == "ch":
        step = data.int_arg(0)
        if step not in STEPS:
            return r.REVIEW
        context.user_data[r.EDITING_KEY] = True
        return await STEPS[step](update, context)  # type: ignore[index]
    if data.action == "quit":
        return await cancel(update, context)
    member = context.member
    assert member is not None
    runtime = context.runtime
    try:
        async with runtime.db.session() as session:
            fresh = await members_service.get(session, member.id)  # type: ignore[arg-type]
            volunteer = await service.save(
                session, fresh, draft_of(context), runtime.profile.streets
            )
    except DomainError as error:
        await reply(update, esc(domain_message(error)))
        return r.REVIEW
    context.user_data.pop(r.DRAFT_KEY, None)
    context.user_data.pop(r.EDITING_KEY, None)
    await reply(
        update,
        _("Thank you for offering your help! The coordinators will get in touch.")
        + "\n\n"
        + card(service.Draft.from_volunteer(volunteer), await area_names(context)),
        kb.with_menu([]),
    )
    return END


@requires(Role.RESIDENT)
async def withdraw(update: Update, context: Context) -> None:
    """wd: ask; wdc:y: erase the profile."""
    if r.WITHDRAW.matches(update.callback_query.data if update.callback_query else None):
        question = _(
            "Withdraw your volunteer sign-up? Your phone, street and skills will be erased."
        )
        await ask_to_confirm(
            update, question, r.WITHDRAW_CONFIRM, yes=_("Yes, withdraw"), no=_("No, stay")
        )
        return
    data = await pressed(update)
    if data.arg(0) != "y":
        await reply(update, _("You stay signed up. Thank you!"), kb.with_menu([]))
        return
    member = context.member
    assert member is not None
    async with context.runtime.db.session() as session:
        removed = await service.withdraw(session, member)
    text = _("Your volunteer sign-up was withdrawn.") if removed else _("You were not signed up.")
    await reply(update, text, kb.with_menu([]))
