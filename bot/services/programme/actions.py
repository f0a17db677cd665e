"""Programme actions: an accepted idea with a goal, partners, indicators, a schedule,
progress and a timeline of notes; who may plan and change them."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.i18n import N_
from bot.services import contributions as contributions_service
from bot.services import links as links_service
from bot.services.audit import record
from bot.services.errors import InvalidInput, NotAllowed
from bot.services.permissions import Action, can
from bot.services.rows import get_or_gone, save
from models import (
    ActionIndicator,
    ActionNote,
    ActionStatus,
    Contribution,
    ContributionKind,
    ContributionStatus,
    Group,
    Member,
    ProgrammeAction,
    utcnow,
)

__all__ = [
    "ACTIONABLE",
    "GOAL_MAX",
    "MONTH",
    "NOTE_MAX",
    "NOT_MANAGER",
    "SHORT_MAX",
    "ActionDetail",
    "action_detail",
    "action_of_idea",
    "actionable_ideas",
    "add_indicator",
    "add_note",
    "all_actions",
    "create_action",
    "get_action",
    "managed_action",
    "managed_indicator",
    "may_manage_action",
    "may_plan",
    "parse_indicator",
    "parse_month",
    "plannable_idea",
    "set_achieved",
    "set_progress",
]

GOAL_MAX = 1000
SHORT_MAX = 200
NOTE_MAX = 1000
ACTIONABLE = {
    ContributionStatus.ACCEPTED,
    ContributionStatus.IN_PROGRESS,
    ContributionStatus.DONE,
}
MONTH = re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$")
NOT_MANAGER = N_("Only coordinators and the group's lead can plan programme actions.")


async def _group_of(session: AsyncSession, contribution: Contribution) -> Group | None:
    return await session.get(Group, contribution.group_id) if contribution.group_id else None


async def may_plan(session: AsyncSession, member: Member | None, idea: Contribution) -> bool:
    """A coordinator, or the lead of the idea's group."""
    return can(member, Action.SET_CONTRIBUTION_STATUS, await _group_of(session, idea))


def _text(value: str | None, limit: int, *, required: bool = True) -> str:
    text = (value or "").strip()
    if required and not text:
        raise InvalidInput(N_("Please write a few words."))
    if len(text) > limit:
        raise InvalidInput(N_("Please keep it under {limit} characters."), limit=limit)
    return text


def parse_month(text: str | None) -> str | None:
    """ "2027-03", "03.2027", "3/2027" → "2027-03"; None for an empty answer."""
    value = (text or "").strip()
    if not value:
        return None
    match = re.match(r"^(\d{1,2})[./-](\d{4})$", value)
    if match:
        value = f"{match.group(2)}-{int(match.group(1)):02d}"
    if not MONTH.match(value):
        raise InvalidInput(N_("Please give a month like 03.2027."))
    return value


async def actionable_ideas(session: AsyncSession, member: Member) -> list[Contribution]:
    """Accepted ideas with no action yet that this member may turn into one."""
    taken = select(ProgrammeAction.contribution_id).where(
        col(ProgrammeAction.contribution_id).is_not(None)
    )
    rows = await session.exec(
        select(Contribution)
        .where(
            Contribution.kind == ContributionKind.IDEA,
            col(Contribution.status).in_(list(ACTIONABLE)),
            col(Contribution.id).not_in(taken),
        )
        .order_by(col(Contribution.support_count).desc(), col(Contribution.id))
    )
    return [c for c in rows.all() if await may_plan(session, member, c)]


async def plannable_idea(session: AsyncSession, actor: Member, idea_id: int) -> Contribution:
    """The idea, if `actor` may turn it into an action now (else the refusal)."""
    idea = await contributions_service.get(session, idea_id)
    if idea.kind != ContributionKind.IDEA:
        raise InvalidInput(N_("Only an idea can become a programme action."))
    if not await may_plan(session, actor, idea):
        raise NotAllowed(NOT_MANAGER)
    if idea.status not in ACTIONABLE:
        raise InvalidInput(N_("Only an accepted idea can become a programme action."))
    if await action_of_idea(session, idea_id) is not None:
        raise InvalidInput(N_("This idea is already a programme action."))
    return idea


async def create_action(
    session: AsyncSession,
    actor: Member,
    idea_id: int,
    *,
    goal: str,
    target_group: str = "",
    responsible: str = "",
    partners: list[str] | tuple[str, ...] = (),
    start_month: str | None = None,
    end_month: str | None = None,
    resource_ids: list[int] | tuple[int, ...] = (),
) -> ProgrammeAction:
    idea = await plannable_idea(session, actor, idea_id)
    start, end = parse_month(start_month), parse_month(end_month)
    if start and end and end < start:
        raise InvalidInput(N_("The action cannot end before it starts."))
    action = ProgrammeAction(
        contribution_id=idea.id,
        group_id=idea.group_id,
        title=idea.title,
        goal=_text(goal, GOAL_MAX),
        target_group=_text(target_group, SHORT_MAX, required=False),
        responsible=_text(responsible, 120, required=False),
        partners=list(dict.fromkeys(p.strip() for p in partners if p.strip())),
        start_month=start,
        end_month=end,
        created_by_id=actor.id,
    )
    session.add(action)
    await session.flush()
    for resource_id in resource_ids:
        resource = await contributions_service.get(session, resource_id)
        if resource.kind != ContributionKind.RESOURCE:
            raise InvalidInput(N_("Only resources can be linked here."))
        if await links_service.find(session, idea_id, resource_id) is None:
            await links_service.link(session, actor, idea_id, resource_id)
    await record(
        session, actor, "programme.action", f"action:{action.id}", idea=idea.id, goal=action.goal
    )
    return action


async def get_action(session: AsyncSession, action_id: int | None) -> ProgrammeAction:
    return await get_or_gone(
        session, ProgrammeAction, action_id, N_("This programme action no longer exists.")
    )


async def may_manage_action(
    session: AsyncSession, member: Member | None, action: ProgrammeAction
) -> bool:
    group = await session.get(Group, action.group_id) if action.group_id else None
    return can(member, Action.SET_CONTRIBUTION_STATUS, group)


async def managed_action(session: AsyncSession, actor: Member, action_id: int) -> ProgrammeAction:
    """The action, if `actor` may change it (else the refusal)."""
    return await _managed(session, actor, action_id)


async def _managed(session: AsyncSession, actor: Member, action_id: int) -> ProgrammeAction:
    action = await get_action(session, action_id)
    if not await may_manage_action(session, actor, action):
        raise NotAllowed(NOT_MANAGER)
    return action


async def add_indicator(
    session: AsyncSession, actor: Member, action_id: int, name: str, target: float, unit: str = ""
) -> ActionIndicator:
    await _managed(session, actor, action_id)
    if target <= 0:
        raise InvalidInput(N_("The target must be a positive number."))
    indicator = ActionIndicator(
        action_id=action_id,
        name=_text(name, 120),
        target=float(target),
        unit=_text(unit, 40, required=False),
    )
    return await save(session, indicator)


def parse_indicator(text: str) -> tuple[str, float, str]:
    """ "participants; 40; people" (or with commas / a dash) → ("participants", 40.0, "people")."""
    parts = [p.strip() for p in re.split(r"[;|]", text or "")]
    if len(parts) < 2:
        match = re.match(r"^(.*?)[\s,:-]+(\d+(?:[.,]\d+)?)\s*(.*)$", (text or "").strip())
        if not match:
            raise InvalidInput(N_("Please write the indicator like: participants; 40; people"))
        parts = [match.group(1), match.group(2), match.group(3)]
    try:
        target = float(parts[1].replace(",", "."))
    except ValueError:
        raise InvalidInput(
            N_("Please write the indicator like: participants; 40; people")
        ) from None
    return parts[0], target, (parts[2] if len(parts) > 2 else "")


async def managed_indicator(
    session: AsyncSession, actor: Member, indicator_id: int
) -> ActionIndicator:
    indicator = await get_or_gone(
        session, ActionIndicator, indicator_id, N_("This indicator no longer exists.")
    )
    await _managed(session, actor, indicator.action_id)
    return indicator


async def set_achieved(
    session: AsyncSession, actor: Member, indicator_id: int, achieved: float
) -> ActionIndicator:
    indicator = await managed_indicator(session, actor, indicator_id)
    if achieved < 0:
        raise InvalidInput(N_("The target must be a positive number."))
    indicator.achieved = float(achieved)
    return await save(session, indicator)


async def set_progress(
    session: AsyncSession, actor: Member, action_id: int, *, status: str, progress: int
) -> ProgrammeAction:
    action = await _managed(session, actor, action_id)
    if status not in {s.value for s in ActionStatus}:
        raise InvalidInput(N_("Unknown status."))
    if not 0 <= progress <= 100:
        raise InvalidInput(N_("Progress is a percentage from 0 to 100."))
    if status == ActionStatus.DONE:
        progress = 100
    await record(
        session,
        actor,
        "programme.progress",
        f"action:{action.id}",
        old=f"{action.status} {action.progress}%",
        new=f"{status} {progress}%",
    )
    action.status, action.progress = status, progress
    action.updated_at = utcnow()
    return await save(session, action)


async def add_note(
    session: AsyncSession, actor: Member, action_id: int, text: str, *, on: date
) -> ActionNote:
    await _managed(session, actor, action_id)
    note = ActionNote(
        action_id=action_id, noted_on=on, text=_text(text, NOTE_MAX), author_id=actor.id
    )
    return await save(session, note)


@dataclass
class ActionDetail:
    action: ProgrammeAction
    idea: Contribution | None
    indicators: list[ActionIndicator]
    notes: list[ActionNote]
    linked: dict[str, list[Contribution]]  # kind → linked contributions of the idea


async def action_detail(session: AsyncSession, action_id: int) -> ActionDetail:
    action = await get_action(session, action_id)
    idea = (
        await session.get(Contribution, action.contribution_id) if action.contribution_id else None
    )
    indicators = (
        await session.exec(
            select(ActionIndicator)
            .where(ActionIndicator.action_id == action_id)
            .order_by(col(ActionIndicator.id))
        )
    ).all()
    notes = (
        await session.exec(
            select(ActionNote)
            .where(ActionNote.action_id == action_id)
            .order_by(col(ActionNote.noted_on), col(ActionNote.id))
        )
    ).all()
    linked: dict[str, list[Contribution]] = {}
    if idea is not None:
        for other in await links_service.linked(session, idea.id):  # type: ignore[arg-type]
            linked.setdefault(other.kind, []).append(other)
    return ActionDetail(action, idea, list(indicators), list(notes), linked)


async def all_actions(session: AsyncSession) -> list[ProgrammeAction]:
    rows = await session.exec(
        select(ProgrammeAction).order_by(col(ProgrammeAction.start_month), col(ProgrammeAction.id))
    )
    return list(rows.all())


async def action_of_idea(session: AsyncSession, idea_id: int) -> ProgrammeAction | None:
    row = await session.exec(
        select(ProgrammeAction).where(ProgrammeAction.contribution_id == idea_id)
    )
    return row.first()
