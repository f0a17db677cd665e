"""Reading contributions as cards: one card, the filtered lists a page at a time (keyset
pages), a group's newest, the card of one just saved."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import bindparam, literal, tuple_
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.i18n import N_
from bot.services import groups as groups_service
from bot.services.errors import NotFound
from models import Contribution, Group, Member, ProblemArea, Support

PAGE_SIZE = 5


@dataclass(frozen=True)
class Card:
    """What a card shows: the contribution with its author's name, group and area."""

    contribution: Contribution
    author_name: str | None
    group: Group | None
    area: ProblemArea | None
    supported: bool = False


@dataclass(frozen=True)
class Filters:
    kind: str | None = None
    area_id: int | None = None
    group_id: int | None = None
    status: str | None = None
    author_id: int | None = None
    by_support: bool = False


@dataclass(frozen=True)
class Cursor:
    """A place in a list: the card's sort key (its support count when sorted by support)
    and id. Pages after it (or before it) are read with a keyset, not an OFFSET: page 500
    costs what page 1 does."""

    id: int
    support_count: int | None = None

    @classmethod
    def of(cls, contribution: Contribution, filters: Filters) -> Cursor:
        assert contribution.id is not None
        support = contribution.support_count if filters.by_support else None
        return cls(contribution.id, support)


@dataclass(frozen=True)
class Page:
    cards: list[Card]
    page: int
    has_next: bool
    # Where the page starts and ends: pass `next_cursor` as `after` for the next page and
    # `prev_cursor` as `before` for the previous one (None: no such page, or page 0).
    next_cursor: Cursor | None = None
    prev_cursor: Cursor | None = None


def conditions_of(filters: Filters) -> list[Any]:
    """The WHERE conditions of `filters` (the sort order apart)."""
    conditions: list[Any] = []
    if filters.kind:
        conditions.append(col(Contribution.kind) == filters.kind)
    if filters.area_id:
        conditions.append(col(Contribution.area_id) == filters.area_id)
    if filters.group_id:
        conditions.append(col(Contribution.group_id) == filters.group_id)
    if filters.status:
        conditions.append(col(Contribution.status) == filters.status)
    if filters.author_id:
        conditions.append(col(Contribution.author_id) == filters.author_id)
    return conditions


def _cards_seen_by(viewer_id: Any) -> Any:
    """Cards with author name, group, area and whether the viewer (a member's id, None, or a
    bound parameter) supports each: one query."""
    return (
        select(Contribution, Member.display_name, Group, ProblemArea, Support.id)  # type: ignore[call-overload]
        .outerjoin(Member, col(Member.id) == col(Contribution.author_id))
        .outerjoin(Group, col(Group.id) == col(Contribution.group_id))
        .outerjoin(ProblemArea, col(ProblemArea.id) == col(Contribution.area_id))
        .outerjoin(
            Support,
            (col(Support.contribution_id) == col(Contribution.id))
            & (col(Support.member_id) == viewer_id),
        )
    )


def card_query(viewer: Member | None) -> Any:
    """Cards with author name, group, area and whether the viewer supports each: one query."""
    return _cards_seen_by(viewer.id if viewer is not None else None)


_card_query = card_query  # its first name, still used (benchmarks/browse.py)

# One card seen by a member: built once, the ids bound at each execution.
_CARD_FOR_VIEWER = _cards_seen_by(bindparam("viewer_id")).where(
    col(Contribution.id) == bindparam("contribution_id")
)


def _order(filters: Filters, *, backwards: bool = False) -> list[Any]:
    keys = [col(Contribution.support_count), col(Contribution.id)]
    if not filters.by_support:
        keys = keys[1:]
    return [key.asc() if backwards else key.desc() for key in keys]


def _keyset(filters: Filters, cursor: Cursor, *, backwards: bool = False) -> Any:
    """Rows after `cursor` in the list's order (before it when `backwards`)."""
    key: Any
    value: Any
    if filters.by_support:
        key = tuple_(col(Contribution.support_count), col(Contribution.id))
        value = tuple_(literal(cursor.support_count or 0), literal(cursor.id))
    else:
        key, value = col(Contribution.id), literal(cursor.id)
    return key > value if backwards else key < value


async def browse(
    session: AsyncSession,
    filters: Filters,
    page: int = 0,
    viewer: Member | None = None,
    *,
    after: Cursor | None = None,
    before: Cursor | None = None,
) -> Page:
    """One page of cards, newest (or most supported) first.

    With `after` (the shown page's `next_cursor`) or `before` (its `prev_cursor`) the page
    is found with a keyset on the sort key and id, and `page` only numbers it (pass the
    number of the page wanted). Without either, `page` is counted from the start as before:
    an OFFSET, but over ids alone, so the cards are built for the page's rows only.
    """
    # No total count: counting a combined filter scans every match (tens of ms on 100k
    # rows); one extra row tells whether there is a next page.
    conditions = conditions_of(filters)
    page = max(page, 0)
    backwards = before is not None and after is None
    if after is not None:
        conditions.append(_keyset(filters, after))
    elif before is not None:
        conditions.append(_keyset(filters, before, backwards=True))
    elif page > 0:
        skipped = (
            select(Contribution.id)
            .where(*conditions)
            .order_by(*_order(filters))
            .offset(page * PAGE_SIZE)
            .limit(PAGE_SIZE + 1)
        )
        conditions = [col(Contribution.id).in_(skipped.scalar_subquery())]
    rows = list(
        (
            await session.exec(
                card_query(viewer)
                .where(*conditions)
                .order_by(*_order(filters, backwards=backwards))
                .limit(PAGE_SIZE + 1)
            )
        ).all()
    )
    more = len(rows) > PAGE_SIZE
    rows = rows[:PAGE_SIZE]
    if backwards:
        rows.reverse()
    cards = [Card(c, name, g, a, support is not None) for c, name, g, a, support in rows]
    # Read backwards, `more` tells of a page before this one; forwards, of one after it.
    has_next = True if backwards else more
    has_prev = more if backwards else (page > 0 or after is not None)
    if backwards and not more:
        page = 0
    return Page(
        cards,
        page,
        has_next,
        next_cursor=Cursor.of(cards[-1].contribution, filters) if cards and has_next else None,
        prev_cursor=Cursor.of(cards[0].contribution, filters) if cards and has_prev else None,
    )


async def card(
    session: AsyncSession, contribution_id: int | None, viewer: Member | None = None
) -> Card:
    if viewer is not None and viewer.id is not None:
        params = {"viewer_id": viewer.id, "contribution_id": contribution_id}
        row = (await session.exec(_CARD_FOR_VIEWER, params=params)).first()
    else:
        query = card_query(viewer).where(col(Contribution.id) == contribution_id)
        row = (await session.exec(query)).first()
    if row is None:
        raise NotFound(N_("This contribution no longer exists."))
    contribution, name, group, area, support = row
    return Card(contribution, name, group, area, support is not None)


_LATEST_IN_GROUP: dict[int, Any] = {}


async def latest_in_group(session: AsyncSession, group_id: int, limit: int) -> list[Card]:
    """A group's newest contributions, for its page: only what a line shows (the kind, the
    number and the title; no author, area or support), in one small query."""
    statement = _LATEST_IN_GROUP.get(limit)
    if statement is None:
        statement = _LATEST_IN_GROUP[limit] = (
            select(Contribution)
            .where(col(Contribution.group_id) == bindparam("group_id"))
            .order_by(col(Contribution.id).desc())
            .limit(limit)
        )
    rows = await session.exec(statement, params={"group_id": group_id})
    return [Card(c, None, None, None) for c in rows.all()]


async def card_of_new(session: AsyncSession, contribution: Contribution, author: Member) -> Card:
    """The card of a contribution `author` has just saved in this transaction: built from
    what is loaded (its group is in the session, areas in memory), not read again."""
    group = await session.get(Group, contribution.group_id) if contribution.group_id else None
    area = await groups_service.area_by_id(session, contribution.area_id)
    return Card(contribution, author.display_name, group, area, False)
