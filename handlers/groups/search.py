"""🔎 Search: a few letters of a name narrow "People and roles" or a group's member list
("lecka" finds "Łęcka"). The letters are asked for in the feature's conversation."""

from __future__ import annotations

from telegram import Update

from bot.i18n import gettext as _
from bot.services import groups as groups_service
from bot.services.permissions import has_role
from handlers import keyboards as kb
from handlers.common import END, Context, answer, refuse, reply, requires, role_refusal
from handlers.groups import routes as r
from handlers.groups.membership import decidable, members_screen
from handlers.groups.roles import people_screen
from models import Role


async def _ask(update: Update, context: Context, group_id: int | None) -> int:
    assert context.user_data is not None
    context.user_data[r.SEARCHING] = {"group": group_id}
    await answer(update)
    prompt = _("Type a few letters of the name.") + "\n" + _("Or /cancel.")
    await reply(update, prompt, kb.markup([[r.CANCEL.button(_("Cancel"))]]))
    return r.SEARCH


@requires(Role.COORDINATOR)
async def search_people_start(update: Update, context: Context) -> int:
    return await _ask(update, context, None)


@requires()
async def search_members_start(update: Update, context: Context) -> int:
    (group_id,) = r.args(update, r.MEMBERS_SEARCH)
    await decidable(context, group_id)  # checked before they type, and again after
    return await _ask(update, context, group_id)


@requires()
async def search_received(update: Update, context: Context) -> int | None:
    assert context.user_data is not None and update.effective_message is not None
    searching = context.user_data.get(r.SEARCHING) or {}
    letters = groups_service.clean_search(update.effective_message.text)  # refused: ask again
    group_id = searching.get("group")
    context.user_data[r.SEARCHING] = {"group": group_id, "text": letters}
    if group_id is None:
        if not has_role(context.me, Role.COORDINATOR):
            await refuse(update, role_refusal(Role.COORDINATOR))
            return END
        await people_screen(update, context, 0, letters)
    else:
        await members_screen(update, context, group_id, 0, letters)
    return END
