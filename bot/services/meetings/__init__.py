"""Meetings: scheduling, answers with a waiting list, attendance, follow-up, reminders claimed.

Plain async functions over an AsyncSession; the handlers and the reminder jobs call them.
Times are aware UTC; `now` is passed in so tests and jobs decide what time it is.
Callers use the package (``from bot.services import meetings``, then ``meetings.answer(...)``);
each module lists what it offers in its ``__all__``:

- ``lookups``: a meeting, its group and members, someone's answer
- ``access``: who may see, answer and manage a meeting
- ``scheduling``: the draft, its limits, a new meeting
- ``changes``: moving, cancelling and editing a meeting
- ``answering``: yes / maybe / no, and the waiting list
- ``cards``: the invitation cards sent, kept current
- ``listing``: my meetings, open meetings, a group's next ones
- ``reminders``: reminders due by the clock, claimed before sending
- ``attendance``: check-in, the lead's roster, the count
- ``follow_up``: the summary and the action items
- ``polls``: date polls
"""

from bot.services.meetings.access import *  # noqa: F403
from bot.services.meetings.answering import *  # noqa: F403
from bot.services.meetings.attendance import *  # noqa: F403
from bot.services.meetings.cards import *  # noqa: F403
from bot.services.meetings.changes import *  # noqa: F403
from bot.services.meetings.follow_up import *  # noqa: F403
from bot.services.meetings.listing import *  # noqa: F403
from bot.services.meetings.lookups import *  # noqa: F403
from bot.services.meetings.polls import *  # noqa: F403
from bot.services.meetings.reminders import *  # noqa: F403
from bot.services.meetings.scheduling import *  # noqa: F403
