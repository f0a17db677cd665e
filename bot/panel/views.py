"""The panel's pages: what each shows to whom, in the viewer's language.

Each page function reads through the services (and queries.py), checks the viewer's rights
with the chat's own rules (`permissions.can`) and returns the template and its values. All
words come from the gettext catalogs (the templates hold no text of their own).
"""

from __future__ import annotations

import asyncio
import calendar
import logging
import time
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlmodel.ext.asyncio.session import AsyncSession

from bot.db import Database
from bot.i18n import (
    N_,
    current_language,
    format_date,
    format_time,
    local,
    ngettext,
    use_language,
    weekday_name,
)
from bot.i18n import gettext as _
from bot.panel import queries
from bot.profile import Profile
from bot.services import contributions as contributions_service
from bot.services import groups as groups_service
from bot.services import meetings as meetings_service
from bot.services import stats as stats_service
from bot.services import volunteers as volunteers_service
from bot.services.errors import DomainError
from bot.services.permissions import Action, can, has_role
from models import Answer, ContributionKind, ContributionStatus, Group, Member, Role, utcnow

log = logging.getLogger(__name__)
PAGES = ("overview", "board", "groups", "group", "meetings", "meeting", "volunteers")
STATS_TTL = 30.0  # seconds the overview's numbers are reused (they are the same for all)
VOLUNTEERS_SHOWN = 100  # the rest is reached with the filters


class Forbidden(Exception):
    """The viewer may not see this page (the panel answers 403 with the message)."""


def labels() -> dict[str, str]:
    """Every word the templates show, in the current language."""
    return {
        "panel": _("Leaders' panel"),
        "overview": _("Overview"),
        "board": _("Board"),
        "groups": _("Groups"),
        "meetings": _("Meetings"),
        "volunteers": _("Volunteers"),
        "all_kinds": _("All kinds"),
        "all_areas": _("All areas"),
        "all_groups": _("All groups"),
        "search": _("Search"),
        "search_hint": _("Search titles"),
        "filter": _("Show"),
        "reject": _("Reject"),
        "reason": _("Reason for the author"),
        "confirm_reject": _("Reject it"),
        "empty": _("Nothing here yet."),
        "more": _("Newer cards first; use the filters to find older ones."),
        "members": _("Members"),
        "lead": _("Lead"),
        "no_lead": _("no lead yet"),
        "upcoming": _("Upcoming meetings"),
        "latest": _("Latest contributions"),
        "members_hidden": _("Only members of the group and coordinators see who is in it."),
        "open_group": _("open to residents"),
        "closed_group": _("closed group"),
        "your_group": _("your group"),
        "previous": _("Previous"),
        "next": _("Next"),
        "cancelled": _("cancelled"),
        "present": _("present"),
        "your_answer": _("Your answer"),
        "yes": _("coming"),
        "maybe": _("maybe"),
        "no": _("not coming"),
        "waiting": _("waiting list"),
        "area": _("Area"),
        "street": _("Street"),
        "other_street": _("other street"),
        "availability": _("Availability"),
        "skill": _("Skill"),
        "skills": _("Skills"),
        "phone": _("Phone"),
        "any": _("any"),
        "stats_hidden": _("Statistics are for coordinators and group leads."),
        "my_contributions": _("My contributions"),
        "my_groups": _("My groups"),
        "back": _("Back"),
        "by": _("by"),
        "former_member": _("former member"),
        "loading": _("Loading…"),
        "narrow": _("Only the first 100 are shown: narrow the list with the filters."),
        "denied": _("Open this panel from the bot in Telegram: send /panel."),
        "failed": _("Something went wrong. Please try again."),
    }


@dataclass
class Viewer:
    member: Member
    language: str

    @property
    def is_coordinator(self) -> bool:
        return has_role(self.member, Role.COORDINATOR)


class StatsCache:
    """The overview's series per language. Computed on the first request; after STATS_TTL
    seconds the next request still gets the kept figures at once while they are computed
    again in the background (the counts scan whole tables: 100 ms and more on 100,000
    contributions)."""

    def __init__(self, db: Database) -> None:
        self.db = db
        self.entries: dict[str, tuple[float, list[stats_service.SeriesResult]]] = {}
        self.refreshing: set[str] = set()
        self.tasks: set[asyncio.Task[None]] = set()

    async def get(self, session: AsyncSession) -> list[stats_service.SeriesResult]:
        language = current_language()
        cached = self.entries.get(language)
        if cached is None:
            results = await stats_service.collect(session)
            self.entries[language] = (time.monotonic(), results)
            return results
        if time.monotonic() - cached[0] >= STATS_TTL and language not in self.refreshing:
            self.refreshing.add(language)
            task = asyncio.create_task(self._refresh(language))
            self.tasks.add(task)
            task.add_done_callback(self.tasks.discard)
        return cached[1]

    async def _refresh(self, language: str) -> None:
        try:
            with use_language(language):
                async with self.db.session() as session:
                    results = await stats_service.collect(session)
            self.entries[language] = (time.monotonic(), results)
        except Exception:
            log.warning("could not refresh the panel's statistics", exc_info=True)
        finally:
            self.refreshing.discard(language)

    def expire(self) -> None:
        """Something changed: the next overview brings fresh figures (in the background)."""
        self.entries = {k: (float("-inf"), v) for k, (_t, v) in self.entries.items()}

    def clear(self) -> None:
        self.entries.clear()


def nav(viewer: Viewer) -> list[tuple[str, str]]:
    t = labels()
    pages = ["overview", "board", "groups", "meetings"]
    if can(viewer.member, Action.SEE_VOLUNTEERS):
        pages.append("volunteers")
    return [(page, t[page]) for page in pages]


def _int(params: Mapping[str, str], key: str) -> int | None:
    value = params.get(key, "")
    return int(value) if value.isdigit() and len(value) < 10 else None


def kind_name(kind: str) -> str:
    return _(contributions_service.KIND_NAMES[ContributionKind(kind)])


def status_name(status: str) -> str:
    return _(contributions_service.STATUS_NAMES[ContributionStatus(status)])


def group_name(group: Group | None) -> str:
    return group.display_name(current_language()) if group is not None else "—"


# --- overview -------------------------------------------------------------------------


@dataclass
class Chart:
    title: str
    kind: str  # "barh" or "bar"
    rows: list[tuple[str, int, float]]  # label, value, share of the largest (0-100)


def _chart(result: stats_service.SeriesResult) -> Chart:
    top = max((value for _label, value in result.points), default=0) or 1
    rows = [(label, value, round(100 * value / top, 1)) for label, value in result.points]
    return Chart(result.title, result.chart, rows)


async def overview(
    session: AsyncSession, viewer: Viewer, params: Mapping[str, str], cache: StatsCache
) -> dict[str, Any]:
    if can(viewer.member, Action.SEE_STATS):
        return {"charts": [_chart(r) for r in await cache.get(session)], "own": None}
    contributions, groups = await queries.own_summary(session, viewer.member)
    return {"charts": None, "own": {"contributions": contributions, "groups": groups}}


# --- board ----------------------------------------------------------------------------


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


def _board_card(
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


def _card_row(card: contributions_service.Card) -> queries.BoardRow:
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


async def board(
    session: AsyncSession, viewer: Viewer, params: Mapping[str, str], cache: StatsCache
) -> dict[str, Any]:
    kind = params.get("kind") or None
    if kind not in {k.value for k in ContributionKind}:
        kind = None
    filters = queries.BoardFilters(
        kind=kind,
        area_id=_int(params, "area"),
        group_id=_int(params, "group"),
        search=" ".join(params.get("q", "").split())[: queries.SEARCH_MAX],
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
                [_board_card(row, viewer, by_id, area_names) for row in columns[status.value]],
            )
            for status in ContributionStatus
        ],
    }


# --- groups ---------------------------------------------------------------------------


async def groups(
    session: AsyncSession, viewer: Viewer, params: Mapping[str, str], cache: StatsCache
) -> dict[str, Any]:
    everything = await groups_service.list_groups(session)
    mine = await meetings_service.my_group_ids(session, viewer.member)
    language = current_language()
    return {
        "groups": [
            {
                "id": s.group.id,
                "name": s.group.display_name(language),
                "members": ngettext("{n} member", "{n} members", s.member_count).format(
                    n=s.member_count
                ),
                "open": s.group.is_open,
                "mine": s.group.id in mine,
                "team": s.group.kind == "team",
            }
            for s in everything
        ]
    }


def _meeting_line(meeting: Any) -> str:
    return f"{format_date(meeting.starts_at)} {format_time(meeting.starts_at)} · {meeting.topic}"


async def group(
    session: AsyncSession, viewer: Viewer, params: Mapping[str, str], cache: StatsCache
) -> dict[str, Any]:
    page = _int(params, "page") or 0
    try:
        found = await groups_service.group_page(session, _int(params, "id"), viewer.member, page)
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
            "count": ngettext("{n} member", "{n} members", found.member_count).format(
                n=found.member_count
            ),
        },
        "may_see_members": found.may_see_members,
        "members": [(m.display_name or "—", m.institution) for m in found.members],
        "members_page": found.page,
        "pages": found.pages,
        "upcoming": [_meeting_line(m) for m in upcoming],
        "latest": [
            _board_card(_card_row(card), viewer, groups_by_id, area_names) for card in latest.cards
        ],
    }


# --- meetings -------------------------------------------------------------------------


def _month(params: Mapping[str, str]) -> date:
    value = params.get("month", "")
    try:
        year, month = (int(part) for part in value.split("-"))
        return date(year, month, 1)
    except ValueError:
        today = local(utcnow()).date()
        return today.replace(day=1)


async def meetings(
    session: AsyncSession, viewer: Viewer, params: Mapping[str, str], cache: StatsCache
) -> dict[str, Any]:
    from bot.i18n import timezone

    first = _month(params)
    after = (first + timedelta(days=32)).replace(day=1)
    before = (first - timedelta(days=1)).replace(day=1)
    zone = timezone()
    start = datetime(first.year, first.month, 1, tzinfo=zone)
    end = datetime(after.year, after.month, 1, tzinfo=zone)
    found = await queries.month_meetings(session, viewer.member, start, end)
    by_day: dict[int, list[tuple[str, str, bool]]] = {}
    for item in found:
        day = local(item.meeting.starts_at).day
        by_day.setdefault(day, []).append(
            (format_time(item.meeting.starts_at), item.meeting.topic, item.meeting.is_cancelled)
        )
    weeks = calendar.Calendar(firstweekday=0).monthdayscalendar(first.year, first.month)
    t = labels()
    answer_names = {
        Answer.YES: t["yes"],
        Answer.MAYBE: t["maybe"],
        Answer.NO: t["no"],
        Answer.WAITING: t["waiting"],
    }
    today = local(utcnow()).date()
    return {
        "title": format_date(first, "LLLL yyyy"),
        "previous": before.strftime("%Y-%m"),
        "next": after.strftime("%Y-%m"),
        "weekdays": [weekday_name(date(2024, 1, 1) + timedelta(days=i), "short") for i in range(7)],
        "weeks": weeks,
        "today": today.day if (today.year, today.month) == (first.year, first.month) else None,
        "by_day": by_day,
        "items": [
            {
                "id": item.meeting.id,
                "when": f"{format_date(item.meeting.starts_at, 'EEE d MMM')}, "
                f"{format_time(item.meeting.starts_at)}–{format_time(item.meeting.ends_at)}",
                "topic": item.meeting.topic,
                "group": group_name(item.group),
                "place": item.meeting.place,
                "cancelled": item.meeting.is_cancelled,
                "counts": [
                    (answer_names[a], item.counts.get(a.value, 0))
                    for a in (Answer.YES, Answer.MAYBE, Answer.NO, Answer.WAITING)
                ],
                "present": item.present,
                "mine": answer_names.get(Answer(item.mine)) if item.mine else None,
            }
            for item in found
        ],
    }


def _answer_names() -> dict[str, str]:
    t = labels()
    return {
        Answer.YES: t["yes"],
        Answer.MAYBE: t["maybe"],
        Answer.NO: t["no"],
        Answer.WAITING: t["waiting"],
    }


async def meeting(
    session: AsyncSession, viewer: Viewer, params: Mapping[str, str], cache: StatsCache
) -> dict[str, Any]:
    """One meeting: its answers and attendance; the names for those who manage it (the
    group's lead, coordinators), as the chat's attendance list."""
    try:
        found = await meetings_service.get_visible(session, viewer.member, _int(params, "id"))
    except DomainError as error:
        raise Forbidden(_(error.message).format(**error.params)) from None
    assert found.id is not None
    group = await meetings_service.group_of(session, found)
    answers = await queries.meeting_answers(session, found.id)
    names = _answer_names()
    manages = can(viewer.member, Action.MANAGE_MEETING, group)
    counts = {a: sum(1 for _n, answer, _t in answers if answer == a) for a in names}
    mine = await meetings_service.my_answer(session, found.id, viewer.member.id)  # type: ignore[arg-type]
    return {
        "meeting": {
            "when": f"{format_date(found.starts_at, 'EEE d MMM')}, "
            f"{format_time(found.starts_at)}–{format_time(found.ends_at)}",
            "topic": found.topic,
            "group": group_name(group),
            "place": found.place,
            "agenda": found.agenda,
            "cancelled": found.is_cancelled,
            "month": local(found.starts_at).strftime("%Y-%m"),
        },
        "counts": [(names[a], counts[a]) for a in names],
        "present": sum(1 for _n, _a, there in answers if there),
        "answers": [(name, names.get(answer, answer), there) for name, answer, there in answers]
        if manages
        else [],
        "mine": names.get(mine.answer) if mine else None,
    }


# --- volunteers -----------------------------------------------------------------------

AVAILABILITY_NAMES = {
    "weekday": N_("weekdays"),
    "evening": N_("evenings"),
    "weekend": N_("weekends"),
}


async def volunteers(
    session: AsyncSession,
    viewer: Viewer,
    params: Mapping[str, str],
    cache: StatsCache,
    profile: Profile | None = None,
) -> dict[str, Any]:
    if not can(viewer.member, Action.SEE_VOLUNTEERS):
        raise Forbidden(_("Sorry, only coordinators can do this."))
    assert profile is not None
    language = current_language()
    areas = {a.slug: a.names.get(language) or a.slug for a in profile.areas}
    wanted = volunteers_service.Filter(
        area=params.get("area") if params.get("area") in areas else None,
        street=params.get("street") if params.get("street") in (*profile.streets, "-") else None,
        availability=params.get("availability")
        if params.get("availability") in AVAILABILITY_NAMES
        else None,
        skill=" ".join(params.get("skill", "").split())[:40] or None,
    )
    found, total = await queries.volunteers(session, wanted, VOLUNTEERS_SHOWN)
    return {
        "wanted": wanted,
        "areas": list(areas.items()),
        "streets": list(profile.streets),
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
    }
