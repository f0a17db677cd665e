"""Contributions: the questions of each kind, drafts checked and saved, browsing, supports
and statuses. Drafts are plain dicts (they live in the persisted user_data).

One module per responsibility: `questions` (kinds, their questions, answers checked),
`drafts` (saving, the author's edit and withdrawal), `browsing` (cards and pages),
`supports`, `statuses` (the way from new to done, and the reviewers).
"""

from __future__ import annotations

from bot.services.contributions.browsing import (
    PAGE_SIZE,
    Card,
    Cursor,
    Filters,
    Page,
    _card_query,
    browse,
    card,
    card_of_new,
    card_query,
    conditions_of,
    latest_in_group,
)
from bot.services.contributions.drafts import (
    draft_group,
    draft_of,
    get,
    get_own_new,
    new_draft,
    next_missing_field,
    submit,
    submitted,
    withdraw,
)
from bot.services.contributions.questions import (
    FIELDS,
    KIND_NAMES,
    TEXT_MAX,
    TITLE,
    TITLE_MAX,
    FieldSpec,
    clean_field,
    field_spec,
    kinds,
)
from bot.services.contributions.statuses import (
    NEXT_STATUS,
    REJECTABLE,
    STATUS_NAMES,
    may_set_status,
    reviewers,
    set_status,
)
from bot.services.contributions.supports import set_support, support_card, toggle_support

__all__ = [
    "FIELDS",
    "KIND_NAMES",
    "NEXT_STATUS",
    "PAGE_SIZE",
    "REJECTABLE",
    "STATUS_NAMES",
    "TEXT_MAX",
    "TITLE",
    "TITLE_MAX",
    "Card",
    "Cursor",
    "FieldSpec",
    "Filters",
    "Page",
    "_card_query",
    "browse",
    "card",
    "card_of_new",
    "card_query",
    "clean_field",
    "conditions_of",
    "draft_group",
    "draft_of",
    "field_spec",
    "get",
    "get_own_new",
    "kinds",
    "latest_in_group",
    "may_set_status",
    "new_draft",
    "next_missing_field",
    "reviewers",
    "set_status",
    "set_support",
    "submit",
    "submitted",
    "support_card",
    "toggle_support",
    "withdraw",
]
