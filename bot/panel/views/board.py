"""The contribution board: columns by status, filters by kind, area and group, a title
search; a card offers its next status (and rejection) to those who may move it."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlmodel.ext.asyncio.session import AsyncSession

from bot.i18n import current_language, format_date
from bot.i18n import gettext as _
from bot.panel import queries
from bot.panel.views.common import PageRequest, Viewer, group_name, kind_name, status_name
from bot.services import contributions as contributions_service
from bot.services.permissions import Action, can
from models import ContributionKind, ContributionStatus, Group


@dataclass
class BoardCard:
    id: int
    kind: str
    title: str
    author: str
    group: str
    area: str
    supports: int
    date: str
    reason: str | None
    next_status: str | None  # offered when the viewer may move it
    next_label: str | None
    may_reject: bool


def board_card(
    row: queries.BoardRow,
    viewer: Viewer,
    groups: Mapping[int | None, Group],
    areas: Mapping[int | None, str],
) -> BoardCard:
    group = groups.get(row.group_id)
    may = can(viewer.member, Action.SET_CONTRIBUTION_STATUS, group)
    current = ContributionStatus(row.status)
    following = contributions_service.NEXT_STATUS.get(current) if may else None
    return BoardCard(
        id=row.id,
        kind=kind_name(row.kind),
        title=row.title,
        author=row.author_name or _("former member"),
        group=group_name(group),
        area=areas.get(row.area_id, "—"),
        supports=row.support_count,
        date=format_date(row.created_at),
        reason=row.rejection_reason if current == ContributionStatus.REJECTED else None,
        next_status=following.value if following else None,
        next_label=status_name(following) if following else None,
        may_reject=may and current in contributions_service.REJECTABLE,
    )


def card_row(card: contributions_service.Card) -> queries.BoardRow:
    c = card.contribution
    assert c.id is not None
    return queries.BoardRow(
        c.id,
        c.kind,
        c.title,
        c.status,
        c.support_count,
        c.created_at,
        c.rejection_reason,
        c.group_id,
        c.area_id,
        card.author_name,
    )


async def page(session: AsyncSession, ask: PageRequest) -> dict[str, Any]:
    kind = ask.params.get("kind") or None
    if kind not in {k.value for k in ContributionKind}:
        kind = None
    filters = queries.BoardFilters(
        kind=kind,
        area_id=ask.number("area"),
        group_id=ask.number("group"),
        search=" ".join(ask.params.get("q", "").split())[: queries.SEARCH_MAX],
    )
    columns, counts, capped = await queries.board(session, filters)
    areas, groups = await queries.choices(session)
    language = current_language()
    area_names: dict[int | None, str] = {a.id: a.names.get(language) or a.slug for a in areas}
    by_id: dict[int | None, Group] = {g.id: g for g in groups}
    return {
        "filters": filters,
        "capped": capped,
        "kinds": [(k.value, kind_name(k.value)) for k in ContributionKind],
        "areas": list(area_names.items()),
        "groups": [(g.id, g.display_name(language)) for g in groups],
        "columns": [
            (
                status.value,
                status_name(status.value),
                counts.get(status.value, 0),
                [board_card(row, ask.viewer, by_id, area_names) for row in columns[status.value]],
            )
            for status in ContributionStatus
        ],
    }
