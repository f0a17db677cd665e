"""The data of the programme document and of a meeting's printable attendance list.

The documents themselves are rendered from this plain data (bot/documents), off the event loop.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.documents.attendance_pdf import AttendanceRow, AttendanceSheet
from bot.i18n import N_, format_date, format_time
from bot.i18n import gettext as _
from bot.profile import Profile
from bot.services import meetings as meetings_service
from bot.services.errors import NotAllowed
from bot.services.permissions import Action, can
from bot.services.programme.actions import ActionDetail, action_detail, all_actions
from models import (
    AnonymousAttendance,
    Answer,
    Contribution,
    ContributionKind,
    ContributionStatus,
    Group,
    Meeting,
    MeetingStatus,
    Member,
    ProblemArea,
    Rsvp,
)

__all__ = [
    "ActionSection",
    "AreaSection",
    "Item",
    "ProgrammeData",
    "attendance_sheet",
    "programme_data",
]

# --- the attendance list -------------------------------------------------------------------


async def attendance_sheet(
    session: AsyncSession,
    actor: Member | None,
    meeting_id: int,
    *,
    profile: Profile,
    now: datetime,
    language: str,
) -> AttendanceSheet:
    """The printable list of a meeting. `actor` None: the command line (trusted). Dates are
    formatted in BOT_TIMEZONE; call inside `use_language(language)`."""
    meeting = await meetings_service.get(session, meeting_id)
    group = await meetings_service.group_of(session, meeting)
    if actor is not None and not can(actor, Action.MANAGE_MEETING, group):
        raise NotAllowed(N_("Only a coordinator or the lead of this group can do this."))
    after = now >= meeting.starts_at
    rows = await session.exec(
        select(Rsvp, Member)
        .join(Member, col(Member.id) == col(Rsvp.member_id))
        .where(Rsvp.meeting_id == meeting.id)
    )
    people: list[AttendanceRow] = []
    for rsvp, person in rows.all():
        present = rsvp.checked_in_at is not None
        if rsvp.answer in (Answer.YES, Answer.MAYBE) or present:
            people.append(
                AttendanceRow(
                    name=person.display_name or "",
                    institution=person.institution or "",
                    present=present,
                )
            )
    people.sort(key=lambda p: _sort_key(p.name))
    erased = await meetings_service.erased_present(session, meeting.id) if after else 0  # type: ignore[arg-type]
    return AttendanceSheet(
        programme=profile.name,
        funder=profile.funder,
        topic=meeting.topic,
        group=group.display_name(language),
        day=format_date(meeting.starts_at, "full"),
        time=f"{format_time(meeting.starts_at)}–{format_time(meeting.ends_at)}",
        place=meeting.place,
        rows=people,
        after=after,
        erased_present=erased,
        blank_rows=max(5, 15 - len(people)),
    )


_POLISH_ORDER = "aąbcćdeęfghijklłmnńoópqrsśtuvwxyzźż"


def _sort_key(name: str) -> list[int]:
    """Polish alphabetical order (ł after l, ś after s): the way a printed list is read."""
    return [
        _POLISH_ORDER.index(ch) if ch in _POLISH_ORDER else 100 + ord(ch) for ch in name.lower()
    ]


# --- the programme document ----------------------------------------------------------------


@dataclass(frozen=True)
class Item:
    id: int
    title: str
    support: int
    status: str
    team: str = ""  # the group it came from: contributors are named only by team
    details: str = ""


@dataclass
class AreaSection:
    name: str
    causes: list[Item] = field(default_factory=list)
    barriers: list[Item] = field(default_factory=list)


@dataclass
class ActionSection:
    title: str
    goal: str
    target_group: str
    responsible: str
    partners: list[str]
    schedule: str
    status: str
    progress: int
    causes: list[str]
    barriers: list[str]
    resources: list[str]
    experiences: list[str]
    indicators: list[tuple[str, float, str, float | None]]  # name, target, unit, achieved
    notes: list[tuple[date, str]]


@dataclass
class ProgrammeData:
    name: str
    town: str
    funder: str
    areas: list[AreaSection]
    resources: list[tuple[str, Item]]  # (area name, resource)
    experiences: list[tuple[str, Item]]
    actions: list[ActionSection]
    meetings_held: int
    participants: int
    by_institution: list[tuple[str, int]]
    by_team: list[tuple[str, int]]
    generated_on: date


def _item(c: Contribution, teams: dict[int, str]) -> Item:
    details = "; ".join(str(v) for v in (c.details or {}).values() if v and isinstance(v, str))
    return Item(
        id=c.id or 0,
        title=c.title,
        support=c.support_count,
        status=c.status,
        team=teams.get(c.group_id or 0, ""),
        details=details[:400],
    )


async def programme_data(
    session: AsyncSession, profile: Profile, *, language: str, now: datetime
) -> ProgrammeData:
    """Everything the programme document shows; people appear only as institutions or teams."""
    areas = (await session.exec(select(ProblemArea).order_by(col(ProblemArea.position)))).all()
    area_names = {a.id: a.display_name(language) for a in areas}
    groups = (await session.exec(select(Group))).all()
    teams = {g.id or 0: g.display_name(language) for g in groups}
    contributions = (
        await session.exec(
            select(Contribution)
            .where(col(Contribution.status) != ContributionStatus.REJECTED)
            .order_by(col(Contribution.support_count).desc(), col(Contribution.id))
        )
    ).all()
    other = N_("Other")
    sections = {a.id: AreaSection(area_names[a.id]) for a in areas}
    unassigned = AreaSection(_(other))
    resources: list[tuple[str, Item]] = []
    experiences: list[tuple[str, Item]] = []
    for c in contributions:
        section = sections.get(c.area_id, unassigned) if c.area_id else unassigned
        if c.kind == ContributionKind.CAUSE:
            section.causes.append(_item(c, teams))
        elif c.kind == ContributionKind.BARRIER:
            section.barriers.append(_item(c, teams))
        elif c.kind == ContributionKind.RESOURCE:
            resources.append((section.name, _item(c, teams)))
        elif c.kind == ContributionKind.EXPERIENCE:
            experiences.append((section.name, _item(c, teams)))
    area_list = [s for s in sections.values()]
    if unassigned.causes or unassigned.barriers:
        area_list.append(unassigned)

    action_sections = []
    for action in await all_actions(session):
        detail = await action_detail(session, action.id)  # type: ignore[arg-type]

        def titles(kind: str, d: ActionDetail = detail) -> list[str]:
            return [f"#{c.id} {c.title}" for c in d.linked.get(kind, [])]

        schedule = " – ".join(m for m in (action.start_month, action.end_month) if m)
        action_sections.append(
            ActionSection(
                title=action.title,
                goal=action.goal,
                target_group=action.target_group,
                responsible=action.responsible,
                partners=list(action.partners),
                schedule=schedule,
                status=action.status,
                progress=action.progress,
                causes=titles(ContributionKind.CAUSE),
                barriers=titles(ContributionKind.BARRIER),
                resources=titles(ContributionKind.RESOURCE),
                experiences=titles(ContributionKind.EXPERIENCE),
                indicators=[(i.name, i.target, i.unit, i.achieved) for i in detail.indicators],
                notes=[(n.noted_on, n.text) for n in detail.notes],
            )
        )

    held = (
        await session.exec(
            select(Meeting.id).where(
                Meeting.status == MeetingStatus.SCHEDULED, col(Meeting.starts_at) <= now
            )
        )
    ).all()
    held_ids = list(held)
    by_institution: Counter[str] = Counter()
    participants = 0
    if held_ids:
        present = await session.exec(
            select(Member.institution)
            .join(Rsvp, col(Rsvp.member_id) == col(Member.id))
            .where(col(Rsvp.meeting_id).in_(held_ids), col(Rsvp.checked_in_at).is_not(None))
        )
        for institution in present.all():
            by_institution[institution or _("No institution given")] += 1
            participants += 1
        erased = (
            await session.exec(
                select(AnonymousAttendance.id).where(
                    col(AnonymousAttendance.meeting_id).in_(held_ids),
                    col(AnonymousAttendance.checked_in_at).is_not(None),
                )
            )
        ).all()
        if erased:
            by_institution[_("Not known (data erased)")] += len(erased)
            participants += len(erased)
    by_team: Counter[str] = Counter(teams.get(c.group_id or 0, _(other)) for c in contributions)
    return ProgrammeData(
        name=profile.name,
        town=profile.town,
        funder=profile.funder,
        areas=area_list,
        resources=resources,
        experiences=experiences,
        actions=action_sections,
        meetings_held=len(held_ids),
        participants=participants,
        by_institution=by_institution.most_common(),
        by_team=by_team.most_common(),
        generated_on=now.date(),
    )
