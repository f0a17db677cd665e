"""Volunteers, opportunities and broadcasts in the reports: export sheets and statistics.

Loaded through ``bot/services/report_extensions.py``; it only registers, it changes nothing.
No digest section: the digest goes to leaders, and nothing here is news for their groups.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from sqlalchemy import String, cast, func, literal
from sqlalchemy import select as core_select
from sqlalchemy.engine import Row
from sqlalchemy.sql import ColumnElement
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.i18n import N_, current_language
from bot.i18n import gettext as _
from bot.services import core_sheets as core
from bot.services.broadcasts import FINAL_STATES, audience_words
from bot.services.sheet_spec import ExportColumn, Field, Join, join, localized, sheet, table
from bot.services.stats import Points, counts_by, register_series
from models import BroadcastRecipient, BroadcastStatus, ProblemArea, RecipientState, Volunteer

_volunteers, _signups = table("volunteers"), table("opportunity_signups")
_opportunities = table("opportunities")
_broadcasts, _recipients = table("broadcasts"), table("broadcast_recipients")

AVAILABILITY_NAMES = {
    "weekday": N_("weekdays"),
    "evening": N_("evenings"),
    "weekend": N_("weekends"),
}
BROADCAST_STATUS_NAMES: dict[str, str] = {
    BroadcastStatus.DRAFT: N_("draft, not sent"),
    BroadcastStatus.RUNNING: N_("being sent"),
    BroadcastStatus.STOPPED: N_("stopped"),
    BroadcastStatus.DONE: N_("finished"),
}
RECIPIENT_STATE_NAMES: dict[str, str] = {
    RecipientState.PENDING: N_("waiting"),
    RecipientState.SENDING: N_("being sent"),
    RecipientState.SENT: N_("delivered"),
    RecipientState.BLOCKED: N_("blocked the bot"),
    RecipientState.FAILED: N_("failed"),
    RecipientState.UNCERTAIN: N_("uncertain"),
}
# Separators of the (slug, name) pairs of all problem areas, fetched with each volunteer.
_PAIR, _ITEM = "\x1f", "\x1e"


def _area_name() -> ColumnElement[Any]:
    """An area's name in the export's language, in SQL (the query is built in it)."""
    return func.coalesce(core.AREAS.c.names[current_language()].as_string(), core.AREAS.c.slug)


def _area_field(label: str) -> Field:
    return lambda: _area_name().label(label)


def _all_area_names() -> ColumnElement[Any]:
    """Every area as 'slug<PAIR>name' items in one string: a volunteer's areas are a JSON
    list of slugs, and this lets each row name them without a query per row. The subquery
    is not correlated, so the database computes it once."""
    pair = cast(core.AREAS.c.slug, String) + literal(_PAIR) + _area_name()
    return (
        core_select(func.aggregate_strings(pair, _ITEM))
        .select_from(core.AREAS)
        .scalar_subquery()
        .label("all_areas")
    )


def _interests(row: Row[Any]) -> str:
    pairs = (item.split(_PAIR, 1) for item in (row.all_areas or "").split(_ITEM) if item)
    names = {slug: name for slug, name in pairs}
    return ", ".join(names.get(slug, slug) for slug in row.areas or ())


def _availability(row: Row[Any]) -> str:
    labels = AVAILABILITY_NAMES
    return ", ".join(_(labels[code]) if code in labels else code for code in row.availability or ())


def _street(row: Row[Any]) -> str:
    return row.street or _("Other streets")


def _taken() -> ColumnElement[Any]:
    return (
        core_select(func.count())
        .select_from(_signups)
        .where(_signups.c.opportunity_id == _opportunities.c.id)
        .scalar_subquery()
        .label("taken")
    )


def _audience(row: Row[Any]) -> str:
    """The audience in words, as the author chose it (see models/broadcasts.py)."""
    audience = row.audience or {}
    name = localized(row.group_names, row.group_name)
    named = {
        "group": _("the group {name}").format(name=name)
        if name is not None
        else _("a group that no longer exists"),
        "meeting": _("the attendees of meeting #{id}").format(id=audience.get("meeting_id")),
    }
    return audience_words(audience, named, area=row.audience_area)


def _recipient(row: Row[Any]) -> str | None:
    if row.member_name is not None:
        return row.member_name  # type: ignore[no-any-return]
    group = localized(row.group_names, row.group_name)
    return _("the chat of {group}").format(group=group) if group else None


C = ExportColumn
PHONE = C(N_("Phone"), "phone", 16)
sheet(
    N_("Volunteers"),
    _volunteers,
    core.NUMBER,
    C(N_("Full name"), "name", 28),
    PHONE,
    C(N_("Street"), _street, 24),
    C(N_("Skills"), "skills", 50),
    C(N_("Interested in"), _interests, 50),
    C(N_("Available"), _availability, 28),
    core.CREATED,
    core.UPDATED,
    fields=(_volunteers, _all_area_names),
)
sheet(
    N_("Opportunities"),
    _opportunities,
    core.NUMBER,
    core.TITLE,
    core.STARTS,
    core.PLACE,
    C(N_("Places"), "places", 8),
    C(N_("Signed up"), "taken", 10),
    core.AREA_NAME,
    C(N_("Details"), "details", 40),
    C(N_("Posted by"), "poster_name", 24),
    core.CREATED,
    C(N_("Cancelled"), "cancelled_at", 18),
    fields=(_opportunities, _taken()),
    joins=(
        join(core.AREAS, _opportunities.c.area_id, _area_field("area_name")),
        core.person(_opportunities.c.posted_by_id, "poster_name"),
    ),
    order_by=(_opportunities.c.starts_at, _opportunities.c.id),
)
sheet(
    N_("Opportunity sign-ups"),
    _signups,
    C(N_("Opportunity no."), "opportunity_id", 10),
    core.TITLE,
    core.STARTS,
    core.FULL_NAME,
    PHONE,
    C(N_("Date of sign-up"), "created_at", 18),
    joins=(
        join(
            _opportunities,
            _signups.c.opportunity_id,
            _opportunities.c.title,
            _opportunities.c.starts_at,
            inner=True,
        ),
        core.person(_signups.c.member_id, "member_name", inner=True),
        Join(_volunteers, _volunteers.c.member_id == _signups.c.member_id, (_volunteers.c.phone,)),
    ),
    order_by=(_opportunities.c.starts_at, _signups.c.opportunity_id, _signups.c.id),
)
sheet(
    N_("Broadcasts"),
    _broadcasts,
    core.NUMBER,
    core.AUTHOR,
    C(N_("Audience"), _audience, 32),
    C(N_("Text"), "text", 60),
    C(N_("With a photo"), lambda r: r.photo_file_id is not None, 10),
    C(N_("Status"), "status", 14, BROADCAST_STATUS_NAMES),
    C(N_("Recipients"), "total", 10),
    C(N_("Delivered"), "sent", 10),
    C(N_("Blocked the bot"), "blocked", 10),
    C(N_("Failed"), "failed", 10),
    C(N_("Uncertain"), "uncertain", 10),
    core.CREATED,
    C(N_("Finished"), "finished_at", 18),
    joins=(
        core.person(_broadcasts.c.author_id, "author_name"),
        core.group(_broadcasts.c.audience["group_id"].as_integer()),
        Join(
            core.AREAS,
            core.AREAS.c.slug == _broadcasts.c.audience["area"].as_string(),
            (_area_field("audience_area"),),
        ),
    ),
)
sheet(
    N_("Broadcast recipients"),
    _recipients,
    C(N_("Broadcast no."), "broadcast_id", 10),
    C(N_("Recipient"), _recipient, 28),
    C(N_("Outcome"), "state", 14, RECIPIENT_STATE_NAMES),
    C(N_("Reason"), "error", 40),
    C(N_("When"), "finished_at", 18),
    joins=(
        core.person(_recipients.c.member_id, "member_name"),
        # A group's linked chat has no member; its chat id names the group (unique).
        Join(
            core.GROUPS,
            (_recipients.c.member_id.is_(None)) & (core.GROUPS.c.chat_id == _recipients.c.chat_id),
            core.group_names(),
        ),
    ),
    order_by=(_recipients.c.broadcast_id, _recipients.c.id),
)


# --- statistics -----------------------------------------------------------------------


@register_series(N_("Volunteers per street"), order=50)
async def volunteers_per_street(session: AsyncSession) -> Points:
    counts = await counts_by(session, col(Volunteer.street))
    other = counts.pop(None, 0)
    points = sorted(counts.items(), key=lambda item: (-item[1], item[0] or ""))
    named = [(street or "", count) for street, count in points]
    return named + ([(_("Other streets"), other)] if other else [])


@register_series(N_("Volunteers per area of interest"), order=51)
async def volunteers_per_area(session: AsyncSession) -> Points:
    # Areas are a JSON list per volunteer: counted here, the same on SQLite and PostgreSQL.
    interests: Counter[str] = Counter()
    for areas in (await session.exec(select(Volunteer.areas))).all():
        interests.update(set(areas or ()))
    language = current_language()
    found = await session.exec(select(ProblemArea).order_by(col(ProblemArea.position)))
    return [(area.names.get(language) or area.slug, interests[area.slug]) for area in found.all()]


@register_series(N_("Broadcast messages delivered and blocked"), order=52)
async def broadcast_outcomes(session: AsyncSession) -> Points:
    state = col(BroadcastRecipient.state)
    counts = await counts_by(session, state, state.in_(FINAL_STATES))
    always = (RecipientState.SENT, RecipientState.BLOCKED)  # the comparison the title promises
    return [
        (_(RECIPIENT_STATE_NAMES[state]), counts.get(state, 0))
        for state in FINAL_STATES
        if state in always or counts.get(state)
    ]
