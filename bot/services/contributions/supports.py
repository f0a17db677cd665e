"""Supports: a member supports a contribution, or takes their support back; the count
changes in SQL, so two people pressing at once both count."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from sqlalchemy import ColumnElement, bindparam, delete, update
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm.attributes import set_committed_value
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.i18n import N_
from bot.services.contributions.browsing import Card, card
from bot.services.contributions.drafts import get
from bot.services.errors import NotAllowed
from bot.services.permissions import Action, can
from models import Contribution, Member, Support, utcnow


def _check_supporter(member: Member) -> None:
    if not can(member, Action.SUPPORT_CONTRIBUTION):
        raise NotAllowed(N_("Please finish signing up first: send /start."))


def _mine(member: Member, contribution: Contribution) -> tuple[ColumnElement[bool], ...]:
    """The WHERE conditions of `member`'s support of `contribution`."""
    return (
        col(Support.member_id) == member.id,
        col(Support.contribution_id) == contribution.id,
    )


async def toggle_support(
    session: AsyncSession, member: Member, contribution_id: int
) -> tuple[bool, int]:
    """Support, or withdraw one's support; returns (supported now, new count)."""
    _check_supporter(member)
    contribution = await get(session, contribution_id)
    found = (await session.exec(select(Support.id).where(*_mine(member, contribution)))).first()
    supported = found is None
    await _change_support(session, member, contribution, supported)
    return supported, contribution.support_count


async def set_support(
    session: AsyncSession, member: Member, contribution_id: int, supported: bool
) -> tuple[bool, int]:
    """Support (`supported`) or take one's support back; idempotent: supporting twice keeps
    one support, taking back when not supporting changes nothing. Returns (changed, count)."""
    _check_supporter(member)
    contribution = await get(session, contribution_id)
    changed = await _change_support(session, member, contribution, supported)
    return changed, contribution.support_count


async def support_card(
    session: AsyncSession, member: Member, contribution_id: int, supported: bool
) -> tuple[bool, Card]:
    """`set_support`, returning whether it changed anything and the card as `member` now
    sees it (the card is read first, then changed in place: no second read)."""
    _check_supporter(member)
    found = await card(session, contribution_id, member)
    changed = await _change_support(session, member, found.contribution, supported)
    return changed, replace(found, supported=supported)


def _support_insert(dialect: str) -> Any:
    """INSERT of one support that does nothing when the member already supports it."""
    statement = _SUPPORT_INSERTS.get(dialect)
    if statement is None:
        insert: Any = sqlite_insert
        if dialect == "postgresql":  # not loaded at all on SQLite
            from sqlalchemy.dialects.postgresql import insert
        statement = _SUPPORT_INSERTS[dialect] = insert(Support).on_conflict_do_nothing(
            index_elements=["member_id", "contribution_id"]
        )
    return statement


_SUPPORT_INSERTS: dict[str, Any] = {}


async def _change_support(
    session: AsyncSession, member: Member, contribution: Contribution, supported: bool
) -> bool:
    if supported:
        values = {
            "contribution_id": contribution.id,
            "member_id": member.id,
            "created_at": utcnow(),
        }
        connection = await session.connection()  # Core: the row count says if it was new
        result: Any = await connection.execute(_support_insert(connection.dialect.name), values)
        if not result.rowcount:  # already supported (a double press)
            return False
        delta = 1
    else:
        result = await session.exec(delete(Support).where(*_mine(member, contribution)))
        delta = -result.rowcount
        if not delta:
            return False
    # The count changes in SQL, so two people pressing at once both count.
    await _add_to_count(session, contribution, delta)
    return True


_COUNT_CHANGE = (
    update(Contribution)
    .where(col(Contribution.id) == bindparam("contribution_id"))
    .values(support_count=Contribution.support_count + bindparam("delta"))
)
_COUNT_CHANGE_RETURNING = _COUNT_CHANGE.returning(col(Contribution.support_count))


async def _add_to_count(session: AsyncSession, contribution: Contribution, delta: int) -> int:
    """Add `delta` to the support count in SQL; the new count is read back (RETURNING where
    the database has it) and set on the loaded contribution."""
    params = {"contribution_id": contribution.id, "delta": delta}
    await session.flush()  # anything pending goes first (Core below bypasses autoflush)
    connection = await session.connection()
    if connection.dialect.update_returning:
        result = await connection.execute(_COUNT_CHANGE_RETURNING, params)
        count: int = result.scalar_one()
        set_committed_value(contribution, "support_count", count)
        return count
    await connection.execute(_COUNT_CHANGE, params)
    await session.refresh(contribution)
    return contribution.support_count
