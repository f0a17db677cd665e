"""From contributions to the programme. Plain async functions taking a session.

Callers use the package (``from bot.services import programme``); each module lists what it
offers in its ``__all__``:

- ``actions``: programme actions (an accepted idea with a goal, partners, indicators,
  schedule, progress and a timeline) and who may plan them
- ``documents``: the data of the programme document and of a meeting's printable
  attendance list (bot/documents renders them, off the event loop)
"""

from bot.services.programme.actions import *  # noqa: F403
from bot.services.programme.documents import *  # noqa: F403
