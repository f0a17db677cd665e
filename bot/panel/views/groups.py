"""Groups: the list, and one group's page (its members as visible in the chat, upcoming
meetings, latest contributions)."""

from __future__ import annotations

from typing import Any

from sqlmodel.ext.asyncio.session import AsyncSession

from bot.i18n import current_language, format_date, format_time, ngettext
from bot.i18n import gettext as _
from bot.panel.views.board import board_card, card_row
from bot.panel.views.common import Forbidden, PageRequest
from bot.services import contributions as contributions_service
from bot.services import groups as groups_service
from bot.services import meetings as meetings_service
from bot.services.errors import DomainError
from models import Group, utcnow


def _members(count: int) -> str:
    return ngettext("{n} member", "{n} members", count).format(n=count)


async def listing(session: AsyncSession, ask: PageRequest) -> dict[str, Any]:
    everything = await groups_service.list_groups(session)
    mine = await meetings_service.my_group_ids(session, ask.viewer.member)
    language = current_language()
    return {
        "groups": [
            {
                "id": s.group.id,
                "name": s.group.display_name(language),
                "members": _members(s.member_count),
                "open": s.group.is_open,
                "mine": s.group.id in mine,
                "team": s.group.kind == "team",
            }
            for s in everything
        ]
    }


def _meeting_line(meeting: Any) -> str:
    return f"{format_date(meeting.starts_at)} {format_time(meeting.starts_at)} · {meeting.topic}"


async def page(session: AsyncSession, ask: PageRequest) -> dict[str, Any]:
    viewer = ask.viewer
    try:
        found = await groups_service.group_page(
            session, ask.number("id"), viewer.member, ask.number("page") or 0
        )
    except DomainError as error:
        raise Forbidden(_(error.message).format(**error.params)) from None
    g = found.group
    assert g.id is not None
    upcoming = [
        m
        for m in await meetings_service.upcoming_in_group(session, g.id, now=utcnow())
        if await meetings_service.may_see(session, viewer.member, m)
    ]
    latest = await contributions_service.browse(
        session, contributions_service.Filters(group_id=g.id), 0, viewer.member
    )
    language = current_language()
    area_names = {
        c.area.id: c.area.names.get(language) or c.area.slug for c in latest.cards if c.area
    }
    groups_by_id: dict[int | None, Group] = {g.id: g}
    return {
        "group": {
            "id": g.id,
            "name": g.display_name(language),
            "purpose": g.display_purpose(language),
            "open": g.is_open,
            "area": (found.area.names.get(language) or found.area.slug) if found.area else None,
            "lead": found.lead.display_name if found.lead is not None else None,
            "count": _members(found.member_count),
        },
        "may_see_members": found.may_see_members,
        "members": [(m.display_name or "—", m.institution) for m in found.members],
        "members_page": found.page,
        "pages": found.pages,
        "upcoming": [_meeting_line(m) for m in upcoming],
        "latest": [
            board_card(card_row(card), viewer, groups_by_id, area_names) for card in latest.cards
        ],
    }
