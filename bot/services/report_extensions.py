"""Modules that add export sheets, statistics series and digest sections to the reports.

Each registers itself on import with ``sheet_spec.sheet``,
``stats.register_series`` and ``digest.register_section``; a feature adds one line here.
Loaded lazily by the registries' readers, so no import cycles. A module may also name
its tables for /mydata in a ``MYDATA_LABELS`` dict (table or "table.column" -> msgid).
"""

from __future__ import annotations

import importlib

EXTENSIONS = (
    "bot.services.contribution_reports",
    "bot.services.meeting_reports",
    "bot.services.volunteer_reports",
)


def load_extensions() -> None:
    for name in EXTENSIONS:
        importlib.import_module(name)


def mydata_labels() -> dict[str, str]:
    """The extensions' /mydata names for their tables (msgids)."""
    labels: dict[str, str] = {}
    for name in EXTENSIONS:
        labels.update(getattr(importlib.import_module(name), "MYDATA_LABELS", {}))
    return labels
