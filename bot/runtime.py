"""What every handler and job needs: settings, database, profile. Kept in bot_data."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from bot.config import Settings
from bot.db import Database
from bot.profile import Profile

KEY = "runtime"


@dataclass
class Runtime:
    settings: Settings
    db: Database
    profile: Profile
    bot_username: str = "leaders_bot"


def runtime(context: Any) -> Runtime:
    """The runtime from a CallbackContext or an Application."""
    application = getattr(context, "application", context)
    found: Runtime = application.bot_data[KEY]
    return found
