"""The board's title search: any part of a title, case-insensitive in every alphabet.

On SQLite the FTS5 table `contributions_search` (migration 0009: trigrams of every title,
kept by triggers) finds a search of three letters or more among 100,000 titles in about a
millisecond; shorter searches and a SQLite without FTS5 compare the titles themselves
(LIKE), newest first.

On PostgreSQL the titles are compared with ILIKE, which the GIN index of their trigrams
(migration 0010, where pg_trgm could be created) answers for a search of three letters or
more. Each search is planned for its own words (`plan_cache_mode`, for this transaction: a
prepared statement's generic plan would not know them): a rare one through the index, one
that most titles contain by reading the newest titles until enough match, a shorter one (no
trigram) never through the index. A search with no letters (digits, signs) is the same in
any case: it is compared with LIKE, several times cheaper per title than ILIKE.
"""

from __future__ import annotations

from itertools import product
from typing import Any
from weakref import WeakKeyDictionary

from sqlalchemy import Engine, column, or_, table, text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine
from sqlmodel import col, func, select
from sqlmodel.ext.asyncio.session import AsyncSession

from models import Contribution

INDEX = table("contributions_search", column("rowid"), column("title"))
TRIGRAM = 3  # the index finds searches of at least this many letters
PROBE = 2000  # matches read forwards at most
_indexed: WeakKeyDictionary[Engine, bool] = WeakKeyDictionary()


def is_sqlite(session: AsyncSession) -> bool:
    return session.bind is not None and session.bind.dialect.name == "sqlite"


async def has_index(session: AsyncSession) -> bool:
    """Whether this database has the FTS5 index (looked up once per engine)."""
    bind = session.bind
    if not isinstance(bind, AsyncEngine | AsyncConnection) or not is_sqlite(session):
        return False
    engine = bind.sync_engine
    if engine not in _indexed:
        found = await session.exec(  # type: ignore[call-overload]
            text("SELECT 1 FROM sqlite_master WHERE name = 'contributions_search'")
        )
        _indexed[engine] = found.first() is not None
    return _indexed[engine]


def _case_variants(words: str) -> list[str]:
    """SQLite's LIKE ignores the case of ASCII letters only: "łą" → łą, łĄ, Łą, ŁĄ."""
    letters = [
        {c.lower(), c.upper()} if not c.isascii() and c.lower() != c.upper() else {c} for c in words
    ]
    return ["".join(v) for v in product(*letters)]


_CUSTOM_PLAN = text("SET LOCAL plan_cache_mode = force_custom_plan")


def _pg_contains(words: str) -> Any:
    """PostgreSQL: the title contains `words`, in any case (as `icontains`: ILIKE compares
    the titles lowered). Digits, spaces and ASCII signs have no case, and no character is
    lowered to one of them: for words of those only, LIKE finds the same titles."""
    pattern = "%" + words.replace("/", "//").replace("%", "/%").replace("_", "/_") + "%"
    title = col(Contribution.title)
    if all(c.isascii() and not c.isalpha() for c in words):
        return title.like(pattern, escape="/")
    return title.ilike(pattern, escape="/")


async def newest_matches(
    session: AsyncSession, words: str, conditions: list[Any], limit: int
) -> list[tuple[int, str]]:
    """(id, status) of the newest `limit` contributions whose title contains `words` and
    that meet `conditions`."""
    found = select(Contribution.id, Contribution.status)
    newest = col(Contribution.id).desc()
    if len(words) >= TRIGRAM and await has_index(session):
        phrase = INDEX.c.title.match('"' + words.replace('"', '""') + '"')  # one FTS5 phrase
        matching = select(INDEX.c.rowid).where(phrase)
        # FTS5 reads its index forwards several times faster than backwards. Up to PROBE
        # matches are all read forwards and the newest of them kept; only a search matching
        # more titles than that is read newest first (and soon has its `limit`).
        probe = select(func.count()).select_from(matching.limit(PROBE).subquery())
        if (await session.exec(probe)).one() < PROBE:
            query = found.where(col(Contribution.id).in_(matching), *conditions).order_by(newest)
        else:
            query = (
                found.select_from(INDEX)
                .join(Contribution, col(Contribution.id) == INDEX.c.rowid)
                .where(phrase, *conditions)
                .order_by(INDEX.c.rowid.desc())
            )
    else:
        title = col(Contribution.title)
        if is_sqlite(session):
            variants = _case_variants(words) if len(words) < TRIGRAM else [words]
            contains = or_(*(title.contains(v, autoescape=True) for v in variants))
        else:
            await session.exec(_CUSTOM_PLAN)  # type: ignore[call-overload]
            contains = _pg_contains(words)
        query = found.where(contains, *conditions).order_by(newest)
    rows = await session.exec(query.limit(limit))
    return [(i, s) for i, s in rows.all() if i is not None]
