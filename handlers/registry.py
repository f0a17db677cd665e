"""What each feature offers: commands (for /help and setMyCommands) and main-menu buttons."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from models import Role


@dataclass(frozen=True)
class CommandSpec:
    name: str
    description: str  # msgid, translated per language when registered
    min_role: Role | None = Role.RESIDENT  # None: anyone, even before consent
    scope: Literal["private", "group"] = "private"


@dataclass(frozen=True)
class MenuEntry:
    label: str  # msgid
    callback_data: str
    min_role: Role = Role.RESIDENT
    order: int = 100
