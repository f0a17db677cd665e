"""Broadcasts as data. Callers use the package (``from bot.services import broadcasts``);
each module lists what it offers in its ``__all__``:

- ``drafts``: audiences and who is in them, the text, drafts, starting and stopping, the
  lists the /broadcast screen shows
- ``outbox``: the recipient rows' state machine the delivery loop (bot/broadcasting.py)
  drives, one committed transaction a change; progress, and closing a broadcast
"""

from bot.services.broadcasts.drafts import *  # noqa: F403
from bot.services.broadcasts.outbox import *  # noqa: F403
