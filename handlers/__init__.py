"""Telegram-facing code, one module per feature. FEATURES lists them in handler order."""

from __future__ import annotations

from types import ModuleType

from telegram.ext import Application

from handlers.registry import CommandSpec, MenuEntry


def _features() -> list[ModuleType]:
    # Imported lazily: feature modules import helpers from this package.
    from handlers import (
        broadcasts,
        contributions,
        digest,
        groups,
        invites,
        meetings,
        migration,
        opportunities,
        panel,
        programme,
        reports,
        start,
        volunteers,
    )

    # The global /cancel and the stale-button handler come after all of these
    # (handlers/system.py), so each conversation's own /cancel fallback answers first.
    return [
        migration,
        start,
        invites,
        groups,
        contributions,
        meetings,
        volunteers,
        opportunities,
        broadcasts,
        reports,
        digest,
        programme,
        panel,
    ]


def all_commands() -> list[CommandSpec]:
    return [spec for module in _features() for spec in getattr(module, "COMMANDS", [])]


def menu_entries() -> list[MenuEntry]:
    from bot.i18n import N_

    entries = [entry for module in _features() for entry in getattr(module, "MENU", [])]
    entries.append(MenuEntry(N_("Help"), "hp", order=900))
    entries.append(MenuEntry(N_("Language"), "lg", order=910))
    return entries


def register_all(application: Application) -> None:  # type: ignore[type-arg]
    from handlers import system

    system.register_first(application)
    for module in _features():
        module.register(application)
    system.register_last(application)
