"""From contributions to the programme: the problem map (everyone, as /map) and the
programme actions (their list for leads and coordinators, as /actions; one action for
anyone, as its button in the chat)."""

from __future__ import annotations

from typing import Any

from sqlmodel.ext.asyncio.session import AsyncSession

from bot.i18n import N_, current_language, format_date, ngettext
from bot.i18n import gettext as _
from bot.panel import programme
from bot.panel.views.common import Forbidden, PageRequest, kind_name
from bot.services import links as links_service
from bot.services import problem_map as map_service
from bot.services import programme as programme_service
from bot.services.errors import DomainError
from bot.services.permissions import has_role
from models import ActionIndicator, Role

READY_SHOWN = 10
STATUS_NAMES = {
    "planned": N_("planned"),
    "in_progress": N_("in progress"),
    "done": N_("done"),
    "dropped": N_("dropped"),
}


def _supports(n: int) -> str:
    return ngettext("{n} support", "{n} supports", n).format(n=n)


def _listed(listed: map_service.Listed) -> dict[str, Any]:
    shown = [(n.id, n.title, _supports(n.support)) for n in listed.nodes]
    more = listed.total - len(shown)
    return {"items": shown, "more": _("… and {n} more").format(n=more) if more > 0 else None}


def _area(area: map_service.MapArea) -> dict[str, Any]:
    top = max(area.counts.values(), default=0) or 1
    return {
        "name": area.name,
        "total": area.total,
        "bars": [
            (map_service.kind_label(k), area.counts.get(k, 0), 100 * area.counts.get(k, 0) / top)
            for k in map_service.KINDS
        ],
        "orphans": _listed(area.orphan_causes),
        "without": _listed(area.ideas_without_resource),
        "chains": [
            {
                "support": _supports(chain.support),
                "steps": [
                    (kind_name(n.kind), n.id, n.title)
                    for n in (chain.cause, chain.barrier, chain.idea, chain.resource)
                    if n is not None
                ],
            }
            for chain in area.chains
        ],
    }


async def problem_map(session: AsyncSession, ask: PageRequest) -> dict[str, Any]:
    areas = await map_service.problem_map(session, current_language())
    return {"areas": [_area(a) for a in areas if a.area_id is not None or a.total]}


def _status(status: str) -> str:
    return _(STATUS_NAMES.get(status, status))


def _schedule(start: str | None, end: str | None) -> str:
    return " – ".join(month for month in (start, end) if month)


async def actions(session: AsyncSession, ask: PageRequest) -> dict[str, Any]:
    member = ask.viewer.member
    if not has_role(member, Role.LEAD):
        raise Forbidden(_("Sorry, only coordinators and group leads can do this."))
    listed = await programme_service.all_actions(session)
    ready = await programme.ready_ideas(session, member, READY_SHOWN)
    return {
        "actions": [
            {
                "id": a.id,
                "title": a.title,
                "status": _status(a.status),
                "progress": a.progress,
                "schedule": _schedule(a.start_month, a.end_month),
                "responsible": a.responsible,
            }
            for a in listed
        ],
        "ready": [(n.id, n.title, _supports(n.support)) for n in ready],
    }


def _number(value: float | None) -> str:
    return "?" if value is None else f"{value:g}"


def _share(indicator: ActionIndicator) -> float:
    done, target = indicator.achieved or 0, indicator.target
    return min(100.0, 100 * done / target) if target > 0 else 0.0


async def action(session: AsyncSession, ask: PageRequest) -> dict[str, Any]:
    try:
        detail = await programme_service.action_detail(session, ask.number("id") or 0)
    except DomainError as error:
        raise Forbidden(_(error.message).format(**error.params)) from None
    a = detail.action
    return {
        "action": {
            "title": a.title,
            "goal": a.goal,
            "target_group": a.target_group,
            "responsible": a.responsible,
            "partners": ", ".join(a.partners),
            "schedule": _schedule(a.start_month, a.end_month),
            "status": _status(a.status),
            "progress": a.progress,
        },
        "linked": [
            (links_service.relation(kind, item.id), item.title)
            for kind, items in sorted(detail.linked.items())
            for item in items
        ],
        "indicators": [
            (i.name, f"{_number(i.achieved)} / {i.target:g} {i.unit}".strip(), _share(i))
            for i in detail.indicators
        ],
        "notes": [(format_date(note.noted_on), note.text) for note in detail.notes],
    }
