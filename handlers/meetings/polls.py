"""Date polls: the group ticks the candidate times that suit them; the lead picks the winner,
which becomes the meeting (and its invitations)."""

from __future__ import annotations

from typing import Any

from telegram import Update

from bot.i18n import N_
from bot.i18n import gettext as _
from bot.services import groups as groups_service
from bot.services import meetings as service
from bot.services import members as members_service
from bot.services.errors import DomainError, NotAllowed
from bot.services.permissions import Action, can
from handlers import keyboards as kb
from handlers.common import Context, answer, domain_message, refuse, reply, requires
from handlers.meetings import cards, shared
from handlers.meetings import routes as r
from handlers.meetings.invitations import announce
from handlers.meetings.shared import NOT_MANAGER, args_of, id_of, is_private, now, tell
from models import DatePoll, Group, Member, Role

DECIDING = shared.Question(
    N_("Make this time the meeting and invite the group?"), N_("Yes, schedule it"), N_("Not yet")
)


async def _poll_view(
    context: Context, poll_id: int, voter: Member | None
) -> tuple[DatePoll, Group, cards.Tallies, bool]:
    """The poll, its group, the tallies, and whether `voter` may pick the winner."""
    async with context.db.session() as session:
        poll = await service.get_poll(session, poll_id)
        group = await groups_service.get_active(session, poll.group_id)
        tallies = await service.poll_tallies(session, poll_id)
        manage = voter is not None and can(voter, Action.MANAGE_MEETING, group)
    return poll, group, tallies, manage


async def send_poll(context: Context, poll_id: int, *, skip: int | None) -> int:
    """The poll to every member of the group but `skip`, and to the group's chat."""
    poll, group, tallies, _manage = await _poll_view(context, poll_id, None)
    async with context.db.session() as session:
        people = [m for m in await service.group_members(session, group.id) if m.id != skip]  # type: ignore[arg-type]

    def render() -> tuple[str, Any]:
        keyboard = cards.poll_keyboard(tallies, None, manage=False)
        return cards.poll_text(poll, group, tallies), keyboard

    return await tell(context, people, group, render)


async def send_poll_card(
    update: Update, context: Context, poll_id: int, *, manage: bool, edit: bool = False
) -> None:
    """The poll as the presser sees it: their ticks, and Pick the time for its lead."""
    poll, group, tallies, may = await _poll_view(context, poll_id, context.me)
    keyboard = cards.poll_keyboard(tallies, context.me.id, manage=manage and may)
    await reply(update, cards.poll_text(poll, group, tallies), keyboard, edit=edit)


@requires(Role.RESIDENT)
async def poll_view(update: Update, context: Context) -> None:
    await answer(update)
    poll_id = id_of(update, r.POLL_VIEW)
    async with context.db.session() as session:
        if not await service.may_vote(
            session, context.me, await service.get_poll(session, poll_id)
        ):
            raise NotAllowed(N_("This meeting is only for members of its group."))
    await send_poll_card(update, context, poll_id, manage=True, edit=True)


@requires(Role.RESIDENT)
async def poll_tick(update: Update, context: Context) -> None:
    """Tick or untick a time, from a private card or the group chat's card."""
    member = context.me
    async with context.db.session() as session:
        poll, ticked = await service.toggle_vote(session, member, id_of(update, r.POLL_TICK))
    await answer(update, _("Ticked.") if ticked else _("Unticked."))
    poll, group, tallies, manage = await _poll_view(context, poll.id, member)  # type: ignore[arg-type]
    private = is_private(update)
    keyboard = cards.poll_keyboard(
        tallies, member.id if private else None, manage=manage and private
    )
    await reply(update, cards.poll_text(poll, group, tallies), keyboard)


@requires(Role.RESIDENT)
async def poll_pick(update: Update, context: Context) -> None:
    """The lead's picker: one button per time, with its votes."""
    await answer(update)
    poll, _group, tallies, manage = await _poll_view(
        context, id_of(update, r.POLL_PICK), context.me
    )
    if not manage:
        await refuse(update, _(NOT_MANAGER))
        return
    if poll.status != "open":
        await reply(update, _("This date poll is closed."), kb.with_menu([]))
        return
    rows = [
        [r.POLL_WIN.button(cards.option_label(option, voters), option.id)]
        for option, voters in tallies
    ]
    await reply(update, _("Which time becomes the meeting?"), kb.with_menu(rows))


async def _managed_option(context: Context, option_id: int) -> None:
    """The option's poll must be one the presser may decide (else NotAllowed)."""
    async with context.db.session() as session:
        poll = await service.poll_of_option(session, option_id)
        group = await groups_service.get_active(session, poll.group_id)
    if not can(context.me, Action.MANAGE_MEETING, group):
        raise NotAllowed(NOT_MANAGER)


poll_win_asked = shared.asking_first(r.POLL_WIN, r.POLL_WIN_CONFIRM, _managed_option, DECIDING)


@requires(Role.RESIDENT)
async def poll_win_confirmed(update: Update, context: Context) -> None:
    option_id, choice = args_of(update, r.POLL_WIN_CONFIRM)
    await _managed_option(context, option_id)
    await answer(update)
    if choice != "y":
        await reply(update, _("The poll stays open."), kb.with_menu([]))
        return
    current = now(context)
    try:
        async with context.db.session() as session:
            actor = await members_service.get(session, context.me.id)  # type: ignore[arg-type]
            meeting = await service.decide_poll(session, actor, option_id, now=current)
    except DomainError as error:  # said in place of the question
        await reply(update, domain_message(error), kb.with_menu([]))
        return
    await announce(update, context, meeting, actor_id=actor.id, current=current)  # type: ignore[arg-type]


# What each button of this flow does (registered in __init__).
BUTTONS: kb.Buttons = {
    r.POLL_VIEW: poll_view,
    r.POLL_TICK: poll_tick,
    r.POLL_PICK: poll_pick,
    r.POLL_WIN: poll_win_asked,
    r.POLL_WIN_CONFIRM: poll_win_confirmed,
}
