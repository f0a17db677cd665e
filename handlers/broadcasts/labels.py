"""A broadcast's audience in words, and its progress or outcome in one line."""

from __future__ import annotations

from typing import Any

from bot.i18n import N_, current_language, format_datetime
from bot.i18n import gettext as _
from bot.services import broadcasts as service
from bot.services import groups as groups_service
from bot.services import meetings as meetings_service
from bot.services.errors import DomainError
from handlers.common import esc
from models import Broadcast, BroadcastStatus

# A meeting's attendees, or its card sent to many (handlers/meetings/inviting.py): the words
# while the meeting exists, and once it is gone.
_MEETING_AUDIENCES = {
    "meeting": (
        N_("the attendees of {topic} ({when})"),
        N_("the attendees of a meeting that no longer exists"),
    ),
    "invitation": (
        N_("the invitation to {topic} ({when})"),
        N_("the invitation to a meeting that no longer exists"),
    ),
}


async def _audience_name(session: Any, audience: dict[str, Any]) -> str | None:
    """The words for a group or a meeting audience, looked up; None for any other."""
    kind = audience.get("kind")
    if kind == "group":
        try:
            group = await groups_service.get_active(session, audience.get("group_id"))
        except DomainError:
            return _("a group that no longer exists")
        return _("the group {name}").format(name=esc(group.display_name(current_language())))
    if kind in _MEETING_AUDIENCES:
        words, gone = _MEETING_AUDIENCES[kind]
        try:
            meeting = await meetings_service.get(session, audience.get("meeting_id"))
        except DomainError:
            return _(gone)
        return _(words).format(
            topic=esc(meeting.topic), when=format_datetime(meeting.starts_at, "short")
        )
    return None


async def audience_label(session: Any, audience: dict[str, Any]) -> str:
    kind = audience.get("kind")
    name = None if kind in ("everyone", "leaders") else await _audience_name(session, audience)
    area = None
    if name is None and audience.get("area"):
        names = {a.slug: a.names for a in await groups_service.areas(session)}
        area = esc(names.get(audience["area"], {}).get(current_language()) or audience["area"])
    named = {str(kind): name} if name is not None else {}
    return service.audience_words(audience, named, area=area, escape=esc)


def progress_line(broadcast: Broadcast, label: str, counts: service.Progress) -> str:
    return _(
        "#{id} to {audience}: {done} of {total} done (delivered {sent}, blocked {blocked}, "
        "failed {failed})"
    ).format(
        id=broadcast.id,
        audience=label,
        done=counts.done,
        total=counts.total,
        sent=counts.sent,
        blocked=counts.blocked,
        failed=counts.failed,
    )


def finished_line(broadcast: Broadcast, label: str) -> str:
    text = _(
        "#{id} to {audience}, {when}: delivered {sent} of {total}, blocked {blocked}, "
        "failed {failed}, uncertain {uncertain}"
    ).format(
        id=broadcast.id,
        audience=label,
        when=format_datetime(broadcast.finished_at or broadcast.created_at, "short_day"),
        sent=broadcast.sent,
        total=broadcast.total,
        blocked=broadcast.blocked,
        failed=broadcast.failed,
        uncertain=broadcast.uncertain,
    )
    if broadcast.status == BroadcastStatus.STOPPED:
        text += " " + _("(stopped)")
    return text
