"""The profile's areas and the active groups, kept in memory.

Read on almost every screen (group page, contribution drafts and cards, meeting cards) and
changed rarely: areas when the programme profile is applied, groups by coordinators. Kept
per engine (tests run many databases in one process). Any flush that adds, changes or
deletes an area or a group empties the cache, and again at its commit; a change made by
another process shows after at most PROFILE_TTL seconds. The cached rows are detached
copies: read them, don't change them (load the row in the session to change it).
"""

from __future__ import annotations

import time
import weakref
from dataclasses import dataclass
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, make_transient_to_detached
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.i18n import N_
from bot.services.errors import NotFound
from bot.services.groups.lookups import ACTIVE_GROUPS_QUERY
from models import Group, ProblemArea

PROFILE_TTL = 60.0
_AREAS_QUERY = select(ProblemArea).order_by(col(ProblemArea.position))


@dataclass(frozen=True)
class _Snapshot:
    at: float
    areas: list[ProblemArea]
    areas_by_id: dict[int, ProblemArea]
    groups: list[Group]
    groups_by_id: dict[int, Group]


_profile_cache: weakref.WeakKeyDictionary[Engine, _Snapshot] = weakref.WeakKeyDictionary()


def _engine_of(session: AsyncSession) -> Engine:
    bind: Any = session.get_bind()
    engine: Engine = bind.engine  # an Engine's .engine is itself; a Connection's, its engine
    return engine


def _detached_copy(row: Any) -> Any:
    """A copy of a loaded row that belongs to no session (the original stays the caller's)."""
    values = {}
    for column in type(row).__table__.columns:
        value = getattr(row, column.key)
        values[column.key] = dict(value) if isinstance(value, dict) else value
    copy = type(row)(**values)
    make_transient_to_detached(copy)
    return copy


async def _snapshot(session: AsyncSession) -> _Snapshot:
    engine = _engine_of(session)
    cached = _profile_cache.get(engine)
    now = time.monotonic()
    if cached is not None and now - cached.at < PROFILE_TTL:
        return cached
    found_areas = [_detached_copy(a) for a in (await session.exec(_AREAS_QUERY)).all()]
    found_groups = [_detached_copy(g) for g in (await session.exec(ACTIVE_GROUPS_QUERY)).all()]
    snapshot = _Snapshot(
        now,
        found_areas,
        {a.id: a for a in found_areas if a.id is not None},
        found_groups,
        {g.id: g for g in found_groups if g.id is not None},
    )
    _profile_cache[engine] = snapshot
    return snapshot


def forget_profile() -> None:
    """Empty the cache (done by itself when areas or groups are written through the ORM)."""
    _profile_cache.clear()


def _profile_flushed(session: Session, _context: object) -> None:
    if any(
        isinstance(obj, (ProblemArea, Group))
        for changed in (session.new, session.dirty, session.deleted)
        for obj in changed
    ):
        session.info["profile_changed"] = True
        forget_profile()


def _profile_ended(session: Session, *_args: object) -> None:
    if session.info.pop("profile_changed", False):
        forget_profile()


event.listen(Session, "after_flush", _profile_flushed)
event.listen(Session, "after_commit", _profile_ended)
event.listen(Session, "after_soft_rollback", _profile_ended)


async def areas(session: AsyncSession) -> list[ProblemArea]:
    """Every problem area, in the profile's order (from memory, see PROFILE_TTL)."""
    return list((await _snapshot(session)).areas)


async def area_by_id(session: AsyncSession, area_id: int | None) -> ProblemArea | None:
    if not area_id:
        return None
    return (await _snapshot(session)).areas_by_id.get(area_id)


async def get_area(session: AsyncSession, area_id: int | None) -> ProblemArea:
    area = await area_by_id(session, area_id)
    if area is None:
        raise NotFound(N_("This problem area no longer exists."))
    return area


async def cached_active_groups(session: AsyncSession) -> list[Group]:
    """`active_groups`, from memory (see PROFILE_TTL): for pickers and names, not to change."""
    return list((await _snapshot(session)).groups)


async def group_for_display(session: AsyncSession, group_id: int | None) -> Group | None:
    """A group to show by name (archived ones too): from memory when active."""
    if not group_id:
        return None
    found = (await _snapshot(session)).groups_by_id.get(group_id)
    if found is None:
        found = await session.get(Group, group_id)
    return found
