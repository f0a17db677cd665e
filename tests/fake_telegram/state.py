"""The simulated Telegram world: users, chats, messages, the update queue, and the
synchronous test-facing API (acting as users, reading what the bot did, waiting for it).

TelegramWorld is assembled from one module per concern:

* world.py - constants, the shared state and its lock, internal helpers (WorldCore);
* people.py - users, groups, membership, the bot joining/leaving/being blocked;
* acting.py - messages users send (text, photos, documents, contacts, edits...);
* callbacks.py - pressing inline buttons;
* faults.py - fail_next() and the rate-limit ceilings;
* reading.py - snapshots of what the bot did and the blocking waits.

The Bot API side (the methods the bot calls) is in api.py, the HTTP server in server.py.
"""

from __future__ import annotations

from .acting import ActingMixin
from .callbacks import CallbacksMixin
from .faults import FaultsMixin
from .people import PeopleMixin
from .reading import ReadingMixin
from .world import (
    BOT_ID,
    BOT_USERNAME,
    DEFAULT_UPDATE_TYPES,
    MEMBER_STATUSES,
    PRESENT_STATUSES,
    ChatRef,
    MessageRef,
    scope_key,
    tiny_png,
)

__all__ = [
    "BOT_ID",
    "BOT_USERNAME",
    "DEFAULT_UPDATE_TYPES",
    "MEMBER_STATUSES",
    "PRESENT_STATUSES",
    "ChatRef",
    "MessageRef",
    "TelegramWorld",
    "scope_key",
    "tiny_png",
]


class TelegramWorld(PeopleMixin, ActingMixin, CallbacksMixin, FaultsMixin, ReadingMixin):
    """State and test-facing API of the fake Telegram (the HTTP part is in server.py)."""
