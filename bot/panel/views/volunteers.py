"""Volunteers (coordinators only, as in the chat), with the chat's filters, and the
Volunteers sheet of /export as a file (bot/panel/downloads.py): all of them, as the chat's
export has no filters."""

from __future__ import annotations

from typing import Any

from sqlmodel.ext.asyncio.session import AsyncSession

from bot.i18n import N_, current_language, ngettext
from bot.i18n import gettext as _
from bot.panel import queries
from bot.panel.views.common import Forbidden, PageRequest
from bot.services import volunteers as volunteers_service
from bot.services.permissions import Action, can

SHOWN = 100  # the rest is reached with the filters
AVAILABILITY_NAMES = {
    "weekday": N_("weekdays"),
    "evening": N_("evenings"),
    "weekend": N_("weekends"),
}


def _chosen(value: str | None, allowed: Any) -> str | None:
    return value if value in allowed else None


async def page(session: AsyncSession, ask: PageRequest) -> dict[str, Any]:
    if not can(ask.viewer.member, Action.SEE_VOLUNTEERS):
        raise Forbidden(_("Sorry, only coordinators can do this."))
    language = current_language()
    areas = {a.slug: a.names.get(language) or a.slug for a in ask.profile.areas}
    params = ask.params
    wanted = volunteers_service.Filter(
        area=_chosen(params.get("area"), areas),
        street=_chosen(params.get("street"), (*ask.profile.streets, "-")),
        availability=_chosen(params.get("availability"), AVAILABILITY_NAMES),
        skill=" ".join(params.get("skill", "").split())[:40] or None,
    )
    found, total = await queries.volunteers(session, wanted, SHOWN)
    return {
        "wanted": wanted,
        "areas": list(areas.items()),
        "streets": list(ask.profile.streets),
        "availabilities": [(k, _(v)) for k, v in AVAILABILITY_NAMES.items()],
        "volunteers": [
            {
                "name": v.name,
                "phone": v.phone,
                "street": v.street,
                "skills": v.skills,
                "areas": ", ".join(areas.get(a, a) for a in v.areas),
                "availability": ", ".join(_(AVAILABILITY_NAMES.get(a, a)) for a in v.availability),
            }
            for v in found
        ],
        "more": total > len(found),
        "count": ngettext("{n} volunteer", "{n} volunteers", total).format(n=total),
        "download": {
            "label": _("All volunteers (XLSX)"),
            "note": _(
                "The file lists every volunteer, as /export does: the filters apply here only."
            ),
        }
        if can(ask.viewer.member, Action.EXPORT)
        else None,
    }
