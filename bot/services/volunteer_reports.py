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
from sqlalchemy.sql import ColumnElement, Select
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.i18n import N_, current_language
from bot.i18n import gettext as _
from bot.services.broadcasts import FINAL_STATES, audience_words
from bot.services.export import (
    CREATED,
    FULL_NAME,
    NUMBER,
    STARTS,
    TITLE,
    ExportColumn,
    SheetSpec,
    localized,
    register_sheet,
    table_of,
)
from bot.services.stats import Points, counts_by, register_series
from models import (
    Broadcast,
    BroadcastRecipient,
    BroadcastStatus,
    Group,
    Member,
    Opportunity,
    OpportunitySignup,
    ProblemArea,
    RecipientState,
    Volunteer,
)

_volunteers = table_of(Volunteer)
_opportunities = table_of(Opportunity)
_signups = table_of(OpportunitySignup)
_broadcasts = table_of(Broadcast)
_recipients = table_of(BroadcastRecipient)
_members = table_of(Member)
_groups = table_of(Group)
_areas = table_of(ProblemArea)

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


def _label(labels: dict[str, str], value: str | None) -> str | None:
    return _(labels[value]) if value in labels else value


def _area_name(names: ColumnElement[Any], slug: ColumnElement[Any]) -> ColumnElement[Any]:
    """An area's name in the export's language, in SQL (the query is built in it)."""
    return func.coalesce(names[current_language()].as_string(), slug)


def _all_area_names() -> ColumnElement[Any]:
    """Every area as 'slug<PAIR>name' items in one string: a volunteer's areas are a JSON
    list of slugs, and this lets each row name them without a query per row. The subquery
    is not correlated, so the database computes it once."""
    pair = cast(_areas.c.slug, String) + literal(_PAIR) + _area_name(_areas.c.names, _areas.c.slug)
    return (
        core_select(func.aggregate_strings(pair, _ITEM))
        .select_from(_areas)
        .scalar_subquery()
        .label("all_areas")
    )


def _interests(row: Row[Any]) -> str:
    pairs = (item.split(_PAIR, 1) for item in (row.all_areas or "").split(_ITEM) if item)
    names = {slug: name for slug, name in pairs}
    return ", ".join(names.get(slug, slug) for slug in row.areas or ())


def _availability(row: Row[Any]) -> str:
    return ", ".join(_label(AVAILABILITY_NAMES, code) or code for code in row.availability or ())


def _street(row: Row[Any]) -> str:
    return row.street or _("Other streets")


def _volunteers_query() -> Select[Any]:
    return core_select(_volunteers, _all_area_names()).order_by(_volunteers.c.id)


def _taken() -> ColumnElement[Any]:
    return (
        core_select(func.count())
        .select_from(_signups)
        .where(_signups.c.opportunity_id == _opportunities.c.id)
        .scalar_subquery()
        .label("taken")
    )


def _opportunities_query() -> Select[Any]:
    return (
        core_select(
            _opportunities,
            _area_name(_areas.c.names, _areas.c.slug).label("area_name"),
            _members.c.display_name.label("poster_name"),
            _taken(),
        )
        .outerjoin(_areas, _areas.c.id == _opportunities.c.area_id)
        .outerjoin(_members, _members.c.id == _opportunities.c.posted_by_id)
        .order_by(_opportunities.c.starts_at, _opportunities.c.id)
    )


def _signups_query() -> Select[Any]:
    return (
        core_select(
            _signups.c.opportunity_id,
            _opportunities.c.title,
            _opportunities.c.starts_at,
            _members.c.display_name.label("member_name"),
            _volunteers.c.phone,
            _signups.c.created_at,
        )
        .join(_opportunities, _opportunities.c.id == _signups.c.opportunity_id)
        .join(_members, _members.c.id == _signups.c.member_id)
        .outerjoin(_volunteers, _volunteers.c.member_id == _signups.c.member_id)
        .order_by(_opportunities.c.starts_at, _signups.c.opportunity_id, _signups.c.id)
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


def _broadcasts_query() -> Select[Any]:
    audience = _broadcasts.c.audience
    return (
        core_select(
            _broadcasts,
            _members.c.display_name.label("author_name"),
            _groups.c.name.label("group_name"),
            _groups.c.names.label("group_names"),
            _area_name(_areas.c.names, _areas.c.slug).label("audience_area"),
        )
        .outerjoin(_members, _members.c.id == _broadcasts.c.author_id)
        .outerjoin(_groups, _groups.c.id == audience["group_id"].as_integer())
        .outerjoin(_areas, _areas.c.slug == audience["area"].as_string())
        .order_by(_broadcasts.c.id)
    )


def _recipient(row: Row[Any]) -> str | None:
    if row.member_name is not None:
        return row.member_name  # type: ignore[no-any-return]
    group = localized(row.group_names, row.group_name)
    return _("the chat of {group}").format(group=group) if group else None


def _recipients_query() -> Select[Any]:
    return (
        core_select(
            _recipients.c.broadcast_id,
            _recipients.c.state,
            _recipients.c.error,
            _recipients.c.finished_at,
            _members.c.display_name.label("member_name"),
            _groups.c.name.label("group_name"),
            _groups.c.names.label("group_names"),
        )
        .outerjoin(_members, _members.c.id == _recipients.c.member_id)
        # A group's linked chat has no member; its chat id names the group (unique).
        .outerjoin(
            _groups,
            (_recipients.c.member_id.is_(None)) & (_groups.c.chat_id == _recipients.c.chat_id),
        )
        .order_by(_recipients.c.broadcast_id, _recipients.c.id)
    )


C = ExportColumn
register_sheet(
    SheetSpec(
        N_("Volunteers"),
        _volunteers,
        (
            NUMBER,
            C(N_("Full name"), "name", 28),
            C(N_("Phone"), "phone", 16),
            C(N_("Street"), _street, 24),
            C(N_("Skills"), "skills", 50),
            C(N_("Interested in"), _interests, 50),
            C(N_("Available"), _availability, 28),
            CREATED,
            C(N_("Updated"), "updated_at", 18),
        ),
        _volunteers_query,
    )
)
register_sheet(
    SheetSpec(
        N_("Opportunities"),
        _opportunities,
        (
            NUMBER,
            TITLE,
            STARTS,
            C(N_("Place"), "place", 30),
            C(N_("Places"), "places", 8),
            C(N_("Signed up"), "taken", 10),
            C(N_("Problem area"), "area_name", 30),
            C(N_("Details"), "details", 40),
            C(N_("Posted by"), "poster_name", 24),
            CREATED,
            C(N_("Cancelled"), "cancelled_at", 18),
        ),
        _opportunities_query,
    )
)
register_sheet(
    SheetSpec(
        N_("Opportunity sign-ups"),
        _signups,
        (
            C(N_("Opportunity no."), "opportunity_id", 10),
            TITLE,
            STARTS,
            FULL_NAME,
            C(N_("Phone"), "phone", 16),
            C(N_("Date of sign-up"), "created_at", 18),
        ),
        _signups_query,
    )
)
register_sheet(
    SheetSpec(
        N_("Broadcasts"),
        _broadcasts,
        (
            NUMBER,
            C(N_("Author"), "author_name", 24),
            C(N_("Audience"), _audience, 32),
            C(N_("Text"), "text", 60),
            C(N_("With a photo"), lambda r: r.photo_file_id is not None, 10),
            C(N_("Status"), lambda r: _label(BROADCAST_STATUS_NAMES, r.status), 14),
            C(N_("Recipients"), "total", 10),
            C(N_("Delivered"), "sent", 10),
            C(N_("Blocked the bot"), "blocked", 10),
            C(N_("Failed"), "failed", 10),
            C(N_("Uncertain"), "uncertain", 10),
            CREATED,
            C(N_("Finished"), "finished_at", 18),
        ),
        _broadcasts_query,
    )
)
register_sheet(
    SheetSpec(
        N_("Broadcast recipients"),
        _recipients,
        (
            C(N_("Broadcast no."), "broadcast_id", 10),
            C(N_("Recipient"), _recipient, 28),
            C(N_("Outcome"), lambda r: _label(RECIPIENT_STATE_NAMES, r.state), 14),
            C(N_("Reason"), "error", 40),
            C(N_("When"), "finished_at", 18),
        ),
        _recipients_query,
    )
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
