"""Meetings: /meeting schedules a meeting (or a date poll), /meetings lists them; people
answer, check in, and the lead follows up. One module per flow:

- ``draft``, ``review``: the /meeting conversation, step by step, then check and send
- ``invitations``: a meeting goes out to its group; answers and the .ics file
- ``listing``: /meetings and one meeting's card
- ``attendance``: "I'm here", the lead's roster and the XLSX list
- ``changes``: moving and cancelling; ``editing``: changing the topic, place, limit, agenda
- ``follow_up``: the summary and action items after the meeting
- ``polls``: date polls
- ``routes`` (every button), ``cards`` and ``files`` (what it all looks like), ``shared``.
"""

from __future__ import annotations

from telegram.ext import CommandHandler

from bot.i18n import N_
from handlers import keyboards as kb
from handlers.common import App, persistent_conversation, private_only
from handlers.meetings import (
    attendance,
    changes,
    draft,
    editing,
    follow_up,
    invitations,
    inviting,
    listing,
    polls,
    refresh,
)
from handlers.meetings import routes as r
from handlers.meetings.shared import stop_handlers
from handlers.registry import CommandSpec, MenuEntry
from models import Role

COMMANDS = [
    CommandSpec("meeting", N_("Schedule a meeting or find a date"), Role.LEAD),
    CommandSpec("meetings", N_("Your meetings, open meetings and tasks")),
]
MENU = [
    MenuEntry(N_("Meetings"), r.LIST.data(), order=30),
    MenuEntry(N_("Schedule a meeting"), r.NEW.data(), Role.LEAD, order=31),
]


def register(application: App) -> None:
    application.add_handler(draft.conversation())
    application.add_handlers(kb.callback_handlers(inviting.BUTTONS))  # invite more, any audience
    # Moving a meeting, changing a detail and the follow-up are one persistent conversation
    # (its name and states are stored for users in the middle of it).
    application.add_handler(
        persistent_conversation(
            "meeting_followup",
            entry_points=[
                *changes.entry_points(),
                *follow_up.entry_points(),
                *editing.entry_points(),
            ],
            states={**changes.states(), **follow_up.states(), **editing.states()},
            fallbacks=stop_handlers(),
        )
    )
    application.add_handler(CommandHandler("meetings", private_only(listing.list_meetings)))
    flows = (listing, invitations, attendance, changes, editing, follow_up, polls)
    application.add_handlers(kb.callback_handlers(*(flow.BUTTONS for flow in flows)))
    refresh.start(application)
