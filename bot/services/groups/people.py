"""Lists of people, a page at a time: registered members, a group's members, those who may
lead, and finding people by a few letters of their name."""

from __future__ import annotations

import unicodedata

from sqlalchemy import func
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession
from sqlmodel.sql.expression import SelectOfScalar

from bot.i18n import N_
from bot.services.errors import InvalidInput
from models import Group, Member, Membership, MembershipStatus, Role

PEOPLE_PER_PAGE = 10
SEARCH_MIN = 2
SEARCH_MAX = 40

_FOLDED = str.maketrans({"ł": "l", "Ł": "l", "ß": "ss", "ø": "o", "Ø": "o", "đ": "d", "Đ": "d"})


def fold(text: str | None) -> str:
    """A name as searched: lower case, no diacritics ("Łęcka" -> "lecka")."""
    decomposed = unicodedata.normalize("NFKD", (text or "").translate(_FOLDED))
    plain = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return " ".join(plain.casefold().split())


def clean_search(text: str | None) -> str:
    """What was typed to search by: a few letters of a name, folded."""
    folded = fold(text)[:SEARCH_MAX]
    if len(folded) < SEARCH_MIN:
        raise InvalidInput(N_("Please type at least {n} letters of the name."), n=SEARCH_MIN)
    return folded


def _registered() -> SelectOfScalar[Member]:
    return select(Member).where(col(Member.consent_at).is_not(None))


def _members_of(group: Group) -> SelectOfScalar[Member]:
    return (
        _registered()
        .join(Membership, col(Membership.member_id) == col(Member.id))
        .where(Membership.group_id == group.id, Membership.status == MembershipStatus.MEMBER)
    )


async def _people_page(
    session: AsyncSession, query: SelectOfScalar[Member], page: int
) -> tuple[list[Member], int]:
    query = query.where(col(Member.display_name).is_not(None))
    total = (await session.exec(select(func.count()).select_from(query.subquery()))).one()
    pages = max(1, -(-total // PEOPLE_PER_PAGE))
    page = max(0, min(page, pages - 1))
    rows = await session.exec(
        query.order_by(func.lower(col(Member.display_name)), col(Member.id))
        .offset(page * PEOPLE_PER_PAGE)
        .limit(PEOPLE_PER_PAGE)
    )
    return list(rows.all()), pages


async def _search_page(
    session: AsyncSession, query: SelectOfScalar[Member], search: str, page: int, per_page: int
) -> tuple[list[Member], int]:
    """The people of `query` whose folded name contains `search`, one page at a time.

    Folding happens here, not in SQL (neither SQLite nor a stock PostgreSQL folds "ł"): the
    ids and names of the candidates are read, then only one page of people is loaded."""
    candidates = query.where(col(Member.display_name).is_not(None)).subquery()
    names = await session.exec(select(candidates.c.id, candidates.c.display_name))
    found = sorted(
        ((fold(name), member_id) for member_id, name in names.all() if search in fold(name)),
    )
    pages = max(1, -(-len(found) // per_page))
    page = max(0, min(page, pages - 1))
    ids = [member_id for _name, member_id in found[page * per_page : (page + 1) * per_page]]
    if not ids:
        return [], pages
    loaded = {m.id: m for m in (await session.exec(select(Member).where(col(Member.id).in_(ids))))}
    return [loaded[i] for i in ids if i in loaded], pages


async def people(session: AsyncSession, page: int = 0) -> tuple[list[Member], int]:
    """Registered members, by name, one page at a time."""
    return await _people_page(session, _registered(), page)


async def search_people(
    session: AsyncSession, search: str, page: int = 0
) -> tuple[list[Member], int]:
    """Registered members whose folded name contains `search` (already folded)."""
    return await _search_page(session, _registered(), search, page, PEOPLE_PER_PAGE)


async def members_page(
    session: AsyncSession, group: Group, page: int = 0, search: str | None = None
) -> tuple[list[Member], int]:
    """A group's members by name (or those whose name contains `search`), a page at a time."""
    if search:
        return await _search_page(session, _members_of(group), search, page, PEOPLE_PER_PAGE)
    return await _people_page(session, _members_of(group), page)


async def lead_candidates(
    session: AsyncSession, page: int = 0, group: Group | None = None
) -> tuple[list[Member], int]:
    """Who may lead: the group's members, or for a new group every registered leader."""
    if group is not None:
        return await _people_page(session, _members_of(group), page)
    leaders = col(Member.role).in_([Role.LEADER, Role.LEAD, Role.COORDINATOR])
    return await _people_page(session, _registered().where(leaders), page)
